/*
 * mcgk mikey <verb>: MIKEY tools for integrators (issue 3, part 4).
 *
 *   inspect   decode any MIKEY message (binary, base64, or an SDP
 *             `a=key-mgmt:mikey ...` line; file or stdin) into a readable
 *             tree or JSON.
 *   open, seal          the GMK I_MESSAGE (cmd_mikey_gmk.c)
 *   gsk-seal, gsk-open  the ProSe GSK message (cmd_mikey_gsk.c)
 *
 * This is a shell: it reads the input, calls the codec (mcgk/mikey.h) and
 * prints. Exit 0 on success; on failure exit 1 (2 for bad usage) with
 * `error: <error-name>` on stderr. Verbs that need keys (open, seal) are
 * added to k_verbs below.
 *
 * Secrets: a MIKEY message is public; its keys are encrypted. The one
 * exception is a KEMAC with NULL encryption, whose Key data is cleartext:
 * inspect prints the lengths of such keys and salts, never their octets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mcgk/base.h"
#include "mcgk/mikey.h"
#include "cmd_mikey_gmk.h"
#include "cmd_mikey_gsk.h"
#include "roles.h"

#define INSPECT_MAX_INPUT                                                                          \
    (4u * 1024 * 1024)                /* SDP bodies, base64: well above the 64 KiB message cap */
#define NTP_UNIX_OFFSET 2208988800ull /* NTP seconds at 1970-01-01 (mikey.md §3) */
#define HEX_WRAP 64                   /* hex characters per line in the tree */

/* ---- reading the input ------------------------------------------------------------------ */

/* Read FILE or "-" (stdin) into a malloc'ed buffer. Prints the problem. */
static mcgk_err read_input(const char *path, uint8_t **data, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "mcgk mikey: cannot open %s\n", path);
        return MCGK_ERR_IO;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    mcgk_err e = buf == NULL ? MCGK_ERR_NO_MEMORY : MCGK_OK;
    while (e == MCGK_OK) {
        if (n == cap) {
            if (cap >= INSPECT_MAX_INPUT) {
                fprintf(stderr, "mcgk mikey: %s is longer than %u octets\n", path,
                        INSPECT_MAX_INPUT);
                e = MCGK_ERR_OVERSIZED;
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                e = MCGK_ERR_NO_MEMORY;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "mcgk mikey: cannot read %s\n", path);
                e = MCGK_ERR_IO;
            }
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (e != MCGK_OK) {
        free(buf);
        return e;
    }
    *data = buf;
    *len = n;
    return MCGK_OK;
}

/* ---- one emitter, two formats ---------------------------------------------------------------
 * The walker below describes the message once, as nested objects and lists of
 * fields; the emitter prints them either as an indented tree ("label: value
 * (meaning)") or as JSON ("key": value, "key_name": "meaning"). */

#define OUT_MAX_DEPTH 16

typedef struct out {
    int json;
    int depth;
    int first[OUT_MAX_DEPTH]; /* JSON: nothing printed yet at this depth */
} out;

static void o_indent(const out *o)
{
    for (int i = 0; i < o->depth; i++)
        fputs("  ", stdout);
}

static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c); /* bytes outside printable ASCII, one escape each */
        else
            putchar(c);
    }
    putchar('"');
}

/* JSON: a comma when needed, then the key (NULL inside a list) */
static void j_key(out *o, const char *key)
{
    if (!o->first[o->depth])
        putchar(',');
    o->first[o->depth] = 0;
    putchar('\n');
    o_indent(o);
    if (key != NULL) {
        json_str(key, strlen(key));
        fputs(": ", stdout);
    }
}

static void o_push(out *o)
{
    if (o->depth + 1 < OUT_MAX_DEPTH)
        o->depth++;
    o->first[o->depth] = 1;
}

static void o_pop(out *o, char close)
{
    int empty = o->first[o->depth];
    if (o->depth > 0)
        o->depth--;
    if (o->json) {
        if (!empty) {
            putchar('\n');
            o_indent(o);
        }
        putchar(close);
    }
}

/* Start an object: key for JSON (NULL inside a list), title line for the tree */
static void o_begin(out *o, const char *key, const char *title)
{
    if (o->json) {
        j_key(o, key);
        putchar('{');
    } else {
        o_indent(o);
        printf("%s\n", title);
    }
    o_push(o);
}

static void o_end(out *o)
{
    o_pop(o, '}');
}

static void o_begin_list(out *o, const char *key)
{
    if (o->json) {
        j_key(o, key);
        putchar('[');
        o_push(o);
    }
}

static void o_end_list(out *o)
{
    if (o->json)
        o_pop(o, ']');
}

static void o_uint(out *o, const char *key, const char *label, uint64_t v, const char *meaning)
{
    if (o->json) {
        j_key(o, key);
        printf("%llu", (unsigned long long)v);
        if (meaning != NULL) {
            char k[64];
            snprintf(k, sizeof k, "%s_name", key);
            j_key(o, k);
            json_str(meaning, strlen(meaning));
        }
        return;
    }
    o_indent(o);
    if (meaning != NULL)
        printf("%s: %llu (%s)\n", label, (unsigned long long)v, meaning);
    else
        printf("%s: %llu\n", label, (unsigned long long)v);
}

static void hex_chars(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

/* Octets as hex; in the tree long values wrap, and a note follows in parentheses */
static void o_hex(out *o, const char *key, const char *label, const uint8_t *p, size_t n,
                  const char *note)
{
    if (o->json) {
        j_key(o, key);
        putchar('"');
        hex_chars(p, n);
        putchar('"');
        return;
    }
    o_indent(o);
    printf("%s:", label);
    if (n == 0) {
        printf(" (empty)");
    } else if (2 * n <= HEX_WRAP) {
        putchar(' ');
        hex_chars(p, n);
    } else {
        printf(" %zu octets", n);
        for (size_t i = 0; i < n; i += HEX_WRAP / 2) {
            putchar('\n');
            o_indent(o);
            fputs("    ", stdout);
            hex_chars(p + i, n - i < HEX_WRAP / 2 ? n - i : HEX_WRAP / 2);
        }
    }
    if (note != NULL)
        printf(" (%s)", note);
    putchar('\n');
}

/* A 32-bit key identifier with its purpose tag (ts33180.md §0.1) */
static void o_key_id(out *o, const char *key, const char *label, uint32_t id)
{
    unsigned tag = MCGK_MIKEY_PURPOSE_OF(id);
    const char *name = mcgk_mikey_purpose_name(tag);
    if (o->json) {
        char k[64];
        j_key(o, key);
        printf("\"%08x\"", id);
        snprintf(k, sizeof k, "%s_purpose", key);
        o_uint(o, k, NULL, tag, name);
        return;
    }
    o_indent(o);
    printf("%s: 0x%08x (purpose tag %u: %s)\n", label, id, tag, name ? name : "undefined");
}

static int printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] >= 0x7f)
            return 0;
    return n > 0;
}

/* An identifier: quoted text when it is printable ASCII, else hex */
static void o_ident(out *o, const char *key, const char *label, const uint8_t *p, size_t n,
                    const char *note)
{
    if (!printable(p, n)) {
        o_hex(o, key, label, p, n, note);
        return;
    }
    if (o->json) {
        j_key(o, key);
        json_str((const char *)p, n);
        return;
    }
    o_indent(o);
    printf("%s: \"%.*s\"\n", label, (int)n, (const char *)p);
}

/* An NTP timestamp (TS types 0/1): seconds.fraction and the UTC date */
static void o_ntp(out *o, uint64_t v)
{
    uint64_t s = v >> 32, frac = v & 0xffffffffu;
    char date[64] = "";
    if (s >= NTP_UNIX_OFFSET) {
        time_t t = (time_t)(s - NTP_UNIX_OFFSET);
        struct tm tm;
        if (gmtime_r(&t, &tm) != NULL)
            strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    if (o->json) {
        o_uint(o, "ntp_seconds", NULL, s, NULL);
        o_uint(o, "ntp_fraction", NULL, frac, NULL);
        if (date[0] != '\0') {
            j_key(o, "utc");
            json_str(date, strlen(date));
        }
        return;
    }
    o_indent(o);
    printf("time: %llu.%09llu s since 1900%s%s\n", (unsigned long long)s,
           (unsigned long long)((frac * 1000000000ull) >> 32), date[0] ? " = " : "", date);
}

/* ---- the walker -------------------------------------------------------------------------------
 */

static void show_spi(out *o, const uint8_t *spi, size_t n)
{
    /* SRTP: the SPI is the MKI; Streamwide: GMK-ID || GUK-ID, or a 4-octet key ID (UNCONFIRMED) */
    o_hex(o, "spi", "SPI", spi, n,
          n == 8   ? "MKI = key ID || user key ID"
          : n == 4 ? "MKI = key ID"
                   : NULL);
    if (n == 8 || n == 4) {
        uint32_t a =
            ((uint32_t)spi[0] << 24) | ((uint32_t)spi[1] << 16) | ((uint32_t)spi[2] << 8) | spi[3];
        if (!o->json)
            o->depth++; /* the key IDs hang under the SPI line */
        o_key_id(o, "spi_key_id", "key ID", a);
        if (n == 8) {
            uint32_t b = ((uint32_t)spi[4] << 24) | ((uint32_t)spi[5] << 16) |
                         ((uint32_t)spi[6] << 8) | spi[7];
            o_key_id(o, "spi_user_key_id", "user key ID", b);
        }
        if (!o->json)
            o->depth--;
    }
}

static void show_hdr(out *o, const mcgk_mikey_msg *m, const uint8_t *msg)
{
    const mcgk_mikey_hdr *h = &m->hdr;
    char title[96];
    snprintf(title, sizeof title, "HDR (offset 0, %zu octets)", m->hdr_len);
    o_begin(o, "hdr", title);
    if (o->json) {
        o_uint(o, "offset", NULL, 0, NULL);
        o_uint(o, "length", NULL, m->hdr_len, NULL);
    }
    o_uint(o, "version", "version", msg[0], NULL);
    o_uint(o, "data_type", "data type", h->data_type, mcgk_mikey_data_type_name(h->data_type));
    uint8_t next = m->n_payloads ? m->payloads[0].type : 0;
    o_uint(o, "next_payload", "next payload", next, mcgk_mikey_payload_name(next));
    o_uint(o, "v", "V", h->v, h->v ? "verification message requested" : "no verification message");
    o_uint(o, "prf_func", "PRF func", h->prf_func, mcgk_mikey_prf_name(h->prf_func));
    if (h->data_type == MCGK_MIKEY_DT_SAKKE || h->data_type == MCGK_MIKEY_DT_SAKKE_RESP) {
        o_key_id(o, "csb_id", "CSB ID", h->csb_id); /* 3GPP: a key identifier (§0.1) */
    } else {
        /* RFC 3830: a bare bundle number (the GSK message draws it at random) */
        const uint8_t csb[4] = {(uint8_t)(h->csb_id >> 24), (uint8_t)(h->csb_id >> 16),
                                (uint8_t)(h->csb_id >> 8), (uint8_t)h->csb_id};
        o_hex(o, "csb_id", "CSB ID", csb, sizeof csb, NULL);
    }
    o_uint(o, "n_cs", "#CS", h->n_cs, NULL);
    o_uint(o, "map_type", "CS ID map type", h->map_type, mcgk_mikey_map_type_name(h->map_type));
    o_begin_list(o, "map");
    for (size_t i = 0; i < h->n_cs; i++) {
        char t[32];
        snprintf(t, sizeof t, "CS %zu", i + 1);
        o_begin(o, NULL, t);
        if (h->map_type == MCGK_MIKEY_MAP_SRTP_ID) {
            const mcgk_mikey_cs_srtp *s = &h->map.srtp[i];
            o_uint(o, "policy_no", "policy no", s->policy_no, NULL);
            char hx[16];
            snprintf(hx, sizeof hx, "0x%08x", (unsigned)s->ssrc);
            o_uint(o, "ssrc", "SSRC", s->ssrc, hx);
            o_uint(o, "roc", "ROC", s->roc, NULL);
        } else {
            const mcgk_mikey_cs_generic *g = &h->map.generic[i];
            o_uint(o, "cs_id", "CS ID", g->cs_id, mcgk_mikey_cs_id_name(g->cs_id));
            o_uint(o, "prot_type", "protocol", g->prot_type, mcgk_mikey_prot_name(g->prot_type));
            o_uint(o, "s", "S", g->s, g->s ? "session data carries ROC/SEQ" : NULL);
            o_hex(o, "policies", "policy numbers", g->policies, g->n_policies, NULL);
            o_hex(o, "session_data", "session data", g->session_data, g->session_data_len, NULL);
            show_spi(o, g->spi, g->spi_len);
        }
        o_end(o);
    }
    o_end_list(o);
    o_end(o);
}

static void show_sakke(out *o, const mcgk_mikey_sakke *s)
{
    o_uint(o, "sakke_params", "SAKKE params", s->params,
           s->params == MCGK_MIKEY_SAKKE_PARAMS_SET1 ? "parameter set 1 (RFC 6509)" : NULL);
    o_uint(o, "id_scheme", "ID scheme", s->id_scheme, mcgk_mikey_sakke_scheme_name(s->id_scheme));
    o_uint(o, "data_length", "SAKKE data length", s->len, NULL);
    if (s->len == MCGK_MIKEY_SAKKE_DATA_LEN_SET1) {
        o_hex(o, "r", "R (encapsulated point)", s->data, 257, NULL);
        o_hex(o, "h", "H (masked key)", s->data + 257, 16, NULL);
    } else {
        o_hex(o, "data", "SAKKE data", s->data, s->len, NULL);
    }
}

static void show_genext(out *o, const mcgk_mikey_genext *g)
{
    o_uint(o, "ext_type", "type", g->type, mcgk_mikey_ext_type_name(g->type));
    o_uint(o, "data_length", "length", g->len, NULL);
    if (g->form == MCGK_MIKEY_GENEXT_SAKKE_TO_SELF) {
        o_begin(o, "sakke_to_self", "SAKKE payload (to the initiator's own UID, TS 33.180 E.5)");
        o_uint(o, "inner_next_payload", "next payload (ignored)", g->self_next, NULL);
        show_sakke(o, &g->sakke);
        o_end(o);
    } else if (g->form == MCGK_MIKEY_GENEXT_KEY_PARAMS) {
        const mcgk_mikey_protected_payload *kp = &g->kp;
        o_begin(o, "key_parameters", "MCData protected payload (TS 33.180 E.6, §8.5.4)");
        o_uint(o, "message_type", "message type", kp->message_type,
               kp->message_type == MCGK_MIKEY_PP_MSG_TYPE ? "0x43, the value Streamwide sends"
                                                          : NULL);
        o_uint(o, "date_time", "date and time", kp->date_time, NULL);
        o_uint(o, "payload_id", "payload ID", kp->payload_id, NULL);
        o_uint(o, "payload_seq", "payload sequence number", kp->payload_seq, NULL);
        o_uint(o, "algorithm", "payload algorithm", kp->algorithm,
               kp->algorithm == MCGK_MIKEY_PP_ALG_AES_128_GCM ? "AES-128-GCM" : NULL);
        o_hex(o, "iv", "IV", kp->iv, MCGK_MIKEY_PP_IV_LEN, NULL);
        o_key_id(o, "dppk_id", "DPPK-ID", kp->dppk_id);
        o_uint(o, "payload_iei", "payload IEI", kp->payload_iei, NULL);
        o_uint(o, "payload_length", "payload length", kp->payload_len, NULL);
        o_hex(o, "payload", "payload", kp->payload, kp->payload_len,
              "encrypted key parameters: ciphertext || 16-octet tag");
        o_end(o);
    } else {
        o_hex(o, "data", "data", g->data, g->len,
              g->type == MCGK_MIKEY_EXT_KEY_PARAMS
                  ? "not an MCData protected payload: e.g. legacy cleartext key parameters"
                  : NULL);
    }
}

static void show_key_data(out *o, const mcgk_mikey_kemac *k)
{
    mcgk_mikey_key_data kd[MCGK_MIKEY_MAX_KEY_DATA];
    size_t n = 0;
    mcgk_err e =
        mcgk_mikey_key_data_parse(k->encr_data, k->encr_len, kd, MCGK_MIKEY_MAX_KEY_DATA, &n);
    if (e != MCGK_OK) {
        if (o->json) {
            j_key(o, "key_data_error");
            json_str(mcgk_err_name(e), strlen(mcgk_err_name(e)));
        } else {
            o_indent(o);
            printf("key data: does not parse (%s)\n", mcgk_err_name(e));
        }
        return;
    }
    o_begin_list(o, "key_data");
    for (size_t i = 0; i < n; i++) {
        char t[64];
        snprintf(t, sizeof t, "Key data %zu (cleartext: octets not shown)", i + 1);
        o_begin(o, NULL, t);
        o_uint(o, "kd_type", "type", kd[i].type, mcgk_mikey_kd_type_name(kd[i].type));
        o_uint(o, "kv", "KV", kd[i].kv, mcgk_mikey_kv_name(kd[i].kv));
        o_uint(o, "key_length", "key length", kd[i].key_len, NULL);
        if (kd[i].type == MCGK_MIKEY_KD_TGK_SALT || kd[i].type == MCGK_MIKEY_KD_TEK_SALT)
            o_uint(o, "salt_length", "salt length", kd[i].salt_len, NULL);
        if (kd[i].kv == MCGK_MIKEY_KV_SPI)
            o_hex(o, "spi", "SPI", kd[i].spi, kd[i].spi_len, NULL);
        if (kd[i].kv == MCGK_MIKEY_KV_INTERVAL) {
            o_hex(o, "valid_from", "valid from", kd[i].vf, kd[i].vf_len, NULL);
            o_hex(o, "valid_to", "valid to", kd[i].vt, kd[i].vt_len, NULL);
        }
        o_end(o);
    }
    o_end_list(o);
}

static void show_payload(out *o, const mcgk_mikey_msg *m, size_t i)
{
    const mcgk_mikey_payload *p = &m->payloads[i];
    const char *name = mcgk_mikey_payload_name(p->type);
    char title[128];
    snprintf(title, sizeof title, "%s (offset %zu, %zu octets)", name ? name : "?", p->offset,
             p->len);
    o_begin(o, NULL, title);
    if (o->json) {
        o_uint(o, "type", NULL, p->type, name);
        o_uint(o, "offset", NULL, p->offset, NULL);
        o_uint(o, "length", NULL, p->len, NULL);
    }
    if (p->type != MCGK_MIKEY_PT_SIGN) {
        uint8_t next = i + 1 < m->n_payloads ? m->payloads[i + 1].type : 0;
        o_uint(o, "next_payload", "next payload", next, mcgk_mikey_payload_name(next));
    }
    switch (p->type) {
    case MCGK_MIKEY_PT_T:
        o_uint(o, "ts_type", "TS type", p->u.t.ts_type, mcgk_mikey_ts_type_name(p->u.t.ts_type));
        if (p->u.t.ts_type == MCGK_MIKEY_TS_COUNTER) {
            o_uint(o, "ts_value", "TS value", p->u.t.value, NULL);
        } else {
            uint8_t v[8];
            for (int k = 0; k < 8; k++)
                v[k] = (uint8_t)(p->u.t.value >> (56 - 8 * k));
            o_hex(o, "ts_value", "TS value", v, 8, NULL);
            o_ntp(o, p->u.t.value);
        }
        break;
    case MCGK_MIKEY_PT_RAND:
        o_uint(o, "rand_length", "RAND length", p->u.rand.len, NULL);
        o_hex(o, "rand", "RAND", p->u.rand.data, p->u.rand.len, NULL);
        break;
    case MCGK_MIKEY_PT_IDR:
    case MCGK_MIKEY_PT_ID: {
        const mcgk_mikey_idr *d = &p->u.idr;
        if (p->type == MCGK_MIKEY_PT_IDR)
            o_uint(o, "role", "ID role", d->role, mcgk_mikey_role_name(d->role));
        o_uint(o, "id_type", "ID type", d->id_type, mcgk_mikey_id_type_name(d->id_type));
        o_uint(o, "id_length", "ID length", d->len, NULL);
        int uid = p->type == MCGK_MIKEY_PT_IDR &&
                  (d->role == MCGK_MIKEY_ROLE_IDRUIDI || d->role == MCGK_MIKEY_ROLE_IDRUIDR);
        if (uid)
            o_hex(o, "id", "ID data", d->data, d->len, "UID, TS 33.180 F.2.1");
        else if (p->type == MCGK_MIKEY_PT_IDR && d->role == MCGK_MIKEY_ROLE_IDRPSK &&
                 d->len == 4) /* the GSK message's key identifier (a GMK-ID, mikey.md §14) */
            o_key_id(o, "id", "ID data", ((uint32_t)d->data[0] << 24) |
                                             ((uint32_t)d->data[1] << 16) |
                                             ((uint32_t)d->data[2] << 8) | d->data[3]);
        else
            o_ident(o, "id", "ID data", d->data, d->len, NULL);
        break;
    }
    case MCGK_MIKEY_PT_CERT:
        o_uint(o, "cert_type", "cert type", p->u.cert.cert_type, NULL);
        o_hex(o, "cert", "certificate", p->u.cert.data, p->u.cert.len, NULL);
        break;
    case MCGK_MIKEY_PT_SP: {
        const mcgk_mikey_sp *sp = &p->u.sp;
        o_uint(o, "policy_no", "policy no", sp->policy_no, NULL);
        o_uint(o, "prot_type", "protocol", sp->prot_type, mcgk_mikey_prot_name(sp->prot_type));
        o_uint(o, "params_length", "policy param length", sp->params_len, NULL);
        o_begin_list(o, "params");
        size_t cursor = 0;
        mcgk_mikey_sp_param prm;
        while (mcgk_mikey_sp_param_next(sp, &cursor, &prm) == MCGK_OK) {
            const char *pn =
                sp->prot_type == MCGK_MIKEY_PROT_SRTP ? mcgk_mikey_srtp_param_name(prm.type) : NULL;
            if (o->json) {
                j_key(o, NULL);
                putchar('{');
                o_push(o);
                o_uint(o, "type", NULL, prm.type, pn);
                o_hex(o, "value", NULL, prm.value, prm.len, NULL);
                o_pop(o, '}');
                continue;
            }
            o_indent(o);
            printf("param %u (%s): ", prm.type, pn ? pn : "unknown");
            const char *vn = sp->prot_type == MCGK_MIKEY_PROT_SRTP && prm.len == 1
                                 ? mcgk_mikey_srtp_param_value_name(prm.type, prm.value[0])
                                 : NULL;
            if (prm.len == 1)
                printf("%u", prm.value[0]);
            else
                hex_chars(prm.value, prm.len);
            printf(vn ? " (%s)\n" : "\n", vn);
        }
        o_end_list(o);
        break;
    }
    case MCGK_MIKEY_PT_SAKKE:
        show_sakke(o, &p->u.sakke);
        break;
    case MCGK_MIKEY_PT_GENERAL_EXT:
        show_genext(o, &p->u.genext);
        break;
    case MCGK_MIKEY_PT_KEMAC: {
        const mcgk_mikey_kemac *k = &p->u.kemac;
        o_uint(o, "encr_alg", "encr alg", k->encr_alg, mcgk_mikey_encr_alg_name(k->encr_alg));
        o_uint(o, "encr_length", "encr data length", k->encr_len, NULL);
        if (k->encr_alg == MCGK_MIKEY_ENCR_NULL)
            show_key_data(o, k);
        else
            o_hex(o, "encr_data", "encr data", k->encr_data, k->encr_len, "encrypted Key data");
        o_uint(o, "mac_alg", "MAC alg", k->mac_alg, mcgk_mikey_mac_alg_name(k->mac_alg));
        o_hex(o, "mac", "MAC", k->mac,
              k->mac_alg == MCGK_MIKEY_MAC_NULL ? 0 : MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN, NULL);
        o_uint(o, "mac_offset", "MAC offset", k->mac_offset, NULL);
        break;
    }
    case MCGK_MIKEY_PT_V:
        o_uint(o, "auth_alg", "auth alg", p->u.v.auth_alg,
               mcgk_mikey_mac_alg_name(p->u.v.auth_alg));
        o_hex(o, "ver_data", "verification data", p->u.v.ver_data,
              p->u.v.auth_alg == MCGK_MIKEY_MAC_NULL ? 0 : MCGK_MIKEY_MAC_HMAC_SHA1_160_LEN, NULL);
        break;
    case MCGK_MIKEY_PT_ERR:
        o_uint(o, "err_no", "error no", p->u.err.err_no, mcgk_mikey_err_no_name(p->u.err.err_no));
        o_uint(o, "reserved", "reserved", p->u.err.reserved, NULL);
        break;
    case MCGK_MIKEY_PT_SIGN: {
        const mcgk_mikey_sign *s = &p->u.sign;
        o_uint(o, "s_type", "S type", s->s_type, mcgk_mikey_sign_type_name(s->s_type));
        o_uint(o, "sig_length", "signature length", s->len, NULL);
        if (s->s_type == MCGK_MIKEY_SIGN_ECCSI && s->len == MCGK_MIKEY_SIGN_ECCSI_LEN) {
            o_hex(o, "r", "r", s->sig, 32, NULL);
            o_hex(o, "s", "s", s->sig + 32, 32, NULL);
            o_hex(o, "pvt", "PVT", s->sig + 64, 65, NULL);
        } else {
            o_hex(o, "signature", "signature", s->sig, s->len, NULL);
        }
        o_uint(o, "signed_length", "signed octets (HDR .. SIGN header)", m->signed_len, NULL);
        break;
    }
    default:
        break;
    }
    o_end(o);
}

static void show_message(out *o, const mcgk_mikey_msg *m, const uint8_t *msg)
{
    if (o->json) {
        putchar('{');
        o_push(o);
        o_uint(o, "length", NULL, m->len, NULL);
        o_uint(o, "signed_length", NULL, m->signed_len, NULL);
    } else {
        printf("MIKEY message: %zu octets, %zu payloads after HDR", m->len, m->n_payloads);
        if (m->signed_len)
            printf(", signature over octets 0..%zu", m->signed_len - 1);
        putchar('\n');
    }
    show_hdr(o, m, msg);
    o_begin_list(o, "payloads");
    for (size_t i = 0; i < m->n_payloads; i++)
        show_payload(o, m, i);
    o_end_list(o);
    if (o->json) {
        o_pop(o, '}');
        putchar('\n');
    }
}

/* ---- inspect ----------------------------------------------------------------------------------
 */

static const char help_inspect[] =
    "usage: mcgk mikey inspect [--json] FILE|-\n\n"
    "Decodes a MIKEY message (RFC 3830 / RFC 6043 / RFC 6509, with the TS 33.180\n"
    "additions) and prints every payload and field with its meaning.\n\n"
    "Input (FILE, or - for standard input), detected automatically:\n"
    "  binary MIKEY                       the raw message (first octet 0x01)\n"
    "  a=key-mgmt:mikey <base64>          an SDP attribute line, or a whole SDP body\n"
    "                                     containing one (the first such line is used)\n"
    "  mikey <base64>                     the form of Streamwide's published vectors\n"
    "  <base64>                           raw base64, on one line or wrapped\n\n"
    "Output: an indented tree; each payload with its offset and length, each field\n"
    "as `name: value (meaning)`: data types, ID roles, purpose tags of the CSB ID\n"
    "and key IDs, CS-IDs, SRTP policy parameter names, the SAKKE R and H, the\n"
    "ECCSI signature split into r, s and PVT, and the signed length (everything\n"
    "before the signature, SIGN header included).\n"
    "  --json      the same as a JSON object: {length, signed_length, hdr, payloads[]};\n"
    "              each numeric field `k` with a registered meaning also has `k_name`;\n"
    "              octet strings are lower-case hex.\n\n"
    "The message is parsed strictly: a message with trailing octets, a truncated\n"
    "payload or an unknown payload type is rejected. Keys stay encrypted: inspect\n"
    "checks no signature and decrypts nothing (cleartext KEMAC keys are shown by\n"
    "length only).\n\n"
    "Exit status 0; 1 with `error: <name>` on stderr when the input does not decode\n"
    "(e.g. base64, truncated, trailing-data, mikey-payload-type, mikey-version,\n"
    "unsupported, malformed, oversized, io); 2 for bad usage.\n";

static int run_inspect(int argc, char **argv)
{
    static const cli_flag flags[] = {{"json", 0}};
    cli_args a;
    mcgk_err e = cli_parse(&a, flags, sizeof flags / sizeof flags[0], argc - 1, argv + 1);
    if (e != MCGK_OK)
        return cli_fail(e);
    if (a.npositional != 1) {
        fprintf(stderr,
                "mcgk mikey inspect: give one FILE, or - for standard input (see --help)\n");
        return cli_fail(MCGK_ERR_USAGE);
    }
    uint8_t *input = NULL, *msg = NULL;
    size_t in_len = 0, len = 0, where = 0;
    int rc = 1;
    mcgk_mikey_msg *m = malloc(sizeof *m);
    if (m == NULL)
        return cli_fail(MCGK_ERR_NO_MEMORY);
    e = read_input(a.positional[0], &input, &in_len);
    if (e == MCGK_OK)
        e = mcgk_mikey_unwrap(input, in_len, NULL, 0, &len);
    if (e == MCGK_OK && len > MCGK_MIKEY_MAX_MSG_LEN)
        e = MCGK_ERR_OVERSIZED;
    if (e == MCGK_OK && (msg = malloc(len ? len : 1)) == NULL)
        e = MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK)
        e = mcgk_mikey_unwrap(input, in_len, msg, len, &len);
    if (e == MCGK_OK) {
        e = mcgk_mikey_parse(msg, len, m, &where);
        if (e != MCGK_OK)
            fprintf(stderr, "mcgk mikey inspect: %s at offset %zu of %zu\n", mcgk_strerror(e),
                    where, len);
    }
    if (e == MCGK_OK) {
        out o;
        memset(&o, 0, sizeof o);
        o.json = cli_has(&a, "json");
        o.first[0] = 1;
        show_message(&o, m, msg);
        rc = fflush(stdout) == 0 ? 0 : cli_fail(MCGK_ERR_IO);
    } else {
        rc = cli_fail(e);
    }
    free(msg);
    free(input);
    free(m);
    return rc;
}

/* ---- the role ---------------------------------------------------------------------------------
 */

static const cli_verb k_verbs[] = {
    {"inspect", "decode a MIKEY message (binary, base64 or SDP) into a tree or JSON", run_inspect,
     help_inspect},
    /* the GMK I_MESSAGE verbs live in cmd_mikey_gmk.c */
    {"open", "open a GMK I_MESSAGE as its recipient (the full receiver checklist)",
     mcgk_mikey_cmd_open, mcgk_mikey_open_help},
    {"seal", "build a GMK I_MESSAGE as a GMS, from the GMS's KMS key sets", mcgk_mikey_cmd_seal,
     mcgk_mikey_seal_help},
    /* the ProSe GSK message verbs live in cmd_mikey_gsk.c */
    {"gsk-seal", "build a ProSe GSK message (MIKEY pre-shared key under a GMK)",
     mcgk_mikey_cmd_gsk_seal, mcgk_mikey_gsk_seal_help},
    {"gsk-open", "open a ProSe GSK message as a member holding the GMK", mcgk_mikey_cmd_gsk_open,
     mcgk_mikey_gsk_open_help},
};

int mcgk_cmd_mikey(int argc, char **argv)
{
    return cli_dispatch("mikey",
                        "MIKEY tools for integrators: decode MIKEY / MIKEY-SAKKE messages,\n"
                        "open and build GMK I_MESSAGEs and ProSe GSK messages.",
                        k_verbs, sizeof k_verbs / sizeof k_verbs[0], argc, argv);
}
