/*
 * SAKKE (RFC 6508) with parameter set 1 (RFC 6509): KMS key generation and
 * RSK issuance (§6.1.1), RSK validation (§6.1.2), encapsulation (§6.2.1) and
 * decapsulation with the TEST re-check (§6.2.2). See mcgk/sakke.h.
 *
 * Secret data: z, the RSK and its lines, the SSV, r, r*b and g^r (= w).
 * Each is handled by the constant-time routines of sakke_curve.c /
 * sakke_pairing.c / mont.c and wiped before return. The branches below test
 * only public facts (lengths, decoding of received points, verdicts) or
 * events of negligible probability (r = 0, a + z = 0).
 */
#include "mcgk/sakke.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/ct.h"
#include "crypto/sakke_internal.h"

struct mcgk_sakke_community {
    sk_affine Z;
    sk_fb_table *Z_table;
};

struct mcgk_sakke_receiver {
    const mcgk_sakke_community *c;
    uint8_t id[MCGK_SAKKE_ID_MAX_LEN];
    size_t id_len;
    uint64_t b[SK_N]; /* id as an integer mod q, normal form */
    sk_lines lines;   /* of the RSK: secret */
};

/* b = id mod q (public) */
static void id_to_scalar(uint64_t *b, const uint8_t *id, size_t id_len, const sk_params *S)
{
    uint64_t t[SK_N], m[SK_N];
    mcgk_limbs_from_be(t, SK_N, id, id_len);
    mcgk_mont_to(m, t, &S->q);
    mcgk_mont_from(b, m, &S->q);
}

static int id_ok(const uint8_t *id, size_t id_len)
{
    return id != NULL && id_len > 0 && id_len <= MCGK_SAKKE_ID_MAX_LEN;
}

/* RFC 6508 §5.1 with n = q (l = 4): see sakke_internal.h */
void sk_htir_q(uint64_t *v, const uint8_t *s, size_t s_len, const sk_params *S)
{
    uint8_t buf[64], vv[128];
    uint64_t t[SK_N], m[SK_N];
    SHA256(s, s_len, buf + 32); /* A */
    for (int i = 0; i < 4; i++) {
        memcpy(buf, S->h[i], 32);
        SHA256(buf, 64, vv + 32 * i);
    }
    mcgk_limbs_from_be(t, SK_N, vv, 128);
    mcgk_mont_to(m, t, &S->q); /* v' < 2^1024 = R, so one reduction suffices */
    mcgk_mont_from(v, m, &S->q);
    mcgk_wipe(buf, sizeof buf);
    mcgk_wipe(vv, sizeof vv);
    mcgk_wipe(t, sizeof t);
    mcgk_wipe(m, sizeof m);
}

mcgk_err mcgk_sakke_hash_to_mask(const uint8_t *s, size_t s_len, uint8_t mask[MCGK_SAKKE_SSV_LEN])
{
    if ((s == NULL && s_len != 0) || mask == NULL)
        return MCGK_ERR_INVALID_ARG;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    /* RFC 6508 §5.1 with n = 2^128: l = 1, v = v_1 mod 2^128 */
    uint8_t buf[64], v1[32];
    memcpy(buf, S->h[0], 32);
    SHA256(s, s_len, buf + 32);
    SHA256(buf, 64, v1);
    memcpy(mask, v1 + 16, 16);
    mcgk_wipe(buf, sizeof buf);
    mcgk_wipe(v1, sizeof v1);
    return MCGK_OK;
}

/* mask from an F_p element in Montgomery form, serialised on 128 octets (sakke.md §8) */
static void mask_of_w(uint8_t mask[16], const uint64_t *w, const sk_params *S)
{
    uint64_t t[SK_N];
    uint8_t wb[128];
    mcgk_mont_from(t, w, &S->p);
    mcgk_limbs_to_be(wb, 128, t, SK_N);
    (void)mcgk_sakke_hash_to_mask(wb, sizeof wb, mask);
    mcgk_wipe(t, sizeof t);
    mcgk_wipe(wb, sizeof wb);
}

/* R = [r*b]P + [r]Z as a Jacobian point; returns the infinity mask */
static uint64_t sakke_R(sk_jac *R, const mcgk_sakke_community *c, const uint64_t *r,
                        const uint64_t *b, const sk_params *S)
{
    uint64_t rm[SK_N], rb[SK_N];
    mcgk_mont_to(rm, r, &S->q);
    mcgk_mont_mul(rb, rm, b, &S->q); /* r R b / R = r b mod q */
    uint64_t inf = sk_fb_mul2(R, S->P_table, rb, c->Z_table, r, S);
    mcgk_wipe(rm, sizeof rm);
    mcgk_wipe(rb, sizeof rb);
    return inf;
}

/* scalar from octets: [1, q-1] check; z_len <= 128 */
static mcgk_err scalar_from_octets(uint64_t *k, const uint8_t *z, size_t z_len, const sk_params *S)
{
    if (z_len == 0 || z_len > MCGK_SAKKE_FP_LEN)
        return MCGK_ERR_LENGTH;
    mcgk_limbs_from_be(k, SK_N, z, z_len);
    uint64_t ok = mcgk_limbs_lt_mask(k, S->q.m, SK_N) & ~mcgk_limbs_zero_mask(k, SK_N);
    if (!mcgk_ct_declassify64(ok)) { /* the verdict on a secret is released */
        mcgk_wipe(k, SK_N * 8);
        return MCGK_ERR_SCALAR_RANGE;
    }
    return MCGK_OK;
}

/* [k]P, affine, encoded; k secret, in [1, q-1] */
static void mul_P_encode(uint8_t out[257], const uint64_t *k, const sk_params *S)
{
    sk_jac J;
    sk_affine A;
    uint64_t zinv[SK_N];
    (void)sk_fb_mul2(&J, S->P_table, k, NULL, NULL, S);
    mcgk_mont_inv(zinv, J.Z, &S->p);
    sk_jac_to_affine_with_zinv(&A, &J, zinv, S);
    sk_point_encode(out, &A, S);
    mcgk_wipe(&J, sizeof J);
    mcgk_wipe(&A, sizeof A);
    mcgk_wipe(zinv, sizeof zinv);
}

mcgk_err mcgk_sakke_public_from_secret(const uint8_t *z, size_t z_len,
                                       uint8_t Z[MCGK_SAKKE_POINT_LEN])
{
    if (z == NULL || Z == NULL)
        return MCGK_ERR_INVALID_ARG;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    uint64_t k[SK_N];
    mcgk_err e = scalar_from_octets(k, z, z_len, S);
    if (e != MCGK_OK)
        return e;
    mul_P_encode(Z, k, S);
    mcgk_wipe(k, sizeof k);
    return MCGK_OK;
}

mcgk_err mcgk_sakke_kms_keygen(const mcgk_rng *rng, uint8_t z[MCGK_SAKKE_FP_LEN],
                               uint8_t Z[MCGK_SAKKE_POINT_LEN])
{
    if (z == NULL || Z == NULL)
        return MCGK_ERR_INVALID_ARG;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    uint64_t k[SK_N], two[SK_N] = {2};
    for (;;) {
        /* rejection sampling into [2, q-1] on q_bits random bits */
        mcgk_err e = mcgk_rng_bytes(rng, z, MCGK_SAKKE_FP_LEN);
        if (e != MCGK_OK)
            return e;
        z[0] &= (uint8_t)(0xFF >> (8 * MCGK_SAKKE_FP_LEN - S->q_bits));
        mcgk_limbs_from_be(k, SK_N, z, MCGK_SAKKE_FP_LEN);
        /* rejection sampling: only the accept bit is released */
        if (mcgk_ct_declassify64(mcgk_limbs_lt_mask(k, S->q.m, SK_N) &
                                 ~mcgk_limbs_lt_mask(k, two, SK_N)))
            break;
    }
    mul_P_encode(Z, k, S);
    mcgk_wipe(k, sizeof k);
    return MCGK_OK;
}

mcgk_err mcgk_sakke_rsk_issue(const uint8_t *z, size_t z_len, const uint8_t *id, size_t id_len,
                              uint8_t rsk[MCGK_SAKKE_POINT_LEN])
{
    if (z == NULL || rsk == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (!id_ok(id, id_len))
        return MCGK_ERR_IDENTITY;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    uint64_t k[SK_N], a[SK_N], t[SK_N], tm[SK_N], inv[SK_N];
    mcgk_err e = scalar_from_octets(k, z, z_len, S);
    if (e != MCGK_OK)
        return e;
    id_to_scalar(a, id, id_len, S);
    mcgk_mont_add(t, a, k, &S->q); /* a + z mod q (RFC 6508 §6.1.1) */
    if (mcgk_ct_declassify64(mcgk_limbs_zero_mask(t, SK_N))) {
        e = MCGK_ERR_IDENTITY; /* no key can be issued for this identifier */
        goto out;
    }
    mcgk_mont_to(tm, t, &S->q);
    mcgk_mont_inv(inv, tm, &S->q);
    mcgk_mont_from(t, inv, &S->q); /* (a + z)^-1 mod q */
    mul_P_encode(rsk, t, S);
out:
    mcgk_wipe(k, sizeof k);
    mcgk_wipe(t, sizeof t);
    mcgk_wipe(tm, sizeof tm);
    mcgk_wipe(inv, sizeof inv);
    return e;
}

mcgk_err mcgk_sakke_point_check(const uint8_t pt[MCGK_SAKKE_POINT_LEN])
{
    if (pt == NULL)
        return MCGK_ERR_INVALID_ARG;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    sk_affine a;
    return sk_point_decode(&a, pt, MCGK_SAKKE_POINT_LEN, S);
}

mcgk_err mcgk_sakke_community_new(const uint8_t Z[MCGK_SAKKE_POINT_LEN],
                                  mcgk_sakke_community **out)
{
    if (Z == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    sk_affine pt;
    mcgk_err e = sk_point_decode(&pt, Z, MCGK_SAKKE_POINT_LEN, S);
    if (e != MCGK_OK)
        return e;
    mcgk_sakke_community *c = calloc(1, sizeof *c);
    if (c == NULL)
        return MCGK_ERR_NO_MEMORY;
    c->Z = pt;
    c->Z_table = sk_fb_table_new(&pt, S);
    if (c->Z_table == NULL) {
        free(c);
        return MCGK_ERR_NO_MEMORY;
    }
    *out = c;
    return MCGK_OK;
}

void mcgk_sakke_community_free(mcgk_sakke_community *c)
{
    if (c == NULL)
        return;
    free(c->Z_table);
    free(c);
}

mcgk_err mcgk_sakke_encapsulate(const mcgk_sakke_community *c, const uint8_t *id, size_t id_len,
                                const uint8_t ssv[MCGK_SAKKE_SSV_LEN],
                                uint8_t encap[MCGK_SAKKE_ENCAP_LEN])
{
    if (c == NULL || ssv == NULL || encap == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (!id_ok(id, id_len))
        return MCGK_ERR_IDENTITY;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = MCGK_OK;
    uint8_t buf[MCGK_SAKKE_SSV_LEN + MCGK_SAKKE_ID_MAX_LEN], mask[16];
    uint64_t b[SK_N], r[SK_N], x1[SK_N], x2[SK_N], inv[2 * SK_N], tmp[2 * SK_N], w[SK_N];
    sk_jac R;
    sk_affine Ra;

    id_to_scalar(b, id, id_len, S);
    /* §6.2.1 step 2: r = HashToIntegerRange(SSV || b, q) */
    memcpy(buf, ssv, MCGK_SAKKE_SSV_LEN);
    memcpy(buf + MCGK_SAKKE_SSV_LEN, id, id_len);
    sk_htir_q(r, buf, MCGK_SAKKE_SSV_LEN + id_len, S);
    if (mcgk_ct_declassify64(mcgk_limbs_zero_mask(r, SK_N))) {
        e = MCGK_ERR_SCALAR_RANGE; /* probability 1/q: choose another SSV */
        goto out;
    }
    /* step 3: R = [r]([b]P + Z) = [r b]P + [r]Z */
    if (mcgk_ct_declassify64(sakke_R(&R, c, r, b, S))) {
        e = MCGK_ERR_IDENTITY; /* [b]P + Z = O: b + z = 0 mod q */
        goto out;
    }
    /* step 4: g^r in PF_p; one inversion serves R's Z and g^r's x1 */
    sk_g_pow(x1, x2, r, S);
    memcpy(inv, R.Z, SK_N * 8);
    memcpy(inv + SK_N, x1, SK_N * 8);
    mcgk_mont_inv_batch(inv, 2, tmp, &S->p);
    sk_jac_to_affine_with_zinv(&Ra, &R, inv, S);
    sk_mul(w, x2, inv + SK_N, S);
    mask_of_w(mask, w, S);
    sk_point_encode(encap, &Ra, S);
    for (size_t i = 0; i < MCGK_SAKKE_SSV_LEN; i++)
        encap[MCGK_SAKKE_POINT_LEN + i] = ssv[i] ^ mask[i];
out:
    mcgk_wipe(buf, sizeof buf);
    mcgk_wipe(mask, sizeof mask);
    mcgk_wipe(r, sizeof r);
    mcgk_wipe(x1, sizeof x1);
    mcgk_wipe(x2, sizeof x2);
    mcgk_wipe(inv, sizeof inv);
    mcgk_wipe(tmp, sizeof tmp);
    mcgk_wipe(w, sizeof w);
    mcgk_wipe(&R, sizeof R);
    return e;
}

/*
 * Q = [a]P + Z, affine (RFC 6508 §6.1.2). a is the public identifier: one
 * table walk for [a]P, then one addition of Z. MCGK_ERR_IDENTITY when the
 * sum degenerates (a = -z mod q: no key exists for a; a = z: probability 1/q).
 */
static mcgk_err validation_point(sk_affine *Q, const mcgk_sakke_community *c, const uint64_t *a,
                                 const sk_params *S)
{
    sk_jac J;
    uint64_t zinv[SK_N];
    if (sk_fb_mul2(&J, S->P_table, a, NULL, NULL, S))
        return MCGK_ERR_IDENTITY; /* a = 0 mod q */
    sk_jac_madd(&J, &J, &c->Z, S);
    if (mcgk_limbs_zero_mask(J.Z, SK_N))
        return MCGK_ERR_IDENTITY;
    mcgk_mont_inv(zinv, J.Z, &S->p);
    sk_jac_to_affine_with_zinv(Q, &J, zinv, S);
    return MCGK_OK;
}

mcgk_err mcgk_sakke_receiver_new(const mcgk_sakke_community *c, const uint8_t *id, size_t id_len,
                                 const uint8_t rsk[MCGK_SAKKE_POINT_LEN],
                                 mcgk_sakke_receiver **out)
{
    if (c == NULL || rsk == NULL || out == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (!id_ok(id, id_len))
        return MCGK_ERR_IDENTITY;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    sk_affine K, Q;
    mcgk_err e = sk_point_decode(&K, rsk, MCGK_SAKKE_POINT_LEN, S);
    if (e != MCGK_OK)
        return e;
    mcgk_sakke_receiver *r = calloc(1, sizeof *r);
    if (r == NULL) {
        mcgk_wipe(&K, sizeof K);
        return MCGK_ERR_NO_MEMORY;
    }
    r->c = c;
    memcpy(r->id, id, id_len);
    r->id_len = id_len;
    id_to_scalar(r->b, id, id_len, S);
    e = sk_lines_build(&r->lines, &K, S);
    mcgk_wipe(&K, sizeof K);
    if (e == MCGK_OK)
        e = validation_point(&Q, c, r->b, S);
    if (e == MCGK_OK) {
        /* RFC 6508 §6.1.2: < [a]P + Z , RSK > == g, computed as <RSK, [a]P + Z> */
        uint64_t v1[SK_N], v2[SK_N];
        sk_pairing_eval(v1, v2, &r->lines, &Q, S);
        if (!mcgk_ct_declassify64(sk_pf_eq_fp_mask(v1, v2, S->g, S)))
            e = MCGK_ERR_RSK_INVALID;
        mcgk_wipe(v1, sizeof v1);
        mcgk_wipe(v2, sizeof v2);
    }
    if (e != MCGK_OK) {
        mcgk_sakke_receiver_free(r);
        return e;
    }
    *out = r;
    return MCGK_OK;
}

void mcgk_sakke_receiver_free(mcgk_sakke_receiver *r)
{
    if (r == NULL)
        return;
    sk_lines_free(&r->lines);
    mcgk_wipe(r, sizeof *r);
    free(r);
}

mcgk_err mcgk_sakke_rsk_validate(const mcgk_sakke_community *c, const uint8_t *id, size_t id_len,
                                 const uint8_t rsk[MCGK_SAKKE_POINT_LEN])
{
    if (c == NULL || rsk == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (!id_ok(id, id_len))
        return MCGK_ERR_IDENTITY;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    sk_affine K, Q;
    uint64_t a[SK_N], v1[SK_N], v2[SK_N];
    mcgk_err e = sk_point_decode(&K, rsk, MCGK_SAKKE_POINT_LEN, S);
    if (e != MCGK_OK)
        return e;
    id_to_scalar(a, id, id_len, S);
    e = validation_point(&Q, c, a, S);
    if (e == MCGK_OK) {
        /* one pass, no line table: a one-off check (RFC 6508 §6.1.2) */
        sk_pairing(v1, v2, &K, &Q, S);
        if (!mcgk_ct_declassify64(sk_pf_eq_fp_mask(v1, v2, S->g, S)))
            e = MCGK_ERR_RSK_INVALID;
    }
    mcgk_wipe(&K, sizeof K);
    mcgk_wipe(v1, sizeof v1);
    mcgk_wipe(v2, sizeof v2);
    return e;
}

mcgk_err mcgk_sakke_decapsulate(const mcgk_sakke_receiver *rcv,
                                const uint8_t encap[MCGK_SAKKE_ENCAP_LEN],
                                uint8_t ssv[MCGK_SAKKE_SSV_LEN])
{
    if (rcv == NULL || encap == NULL || ssv == NULL)
        return MCGK_ERR_INVALID_ARG;
    const sk_params *S = sk_params_get();
    if (S == NULL)
        return MCGK_ERR_NO_MEMORY;
    sk_affine R;
    mcgk_err e = sk_point_decode(&R, encap, MCGK_SAKKE_POINT_LEN, S);
    if (e != MCGK_OK) {
        memset(ssv, 0, MCGK_SAKKE_SSV_LEN);
        return e;
    }
    uint8_t buf[MCGK_SAKKE_SSV_LEN + MCGK_SAKKE_ID_MAX_LEN], mask[16], out[16];
    uint64_t w[SK_N], v1[SK_N], v2[SK_N], r[SK_N], z2[SK_N], z3[SK_N], t[SK_N];
    sk_jac T;
    /* §6.2.2 step 2: w = <R, RSK> */
    sk_pairing_eval(v1, v2, &rcv->lines, &R, S);
    sk_pf_to_fp(w, v1, v2, S);
    mcgk_wipe(v1, sizeof v1);
    mcgk_wipe(v2, sizeof v2);
    /* step 3: SSV = H xor HashToIntegerRange(w, 2^n) */
    mask_of_w(mask, w, S);
    for (size_t i = 0; i < 16; i++)
        out[i] = encap[MCGK_SAKKE_POINT_LEN + i] ^ mask[i];
    /* step 4: r = HashToIntegerRange(SSV || b, q) */
    memcpy(buf, out, 16);
    memcpy(buf + 16, rcv->id, rcv->id_len);
    sk_htir_q(r, buf, 16 + rcv->id_len, S);
    /* step 5: TEST = [r]([b]P + Z) must equal R (compared in Jacobian form) */
    uint64_t inf = sakke_R(&T, rcv->c, r, rcv->b, S);
    sk_sqr(z2, T.Z, S);
    sk_mul(z3, z2, T.Z, S);
    sk_mul(t, R.x, z2, S);
    uint64_t eq = mcgk_limbs_eq_mask(t, T.X, SK_N);
    sk_mul(t, R.y, z3, S);
    eq &= mcgk_limbs_eq_mask(t, T.Y, SK_N) & ~inf;
    if (mcgk_ct_declassify64(eq)) { /* the TEST verdict */
        memcpy(ssv, out, 16);
    } else {
        memset(ssv, 0, MCGK_SAKKE_SSV_LEN);
        e = MCGK_ERR_DECAPSULATE;
    }
    mcgk_wipe(buf, sizeof buf);
    mcgk_wipe(mask, sizeof mask);
    mcgk_wipe(out, sizeof out);
    mcgk_wipe(w, sizeof w);
    mcgk_wipe(r, sizeof r);
    mcgk_wipe(&T, sizeof T);
    return e;
}
