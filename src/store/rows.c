/*
 * Helpers over any store (store/store.h): sealing the KMS master secrets
 * and a client's RSK/SSK, and the client's "keys at time T" lookup
 * (TS 33.180 §5.3: the key set of the period that contains T).
 * Secrets: the DEK, z, KSAK, RSK, SSK - wiped on every path; only sealed
 * blobs reach the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

/* associated data binding a sealed value to its place */
static size_t aad_of(char *buf, size_t cap, const char *what, const char *kms_uri,
                     const char *identity, uint64_t period_no)
{
    int n = snprintf(buf, cap, "mcgk/%s|%s|%s|%llu", what, kms_uri ? kms_uri : "",
                     identity ? identity : "", (unsigned long long)period_no);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

mcgk_err mcgk_kms_store_init_community(mcgk_kms_store *s, const mcgk_seal_kek_source *src,
                                       uint8_t scrypt_log2_n, const mcgk_kms_cert *cert,
                                       const uint8_t z[MCGK_SAKKE_FP_LEN],
                                       const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN],
                                       uint64_t now_unix_s, const mcgk_rng *rng)
{
    if (s == NULL || src == NULL || cert == NULL || z == NULL || ksak == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_kms_community_row *row = calloc(1, sizeof *row);
    if (row == NULL)
        return MCGK_ERR_NO_MEMORY;
    uint8_t dek[MCGK_SEAL_KEY_LEN];
    mcgk_seal_ring ring;
    char *xml = NULL, aad[MCGK_KMS_URI_MAX + 64];
    size_t xml_len = 0, n = 0, al;
    /* refuse early when a community exists (the insert would also fail) */
    mcgk_err e = s->ops->community_get(s, row);
    if (e == MCGK_OK)
        e = MCGK_ERR_EXISTS;
    else if (e == MCGK_ERR_NOT_FOUND)
        e = MCGK_OK;
    if (e == MCGK_OK)
        e = mcgk_kms_cert_encode(cert, &xml, &xml_len);
    if (e == MCGK_OK && xml_len >= sizeof row->cert_xml)
        e = MCGK_ERR_OVERSIZED;
    if (e == MCGK_OK) {
        memset(row, 0, sizeof *row);
        memcpy(row->cert_xml, xml, xml_len + 1);
        row->created_unix_s = now_unix_s;
        e = mcgk_seal_ring_create(src, scrypt_log2_n, rng, &ring, dek);
    }
    if (e == MCGK_OK) {
        mcgk_seal_ring_encode(&ring, row->ring);
        al = aad_of(aad, sizeof aad, "kms/z", cert->kms_uri, NULL, 0);
        e = mcgk_seal(dek, (const uint8_t *)aad, al, z, MCGK_SAKKE_FP_LEN, rng, row->sealed_z,
                      sizeof row->sealed_z, &n);
    }
    if (e == MCGK_OK) {
        al = aad_of(aad, sizeof aad, "kms/ksak", cert->kms_uri, NULL, 0);
        e = mcgk_seal(dek, (const uint8_t *)aad, al, ksak, MCGK_ECCSI_SCALAR_LEN, rng,
                      row->sealed_ksak, sizeof row->sealed_ksak, &n);
    }
    if (e == MCGK_OK)
        e = s->ops->community_put(s, row);
    mcgk_wipe(dek, sizeof dek);
    mcgk_kms_xml_free(xml, xml_len);
    free(row);
    return e;
}

mcgk_err mcgk_kms_store_load_community(mcgk_kms_store *s, const mcgk_seal_kek_source *src,
                                       mcgk_kms_cert *cert, uint8_t z[MCGK_SAKKE_FP_LEN],
                                       uint8_t ksak[MCGK_ECCSI_SCALAR_LEN])
{
    if (s == NULL || src == NULL || cert == NULL || z == NULL || ksak == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_kms_community_row *row = malloc(sizeof *row);
    mcgk_kms_cert *c = malloc(sizeof *c);
    if (row == NULL || c == NULL) {
        free(row);
        free(c);
        return MCGK_ERR_NO_MEMORY;
    }
    uint8_t dek[MCGK_SEAL_KEY_LEN], zz[MCGK_SAKKE_FP_LEN], kk[MCGK_ECCSI_SCALAR_LEN];
    mcgk_seal_ring ring;
    char aad[MCGK_KMS_URI_MAX + 64];
    size_t n = 0, al;
    mcgk_err e = s->ops->community_get(s, row);
    if (e == MCGK_OK)
        e = mcgk_kms_cert_parse((const uint8_t *)row->cert_xml, strlen(row->cert_xml), c);
    if (e == MCGK_OK)
        e = mcgk_seal_ring_decode(row->ring, sizeof row->ring, &ring);
    if (e == MCGK_OK)
        e = mcgk_seal_ring_open(&ring, src, dek);
    if (e == MCGK_OK) {
        al = aad_of(aad, sizeof aad, "kms/z", c->kms_uri, NULL, 0);
        e = mcgk_unseal(dek, (const uint8_t *)aad, al, row->sealed_z, sizeof row->sealed_z, zz,
                        sizeof zz, &n);
    }
    if (e == MCGK_OK) {
        al = aad_of(aad, sizeof aad, "kms/ksak", c->kms_uri, NULL, 0);
        e = mcgk_unseal(dek, (const uint8_t *)aad, al, row->sealed_ksak,
                        sizeof row->sealed_ksak, kk, sizeof kk, &n);
    }
    if (e == MCGK_OK) {
        *cert = *c;
        memcpy(z, zz, sizeof zz);
        memcpy(ksak, kk, sizeof kk);
    }
    mcgk_wipe(dek, sizeof dek);
    mcgk_wipe(zz, sizeof zz);
    mcgk_wipe(kk, sizeof kk);
    free(row);
    free(c);
    return e;
}

mcgk_err mcgk_client_store_unlock(mcgk_client_store *s, const mcgk_seal_kek_source *src,
                                  uint8_t scrypt_log2_n, const mcgk_rng *rng,
                                  uint8_t dek[MCGK_SEAL_KEY_LEN])
{
    if (s == NULL || src == NULL || dek == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t enc[MCGK_SEAL_RING_LEN];
    mcgk_seal_ring ring;
    mcgk_err e = MCGK_OK;
    /* Two processes opening a new store at once (a daemon and `client keysets`)
       both find no ring; the second insert fails with EXISTS, and that process
       reads and opens the ring the first one stored. */
    for (int attempt = 0; attempt < 2; attempt++) {
        e = s->ops->ring_get(s, enc);
        if (e == MCGK_OK) {
            e = mcgk_seal_ring_decode(enc, sizeof enc, &ring);
            if (e == MCGK_OK)
                e = mcgk_seal_ring_open(&ring, src, dek);
            return e;
        }
        if (e != MCGK_ERR_NOT_FOUND)
            return e;
        e = mcgk_seal_ring_create(src, scrypt_log2_n, rng, &ring, dek);
        if (e != MCGK_OK)
            return e;
        mcgk_seal_ring_encode(&ring, enc);
        e = s->ops->ring_put(s, enc);
        if (e == MCGK_OK)
            return MCGK_OK;
        mcgk_wipe(dek, MCGK_SEAL_KEY_LEN);
        if (e != MCGK_ERR_EXISTS)
            return e;
    }
    return e;
}

mcgk_err mcgk_client_store_put_keyset(mcgk_client_store *s, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                                      const mcgk_kms_keyset *ks, uint64_t now_unix_s,
                                      const mcgk_rng *rng)
{
    if (s == NULL || dek == NULL || ks == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_client_keyset_row *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MCGK_ERR_NO_MEMORY;
    char aad[2 * MCGK_KMS_URI_MAX + 64];
    size_t n = 0, al;
    memcpy(r->identity, ks->user_uri, sizeof r->identity);
    memcpy(r->kms_uri, ks->kms_uri, sizeof r->kms_uri);
    r->period_no = ks->key_period_no;
    r->has_valid_from = ks->has_valid_from;
    r->has_valid_to = ks->has_valid_to;
    r->valid_from_unix_s = ks->valid_from_unix_s;
    r->valid_to_unix_s = ks->valid_to_unix_s;
    memcpy(r->user_id, ks->user_id, sizeof r->user_id);
    memcpy(r->pvt, ks->pvt, sizeof r->pvt);
    r->fetched_unix_s = now_unix_s;
    al = aad_of(aad, sizeof aad, "client/rsk", ks->kms_uri, ks->user_uri, ks->key_period_no);
    mcgk_err e = mcgk_seal(dek, (const uint8_t *)aad, al, ks->rsk, sizeof ks->rsk, rng,
                           r->sealed_rsk, sizeof r->sealed_rsk, &n);
    if (e == MCGK_OK) {
        al = aad_of(aad, sizeof aad, "client/ssk", ks->kms_uri, ks->user_uri, ks->key_period_no);
        e = mcgk_seal(dek, (const uint8_t *)aad, al, ks->ssk, sizeof ks->ssk, rng, r->sealed_ssk,
                      sizeof r->sealed_ssk, &n);
    }
    if (e == MCGK_OK)
        e = s->ops->keyset_put(s, r);
    free(r);
    return e;
}

mcgk_err mcgk_client_cert_at(mcgk_client_store *s, const char *kms_uri, mcgk_kms_cert *cert)
{
    if (s == NULL || cert == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_client_cert_row *row = malloc(sizeof *row);
    if (row == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = s->ops->cert_get(s, kms_uri, row);
    if (e == MCGK_OK)
        e = mcgk_kms_cert_parse((const uint8_t *)row->cert_xml, strlen(row->cert_xml), cert);
    free(row);
    return e;
}

mcgk_err mcgk_client_keys_at(mcgk_client_store *s, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                             const char *identity, const char *kms_uri, uint64_t t_ntp_s,
                             mcgk_kms_keyset *ks)
{
    if (s == NULL || dek == NULL || identity == NULL || ks == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_kms_cert *cert = malloc(sizeof *cert);
    mcgk_client_keyset_row *r = malloc(sizeof *r);
    mcgk_kms_keyset *k = calloc(1, sizeof *k);
    if (cert == NULL || r == NULL || k == NULL) {
        free(cert);
        free(r);
        free(k);
        return MCGK_ERR_NO_MEMORY;
    }
    char aad[2 * MCGK_KMS_URI_MAX + 64];
    size_t n = 0, al;
    uint64_t period_no = 0;
    mcgk_err e = mcgk_client_cert_at(s, kms_uri, cert);
    if (e == MCGK_ERR_NOT_FOUND)
        e = MCGK_ERR_NO_KEYS;
    /* TS 33.180 §5.3: the period of T under that KMS */
    if (e == MCGK_OK)
        e = mcgk_kms_cert_period(cert, t_ntp_s, &period_no, NULL, NULL);
    if (e == MCGK_OK)
        e = s->ops->keyset_get(s, identity, cert->kms_uri, period_no, r);
    if (e == MCGK_OK) {
        snprintf(k->version, sizeof k->version, "%s", MCGK_KMS_KEYSET_VERSION);
        memcpy(k->kms_uri, r->kms_uri, sizeof k->kms_uri);
        memcpy(k->user_uri, r->identity, sizeof k->user_uri);
        memcpy(k->user_id, r->user_id, sizeof k->user_id);
        k->has_valid_from = r->has_valid_from;
        k->has_valid_to = r->has_valid_to;
        k->valid_from_unix_s = r->valid_from_unix_s;
        k->valid_to_unix_s = r->valid_to_unix_s;
        k->key_period_no = r->period_no;
        memcpy(k->pvt, r->pvt, sizeof k->pvt);
        al = aad_of(aad, sizeof aad, "client/rsk", r->kms_uri, r->identity, r->period_no);
        e = mcgk_unseal(dek, (const uint8_t *)aad, al, r->sealed_rsk, sizeof r->sealed_rsk,
                        k->rsk, sizeof k->rsk, &n);
    }
    if (e == MCGK_OK) {
        al = aad_of(aad, sizeof aad, "client/ssk", r->kms_uri, r->identity, r->period_no);
        e = mcgk_unseal(dek, (const uint8_t *)aad, al, r->sealed_ssk, sizeof r->sealed_ssk,
                        k->ssk, sizeof k->ssk, &n);
    }
    if (e == MCGK_OK)
        *ks = *k;
    mcgk_kms_keyset_clear(k);
    free(k);
    free(r);
    free(cert);
    return e;
}
