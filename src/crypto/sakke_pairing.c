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

mcgk_err sk_lines_build(sk_lines *L, const sk_affine *A, const sk_params *S)
{
    size_t max = 2 * (size_t)S->q_bits;
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
    sk_jac C;
    sk_jac_from_affine(&C, A, S);
    size_t k = 0;
    /* RFC 6508 §3.2: bits of q - 1 from the second most significant down */
    for (unsigned i = S->q_bits - 1; i-- > 0;) {
        sk_jac_double_line(&C, &C, raw + 3 * SK_N * k, S);
        k++;
        if (mcgk_limbs_bit(S->q_minus_1, i)) {
            sk_jac_madd_line(&C, &C, A, raw + 3 * SK_N * k, S);
            k++;
        }
    }
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
    mcgk_wipe(&C, sizeof C);
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

void sk_pairing_eval(uint64_t *w, const sk_lines *L, const sk_affine *Q, const sk_params *S)
{
    sk_fp v1, v2, inv;
    memcpy(v1, S->p.one, sizeof v1);
    memset(v2, 0, sizeof v2);
    size_t k = 0;
    for (unsigned i = S->q_bits - 1; i-- > 0;) {
        sqr_fp2(v1, v2, S);
        mul_line(v1, v2, L->coef + 2 * SK_N * k++, Q, S);
        if (mcgk_limbs_bit(S->q_minus_1, i))
            mul_line(v1, v2, L->coef + 2 * SK_N * k++, Q, S);
    }
    /* final exponentiation by c = (p + 1) / q = 4, then the F_p representative x2 / x1 */
    sqr_fp2(v1, v2, S);
    sqr_fp2(v1, v2, S);
    mcgk_mont_inv(inv, v1, &S->p);
    sk_mul(w, v2, inv, S);
    mcgk_wipe(v1, sizeof v1);
    mcgk_wipe(v2, sizeof v2);
    mcgk_wipe(inv, sizeof inv);
}
