/*
 * Per-sender SRTP master key, master salt and MKI under a GMK (TS 33.180
 * §7.4.2; ts33180.md §7, mikey.md §12.2). Contract: see mcgk/srtp.h.
 *
 * MIKEY's TGK is the GMK, its CSB ID the sender's GUK-ID and its RAND the
 * RAND of the I_MESSAGE that distributed the GMK; the SRTP master key is the
 * TEK of RFC 3830 §4.1.3 and the master salt its salting key, both from the
 * PRF-HMAC-SHA-256 of RFC 6043 §6.1 (mcgk_mikey_derive in src/crypto/kdf.c).
 *
 * Secrets: the GMK and both derived values (wiped on every path of this
 * file; the caller wipes mcgk_srtp_keys with mcgk_srtp_keys_clear). The MKI
 * is public.
 */
#include <string.h>

#include "mcgk/base.h"
#include "mcgk/kdf.h"
#include "mcgk/srtp.h"

#define PURPOSE_MASK 0xF0000000u /* the purpose tag: 4 MSBs of a key ID (§5.2.3) */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

mcgk_err mcgk_srtp_keys_derive(const uint8_t key[MCGK_KEY_LEN], uint32_t key_id, uint32_t guk_id,
                               const uint8_t *rand, size_t rand_len, uint8_t cs_id,
                               mcgk_srtp_keys *out)
{
    if (key == NULL || rand == NULL || out == NULL || rand_len == 0 ||
        rand_len > MCGK_MEDIA_RAND_MAX)
        return MCGK_ERR_INVALID_ARG;
    mcgk_srtp_keys t;
    /* §7.4.2: master key = PRF(GMK, 0x2AD01C64 || CS-ID || GUK-ID || RAND) */
    mcgk_err e = mcgk_mikey_derive(key, MCGK_KEY_LEN, MCGK_PRF_TEK, cs_id, guk_id, rand, rand_len,
                                   t.master_key, sizeof t.master_key);
    /* §7.4.2: master salt = PRF(GMK, 0x39A2C14B || CS-ID || GUK-ID || RAND), 96 bits for GCM */
    if (e == MCGK_OK)
        e = mcgk_mikey_derive(key, MCGK_KEY_LEN, MCGK_PRF_SALT, cs_id, guk_id, rand, rand_len,
                              t.master_salt, sizeof t.master_salt);
    if (e == MCGK_OK) {
        mcgk_srtp_mki_encode(key_id, guk_id, t.mki); /* §7.4.2: MKI = GMK-ID || GUK-ID */
        *out = t;
    }
    mcgk_wipe(&t, sizeof t);
    return e;
}

void mcgk_srtp_keys_clear(mcgk_srtp_keys *k)
{
    if (k != NULL)
        mcgk_wipe(k, sizeof *k);
}

void mcgk_srtp_mki_encode(uint32_t key_id, uint32_t guk_id, uint8_t mki[MCGK_SRTP_MKI_LEN])
{
    if (mki == NULL)
        return;
    put_be32(mki, key_id);
    put_be32(mki + 4, guk_id);
}

mcgk_err mcgk_srtp_mki_parse(const uint8_t *mki, size_t mki_len, uint32_t *key_id,
                             uint32_t *guk_id)
{
    if (mki == NULL || key_id == NULL || guk_id == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (mki_len != MCGK_SRTP_MKI_LEN)
        return MCGK_ERR_LENGTH;
    uint32_t k = get_be32(mki), g = get_be32(mki + 4);
    if ((k & PURPOSE_MASK) != (g & PURPOSE_MASK))
        return MCGK_ERR_MALFORMED; /* §5.2.3: UK-ID keeps the K-ID's purpose tag */
    *key_id = k;
    *guk_id = g;
    return MCGK_OK;
}
