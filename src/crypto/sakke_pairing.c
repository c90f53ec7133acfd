/*
 * The Tate-Lichtenbaum pairing of RFC 6508 §3.2 for parameter set 1, split
 * in two halves (digest sakke.md §9): the Miller-loop lines of a fixed first
 * argument A are computed once (for a receiver: its RSK, once per key period)
 * and normalised; each pairing <A, Q> then only evaluates the stored lines
 * at psi(Q) = (-Qx, i Qy). The pairing is symmetric for these inputs, so the
 * receiver computes <R, RSK> as <RSK, R>.
 *
 * Secret data: A (the RSK) and therefore every stored line, and the result w
 * (= g^r). The loop structure follows the public bits of q - 1 only; there
 * are no other branches and no secret-dependent indexes.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/sakke_internal.h"
#include "mcgk/base.h"

/*
 * The Miller walk of RFC 6508 §3.2 for first argument A: C runs over multiples
 * of A; at each digit of q - 1 (second most significant down) the tangent at
 * C, and for a non-zero digit the line through C and +-A, are handed to
 * `line` as (A, B, C) coefficients of (A Qx + B) + i C Qy, with is_double set
 * for the tangent. The digits are the non-adjacent form of q - 1 rather than
 * its bits: a step by -A multiplies in l_{C,-A} / (v_{C-A} v_A) instead of
 * l_{C,A} / v_{C+A}, and every vertical line v evaluated at psi(Q) lies in
 * F_p, which PF_p ignores, so the value is the RFC's with a third fewer
 * addition steps. Constant time in A: the digits of q - 1 are public.
 */
static void miller_walk(const sk_affine *A, const sk_params *S,
                        void (*line)(void *ctx, const uint64_t *abc, int is_double), void *ctx)
{
    sk_jac C;
    sk_affine negA;
    uint64_t abc[3 * SK_N];
    memcpy(negA.x, A->x, sizeof negA.x);
    mcgk_mont_neg(negA.y, A->y, &S->p);
    sk_jac_from_affine(&C, A, S);
    for (unsigned i = S->naf_len - 1; i-- > 0;) {
        sk_jac_double_line(&C, &C, abc, S);
        line(ctx, abc, 1);
        if (S->naf[i] != 0) {
            sk_jac_madd_line(&C, &C, S->naf[i] > 0 ? A : &negA, abc, S);
            line(ctx, abc, 0);
        }
    }
    mcgk_wipe(&C, sizeof C);
    mcgk_wipe(&negA, sizeof negA);
    mcgk_wipe(abc, sizeof abc);
}

struct store_ctx {
    uint64_t *raw;
    size_t count, max;
};

static void store_line(void *ctx, const uint64_t *abc, int is_double)
{
    struct store_ctx *st = ctx;
    (void)is_double;
    if (st->count < st->max)
        memcpy(st->raw + 3 * SK_N * st->count, abc, 3 * SK_N * 8);
    st->count++;
}

mcgk_err sk_lines_build(sk_lines *L, const sk_affine *A, const sk_params *S)
{
    size_t max = 2 * (size_t)S->naf_len;
    uint64_t *raw = calloc(max * 3, SK_N * 8); /* (A, B, C) per line */
    uint64_t *tmp = calloc(max, SK_N * 8);
    uint64_t *cs = calloc(max, SK_N * 8);
    L->coef = calloc(max * 2, SK_N * 8);
    if (raw == NULL || tmp == NULL || cs == NULL || L->coef == NULL) {
        free(raw);
        free(tmp);
        free(cs);
        free(L->coef);
        L->coef = NULL;
        return MCGK_ERR_NO_MEMORY;
    }
    struct store_ctx st = {raw, 0, max};
    miller_walk(A, S, store_line, &st);
    size_t k = st.count;
    L->count = k;
    /* divide each line by its Qy coefficient: (lambda Qx + c) + i Qy */
    for (size_t j = 0; j < k; j++)
        memcpy(cs + j * SK_N, raw + (3 * j + 2) * SK_N, SK_N * 8);
    mcgk_mont_inv_batch(cs, k, tmp, &S->p);
    for (size_t j = 0; j < k; j++) {
        sk_mul(L->coef + 2 * j * SK_N, raw + 3 * j * SK_N, cs + j * SK_N, S);
        sk_mul(L->coef + (2 * j + 1) * SK_N, raw + (3 * j + 1) * SK_N, cs + j * SK_N, S);
    }
    mcgk_wipe(raw, max * 3 * SK_N * 8);
    mcgk_wipe(cs, max * SK_N * 8);
    mcgk_wipe(tmp, max * SK_N * 8);
    free(raw);
    free(cs);
    free(tmp);
    return MCGK_OK;
}

void sk_lines_free(sk_lines *L)
{
    if (L->coef != NULL) {
        mcgk_wipe(L->coef, L->count * 2 * SK_N * 8);
        free(L->coef);
    }
    L->coef = NULL;
    L->count = 0;
}

/* v = v * ((lambda Qx + c) + i Qy): 1M for the line, 3M for the product */
static void mul_line(uint64_t *v1, uint64_t *v2, const uint64_t *coef, const sk_affine *Q,
                     const sk_params *S)
{
    sk_fp t, a, b, c, d;
    sk_mul(t, coef, Q->x, S);
    sk_add(t, t, coef + SK_N, S);
    /* (v1 + i v2)(t + i Qy) */
    sk_mul(a, v1, t, S);
    sk_mul(b, v2, Q->y, S);
    sk_add(c, v1, v2, S);
    sk_add(d, t, Q->y, S);
    sk_mul(c, c, d, S);
    sk_sub(v1, a, b, S);
    sk_sub(c, c, a, S);
    sk_sub(v2, c, b, S);
}

/* (v1 + i v2)^2 = (v1 + v2)(v1 - v2) + i 2 v1 v2: 2M */
static void sqr_fp2(uint64_t *v1, uint64_t *v2, const sk_params *S)
{
    sk_fp s, d, m;
    sk_add(s, v1, v2, S);
    sk_sub(d, v1, v2, S);
    sk_mul(m, v1, v2, S);
    sk_mul(v1, s, d, S);
    sk_add(v2, m, m, S);
}

/* final exponentiation by c = (p + 1) / q = 4 (two squarings) */
static void pairing_finish(uint64_t *v1, uint64_t *v2, const sk_params *S)
{
    sqr_fp2(v1, v2, S);
    sqr_fp2(v1, v2, S);
}

void sk_pf_to_fp(uint64_t *w, const uint64_t *v1, const uint64_t *v2, const sk_params *S)
{
    sk_fp inv;
    mcgk_mont_inv(inv, v1, &S->p);
    sk_mul(w, v2, inv, S);
    mcgk_wipe(inv, sizeof inv);
}

uint64_t sk_pf_eq_fp_mask(const uint64_t *v1, const uint64_t *v2, const uint64_t *t,
                          const sk_params *S)
{
    /* (v1, v2) ~ (1, t)  <=>  v2 = t v1 with v1 != 0 */
    sk_fp u;
    sk_mul(u, t, v1, S);
    uint64_t m = mcgk_limbs_eq_mask(u, v2, SK_N) & ~mcgk_limbs_zero_mask(v1, SK_N);
    mcgk_wipe(u, sizeof u);
    return m;
}

void sk_pairing_eval(uint64_t *v1, uint64_t *v2, const sk_lines *L, const sk_affine *Q,
                     const sk_params *S)
{
    memcpy(v1, S->p.one, SK_N * 8);
    memset(v2, 0, SK_N * 8);
    size_t k = 0;
    for (unsigned i = S->naf_len - 1; i-- > 0;) { /* the digits of miller_walk */
        sqr_fp2(v1, v2, S);
        mul_line(v1, v2, L->coef + 2 * SK_N * k++, Q, S);
        if (S->naf[i] != 0)
            mul_line(v1, v2, L->coef + 2 * SK_N * k++, Q, S);
    }
    pairing_finish(v1, v2, S);
}

struct fused_ctx {
    const sk_affine *Q;
    const sk_params *S;
    sk_fp v1, v2;
};

/* v = v^2 (tangent steps only) * ((A Qx + B) + i C Qy) */
static void fused_line(void *ctx, const uint64_t *abc, int is_double)
{
    struct fused_ctx *f = ctx;
    const sk_params *S = f->S;
    sk_fp t1, t2, a, b, c, d;
    if (is_double)
        sqr_fp2(f->v1, f->v2, S);
    sk_mul(t1, abc, f->Q->x, S);
    sk_add(t1, t1, abc + SK_N, S);
    sk_mul(t2, abc + 2 * SK_N, f->Q->y, S);
    sk_mul(a, f->v1, t1, S);
    sk_mul(b, f->v2, t2, S);
    sk_add(c, f->v1, f->v2, S);
    sk_add(d, t1, t2, S);
    sk_mul(c, c, d, S);
    sk_sub(f->v1, a, b, S);
    sk_sub(c, c, a, S);
    sk_sub(f->v2, c, b, S);
}

void sk_pairing(uint64_t *v1, uint64_t *v2, const sk_affine *A, const sk_affine *Q,
                const sk_params *S)
{
    struct fused_ctx f;
    f.Q = Q;
    f.S = S;
    memcpy(f.v1, S->p.one, sizeof f.v1);
    memset(f.v2, 0, sizeof f.v2);
    miller_walk(A, S, fused_line, &f);
    pairing_finish(f.v1, f.v2, S);
    memcpy(v1, f.v1, SK_N * 8);
    memcpy(v2, f.v2, SK_N * 8);
    mcgk_wipe(&f, sizeof f);
}
