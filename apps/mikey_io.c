/*
 * Shared plumbing of the `mcgk mikey` verbs that take keys (cmd_mikey_gmk.c:
 * open / seal; cmd_mikey_gsk.c: gsk-seal / gsk-open): reading a message in
 * any transport form, the KMS documents of TS 33.180 Annex D (certificates,
 * key sets, a signer from them), writing a message, `name = value` output.
 * Contracts: see mikey_io.h.
 *
 * Secrets: the key sets read by mikey_io_load_keysets (wiped by
 * mcgk_kms_response_clear); documents and messages are freed with
 * mcgk_file_free, which wipes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mikey_io.h"
#include "mcgk/base64.h"
#include "mcgk/mikey.h"
#include "mcgk/platform.h"
#include "platform/file.h"

#define DOC_MAX_LEN MCGK_KMS_RESPONSE_MAX_LEN /* a KMS document */
#define INPUT_MAX_LEN (4u * 1024 * 1024)      /* a message in any transport form */

/* FILE or "-" (stdin), bounded; free with mcgk_file_free(buf, len). */
static mcgk_err read_any(const char *path, uint8_t **buf, size_t *len)
{
    if (strcmp(path, "-") != 0) {
        mcgk_err e = mcgk_file_read(path, INPUT_MAX_LEN, buf, len);
        if (e != MCGK_OK)
            fprintf(stderr, "cannot read %s: %s\n", path, mcgk_strerror(e));
        return e;
    }
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap + 1);
    if (b == NULL)
        return MCGK_ERR_NO_MEMORY;
    for (;;) {
        if (n == cap) {
            if (cap >= INPUT_MAX_LEN) {
                mcgk_file_free(b, n);
                fprintf(stderr, "standard input is longer than %u octets\n", INPUT_MAX_LEN);
                return MCGK_ERR_OVERSIZED;
            }
            uint8_t *nb = realloc(b, cap * 2 + 1);
            if (nb == NULL) {
                mcgk_file_free(b, n);
                return MCGK_ERR_NO_MEMORY;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(stdin)) {
        mcgk_file_free(b, n);
        fprintf(stderr, "cannot read standard input\n");
        return MCGK_ERR_IO;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return MCGK_OK;
}

/* see mikey_io.h */
mcgk_err mikey_io_read_message(const char *path, uint8_t **msg, size_t *len)
{
    uint8_t *in = NULL;
    size_t in_len = 0, n = 0;
    mcgk_err e = read_any(path, &in, &in_len);
    if (e != MCGK_OK)
        return e;
    e = mcgk_mikey_unwrap(in, in_len, NULL, 0, &n);
    if (e == MCGK_OK && n > MCGK_MIKEY_MAX_MSG_LEN)
        e = MCGK_ERR_OVERSIZED;
    uint8_t *out = e == MCGK_OK ? malloc(n ? n : 1) : NULL;
    if (e == MCGK_OK && out == NULL)
        e = MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK)
        e = mcgk_mikey_unwrap(in, in_len, out, n, &n);
    mcgk_file_free(in, in_len);
    if (e != MCGK_OK) {
        free(out);
        fprintf(stderr, "%s: not a MIKEY message (binary, base64 or SDP): %s\n", path,
                mcgk_strerror(e));
        return e;
    }
    *msg = out;
    *len = n;
    return MCGK_OK;
}

/* see mikey_io.h */
mcgk_err mikey_io_load_certs(const char *path, mcgk_kms_cert *certs, size_t cap, size_t *n,
                           uint64_t now_unix_s)
{
    uint8_t *doc = NULL;
    size_t len = 0;
    mcgk_err e = mcgk_file_read(path, DOC_MAX_LEN, &doc, &len);
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot read %s: %s\n", path, mcgk_strerror(e));
        return e;
    }
    mcgk_kms_response resp;
    memset(&resp, 0, sizeof resp);
    size_t before = *n;
    if (mcgk_kms_response_parse(doc, len, &resp) == MCGK_OK &&
        (resp.msg == MCGK_KMS_MSG_INIT || resp.msg == MCGK_KMS_MSG_CERTCACHE)) {
        for (size_t i = 0; i < resp.n_certs && e == MCGK_OK; i++) {
            if (*n == cap)
                e = MCGK_ERR_OVERSIZED;
            else
                certs[(*n)++] = resp.certs[i];
        }
    } else {
        e = mcgk_kms_cert_parse(doc, len, &certs[*n]);
        if (e == MCGK_OK)
            (*n)++;
    }
    mcgk_kms_response_clear(&resp);
    mcgk_file_free(doc, len);
    if (e != MCGK_OK) {
        fprintf(stderr, "%s: no usable KMS certificate (KmsInit, KmsCertCache or "
                        "KmsCertificate): %s\n",
                path, mcgk_strerror(e));
        return e;
    }
    for (size_t i = before; i < *n; i++) {
        e = mcgk_kms_cert_check(&certs[i], now_unix_s);
        if (e != MCGK_OK) {
            fprintf(stderr, "%s: certificate of %s cannot be used: %s\n", path,
                    certs[i].kms_uri, mcgk_strerror(e));
            return e;
        }
    }
    return MCGK_OK;
}

/* see mikey_io.h */
mcgk_err mikey_io_load_keysets(const char *path, mcgk_kms_response *resp)
{
    uint8_t *doc = NULL;
    size_t len = 0;
    mcgk_err e = mcgk_file_read(path, DOC_MAX_LEN, &doc, &len);
    if (e != MCGK_OK) {
        fprintf(stderr, "cannot read %s: %s\n", path, mcgk_strerror(e));
        return e;
    }
    e = mcgk_kms_response_parse(doc, len, resp);
    mcgk_file_free(doc, len);
    if (e == MCGK_OK && (resp->msg != MCGK_KMS_MSG_KEYPROV || resp->n_keysets == 0)) {
        mcgk_kms_response_clear(resp);
        e = MCGK_ERR_NO_KEYS;
    }
    if (e != MCGK_OK)
        fprintf(stderr, "%s: not a KmsKeyProv response with key sets: %s\n", path,
                mcgk_strerror(e));
    return e;
}

/* see mikey_io.h */
void mikey_io_kms_view(const mcgk_kms_cert *c, const mcgk_sakke_community *community,
                       mcgk_gmk_kms *k)
{
    k->kms_uri = c->kms_uri;
    k->period_s = c->user_key_period_s;
    k->offset_s = c->user_key_offset_s;
    k->kpak = c->pub_auth_key;
    k->community = community;
}

/* see mikey_io.h */
size_t mikey_io_split_list(char *s, char **items, size_t cap)
{
    size_t n = 0;
    for (char *p = s; p != NULL && *p != '\0' && n < cap;) {
        char *c = strchr(p, ',');
        if (c != NULL)
            *c = '\0';
        if (*p != '\0')
            items[n++] = p;
        p = c != NULL ? c + 1 : NULL;
    }
    return n;
}

/* see mikey_io.h */
mcgk_err mikey_io_u32_hex_flag(const cli_args *a, const char *name, uint32_t *out)
{
    uint8_t b[4];
    mcgk_err e = cli_hex_fixed(a, name, b, sizeof b);
    if (e == MCGK_OK)
        *out = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return e;
}

/* see mikey_io.h */
void mikey_io_print_text(const char *name, const char *s, size_t n)
{
    printf("%s = ", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('\n');
}

/* see mikey_io.h */
void mikey_io_print_ntp(const char *name, uint64_t ntp_s)
{
    char t[MCGK_KMS_DATETIME_LEN];
    if (ntp_s >= MCGK_NTP_UNIX_OFFSET_S &&
        mcgk_xsd_datetime_format(ntp_s - MCGK_NTP_UNIX_OFFSET_S, t) == MCGK_OK)
        printf("%s = %s (NTP %llu)\n", name, t, (unsigned long long)ntp_s);
    else
        printf("%s = NTP %llu\n", name, (unsigned long long)ntp_s);
}

/* see mikey_io.h */
mcgk_err mikey_io_write_message(const cli_args *a, const uint8_t *msg, size_t len)
{
    const char *fmt = cli_has(a, "format") ? cli_get(a, "format") : "base64";
    char *text = NULL;
    size_t tl = 0;
    const void *data = msg;
    size_t dl = len;
    mcgk_err e = MCGK_OK;
    if (strcmp(fmt, "base64") == 0) {
        size_t cap = mcgk_base64_encoded_len(len) + 2;
        text = malloc(cap);
        e = text != NULL ? mcgk_base64_encode(msg, len, text, cap, &tl) : MCGK_ERR_NO_MEMORY;
    } else if (strcmp(fmt, "sdp") == 0) {
        e = mcgk_mikey_sdp_attr(msg, len, NULL, 0, &tl);
        text = e == MCGK_OK ? malloc(tl + 2) : NULL;
        if (e == MCGK_OK)
            e = text != NULL ? mcgk_mikey_sdp_attr(msg, len, text, tl + 2, &tl)
                             : MCGK_ERR_NO_MEMORY;
    } else if (strcmp(fmt, "binary") != 0) {
        fprintf(stderr, "--format: base64, binary or sdp\n");
        return MCGK_ERR_USAGE;
    }
    if (e == MCGK_OK && text != NULL) {
        text[tl++] = '\n';
        data = text;
        dl = tl;
    }
    if (e == MCGK_OK) {
        const char *out = cli_get(a, "out");
        if (out != NULL) {
            e = mcgk_file_write_private(out, data, dl, 0);
            if (e != MCGK_OK)
                fprintf(stderr, "cannot write %s\n", out);
        } else if (fwrite(data, 1, dl, stdout) != dl || fflush(stdout) != 0) {
            e = MCGK_ERR_IO;
        }
    }
    free(text);
    return e;
}

/* see mikey_io.h */
mcgk_err mikey_io_signer(const mcgk_kms_cert *cert, const mcgk_sakke_community *community,
                         const mcgk_kms_response *keys, const char *uri, uint64_t t_ntp,
                         mcgk_eccsi_signer *signer)
{
    uint64_t period;
    mcgk_err e = mcgk_kms_cert_period(cert, t_ntp, &period, NULL, NULL);
    if (e != MCGK_OK)
        return e;
    for (size_t i = 0; i < keys->n_keysets; i++) {
        const mcgk_kms_keyset *ks = &keys->keysets[i];
        if (strcmp(ks->user_uri, uri) != 0 || ks->key_period_no != period)
            continue;
        e = mcgk_kms_keyset_check(cert, community, ks, uri, period);
        if (e == MCGK_OK)
            e = mcgk_eccsi_signer_init(signer, cert->pub_auth_key, ks->user_id, MCGK_UID_LEN,
                                       ks->ssk, ks->pvt);
        if (e != MCGK_OK)
            fprintf(stderr, "key set of %s for period %llu: %s\n", uri,
                    (unsigned long long)period, mcgk_strerror(e));
        return e;
    }
    fprintf(stderr, "no key set of %s for key period %llu in --keys\n", uri,
            (unsigned long long)period);
    return MCGK_ERR_NO_KEYS;
}
