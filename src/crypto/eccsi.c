/*
 * ECCSI: Elliptic Curve-based Certificateless Signatures for Identity-based
 * Encryption (RFC 6507 §5) over NIST P-256 with SHA-256, the profile of
 * RFC 6509 / TS 33.180. See mcgk/eccsi.h for the contract.
 *
 *   KMS key pair      KSAK random in [1, q-1], KPAK = [KSAK]G      (§4.2)
 *   issue             PVT = [v]G, HS, SSK = KSAK + HS*v mod q      (§5.1.1)
 *   validate          [SSK]G == KPAK + [HS]PVT                     (§5.1.2)
 *   sign              J = [j]G, r = Jx, HE, s = (HE + r*SSK)^-1 j  (§5.2.1)
 *   verify            [s]([HE]G + [r]Y) has x-coordinate r        (§5.2.2)
 *
 * Secret data: KSAK, SSK, v, j and every value derived from them before it
 * is published (PVT, r, s and the verdicts are public). Secret scalars go
 * through the constant-time fixed-base multiplication and Fermat inversion;
 * the only branches on secret-derived values are on rejection verdicts
 * (scalar out of range, SSK = 0, HE + r*SSK = 0) and on validation
 * verdicts, which leak nothing but the fact itself. Those values are marked
 * public for the ctgrind check (mcgk_ct_declassify, base/ct.h). Verification works
 * on public data only and takes variable time.
 *
 * SHA-256: OpenSSL's SHA256_Init/Update/Final, which hash in place without
 * allocating (the inputs are several separate strings) and cannot fail.
 * They are deprecated in OpenSSL 3 in favour of EVP, whose per-call context
 * allocation and algorithm fetch cost more than the hash of these short
 * inputs; hence OPENSSL_SUPPRESS_DEPRECATED.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "mcgk/eccsi.h"

#include <string.h>

#include <openssl/sha.h>

#include "base/ct.h"
#include "crypto/p256.h"

/* G as the 65-octet string hashed into HS (RFC 6507 §5.1.1 step 3). */
static const uint8_t k_g_octets[MCGK_ECCSI_POINT_LEN] = {
    0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5,
    0x63, 0xA4, 0x40, 0xF2, 0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4,
    0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A,
    0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16, 0x2B, 0xCE, 0x33,
    0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5,
};

/* Attempts before a random draw is declared an RNG failure. A correct RNG
 * needs a second draw with probability < 2^-32 per draw. */
#define ECCSI_MAX_TRIES 64

#define NL MCGK_P256_LIMBS

static int id_len_ok(size_t id_len) { return id_len > 0 && id_len <= MCGK_ECCSI_ID_MAX_LEN; }

/* HS = SHA-256(G || KPAK || ID || PVT), all points as 65 octets (§5.1.1 step 3). */
static void hash_hs(uint8_t hs[MCGK_ECCSI_HASH_LEN], const uint8_t kpak[MCGK_ECCSI_POINT_LEN],
                    const uint8_t *id, size_t id_len, const uint8_t pvt[MCGK_ECCSI_POINT_LEN])
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, k_g_octets, sizeof k_g_octets);
    SHA256_Update(&c, kpak, MCGK_ECCSI_POINT_LEN);
    SHA256_Update(&c, id, id_len);
    SHA256_Update(&c, pvt, MCGK_ECCSI_POINT_LEN);
    SHA256_Final(hs, &c);
    mcgk_wipe(&c, sizeof c);
}

/* HE = SHA-256(HS || r || M) (§5.2.1 step 3, §5.2.2 step 3). */
static void hash_he(uint8_t he[MCGK_ECCSI_HASH_LEN], const uint8_t hs[MCGK_ECCSI_HASH_LEN],
                    const uint8_t r[MCGK_ECCSI_SCALAR_LEN], const uint8_t *msg, size_t msg_len)
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, hs, MCGK_ECCSI_HASH_LEN);
    SHA256_Update(&c, r, MCGK_ECCSI_SCALAR_LEN);
    if (msg_len > 0)
        SHA256_Update(&c, msg, msg_len);
    SHA256_Final(he, &c);
    mcgk_wipe(&c, sizeof c);
}

/* A uniform scalar in [1, q-1] by rejection sampling of 32-octet draws. */
static mcgk_err random_scalar(const mcgk_rng *rng, uint64_t k[NL])
{
    uint8_t buf[MCGK_ECCSI_SCALAR_LEN];
    mcgk_err err = MCGK_ERR_RNG;
    for (int i = 0; i < ECCSI_MAX_TRIES; i++) {
        err = mcgk_rng_bytes(rng, buf, sizeof buf);
        if (err != MCGK_OK)
            break;
        uint64_t ok = mcgk_p256_scalar_from_be(k, buf);
        mcgk_ct_declassify(&ok, sizeof ok); /* the rejection verdict only */
        if (ok) {
            err = MCGK_OK;
            goto out;
        }
        err = MCGK_ERR_RNG;
    }
    mcgk_wipe(k, NL * sizeof *k);
out:
    mcgk_wipe(buf, sizeof buf);
    return err;
}

/* out = [k]G as 65 octets; k secret, the point public once computed. */
static void mul_base_encode(uint8_t out[MCGK_ECCSI_POINT_LEN], const uint64_t k[NL])
{
    p256_jac J;
    p256_aff A;
    mcgk_p256_mul_base(&J, k);
    (void)mcgk_p256_jac_to_aff(&A, &J); /* k in [1, q-1]: never infinity */
    mcgk_p256_point_encode(out, &A);
    mcgk_wipe(&J, sizeof J);
    mcgk_wipe(&A, sizeof A);
}

mcgk_err mcgk_eccsi_point_check(const uint8_t pt[MCGK_ECCSI_POINT_LEN])
{
    if (pt == NULL)
        return MCGK_ERR_INVALID_ARG;
    p256_aff a;
    return mcgk_p256_point_decode(&a, pt);
}

mcgk_err mcgk_eccsi_hs(const uint8_t kpak[MCGK_ECCSI_POINT_LEN], const uint8_t *id, size_t id_len,
                       const uint8_t pvt[MCGK_ECCSI_POINT_LEN], uint8_t hs[MCGK_ECCSI_HASH_LEN])
{
    if (kpak == NULL || pvt == NULL || hs == NULL || (id == NULL && id_len != 0))
        return MCGK_ERR_INVALID_ARG;
    if (!id_len_ok(id_len))
        return MCGK_ERR_IDENTITY;
    hash_hs(hs, kpak, id, id_len, pvt);
    return MCGK_OK;
}

/* RFC 6507 §4.2: KSAK random in [1, q-1], KPAK = [KSAK]G. */
mcgk_err mcgk_eccsi_kms_keygen(const mcgk_rng *rng, uint8_t ksak[MCGK_ECCSI_SCALAR_LEN],
                               uint8_t kpak[MCGK_ECCSI_POINT_LEN])
{
    if (rng == NULL || ksak == NULL || kpak == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint64_t k[NL];
    mcgk_err err = random_scalar(rng, k);
    if (err != MCGK_OK)
        goto out;
    mul_base_encode(kpak, k);
    mcgk_p256_scalar_to_be(ksak, k);
out:
    mcgk_wipe(k, sizeof k);
    return err;
}

mcgk_err mcgk_eccsi_kpak_from_ksak(const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN],
                                   uint8_t kpak[MCGK_ECCSI_POINT_LEN])
{
    if (ksak == NULL || kpak == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint64_t k[NL];
    mcgk_err err = MCGK_OK;
    uint64_t ok = mcgk_p256_scalar_from_be(k, ksak);
    mcgk_ct_declassify(&ok, sizeof ok); /* validity of the input only */
    if (!ok) {
        err = MCGK_ERR_SCALAR_RANGE;
        goto out;
    }
    mul_base_encode(kpak, k);
out:
    mcgk_wipe(k, sizeof k);
    return err;
}

/* RFC 6507 §5.1.1. */
mcgk_err mcgk_eccsi_issue(const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], const uint8_t *id,
                          size_t id_len, const mcgk_rng *rng,
                          uint8_t ssk[MCGK_ECCSI_SCALAR_LEN], uint8_t pvt[MCGK_ECCSI_POINT_LEN])
{
    if (ksak == NULL || rng == NULL || ssk == NULL || pvt == NULL || (id == NULL && id_len != 0))
        return MCGK_ERR_INVALID_ARG;
    if (!id_len_ok(id_len))
        return MCGK_ERR_IDENTITY;

    uint64_t ks[NL], v[NL], hsq[NL], s[NL];
    uint8_t kpak[MCGK_ECCSI_POINT_LEN], pv[MCGK_ECCSI_POINT_LEN], hs[MCGK_ECCSI_HASH_LEN];
    mcgk_err err = MCGK_OK;
    uint64_t ok = mcgk_p256_scalar_from_be(ks, ksak);
    mcgk_ct_declassify(&ok, sizeof ok);
    if (!ok) {
        err = MCGK_ERR_SCALAR_RANGE;
        goto out;
    }
    err = MCGK_ERR_RNG;
    for (int attempt = 0; attempt < ECCSI_MAX_TRIES; attempt++) {
        /* step 1: v in [1, q-1] */
        err = random_scalar(rng, v);
        if (err != MCGK_OK)
            goto out;
        /* step 2: PVT = [v]G (published); on the first pass also KPAK = [KSAK]G,
         * hashed into HS, both made affine with one shared inversion */
        if (attempt == 0) {
            p256_jac KJ, PJ;
            p256_aff KA, PA;
            mcgk_p256_mul_base(&KJ, ks);
            mcgk_p256_mul_base(&PJ, v);
            mcgk_p256_jac_to_aff2(&KA, &KJ, &PA, &PJ);
            mcgk_p256_point_encode(kpak, &KA);
            mcgk_p256_point_encode(pv, &PA);
            mcgk_wipe(&KJ, sizeof KJ);
            mcgk_wipe(&PJ, sizeof PJ);
            mcgk_wipe(&KA, sizeof KA);
            mcgk_wipe(&PA, sizeof PA);
            mcgk_ct_declassify(kpak, sizeof kpak);
        } else {
            mul_base_encode(pv, v);
        }
        mcgk_ct_declassify(pv, sizeof pv);
        /* step 3: HS */
        hash_hs(hs, kpak, id, id_len, pv);
        mcgk_p256_scalar_reduce_be(hsq, hs);
        /* step 4: SSK = KSAK + HS * v mod q */
        mcgk_p256_scalar_mul(s, hsq, v);
        mcgk_p256_scalar_add(s, s, ks);
        /* step 5: restart on HS = 0 mod q (public) or SSK = 0 (a rejection verdict) */
        uint64_t bad = mcgk_limbs_zero_mask(hsq, NL) | mcgk_limbs_zero_mask(s, NL);
        mcgk_ct_declassify(&bad, sizeof bad);
        if (bad) {
            err = MCGK_ERR_RNG;
            continue;
        }
        mcgk_p256_scalar_to_be(ssk, s);
        memcpy(pvt, pv, sizeof pv);
        err = MCGK_OK;
        goto out;
    }
out:
    mcgk_wipe(ks, sizeof ks);
    mcgk_wipe(v, sizeof v);
    mcgk_wipe(hsq, sizeof hsq);
    mcgk_wipe(s, sizeof s);
    return err;
}

/*
 * RFC 6507 §5.1.2 for (SSK, PVT) of `id` under KPAK; on success hs_out
 * (if not NULL) receives HS. [SSK]G is computed in constant time, KPAK +
 * [HS]PVT (public) in variable time, and the two compared with masks.
 */
static mcgk_err validate(const uint8_t kpak[MCGK_ECCSI_POINT_LEN], const uint8_t *id,
                         size_t id_len, const uint8_t ssk[MCGK_ECCSI_SCALAR_LEN],
                         const uint8_t pvt[MCGK_ECCSI_POINT_LEN],
                         uint8_t hs_out[MCGK_ECCSI_HASH_LEN])
{
    if (kpak == NULL || ssk == NULL || pvt == NULL || (id == NULL && id_len != 0))
        return MCGK_ERR_INVALID_ARG;
    if (!id_len_ok(id_len))
        return MCGK_ERR_IDENTITY;
    p256_aff K, V;
    mcgk_err err = mcgk_p256_point_decode(&K, kpak);
    if (err != MCGK_OK)
        return err;
    /* step 1: PVT a valid point */
    err = mcgk_p256_point_decode(&V, pvt);
    if (err != MCGK_OK)
        return err;

    uint64_t s[NL], hsq[NL];
    uint8_t hs[MCGK_ECCSI_HASH_LEN];
    p256_jac S, Y;
    uint64_t ok = mcgk_p256_scalar_from_be(s, ssk);
    mcgk_ct_declassify(&ok, sizeof ok);
    if (!ok) {
        err = MCGK_ERR_SCALAR_RANGE;
        goto out;
    }
    /* step 2: HS */
    hash_hs(hs, kpak, id, id_len, pvt);
    mcgk_p256_scalar_reduce_be(hsq, hs);
    /* step 3: [SSK]G == KPAK + [HS]PVT */
    p256_jac Kj;
    mcgk_p256_mul3_vartime(&Y, NULL, hsq, &V, NULL, NULL);
    mcgk_p256_jac_from_aff(&Kj, &K);
    mcgk_p256_jac_add_vartime(&Y, &Y, &Kj);
    mcgk_p256_mul_base(&S, s);
    uint64_t eq = mcgk_p256_jac_eq_mask(&S, &Y);
    mcgk_ct_declassify(&eq, sizeof eq); /* the verdict */
    if (!eq) {
        err = MCGK_ERR_SSK_INVALID;
        goto out;
    }
    if (hs_out != NULL)
        memcpy(hs_out, hs, sizeof hs);
out:
    mcgk_wipe(s, sizeof s);
    mcgk_wipe(&S, sizeof S);
    return err;
}

mcgk_err mcgk_eccsi_validate_ssk(const uint8_t kpak[MCGK_ECCSI_POINT_LEN], const uint8_t *id,
                                 size_t id_len, const uint8_t ssk[MCGK_ECCSI_SCALAR_LEN],
                                 const uint8_t pvt[MCGK_ECCSI_POINT_LEN])
{
    return validate(kpak, id, id_len, ssk, pvt, NULL);
}

mcgk_err mcgk_eccsi_signer_init(mcgk_eccsi_signer *signer, const uint8_t kpak[MCGK_ECCSI_POINT_LEN],
                                const uint8_t *id, size_t id_len,
                                const uint8_t ssk[MCGK_ECCSI_SCALAR_LEN],
                                const uint8_t pvt[MCGK_ECCSI_POINT_LEN])
{
    if (signer == NULL)
        return MCGK_ERR_INVALID_ARG;
    uint8_t hs[MCGK_ECCSI_HASH_LEN];
    mcgk_err err = validate(kpak, id, id_len, ssk, pvt, hs);
    if (err != MCGK_OK)
        return err;
    memcpy(signer->ssk, ssk, MCGK_ECCSI_SCALAR_LEN);
    memcpy(signer->pvt, pvt, MCGK_ECCSI_POINT_LEN);
    memcpy(signer->hs, hs, MCGK_ECCSI_HASH_LEN);
    return MCGK_OK;
}

void mcgk_eccsi_signer_clear(mcgk_eccsi_signer *signer)
{
    if (signer != NULL)
        mcgk_wipe(signer, sizeof *signer);
}

/* RFC 6507 §5.2.1. */
mcgk_err mcgk_eccsi_sign(const mcgk_eccsi_signer *signer, const uint8_t *msg, size_t msg_len,
                         const mcgk_rng *rng, uint8_t sig[MCGK_ECCSI_SIG_LEN])
{
    if (signer == NULL || rng == NULL || sig == NULL || (msg == NULL && msg_len != 0))
        return MCGK_ERR_INVALID_ARG;

    uint64_t ssk[NL], j[NL], rq[NL], he[NL], t[NL], s[NL];
    uint8_t J[MCGK_ECCSI_POINT_LEN], heb[MCGK_ECCSI_HASH_LEN];
    mcgk_err err;
    /* a signer that mcgk_eccsi_signer_init did not fill has no valid SSK */
    uint64_t ok = mcgk_p256_scalar_from_be(ssk, signer->ssk);
    mcgk_ct_declassify(&ok, sizeof ok);
    if (!ok) {
        err = MCGK_ERR_INVALID_ARG;
        goto out;
    }
    err = MCGK_ERR_RNG;
    for (int attempt = 0; attempt < ECCSI_MAX_TRIES; attempt++) {
        /* step 1: j in [1, q-1] */
        err = random_scalar(rng, j);
        if (err != MCGK_OK)
            goto out;
        /* step 2: J = [j]G, r = Jx (published as part of the signature) */
        mul_base_encode(J, j);
        mcgk_ct_declassify(J + 1, MCGK_ECCSI_SCALAR_LEN);
        /* step 3: HE = hash(HS || r || M) */
        hash_he(heb, signer->hs, J + 1, msg, msg_len);
        mcgk_p256_scalar_reduce_be(he, heb);
        mcgk_p256_scalar_reduce_be(rq, J + 1); /* r < p < 2q */
        /* step 4: HE + r*SSK != 0 mod q, else a new j; r = 0 would never verify */
        mcgk_p256_scalar_mul(t, rq, ssk);
        mcgk_p256_scalar_add(t, t, he);
        uint64_t bad = mcgk_limbs_zero_mask(t, NL) | mcgk_limbs_zero_mask(rq, NL);
        mcgk_ct_declassify(&bad, sizeof bad);
        if (bad) {
            err = MCGK_ERR_RNG;
            continue;
        }
        /* step 5: s' = (HE + r*SSK)^-1 * j mod q; step 6: s = s' (q < 2^256) */
        mcgk_p256_scalar_inv(t, t);
        mcgk_p256_scalar_mul(s, t, j);
        /* step 7: r || s || PVT */
        memcpy(sig, J + 1, MCGK_ECCSI_SCALAR_LEN);
        mcgk_p256_scalar_to_be(sig + 32, s);
        memcpy(sig + 64, signer->pvt, MCGK_ECCSI_POINT_LEN);
        err = MCGK_OK;
        goto out;
    }
out:
    mcgk_wipe(ssk, sizeof ssk);
    mcgk_wipe(j, sizeof j);
    mcgk_wipe(rq, sizeof rq);
    mcgk_wipe(he, sizeof he);
    mcgk_wipe(t, sizeof t);
    mcgk_wipe(s, sizeof s);
    mcgk_wipe(J, sizeof J);
    mcgk_wipe(heb, sizeof heb);
    return err;
}

/* RFC 6507 §5.2.2, public data only (variable time). */
mcgk_err mcgk_eccsi_verify(const uint8_t kpak[MCGK_ECCSI_POINT_LEN], const uint8_t *id,
                           size_t id_len, const uint8_t *msg, size_t msg_len,
                           const uint8_t sig[MCGK_ECCSI_SIG_LEN])
{
    if (kpak == NULL || sig == NULL || (id == NULL && id_len != 0) || (msg == NULL && msg_len != 0))
        return MCGK_ERR_INVALID_ARG;
    if (!id_len_ok(id_len))
        return MCGK_ERR_IDENTITY;
    p256_aff K, V;
    mcgk_err err = mcgk_p256_point_decode(&K, kpak);
    if (err != MCGK_OK)
        return err;
    /* step 1: PVT a valid point; 1 <= r < p and 1 <= s < q */
    const uint8_t *pvt = sig + 64;
    err = mcgk_p256_point_decode(&V, pvt);
    if (err != MCGK_OK)
        return err;
    uint64_t r[NL], s[NL];
    mcgk_limbs_from_be(r, NL, sig, 32);
    if (mcgk_limbs_zero_mask(r, NL) || !mcgk_limbs_lt_mask(r, mcgk_p256_p.m, NL))
        return MCGK_ERR_SIGNATURE;
    if (!mcgk_p256_scalar_from_be(s, sig + 32))
        return MCGK_ERR_SIGNATURE;

    /* steps 2-3: HS, HE */
    uint8_t hs[MCGK_ECCSI_HASH_LEN], heb[MCGK_ECCSI_HASH_LEN];
    uint64_t hsq[NL], he[NL], rq[NL], u1[NL], u2[NL], u3[NL];
    hash_hs(hs, kpak, id, id_len, pvt);
    hash_he(heb, hs, sig, msg, msg_len);
    mcgk_p256_scalar_reduce_be(hsq, hs);
    mcgk_p256_scalar_reduce_be(he, heb);
    mcgk_p256_scalar_reduce_be(rq, sig);
    /* steps 4-5: J = [s]([HE]G + [r]([HS]PVT + KPAK))
     *              = [s*HE]G + [s*r]KPAK + [s*r*HS]PVT  (every point has order q) */
    mcgk_p256_scalar_mul(u1, s, he);
    mcgk_p256_scalar_mul(u2, s, rq);
    mcgk_p256_scalar_mul(u3, u2, hsq);
    p256_jac J;
    mcgk_p256_mul3_vartime(&J, u1, u2, &K, u3, &V);
    /* step 6: J finite and Jx = r, checked projectively as X == r * Z^2 (r < p) */
    p256_fe rm, z2;
    mcgk_p256_fe_to_mont(rm, r);
    mcgk_p256_fe_sqr(z2, J.Z);
    mcgk_p256_fe_mul(z2, z2, rm);
    if (mcgk_limbs_zero_mask(J.Z, NL) || !mcgk_limbs_eq_mask(z2, J.X, NL))
        return MCGK_ERR_SIGNATURE;
    return MCGK_OK;
}
