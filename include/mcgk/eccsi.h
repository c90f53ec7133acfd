/*
 * mcgk/eccsi.h - ECCSI signatures (RFC 6507) over NIST P-256 with SHA-256,
 * as profiled by RFC 6509 / TS 33.180.
 *
 * Encodings (RFC 6507 §3): scalars 32 octets big-endian; points 65 octets
 * 0x04||x||y; signature r||s||PVT, 129 octets. The identifier `id` is an
 * opaque octet string (in 3GPP the 32-octet UID of TS 33.180 F.2.1).
 * A received point fails with MCGK_ERR_POINT_INFINITY (65 zero octets, or
 * x = y = 0), MCGK_ERR_POINT_FORMAT (first octet not 0x04),
 * MCGK_ERR_POINT_RANGE (x or y >= p) or MCGK_ERR_POINT_NOT_ON_CURVE.
 * Outputs are written only on success.
 *
 * Secrets: KSAK, SSK, v and j. Every function that touches them runs in
 * time independent of their values (checked by tests/ct/ctgrind) and wipes
 * its temporaries. Verification and validation of public values may take
 * variable time.
 */
#ifndef MCGK_ECCSI_H
#define MCGK_ECCSI_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_ECCSI_SCALAR_LEN 32
#define MCGK_ECCSI_POINT_LEN 65
#define MCGK_ECCSI_HASH_LEN 32
#define MCGK_ECCSI_SIG_LEN 129
#define MCGK_ECCSI_ID_MAX_LEN 1024

/*
 * KMS: draw KSAK uniformly in [1, q-1] (rejection sampling of 32-octet draws)
 * and compute KPAK = [KSAK]G. Returns MCGK_OK, MCGK_ERR_INVALID_ARG,
 * MCGK_ERR_RNG (the RNG failed, or 64 draws in a row were out of range).
 */
mcgk_err mcgk_eccsi_kms_keygen(const mcgk_rng *rng, uint8_t ksak[MCGK_ECCSI_SCALAR_LEN],
                               uint8_t kpak[MCGK_ECCSI_POINT_LEN]);

/*
 * KPAK = [KSAK]G. Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_SCALAR_RANGE.
 */
mcgk_err mcgk_eccsi_kpak_from_ksak(const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN],
                                   uint8_t kpak[MCGK_ECCSI_POINT_LEN]);

/*
 * KMS: issue (SSK, PVT) for `id` (RFC 6507 §5.1.1). v is drawn from rng
 * (rejection sampling into [1, q-1]; retried while SSK == 0 or HS = 0 mod q).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_RNG, MCGK_ERR_SCALAR_RANGE
 * (bad KSAK), MCGK_ERR_IDENTITY (empty or > MCGK_ECCSI_ID_MAX_LEN id).
 */
mcgk_err mcgk_eccsi_issue(const uint8_t ksak[MCGK_ECCSI_SCALAR_LEN], const uint8_t *id,
                          size_t id_len, const mcgk_rng *rng,
                          uint8_t ssk[MCGK_ECCSI_SCALAR_LEN], uint8_t pvt[MCGK_ECCSI_POINT_LEN]);

/*
 * Check a received public point (e.g. a partner KMS's KPAK): 0x04 form,
 * coordinates below p, on the curve, not infinity. Public data, variable time.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_POINT_FORMAT,
 * MCGK_ERR_POINT_RANGE, MCGK_ERR_POINT_NOT_ON_CURVE, MCGK_ERR_POINT_INFINITY.
 */
mcgk_err mcgk_eccsi_point_check(const uint8_t pt[MCGK_ECCSI_POINT_LEN]);

/*
 * HS = SHA-256(G || KPAK || ID || PVT) (RFC 6507 §5.1.1 step 3). Public data
 * only; the points are hashed as given, not decoded. Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG, MCGK_ERR_IDENTITY (empty or > MCGK_ECCSI_ID_MAX_LEN id).
 */
mcgk_err mcgk_eccsi_hs(const uint8_t kpak[MCGK_ECCSI_POINT_LEN], const uint8_t *id, size_t id_len,
                       const uint8_t pvt[MCGK_ECCSI_POINT_LEN], uint8_t hs[MCGK_ECCSI_HASH_LEN]);

/*
 * Client: validate a received (SSK, PVT) for `id` (RFC 6507 §5.1.2):
 * PVT a valid point, SSK in [1, q-1], [SSK]G == KPAK + [HS]PVT.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_POINT_* (KPAK or PVT),
 * MCGK_ERR_SCALAR_RANGE, MCGK_ERR_IDENTITY, MCGK_ERR_SSK_INVALID.
 */
mcgk_err mcgk_eccsi_validate_ssk(const uint8_t kpak[MCGK_ECCSI_POINT_LEN], const uint8_t *id,
                                 size_t id_len, const uint8_t ssk[MCGK_ECCSI_SCALAR_LEN],
                                 const uint8_t pvt[MCGK_ECCSI_POINT_LEN]);

/*
 * A signer: SSK, PVT and the cached HS of one identity. Caller-allocated;
 * mcgk_eccsi_signer_init validates the key set (same codes as
 * mcgk_eccsi_validate_ssk, plus MCGK_ERR_INVALID_ARG for a NULL signer) and
 * leaves the signer untouched on failure; mcgk_eccsi_signer_clear wipes it
 * (NULL is allowed).
 */
typedef struct mcgk_eccsi_signer {
    uint8_t ssk[MCGK_ECCSI_SCALAR_LEN]; /* secret */
    uint8_t pvt[MCGK_ECCSI_POINT_LEN];
    uint8_t hs[MCGK_ECCSI_HASH_LEN];
} mcgk_eccsi_signer;

mcgk_err mcgk_eccsi_signer_init(mcgk_eccsi_signer *signer, const uint8_t kpak[MCGK_ECCSI_POINT_LEN],
                                const uint8_t *id, size_t id_len,
                                const uint8_t ssk[MCGK_ECCSI_SCALAR_LEN],
                                const uint8_t pvt[MCGK_ECCSI_POINT_LEN]);
void mcgk_eccsi_signer_clear(mcgk_eccsi_signer *signer);

/*
 * Sign msg (RFC 6507 §5.2.1). j is drawn from rng in [1, q-1] (32 octets per
 * draw, rejection sampling); a new j is drawn when HE + r*SSK = 0 mod q or
 * r = 0. s = s' (no low-s normalisation: q < 2^256, RFC 6507 §5.2.1 step 6).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG (also for a signer whose SSK is not
 * in [1, q-1], e.g. one that was cleared or never initialised), MCGK_ERR_RNG
 * (the RNG failed, or 64 draws in a row were unusable). sig is untouched on
 * error.
 */
mcgk_err mcgk_eccsi_sign(const mcgk_eccsi_signer *signer, const uint8_t *msg, size_t msg_len,
                         const mcgk_rng *rng, uint8_t sig[MCGK_ECCSI_SIG_LEN]);

/*
 * Verify sig over msg by `id` under KPAK (RFC 6507 §5.2.2). Variable time
 * (public data). Besides the RFC's checks it requires 1 <= r < p and
 * 1 <= s < q. msg may be NULL when msg_len is 0. Returns MCGK_OK,
 * MCGK_ERR_INVALID_ARG, MCGK_ERR_IDENTITY, MCGK_ERR_POINT_* (KPAK, or the
 * PVT inside sig, checked in that order), MCGK_ERR_SIGNATURE (any failing
 * check on r, s or the equation).
 */
mcgk_err mcgk_eccsi_verify(const uint8_t kpak[MCGK_ECCSI_POINT_LEN], const uint8_t *id,
                           size_t id_len, const uint8_t *msg, size_t msg_len,
                           const uint8_t sig[MCGK_ECCSI_SIG_LEN]);

#ifdef __cplusplus
}
#endif
#endif
