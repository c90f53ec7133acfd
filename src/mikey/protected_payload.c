/*
 * The MCData Protected Payload envelope (TS 33.180 §8.5.4 layout, ts33180.md
 * §8): framing, AAD, and AES-128-GCM under DPCK = KDF(DPPK, 0x53, DPPK-ID).
 * Shared by the key parameters of an I_MESSAGE (src/mikey/key_params.c),
 * the MIKEY codec's type-7 extension (src/mikey/codec.c) and MCData group
 * payloads (src/media/mcdata.c). Contract: see mcgk/protected_payload.h.
 *
 * Every wire octet goes through the bounded reader / writer (mcgk/reader.h).
 *
 * Secrets: the DPPK argument and the DPCK derived from it (wiped before every
 * return), the plaintext. Framing is public and handled in variable time;
 * AES-GCM and the tag comparison are OpenSSL's.
 */
#include "mcgk/protected_payload.h"

#include <string.h>

#include <openssl/evp.h>

#include "base/ct.h"
#include "mcgk/base.h"
#include "mcgk/kdf.h"
#include "mcgk/reader.h"

#define DATE_TIME_LEN 5 /* 40-bit date and time (§8.5.4) */

#define R(expr)                                                                  \
    do {                                                                         \
        mcgk_err r_e_ = (expr);                                                  \
        if (r_e_ != MCGK_OK)                                                     \
            return r_e_;                                                         \
    } while (0)

/* Propagate an error, except BUFFER_TOO_SMALL, which the writer keeps (sticky)
 * and mcgk_writer_finish reports once everything has been counted. */
#define W(expr)                                                                  \
    do {                                                                         \
        mcgk_err w_e_ = (expr);                                                  \
        if (w_e_ != MCGK_OK && w_e_ != MCGK_ERR_BUFFER_TOO_SMALL)                \
            return w_e_;                                                         \
    } while (0)

/* ---- framing -------------------------------------------------------------------------- */

static mcgk_err parse_header(mcgk_reader *h, mcgk_pp *t)
{
    R(mcgk_reader_u8(h, &t->message_type));
    R(mcgk_reader_uint(h, DATE_TIME_LEN, &t->date_time));
    R(mcgk_reader_u32(h, &t->payload_id));
    R(mcgk_reader_u8(h, &t->payload_seq));
    R(mcgk_reader_u8(h, &t->algorithm));
    R(mcgk_reader_bytes(h, MCGK_PP_IV_LEN, &t->iv));
    return mcgk_reader_u32(h, &t->dppk_id);
}

mcgk_err mcgk_pp_parse(const uint8_t *in, size_t len, mcgk_pp *out)
{
    if (out == NULL || (in == NULL && len != 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_reader r;
    mcgk_pp t;
    memset(&t, 0, sizeof t);
    mcgk_reader_init(&r, in, len);
    /* §8.5.4: the 32 octets of AAD, then IEI, length and ciphertext || tag */
    R(parse_header(&r, &t));
    R(mcgk_reader_u8(&r, &t.payload_iei));
    R(mcgk_reader_u16(&r, &t.payload_len));
    R(mcgk_reader_bytes(&r, t.payload_len, &t.payload));
    R(mcgk_reader_expect_end(&r));
    *out = t;
    return MCGK_OK;
}

static mcgk_err enc_header(mcgk_writer *w, const mcgk_pp *pp)
{
    W(mcgk_writer_u8(w, pp->message_type));
    W(mcgk_writer_uint(w, pp->date_time, DATE_TIME_LEN));
    W(mcgk_writer_u32(w, pp->payload_id));
    W(mcgk_writer_u8(w, pp->payload_seq));
    W(mcgk_writer_u8(w, pp->algorithm));
    W(mcgk_writer_bytes(w, pp->iv, MCGK_PP_IV_LEN));
    W(mcgk_writer_u32(w, pp->dppk_id));
    return MCGK_OK;
}

static int header_ok(const mcgk_pp *pp)
{
    return pp->iv != NULL && pp->date_time <= MCGK_PP_DATE_TIME_MAX;
}

mcgk_err mcgk_pp_write(mcgk_writer *w, const mcgk_pp *pp)
{
    if (w == NULL || pp == NULL || !header_ok(pp) || (pp->payload == NULL && pp->payload_len != 0))
        return MCGK_ERR_INVALID_ARG;
    R(enc_header(w, pp));
    W(mcgk_writer_u8(w, pp->payload_iei));
    W(mcgk_writer_u16(w, pp->payload_len));
    W(mcgk_writer_bytes(w, pp->payload, pp->payload_len));
    return MCGK_OK;
}

mcgk_err mcgk_pp_encode(const mcgk_pp *pp, uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (pp == NULL || out_len == NULL || !header_ok(pp) ||
        (pp->payload == NULL && pp->payload_len != 0))
        return MCGK_ERR_INVALID_ARG;
    size_t need = MCGK_PP_HEADER_LEN + (size_t)pp->payload_len;
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;
    mcgk_writer w;
    mcgk_writer_init(&w, out, out_cap);
    R(mcgk_pp_write(&w, pp));
    return mcgk_writer_finish(&w, out_len);
}

mcgk_err mcgk_pp_aad(const mcgk_pp *pp, uint8_t aad[MCGK_PP_AAD_LEN])
{
    if (pp == NULL || aad == NULL || !header_ok(pp))
        return MCGK_ERR_INVALID_ARG;
    /* ts33180.md §8.5.4: AAD = message type .. DPPK-ID, the first 32 octets */
    mcgk_writer w;
    size_t n;
    mcgk_writer_init(&w, aad, MCGK_PP_AAD_LEN);
    R(enc_header(&w, pp));
    return mcgk_writer_finish(&w, &n);
}

/* ---- AES-128-GCM with the 16-octet IV (OpenSSL EVP; J0 = GHASH(IV)) ------------------- */

static mcgk_err gcm_seal(const uint8_t key[MCGK_KEY_LEN], const uint8_t iv[MCGK_PP_IV_LEN],
                         const uint8_t *aad, const uint8_t *pt, size_t pt_len, uint8_t *ct,
                         uint8_t tag[MCGK_PP_TAG_LEN])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    int outl = 0, ok = 1;
    ok &= EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1;
    ok &= ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, MCGK_PP_IV_LEN, NULL) == 1;
    ok &= ok && EVP_EncryptInit_ex(c, NULL, NULL, key, iv) == 1;
    ok &= ok && EVP_EncryptUpdate(c, NULL, &outl, aad, MCGK_PP_AAD_LEN) == 1;
    if (ok && pt_len > 0)
        ok &= EVP_EncryptUpdate(c, ct, &outl, pt, (int)pt_len) == 1;
    ok &= ok && EVP_EncryptFinal_ex(c, ct + pt_len, &outl) == 1;
    ok &= ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, MCGK_PP_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c); /* OpenSSL cleanses the key schedule */
    return ok ? MCGK_OK : MCGK_ERR_NO_MEMORY;
}

/* MCGK_ERR_PAYLOAD_AUTH when the tag does not verify (pt is then wiped) */
static mcgk_err gcm_open(const uint8_t key[MCGK_KEY_LEN], const uint8_t iv[MCGK_PP_IV_LEN],
                         const uint8_t *aad, const uint8_t *ct, size_t ct_len,
                         const uint8_t tag[MCGK_PP_TAG_LEN], uint8_t *pt)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    uint8_t t[MCGK_PP_TAG_LEN];
    memcpy(t, tag, sizeof t); /* the ctrl takes a non-const pointer */
    int outl = 0, ok = 1;
    ok &= EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1;
    ok &= ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, MCGK_PP_IV_LEN, NULL) == 1;
    ok &= ok && EVP_DecryptInit_ex(c, NULL, NULL, key, iv) == 1;
    ok &= ok && EVP_DecryptUpdate(c, NULL, &outl, aad, MCGK_PP_AAD_LEN) == 1;
    if (ok && ct_len > 0)
        ok &= EVP_DecryptUpdate(c, pt, &outl, ct, (int)ct_len) == 1;
    ok &= ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, MCGK_PP_TAG_LEN, t) == 1;
    if (!ok) {
        EVP_CIPHER_CTX_free(c);
        mcgk_wipe(pt, ct_len);
        return MCGK_ERR_NO_MEMORY;
    }
    int verified = EVP_DecryptFinal_ex(c, pt + ct_len, &outl) == 1;
    EVP_CIPHER_CTX_free(c);
    mcgk_ct_declassify(&verified, sizeof verified); /* the AEAD verdict */
    if (!verified) {
        mcgk_wipe(pt, ct_len);
        return MCGK_ERR_PAYLOAD_AUTH;
    }
    /* Authenticated plaintext is confidential data the receiver parses and acts
       on, not key material: released for that. */
    mcgk_ct_declassify(pt, ct_len);
    return MCGK_OK;
}

/* ---- seal / open ---------------------------------------------------------------------- */

mcgk_err mcgk_pp_seal(const uint8_t dppk[MCGK_KEY_LEN], const mcgk_pp *hdr, const uint8_t *pt,
                      size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (dppk == NULL || hdr == NULL || out_len == NULL || !header_ok(hdr) ||
        (pt == NULL && pt_len != 0))
        return MCGK_ERR_INVALID_ARG;
    if (hdr->algorithm != MCGK_PP_ALG_AES_128_GCM)
        return MCGK_ERR_UNSUPPORTED;
    if (pt_len > MCGK_PP_PLAINTEXT_MAX_LEN)
        return MCGK_ERR_OVERSIZED;
    size_t need = MCGK_PP_ENVELOPE_LEN(pt_len);
    *out_len = need;
    if (out == NULL)
        return MCGK_OK;
    if (out_cap < need)
        return MCGK_ERR_BUFFER_TOO_SMALL;

    mcgk_writer w;
    size_t hl;
    mcgk_writer_init(&w, out, MCGK_PP_HEADER_LEN);
    R(enc_header(&w, hdr));
    W(mcgk_writer_u8(&w, hdr->payload_iei));
    W(mcgk_writer_u16(&w, (uint16_t)(pt_len + MCGK_PP_TAG_LEN)));
    R(mcgk_writer_finish(&w, &hl));

    /* TS 33.180 §8 / F.1: DPCK = KDF(DPPK, 0x53, DPPK-ID) */
    uint8_t dpck[MCGK_KEY_LEN];
    mcgk_err e = mcgk_dpck(dppk, MCGK_KEY_LEN, hdr->dppk_id, dpck);
    if (e == MCGK_OK) /* §8.5.4: AAD = octets 0..31 of what was just written */
        e = gcm_seal(dpck, hdr->iv, out, pt, pt_len, out + MCGK_PP_HEADER_LEN,
                     out + MCGK_PP_HEADER_LEN + pt_len);
    mcgk_wipe(dpck, sizeof dpck);
    if (e != MCGK_OK)
        mcgk_wipe(out, need);
    return e;
}

mcgk_err mcgk_pp_open(const uint8_t dppk[MCGK_KEY_LEN], const mcgk_pp *pp, uint8_t *pt,
                      size_t pt_cap, size_t *pt_len)
{
    if (dppk == NULL || pp == NULL || pt_len == NULL || !header_ok(pp) ||
        (pp->payload == NULL && pp->payload_len != 0) || (pt == NULL && pt_cap != 0))
        return MCGK_ERR_INVALID_ARG;
    if (pp->algorithm != MCGK_PP_ALG_AES_128_GCM)
        return MCGK_ERR_UNSUPPORTED;
    if (pp->payload_len < MCGK_PP_TAG_LEN)
        return MCGK_ERR_MALFORMED;
    size_t ct_len = (size_t)pp->payload_len - MCGK_PP_TAG_LEN;
    if (pt_cap < ct_len) {
        *pt_len = ct_len;
        return MCGK_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t aad[MCGK_PP_AAD_LEN];
    R(mcgk_pp_aad(pp, aad));

    uint8_t dpck[MCGK_KEY_LEN];
    uint8_t empty[1]; /* a valid pointer for a zero-length plaintext */
    mcgk_err e = mcgk_dpck(dppk, MCGK_KEY_LEN, pp->dppk_id, dpck);
    if (e == MCGK_OK)
        e = gcm_open(dpck, pp->iv, aad, pp->payload, ct_len, pp->payload + ct_len,
                     ct_len > 0 ? pt : empty);
    mcgk_wipe(dpck, sizeof dpck);
    if (e == MCGK_OK)
        *pt_len = ct_len;
    return e;
}
