/*
 * mcgk/sakke.h - SAKKE key encapsulation (RFC 6508) with parameter set 1
 * of RFC 6509 (p 1024 bits, q 1022 bits, SSV 128 bits, SHA-256).
 *
 * Encodings (RFC 6508 §4): F_p elements and the KMS secret z 128 octets
 * big-endian; points 257 octets 0x04||x||y; SSV 16 octets; encapsulated data
 * R||H, 273 octets. The identifier `id` is an octet string read as a
 * big-endian integer (in 3GPP the 32-octet UID of TS 33.180 F.2.1).
 *
 * Secrets: z, RSK, SSV, r and g^r. Everything that touches them runs in
 * constant time (tests/ct/) and wipes temporaries.
 *
 * Precomputation (the hot paths): a community (mcgk_sakke_community) holds
 * the KMS public key Z with fixed-base tables for P and Z, shared by every
 * encapsulation to that community. A receiver (mcgk_sakke_receiver) holds a
 * validated RSK with its Miller-loop lines, computed once per key period.
 */
#ifndef MCGK_SAKKE_H
#define MCGK_SAKKE_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCGK_SAKKE_FP_LEN 128
#define MCGK_SAKKE_POINT_LEN 257
#define MCGK_SAKKE_SSV_LEN 16
#define MCGK_SAKKE_ENCAP_LEN 273
#define MCGK_SAKKE_ID_MAX_LEN 128

/*
 * KMS: draw z uniformly in [2, q-1], Z = [z]P.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_RNG.
 */
mcgk_err mcgk_sakke_kms_keygen(const mcgk_rng *rng, uint8_t z[MCGK_SAKKE_FP_LEN],
                               uint8_t Z[MCGK_SAKKE_POINT_LEN]);

/*
 * Z = [z]P for a z of z_len <= 128 octets (big-endian; RFC vectors use 20).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_LENGTH, MCGK_ERR_SCALAR_RANGE.
 */
mcgk_err mcgk_sakke_public_from_secret(const uint8_t *z, size_t z_len,
                                       uint8_t Z[MCGK_SAKKE_POINT_LEN]);

/*
 * KMS: RSK = [(a + z)^-1 mod q]P (RFC 6508 §6.1.1).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_LENGTH, MCGK_ERR_SCALAR_RANGE,
 * MCGK_ERR_IDENTITY (empty/too long id, or a + z = 0 mod q).
 */
mcgk_err mcgk_sakke_rsk_issue(const uint8_t *z, size_t z_len, const uint8_t *id, size_t id_len,
                              uint8_t rsk[MCGK_SAKKE_POINT_LEN]);

/*
 * Check a received point of the SAKKE curve (e.g. a partner KMS's Z) without
 * building tables. Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY,
 * MCGK_ERR_POINT_FORMAT, _POINT_RANGE, _POINT_NOT_ON_CURVE, _POINT_INFINITY.
 */
mcgk_err mcgk_sakke_point_check(const uint8_t pt[MCGK_SAKKE_POINT_LEN]);

/* A community: Z plus fixed-base tables. Opaque; free wipes nothing secret. */
typedef struct mcgk_sakke_community mcgk_sakke_community;

/*
 * Decode and check Z (valid point, not infinity) and build the tables.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY, MCGK_ERR_LENGTH,
 * MCGK_ERR_POINT_FORMAT, MCGK_ERR_POINT_RANGE, MCGK_ERR_POINT_NOT_ON_CURVE.
 */
mcgk_err mcgk_sakke_community_new(const uint8_t Z[MCGK_SAKKE_POINT_LEN],
                                  mcgk_sakke_community **out);
void mcgk_sakke_community_free(mcgk_sakke_community *c);

/*
 * Encapsulate ssv to `id` (RFC 6508 §6.2.1): r = HashToIntegerRange(SSV||b, q),
 * R = [r*b mod q]P + [r]Z, H = SSV xor HashToIntegerRange(g^r, 2^128).
 * Deterministic for a given SSV. Returns MCGK_OK, MCGK_ERR_INVALID_ARG,
 * MCGK_ERR_IDENTITY; MCGK_ERR_SCALAR_RANGE when r = 0 (pick another SSV).
 */
mcgk_err mcgk_sakke_encapsulate(const mcgk_sakke_community *c, const uint8_t *id, size_t id_len,
                                const uint8_t ssv[MCGK_SAKKE_SSV_LEN],
                                uint8_t encap[MCGK_SAKKE_ENCAP_LEN]);

/* A receiver: own id and a validated RSK with its Miller lines. Opaque; free wipes. */
typedef struct mcgk_sakke_receiver mcgk_sakke_receiver;

/*
 * Validate rsk for id (RFC 6508 §6.1.2: a valid point and <[a]P+Z, RSK> == g)
 * and precompute the receiver's pairing lines. The community must outlive it.
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_NO_MEMORY, MCGK_ERR_IDENTITY,
 * MCGK_ERR_LENGTH, MCGK_ERR_POINT_*, MCGK_ERR_RSK_INVALID.
 */
mcgk_err mcgk_sakke_receiver_new(const mcgk_sakke_community *c, const uint8_t *id, size_t id_len,
                                 const uint8_t rsk[MCGK_SAKKE_POINT_LEN],
                                 mcgk_sakke_receiver **out);
void mcgk_sakke_receiver_free(mcgk_sakke_receiver *r);

/* Validate only (builds and frees a receiver). Same codes as mcgk_sakke_receiver_new. */
mcgk_err mcgk_sakke_rsk_validate(const mcgk_sakke_community *c, const uint8_t *id, size_t id_len,
                                 const uint8_t rsk[MCGK_SAKKE_POINT_LEN]);

/*
 * Decapsulate (RFC 6508 §6.2.2) with the TEST re-check of R. On failure ssv
 * is left zeroed. Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_POINT_*
 * (R malformed), MCGK_ERR_DECAPSULATE (TEST failed).
 */
mcgk_err mcgk_sakke_decapsulate(const mcgk_sakke_receiver *r,
                                const uint8_t encap[MCGK_SAKKE_ENCAP_LEN],
                                uint8_t ssv[MCGK_SAKKE_SSV_LEN]);

/*
 * HashToIntegerRange(s, n) of RFC 6508 §5.1 with SHA-256, for n = 2^128:
 * the 16-octet mask. Exposed for vectors and diagnostics.
 */
mcgk_err mcgk_sakke_hash_to_mask(const uint8_t *s, size_t s_len, uint8_t mask[MCGK_SAKKE_SSV_LEN]);

#ifdef __cplusplus
}
#endif
#endif
