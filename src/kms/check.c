/*
 * Client-side checks of KMS material before it is installed (TS 33.180
 * §5.3): the certificate's profile and validity, the key period arithmetic,
 * and a key set's identity, period, UID and cryptographic validity
 * (RFC 6507 §5.1.2, RFC 6508 §6.1.2). See mcgk/kms.h.
 * Secrets: the RSK and SSK being checked (read only; the crypto functions
 * wipe their temporaries).
 */
#include <string.h>

#include "mcgk/kms.h"

mcgk_err mcgk_kms_cert_check(const mcgk_kms_cert *cert, uint64_t now_unix_s)
{
    if (cert == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (cert->user_id_format != MCGK_KMS_USER_ID_FORMAT)
        return MCGK_ERR_UNSUPPORTED; /* only the hashed UID of F.2.1 */
    if (cert->has_parameter_set && cert->parameter_set != MCGK_KMS_PARAMETER_SET)
        return MCGK_ERR_UNSUPPORTED; /* RFC 6509: parameter set 1 */
    if (cert->user_key_period_s == 0 || cert->kms_uri[0] == '\0')
        return MCGK_ERR_MALFORMED;
    if (cert->revoked)
        return MCGK_ERR_REVOKED;
    if ((cert->has_valid_from && now_unix_s < cert->valid_from_unix_s) ||
        (cert->has_valid_to && now_unix_s >= cert->valid_to_unix_s))
        return MCGK_ERR_VALIDITY;
    return MCGK_OK;
}

mcgk_err mcgk_kms_cert_keys_check(const mcgk_kms_cert *cert)
{
    if (cert == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_err e = mcgk_sakke_point_check(cert->pub_enc_key);
    if (e == MCGK_OK)
        e = mcgk_eccsi_point_check(cert->pub_auth_key);
    return e;
}

mcgk_err mcgk_kms_cert_period(const mcgk_kms_cert *cert, uint64_t t_ntp_s, uint64_t *period_no,
                              uint64_t *start_ntp_s, uint64_t *end_ntp_s)
{
    if (cert == NULL || period_no == NULL || cert->user_key_period_s == 0)
        return MCGK_ERR_INVALID_ARG;
    uint64_t n = 0;
    /* TS 33.180 §5.3 */
    if (mcgk_key_period_no(t_ntp_s, cert->user_key_period_s, cert->user_key_offset_s, &n) !=
        MCGK_OK)
        return MCGK_ERR_PERIOD;
    /* start + period must not overflow */
    uint64_t start = cert->user_key_offset_s + n * cert->user_key_period_s;
    if (start > UINT64_MAX - cert->user_key_period_s)
        return MCGK_ERR_PERIOD;
    *period_no = n;
    if (start_ntp_s != NULL)
        *start_ntp_s = start;
    if (end_ntp_s != NULL)
        *end_ntp_s = start + cert->user_key_period_s;
    return MCGK_OK;
}

mcgk_err mcgk_kms_keyset_check(const mcgk_kms_cert *cert, const mcgk_sakke_community *community,
                               const mcgk_kms_keyset *ks, const char *identity_uri,
                               uint64_t want_period_no)
{
    if (cert == NULL || community == NULL || ks == NULL || identity_uri == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (strcmp(ks->kms_uri, cert->kms_uri) != 0)
        return MCGK_ERR_WRONG_KMS;
    if (strcmp(ks->user_uri, identity_uri) != 0)
        return MCGK_ERR_KEYSET_MISMATCH;
    if (want_period_no != UINT64_MAX && ks->key_period_no != want_period_no)
        return MCGK_ERR_KEYSET_MISMATCH;
    if (ks->revoked)
        return MCGK_ERR_REVOKED;
    /* the UserID must be the UID of (identity, KMS, period) - F.2.1 */
    uint8_t uid[MCGK_UID_LEN];
    mcgk_err e = mcgk_uid(identity_uri, strlen(identity_uri), cert->kms_uri,
                          strlen(cert->kms_uri), cert->user_key_period_s,
                          cert->user_key_offset_s, ks->key_period_no, uid);
    if (e != MCGK_OK)
        return e;
    if (memcmp(uid, ks->user_id, MCGK_UID_LEN) != 0)
        return MCGK_ERR_KEYSET_MISMATCH;
    /* RFC 6507 §5.1.2: [SSK]G == KPAK + [HS]PVT */
    e = mcgk_eccsi_validate_ssk(cert->pub_auth_key, uid, sizeof uid, ks->ssk, ks->pvt);
    if (e != MCGK_OK)
        return e;
    /* RFC 6508 §6.1.2: <[a]P + Z, RSK> == g */
    return mcgk_sakke_rsk_validate(community, uid, sizeof uid, ks->rsk);
}
