/* Test harness, deterministic RNGs and the vector-file reader. See test.h. */
#include "test.h"

#include <stdarg.h>

int mcgk_test_failures;
int mcgk_test_passed;
int mcgk_test_failed;

void mcgk_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    mcgk_test_failures++;
}

int mcgk_test_quick(void)
{
    const char *q = getenv("MCGK_TEST_QUICK");
    return q != NULL && q[0] != '\0' && q[0] != '0';
}

static int fixed_fill(void *ctx, uint8_t *out, size_t len)
{
    mcgk_test_fixed_rng *st = ctx;
    if (st->len - st->pos < len)
        return -1;
    memcpy(out, st->bytes + st->pos, len);
    st->pos += len;
    return 0;
}

mcgk_rng mcgk_test_fixed_rng_init(mcgk_test_fixed_rng *st, const uint8_t *bytes, size_t len)
{
    st->bytes = bytes;
    st->len = len;
    st->pos = 0;
    mcgk_rng r = {fixed_fill, st};
    return r;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t mcgk_test_prng_next(mcgk_test_prng *st)
{
    uint64_t *s = st->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void mcgk_test_prng_fill(mcgk_test_prng *st, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = mcgk_test_prng_next(st);
        for (size_t j = 0; j < 8 && i + j < len; j++)
            out[i + j] = (uint8_t)(v >> (8 * j));
    }
}

static int prng_fill(void *ctx, uint8_t *out, size_t len)
{
    mcgk_test_prng_fill(ctx, out, len);
    return 0;
}

mcgk_rng mcgk_test_prng_init(mcgk_test_prng *st, uint64_t seed)
{
    /* splitmix64 to spread the seed */
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        st->s[i] = z ^ (z >> 31);
    }
    mcgk_rng r = {prng_fill, st};
    return r;
}

/* ---- vector files ---- */

struct vec_entry {
    char *section; /* "" for top level */
    char *name;
    char *value;
};

struct mcgk_vecfile {
    struct vec_entry *e;
    size_t n, cap;
    char **sections;
    size_t nsec, capsec;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d == NULL)
        abort();
    memcpy(d, s, n);
    return d;
}

mcgk_vecfile *mcgk_vec_load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MCGK_VECTORS_DIR, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open vector file %s\n", path);
        exit(2);
    }
    mcgk_vecfile *v = calloc(1, sizeof *v);
    if (v == NULL)
        abort();
    char *section = xstrdup("");
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (end)
                *end = '\0';
            free(section);
            section = xstrdup(s + 1);
            if (v->nsec == v->capsec) {
                v->capsec = v->capsec ? 2 * v->capsec : 16;
                v->sections = realloc(v->sections, v->capsec * sizeof *v->sections);
                if (!v->sections)
                    abort();
            }
            v->sections[v->nsec++] = xstrdup(section);
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        if (v->n == v->cap) {
            v->cap = v->cap ? 2 * v->cap : 64;
            v->e = realloc(v->e, v->cap * sizeof *v->e);
            if (!v->e)
                abort();
        }
        v->e[v->n].section = xstrdup(section);
        v->e[v->n].name = xstrdup(trim(s));
        v->e[v->n].value = xstrdup(trim(eq + 1));
        v->n++;
    }
    free(line);
    free(section);
    fclose(f);
    return v;
}

void mcgk_vec_free(mcgk_vecfile *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->e[i].section);
        free(v->e[i].name);
        free(v->e[i].value);
    }
    for (size_t i = 0; i < v->nsec; i++)
        free(v->sections[i]);
    free(v->sections);
    free(v->e);
    free(v);
}

const char *mcgk_vec_str(const mcgk_vecfile *v, const char *section, const char *name)
{
    if (section == NULL)
        section = "";
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->e[i].section, section) == 0 && strcmp(v->e[i].name, name) == 0)
            return v->e[i].value;
    return NULL;
}

uint8_t *mcgk_test_unhex(const char *hex, size_t *len)
{
    size_t n = 0;
    size_t hl = strlen(hex);
    if (mcgk_hex_decode(hex, hl, NULL, 0, &n) == MCGK_ERR_HEX) {
        fprintf(stderr, "bad hex: %.40s\n", hex);
        exit(2);
    }
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        abort();
    if (mcgk_hex_decode(hex, hl, buf, n, &n) != MCGK_OK) {
        fprintf(stderr, "bad hex: %.40s\n", hex);
        exit(2);
    }
    if (len)
        *len = n;
    return buf;
}

uint8_t *mcgk_vec_hex(const mcgk_vecfile *v, const char *section, const char *name, size_t *len)
{
    const char *s = mcgk_vec_str(v, section, name);
    if (s == NULL) {
        fprintf(stderr, "vector [%s] %s missing\n", section ? section : "", name);
        exit(2);
    }
    return mcgk_test_unhex(s, len);
}

uint64_t mcgk_vec_u64(const mcgk_vecfile *v, const char *section, const char *name)
{
    const char *s = mcgk_vec_str(v, section, name);
    if (s == NULL) {
        fprintf(stderr, "vector [%s] %s missing\n", section ? section : "", name);
        exit(2);
    }
    return strtoull(s, NULL, 10);
}

size_t mcgk_vec_section_count(const mcgk_vecfile *v) { return v->nsec; }

const char *mcgk_vec_section_name(const mcgk_vecfile *v, size_t i)
{
    return i < v->nsec ? v->sections[i] : NULL;
}
