/*
 * SAKKE parameter set 1: the 1024-bit field, the curve y^2 = x^3 - 3x over it,
 * and the fixed-base tables for P and g (RFC 6508 §2.1, §3; RFC 6509 App. A;
 * performance plan of the digest sakke.md §9).
 *
 * Secret data: the scalars given to sk_fb_mul2 / sk_g_pow (z^-1 stuff at the
 * KMS, r at the sender and receiver). They are read in 4-bit windows and
 * every table row is scanned with masks, so no branch or address depends on
 * them. Tables hold only public points.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/ct.h"
#include "crypto/sakke_internal.h"
#include "mcgk/base.h"

/* RFC 6509 Appendix A, parameter set 1 */
static const char *const k_p_hex =
    "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2E"
    "F40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0"
    "E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA"
    "9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";
static const char *const k_q_hex =
    "265EAEC7C2958FF69971846636B4195E905B0338672D20986FA6B8D62CF8068B"
    "BD02AAC9F8BF03C6C8A1CC354C69672C39E46CE7FDF222864D5B49FD2999A9B4"
    "389B1921CC9AD335144AB173595A07386DABFD2A0C614AA0A9F3CF14870F026A"
    "A7E535ABD5A5C7C7FF38FA08E2615F6C203177C42B1EB3A1D99B601EBFAA17FB";
static const char *const k_px_hex =
    "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBF"
    "B5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE890"
    "9760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910D"
    "D5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895";
static const char *const k_py_hex =
    "0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178"
    "F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B9"
    "70DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F2"
    "13515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7";
static const char *const k_g_hex =
    "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87"
    "371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BE"
    "EE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFA"
    "D682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46";

static sk_params g_params;
static int g_params_ok;
static pthread_once_t g_params_once = PTHREAD_ONCE_INIT;

static void hex128(uint8_t out[128], const char *hex)
{
    size_t n;
    (void)mcgk_hex_decode(hex, 256, out, 128, &n);
}

static void fp_from_hex(uint64_t *r, const char *hex, const mcgk_mont *M)
{
    uint8_t b[128];
    uint64_t t[SK_N];
    hex128(b, hex);
    mcgk_limbs_from_be(t, SK_N, b, 128);
    mcgk_mont_to(r, t, M);
}

static sk_g_table *g_table_new(const sk_params *S);

static void params_init(void)
{
    sk_params *S = &g_params;
    uint8_t b[128];
    hex128(b, k_p_hex);
    mcgk_mont_init(&S->p, b, 128);
    hex128(b, k_q_hex);
    mcgk_mont_init(&S->q, b, 128);
    fp_from_hex(S->P.x, k_px_hex, &S->p);
    fp_from_hex(S->P.y, k_py_hex, &S->p);
    fp_from_hex(S->g, k_g_hex, &S->p);
    uint64_t three[SK_N] = {3};
    mcgk_mont_to(S->three, three, &S->p);
    uint64_t one[SK_N] = {1};
    mcgk_limbs_sub(S->q_minus_1, S->q.m, one, SK_N);
    S->q_bits = 0;
    for (unsigned i = 0; i < 64 * SK_N; i++)
        if (mcgk_limbs_bit(S->q.m, i))
            S->q_bits = i + 1;
    /* NAF of the public Miller-loop scalar q - 1: fewer addition steps */
    {
        uint64_t k[SK_N + 1] = {0};
        memcpy(k, S->q_minus_1, sizeof S->q_minus_1);
        unsigned len = 0;
        for (;;) {
            int nonzero = 0;
            for (size_t j = 0; j <= SK_N; j++)
                nonzero |= k[j] != 0;
            if (!nonzero)
                break;
            int8_t d = 0;
            if (k[0] & 1) {
                d = (k[0] & 3) == 3 ? -1 : 1;
                uint64_t c = (d == 1) ? 1 : 0;
                if (d == 1) {
                    k[0] -= 1;
                } else { /* k += 1 */
                    c = 1;
                    for (size_t j = 0; j <= SK_N && c; j++) {
                        k[j] += 1;
                        c = k[j] == 0;
                    }
                }
            }
            S->naf[len++] = d;
            for (size_t j = 0; j < SK_N; j++) /* k >>= 1 */
                k[j] = (k[j] >> 1) | (k[j + 1] << 63);
            k[SK_N] >>= 1;
        }
        S->naf_len = len;
    }
    /* RFC 6508 §5.1 step 4: h_i = hash(h_{i-1}), h_0 = 0^256 */
    uint8_t h[32] = {0};
    for (int i = 0; i < 4; i++) {
        SHA256(h, 32, S->h[i]);
        memcpy(h, S->h[i], 32);
    }
    S->P_table = sk_fb_table_new(&S->P, S);
    S->g_table = g_table_new(S);
    g_params_ok = S->P_table != NULL && S->g_table != NULL;
}

const sk_params *sk_params_get(void)
{
    pthread_once(&g_params_once, params_init);
    return g_params_ok ? &g_params : NULL;
}

/* ---- points ---- */

/* y^2 == x^3 - 3x (Montgomery form); all-ones mask when on the curve */
static uint64_t on_curve_mask(const sk_affine *pt, const sk_params *S)
{
    sk_fp lhs, rhs, t;
    sk_sqr(lhs, pt->y, S);
    sk_sqr(t, pt->x, S);
    sk_sub(t, t, S->three, S); /* x^2 - 3 */
    sk_mul(rhs, t, pt->x, S);
    return mcgk_limbs_eq_mask(lhs, rhs, SK_N);
}

mcgk_err sk_point_decode(sk_affine *pt, const uint8_t *in, size_t len, const sk_params *S)
{
    if (len != 257)
        return MCGK_ERR_LENGTH;
    if (in[0] != 0x04)
        return MCGK_ERR_POINT_FORMAT;
    uint64_t x[SK_N], y[SK_N];
    mcgk_limbs_from_be(x, SK_N, in + 1, 128);
    mcgk_limbs_from_be(y, SK_N, in + 129, 128);
    /* the point may be secret (an RSK): only the verdicts are released */
    if (!mcgk_ct_declassify64(mcgk_limbs_lt_mask(x, S->p.m, SK_N) &
                              mcgk_limbs_lt_mask(y, S->p.m, SK_N)))
        return MCGK_ERR_POINT_RANGE;
    if (mcgk_ct_declassify64(mcgk_limbs_zero_mask(x, SK_N) & mcgk_limbs_zero_mask(y, SK_N)))
        return MCGK_ERR_POINT_INFINITY;
    sk_affine t;
    mcgk_mont_to(t.x, x, &S->p);
    mcgk_mont_to(t.y, y, &S->p);
    if (!mcgk_ct_declassify64(on_curve_mask(&t, S)))
        return MCGK_ERR_POINT_NOT_ON_CURVE;
    *pt = t;
    return MCGK_OK;
}

void sk_point_encode(uint8_t out[257], const sk_affine *pt, const sk_params *S)
{
    uint64_t t[SK_N];
    out[0] = 0x04;
    mcgk_mont_from(t, pt->x, &S->p);
    mcgk_limbs_to_be(out + 1, 128, t, SK_N);
    mcgk_mont_from(t, pt->y, &S->p);
    mcgk_limbs_to_be(out + 129, 128, t, SK_N);
    mcgk_wipe(t, sizeof t);
}

void sk_jac_from_affine(sk_jac *r, const sk_affine *a, const sk_params *S)
{
    memcpy(r->X, a->x, sizeof r->X);
    memcpy(r->Y, a->y, sizeof r->Y);
    memcpy(r->Z, S->p.one, sizeof r->Z);
}

void sk_jac_to_affine_with_zinv(sk_affine *r, const sk_jac *a, const uint64_t *zinv,
                                const sk_params *S)
{
    sk_fp z2, z3;
    sk_sqr(z2, zinv, S);
    sk_mul(z3, z2, zinv, S);
    sk_mul(r->x, a->X, z2, S);
    sk_mul(r->y, a->Y, z3, S);
}

/*
 * dbl-2001-b (a = -3): 3M + 5S. When line != NULL also the tangent at a,
 * evaluated at psi(Q) = (-Qx, i Qy) and scaled by 2YZ^3 (an F_p factor, which
 * PF_p ignores; RFC 6508 §3.2): (A Qx + B) + i C Qy with
 * A = alpha Z^2, B = alpha X - 2Y^2, C = Z3 Z^2 (alpha = 3(X^2 - Z^4)).
 */
void sk_jac_double_line(sk_jac *r, const sk_jac *a, uint64_t *line, const sk_params *S)
{
    sk_fp delta, gamma, beta, alpha, t1, t2;
    sk_sqr(delta, a->Z, S);
    sk_sqr(gamma, a->Y, S);
    sk_mul(beta, a->X, gamma, S);
    sk_sub(t1, a->X, delta, S);
    sk_add(t2, a->X, delta, S);
    sk_mul(alpha, t1, t2, S);
    sk_add(t1, alpha, alpha, S);
    sk_add(alpha, t1, alpha, S); /* alpha = 3(X - delta)(X + delta) */
    if (line != NULL) {
        sk_mul(line, alpha, delta, S);
        sk_mul(t1, alpha, a->X, S);
        sk_add(t2, gamma, gamma, S);
        sk_sub(line + SK_N, t1, t2, S);
    }
    /* Z3 = (Y + Z)^2 - gamma - delta (= 2YZ) */
    sk_add(t1, a->Y, a->Z, S);
    sk_sqr(t1, t1, S);
    sk_sub(t1, t1, gamma, S);
    sk_sub(r->Z, t1, delta, S);
    if (line != NULL)
        sk_mul(line + 2 * SK_N, r->Z, delta, S);
    /* X3 = alpha^2 - 8 beta */
    sk_add(beta, beta, beta, S);
    sk_add(beta, beta, beta, S); /* 4 beta */
    sk_add(t2, beta, beta, S);   /* 8 beta */
    sk_sqr(t1, alpha, S);
    sk_sub(r->X, t1, t2, S);
    /* Y3 = alpha (4 beta - X3) - 8 gamma^2 */
    sk_sub(t1, beta, r->X, S);
    sk_mul(t1, alpha, t1, S);
    sk_sqr(gamma, gamma, S);
    sk_add(gamma, gamma, gamma, S);
    sk_add(gamma, gamma, gamma, S);
    sk_add(gamma, gamma, gamma, S);
    sk_sub(r->Y, t1, gamma, S);
}

void sk_jac_double(sk_jac *r, const sk_jac *a, const sk_params *S)
{
    sk_jac_double_line(r, a, NULL, S);
}

/*
 * madd-2007-bl style with affine b: 7M + 4S. When line != NULL also the line
 * through a and b at psi(Q), scaled by Z3 = Z1 H: (A Qx + B) + i C Qy with
 * A = r, B = r bx - by Z3, C = Z3 (r = S2 - Y1, H = U2 - X1).
 */
void sk_jac_madd_line(sk_jac *r, const sk_jac *a, const sk_affine *b, uint64_t *line,
                      const sk_params *S)
{
    sk_fp z1z1, u2, s2, h, rr, hh, hhh, v, t;
    sk_sqr(z1z1, a->Z, S);
    sk_mul(u2, b->x, z1z1, S);
    sk_mul(t, a->Z, z1z1, S);
    sk_mul(s2, b->y, t, S);
    sk_sub(h, u2, a->X, S);
    sk_sub(rr, s2, a->Y, S);
    sk_sqr(hh, h, S);
    sk_mul(hhh, h, hh, S);
    sk_mul(v, a->X, hh, S);
    sk_mul(r->Z, a->Z, h, S);
    if (line != NULL) {
        memcpy(line, rr, sizeof rr);
        sk_mul(t, rr, b->x, S);
        sk_mul(s2, b->y, r->Z, S);
        sk_sub(line + SK_N, t, s2, S);
        memcpy(line + 2 * SK_N, r->Z, sizeof rr);
    }
    sk_sqr(t, rr, S);
    sk_sub(t, t, hhh, S);
    sk_sub(t, t, v, S);
    sk_sub(t, t, v, S); /* X3 = r^2 - HHH - 2V */
    sk_sub(v, v, t, S);
    sk_mul(v, rr, v, S);
    sk_mul(hhh, a->Y, hhh, S);
    memcpy(r->X, t, sizeof t);
    sk_sub(r->Y, v, hhh, S);
}

void sk_jac_madd(sk_jac *r, const sk_jac *a, const sk_affine *b, const sk_params *S)
{
    sk_jac_madd_line(r, a, b, NULL, S);
}

/* add-2007-bl, general Jacobian (tables only) */
void sk_jac_add(sk_jac *r, const sk_jac *a, const sk_jac *b, const sk_params *S)
{
    sk_fp z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    sk_sqr(z1z1, a->Z, S);
    sk_sqr(z2z2, b->Z, S);
    sk_mul(u1, a->X, z2z2, S);
    sk_mul(u2, b->X, z1z1, S);
    sk_mul(t, b->Z, z2z2, S);
    sk_mul(s1, a->Y, t, S);
    sk_mul(t, a->Z, z1z1, S);
    sk_mul(s2, b->Y, t, S);
    sk_sub(h, u2, u1, S);
    sk_add(i, h, h, S);
    sk_sqr(i, i, S);
    sk_mul(j, h, i, S);
    sk_sub(rr, s2, s1, S);
    sk_add(rr, rr, rr, S);
    sk_mul(v, u1, i, S);
    sk_fp x3;
    sk_sqr(x3, rr, S);
    sk_sub(x3, x3, j, S);
    sk_sub(x3, x3, v, S);
    sk_sub(x3, x3, v, S);
    sk_sub(t, v, x3, S);
    sk_mul(t, rr, t, S);
    sk_mul(s1, s1, j, S);
    sk_add(s1, s1, s1, S);
    sk_sub(r->Y, t, s1, S);
    sk_add(t, a->Z, b->Z, S);
    sk_sqr(t, t, S);
    sk_sub(t, t, z1z1, S);
    sk_sub(t, t, z2z2, S);
    sk_mul(r->Z, t, h, S);
    memcpy(r->X, x3, sizeof x3);
}

/* ---- fixed-base tables ---- */

sk_fb_table *sk_fb_table_new(const sk_affine *B, const sk_params *S)
{
    const size_t cnt = (size_t)SK_WINDOWS * SK_WIN_ENTRIES;
    sk_fb_table *T = malloc(sizeof *T);
    sk_jac *jac = malloc(cnt * sizeof *jac);
    uint64_t *zs = malloc(cnt * SK_N * 8);
    uint64_t *tmp = malloc(cnt * SK_N * 8);
    if (T == NULL || jac == NULL || zs == NULL || tmp == NULL) {
        free(T);
        free(jac);
        free(zs);
        free(tmp);
        return NULL;
    }
    sk_jac base;
    sk_jac_from_affine(&base, B, S);
    for (size_t i = 0; i < SK_WINDOWS; i++) {
        sk_jac *row = jac + i * SK_WIN_ENTRIES;
        row[0] = base;
        sk_jac_double(&row[1], &base, S);
        for (size_t d = 2; d < SK_WIN_ENTRIES; d++)
            sk_jac_add(&row[d], &row[d - 1], &base, S);
        /* next base = 64 * base = 2 * (32 * base) */
        sk_jac_double(&base, &row[SK_WIN_ENTRIES - 1], S);
    }
    for (size_t k = 0; k < cnt; k++)
        memcpy(zs + k * SK_N, jac[k].Z, SK_N * 8);
    mcgk_mont_inv_batch(zs, cnt, tmp, &S->p);
    for (size_t k = 0; k < cnt; k++)
        sk_jac_to_affine_with_zinv(&T->t[k / SK_WIN_ENTRIES][k % SK_WIN_ENTRIES], &jac[k],
                                   zs + k * SK_N, S);
    free(jac);
    free(zs);
    free(tmp);
    return T;
}

/*
 * Signed 6-bit digits of a scalar k < 2^1022 (regular recoding): window i
 * holds v = bits + carry in [0, 64]; d = v - 64c with c = (v + 32) >> 6, so
 * d is in [-32, 31] and the sum of d_i 64^i is k. Branch-free in k.
 */
static void recode_signed(int64_t d[SK_WINDOWS], const uint64_t *k)
{
    uint64_t c = 0;
    for (size_t i = 0; i < SK_WINDOWS; i++) {
        size_t bit = i * SK_WIN_BITS, limb = bit / 64, off = bit % 64;
        uint64_t w = k[limb] >> off;
        if (off > 64 - SK_WIN_BITS && limb + 1 < SK_N) /* public positions */
            w |= k[limb + 1] << (64 - off);
        uint64_t v = (w & 63) + c;
        c = (v + 32) >> 6;
        d[i] = (int64_t)v - (int64_t)(c << 6);
    }
}

/*
 * Masked scan of one window row for digit d: sel = sign(d) * row[|d| - 1],
 * garbage-free zero point when d == 0 (then the caller keeps acc).
 */
static void fb_select(sk_affine *sel, const sk_affine *row, int64_t d, const sk_params *S)
{
    uint64_t neg = (uint64_t)(d >> 63); /* all-ones when d < 0 */
    uint64_t mag = ((uint64_t)d ^ neg) - neg;
    memset(sel, 0, sizeof *sel);
    for (uint64_t e = 0; e < SK_WIN_ENTRIES; e++) {
        uint64_t m = mcgk_ct_eq_mask64(mag, e + 1);
        mcgk_ct_cmov64(sel->x, row[e].x, SK_N, m);
        mcgk_ct_cmov64(sel->y, row[e].y, SK_N, m);
    }
    sk_fp ny;
    mcgk_mont_neg(ny, sel->y, &S->p);
    mcgk_ct_cmov64(sel->y, ny, SK_N, neg);
}

static void fb_accumulate(sk_jac *acc, uint64_t *inf, const sk_affine *row, int64_t d,
                          const sk_params *S)
{
    sk_affine sel;
    sk_jac sum, fresh;
    fb_select(&sel, row, d, S);
    sk_jac_madd(&sum, acc, &sel, S);
    sk_jac_from_affine(&fresh, &sel, S);
    uint64_t nz = mcgk_ct_nonzero_mask64((uint64_t)d);
    /* acc = nz ? (inf ? fresh : sum) : acc */
    mcgk_ct_cmov64(sum.X, fresh.X, SK_N, *inf);
    mcgk_ct_cmov64(sum.Y, fresh.Y, SK_N, *inf);
    mcgk_ct_cmov64(sum.Z, fresh.Z, SK_N, *inf);
    mcgk_ct_cmov64(acc->X, sum.X, SK_N, nz);
    mcgk_ct_cmov64(acc->Y, sum.Y, SK_N, nz);
    mcgk_ct_cmov64(acc->Z, sum.Z, SK_N, nz);
    *inf &= ~nz;
    mcgk_wipe(&sel, sizeof sel);
    mcgk_wipe(&sum, sizeof sum);
    mcgk_wipe(&fresh, sizeof fresh);
}

uint64_t sk_fb_mul2(sk_jac *acc, const sk_fb_table *T1, const uint64_t *k1, const sk_fb_table *T2,
                    const uint64_t *k2, const sk_params *S)
{
    int64_t d1[SK_WINDOWS], d2[SK_WINDOWS];
    uint64_t inf = ~(uint64_t)0;
    memset(acc, 0, sizeof *acc);
    memcpy(acc->X, S->p.one, SK_N * 8);
    memcpy(acc->Y, S->p.one, SK_N * 8);
    recode_signed(d1, k1);
    if (T2 != NULL)
        recode_signed(d2, k2);
    /*
     * Low windows first. The partial sum of one table before window i has
     * absolute value below 64^i while the entry added is at least 64^i, so
     * they never coincide as integers; a coincidence mod q (a doubling the
     * mixed addition cannot do) needs the scalar to hit one of a handful of
     * values near the top window: probability ~2^-1000 for the secret,
     * hash-derived or random scalars used here.
     */
    for (size_t i = 0; i < SK_WINDOWS; i++) {
        fb_accumulate(acc, &inf, T1->t[i], d1[i], S);
        if (T2 != NULL)
            fb_accumulate(acc, &inf, T2->t[i], d2[i], S);
    }
    mcgk_wipe(d1, sizeof d1);
    mcgk_wipe(d2, sizeof d2);
    return inf;
}

/* ---- g in PF_p ---- */

/* (a1 + i a2)(b1 + i b2), Karatsuba: 3M */
static void fp2_mul(uint64_t *r1, uint64_t *r2, const uint64_t *a1, const uint64_t *a2,
                    const uint64_t *b1, const uint64_t *b2, const sk_params *S)
{
    sk_fp t1, t2, t3, t4;
    sk_mul(t1, a1, b1, S);
    sk_mul(t2, a2, b2, S);
    sk_add(t3, a1, a2, S);
    sk_add(t4, b1, b2, S);
    sk_mul(t3, t3, t4, S);
    sk_sub(r1, t1, t2, S);
    sk_sub(t3, t3, t1, S);
    sk_sub(r2, t3, t2, S);
}

static sk_g_table *g_table_new(const sk_params *S)
{
    const size_t cnt = (size_t)SK_G_WINDOWS * 15;
    sk_g_table *G = malloc(sizeof *G);
    uint64_t *x1 = malloc(cnt * SK_N * 8);
    uint64_t *x2 = malloc(cnt * SK_N * 8);
    uint64_t *tmp = malloc(cnt * SK_N * 8);
    if (G == NULL || x1 == NULL || x2 == NULL || tmp == NULL) {
        free(G);
        free(x1);
        free(x2);
        free(tmp);
        return NULL;
    }
    sk_fp b1, b2; /* base_i = (1, g)^(16^i) */
    memcpy(b1, S->p.one, sizeof b1);
    memcpy(b2, S->g, sizeof b2);
    for (size_t i = 0; i < SK_G_WINDOWS; i++) {
        uint64_t *r1 = x1 + i * 15 * SK_N, *r2 = x2 + i * 15 * SK_N;
        memcpy(r1, b1, sizeof b1);
        memcpy(r2, b2, sizeof b2);
        for (size_t d = 1; d < 15; d++)
            fp2_mul(r1 + d * SK_N, r2 + d * SK_N, r1 + (d - 1) * SK_N, r2 + (d - 1) * SK_N, b1, b2,
                    S);
        fp2_mul(b1, b2, r1 + 14 * SK_N, r2 + 14 * SK_N, b1, b2, S);
    }
    mcgk_mont_inv_batch(x1, cnt, tmp, &S->p);
    for (size_t i = 0; i < SK_G_WINDOWS; i++) {
        memset(G->s[i][0], 0, sizeof G->s[i][0]);
        for (size_t d = 1; d < 16; d++) {
            size_t k = i * 15 + d - 1;
            sk_mul(G->s[i][d], x2 + k * SK_N, x1 + k * SK_N, S);
        }
    }
    free(x1);
    free(x2);
    free(tmp);
    return G;
}

void sk_g_pow(uint64_t *x1, uint64_t *x2, const uint64_t *k, const sk_params *S)
{
    sk_fp s, t1, t2;
    memcpy(x1, S->p.one, SK_N * 8);
    memset(x2, 0, SK_N * 8);
    for (size_t i = 0; i < SK_G_WINDOWS; i++) {
        uint64_t d = (k[i / 16] >> (4 * (i % 16))) & 15;
        memset(s, 0, sizeof s);
        for (uint64_t e = 1; e < 16; e++)
            mcgk_ct_cmov64(s, S->g_table->s[i][e], SK_N, mcgk_ct_eq_mask64(d, e));
        /* (x1 + i x2)(1 + i s) = (x1 - x2 s) + i (x2 + x1 s) */
        sk_mul(t1, x2, s, S);
        sk_mul(t2, x1, s, S);
        sk_sub(x1, x1, t1, S);
        sk_add(x2, x2, t2, S);
    }
    mcgk_wipe(s, sizeof s);
    mcgk_wipe(t1, sizeof t1);
    mcgk_wipe(t2, sizeof t2);
}
