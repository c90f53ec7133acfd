/*
 * apps/mikey_io.h - plumbing shared by the `mcgk mikey` verbs that take keys
 * (apps/cmd_mikey_gmk.c: open, seal; apps/cmd_mikey_gsk.c: gsk-seal,
 * gsk-open): messages in any transport form, the KMS documents of TS 33.180
 * Annex D, and the `name = value` output. Each function prints what went
 * wrong on stderr before returning an error.
 */
#ifndef MCGK_APPS_MIKEY_IO_H
#define MCGK_APPS_MIKEY_IO_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "mcgk/eccsi.h"
#include "mcgk/gmk_message.h"
#include "mcgk/kms.h"

/* Declare the verb's flags and parse argv[1..argc) into `a`; `e` holds the outcome. */
#define MIKEY_IO_FLAGS(...) CLI_PARSE_FLAGS(__VA_ARGS__)

/* The binary message from FILE or "-" (stdin) in any transport form (mikey.md §15):
 * binary, base64, `mikey <base64>`, an SDP line or body. *msg is malloc'ed. */
mcgk_err mikey_io_read_message(const char *path, uint8_t **msg, size_t *len);

/*
 * Certificates from a KMS document: a KmsInit or KmsCertCache response, or a
 * stand-alone KmsCertificate. Appends to certs[*n .. cap); checks each for use
 * at now_unix_s (mcgk_kms_cert_check).
 */
mcgk_err mikey_io_load_certs(const char *path, mcgk_kms_cert *certs, size_t cap, size_t *n,
                             uint64_t now_unix_s);

/* A KmsKeyProv response with at least one key set (else MCGK_ERR_NO_KEYS).
 * Free with mcgk_kms_response_clear, which wipes the keys. */
mcgk_err mikey_io_load_keysets(const char *path, mcgk_kms_response *resp);

/* The message layer's view of a certificate (pointers into c; community may be NULL). */
void mikey_io_kms_view(const mcgk_kms_cert *c, const mcgk_sakke_community *community,
                       mcgk_gmk_kms *k);

/*
 * The signer of identity uri for the key period of t_ntp under cert (the key
 * set of that period in keys, checked with mcgk_kms_keyset_check against cert
 * and its community, then validated by mcgk_eccsi_signer_init).
 * MCGK_ERR_NO_KEYS when keys has no key set of uri for that period.
 */
mcgk_err mikey_io_signer(const mcgk_kms_cert *cert, const mcgk_sakke_community *community,
                         const mcgk_kms_response *keys, const char *uri, uint64_t t_ntp,
                         mcgk_eccsi_signer *signer);

/* Split a comma-separated list in place (s is modified); empty items are skipped. */
size_t mikey_io_split_list(char *s, char **items, size_t cap);

/* A 4-octet hex flag as a big-endian integer. */
mcgk_err mikey_io_u32_hex_flag(const cli_args *a, const char *name, uint32_t *out);

/* `name = text`, anything but printable ASCII escaped as \xHH. */
void mikey_io_print_text(const char *name, const char *s, size_t n);

/* `name = 2026-11-22T12:26:20Z (NTP 4004339180)` */
void mikey_io_print_ntp(const char *name, uint64_t ntp_s);

/* Write a message as --format (base64, one line: default; binary; sdp: an
 * a=key-mgmt line) to --out (mode 0600) or stdout. */
mcgk_err mikey_io_write_message(const cli_args *a, const uint8_t *msg, size_t len);

#endif
