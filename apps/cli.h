/*
 * apps/cli.h - shared command-line plumbing for `mcgk <role> <verb>`:
 * flag parsing against a declared list, hex in / `name = HEX` out, and the
 * `error: <name>` convention (exit 1 on a failed operation, 2 on bad usage).
 */
#ifndef MCGK_APPS_CLI_H
#define MCGK_APPS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mcgk/error.h"

#define CLI_MAX_FLAGS 32
#define CLI_MAX_POSITIONAL 8

/* A flag the verb accepts. takes_value = 0 for booleans like --json. */
typedef struct cli_flag {
    const char *name; /* without the leading "--" */
    int takes_value;
} cli_flag;

typedef struct cli_args {
    const char *values[CLI_MAX_FLAGS]; /* indexed like the flag list; NULL = absent */
    int present[CLI_MAX_FLAGS];
    const cli_flag *flags;
    size_t nflags;
    const char *positional[CLI_MAX_POSITIONAL];
    size_t npositional;
    int help;
} cli_args;

/* Parse argv[0..argc) (after the verb). Prints the problem and returns MCGK_ERR_USAGE. */
mcgk_err cli_parse(cli_args *a, const cli_flag *flags, size_t nflags, int argc, char **argv);
const char *cli_get(const cli_args *a, const char *name);
int cli_has(const cli_args *a, const char *name);
/* The value of a required flag, or prints "missing --name" and returns NULL. */
const char *cli_require(const cli_args *a, const char *name);

/* Decode hex flag value into a malloc'ed buffer; prints the error on failure. */
mcgk_err cli_hex_flag(const cli_args *a, const char *name, uint8_t **out, size_t *out_len);
/* Decode a hex flag that must have exactly want_len octets into out. */
mcgk_err cli_hex_fixed(const cli_args *a, const char *name, uint8_t *out, size_t want_len);
/* Parse an unsigned decimal flag. */
mcgk_err cli_u64_flag(const cli_args *a, const char *name, uint64_t *out);

/* Print "name = HEX\n" on stdout. */
void cli_print_hex(const char *name, const uint8_t *data, size_t len);
/* Print "error: <name>" on stderr and return the exit code (1, or 2 for usage). */
int cli_fail(mcgk_err e);

/* A verb of a role. */
typedef struct cli_verb {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the verb */
    const char *help;                  /* full --help text */
} cli_verb;

/* Dispatch argv[0] among verbs; prints role help for --help / no verb. */
int cli_dispatch(const char *role, const char *role_summary, const cli_verb *verbs, size_t nverbs,
                 int argc, char **argv);

/* In a verb's function (argc, argv with argv[0] the verb): declare its flags,
 * parse argv[1..argc) into `a` and declare `e`; on a usage error return
 * cli_fail(e) from the verb. */
#define CLI_PARSE_FLAGS(...)                                                                 \
    static const cli_flag flags[] = {__VA_ARGS__};                                           \
    cli_args a;                                                                               \
    mcgk_err e = cli_parse(&a, flags, sizeof flags / sizeof flags[0], argc - 1, argv + 1);   \
    if (e != MCGK_OK)                                                                         \
    return cli_fail(e)

#endif
