/*
 * libFuzzer target for the ProSe GSK message receiver (src/mikey/gsk_open.c,
 * kemac.c, replay.c through it, the codec underneath). Seed corpus:
 * fuzz/corpus/gsk_open/ - messages built with the keys below: unsigned, with
 * an initiator URI, signed, signed with an SP, under the second GMK, and the
 * base64 and SDP forms of one of them.
 *
 * Every input (binary, or unwrapped from base64 / SDP first) is opened by two
 * members that hold the GMKs the seeds were built under, so inputs near a
 * valid message reach the MAC, the decryption, the Key data and the
 * signature checks:
 *   - member A: unsigned messages accepted, a replay cache; each input is
 *     opened twice, the second time it must be a replay when the first was
 *     accepted;
 *   - member B: a signature required.
 * The initiator's KMS (KPAK from the fixed KSAK below) is trusted for every
 * initiator. Properties (abort = finding): the outcome is MCGK_OK or a code of
 * the documented set, with a detail; a rejection leaves the result untouched;
 * an accepted result is consistent (a held GMK-ID, a TGK, RAND >= 16 octets,
 * signed when B accepted it, the CSB ID and RAND those of the input, which
 * re-encodes octet for octet). ASan/UBSan/LSan watch memory. The keys here
 * are public test values.
 */
#include <stdlib.h>
#include <string.h>

#include "mcgk/gsk_message.h"
#include "mcgk/mikey.h"

#define NOW 1800000000ull
#define KMS_URI "kms.fuzz.example"
#define PERIOD_S 2592000

static const uint8_t k_gmk[2][16] = {
    {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
     0xff},
    {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e,
     0x0f}};
static const uint32_t k_gmk_id[2] = {0x0a1b2c3du, 0x01020304u};
static uint8_t g_kpak[MCGK_ECCSI_POINT_LEN];
static mcgk_gmk_kms g_kms;
static mcgk_replay_entry g_entries[8];
static mcgk_replay_cache g_cache;
static mcgk_gsk_open_cfg g_a, g_b;

static int lookup(void *ctx, unsigned purpose, uint32_t key_id, uint8_t key[16])
{
    (void)ctx;
    if (purpose != MCGK_PURPOSE_GMK)
        abort();
    for (int i = 0; i < 2; i++)
        if (k_gmk_id[i] == key_id) {
            memcpy(key, k_gmk[i], 16);
            return 1;
        }
    return 0;
}

static const mcgk_gmk_kms *signer_kms(void *ctx, const char *uri, const char *kms_uri)
{
    (void)ctx;
    if (uri == NULL || kms_uri == NULL || strlen(uri) == 0)
        abort(); /* a signed message always names its initiator */
    return &g_kms;
}

static void init_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    uint8_t ksak[MCGK_ECCSI_SCALAR_LEN];
    memset(ksak, 0x2a, sizeof ksak); /* the seeds' KMS: KSAK = 2a2a..2a */
    if (mcgk_eccsi_kpak_from_ksak(ksak, g_kpak) != MCGK_OK)
        abort();
    g_kms.kms_uri = KMS_URI;
    g_kms.period_s = PERIOD_S;
    g_kms.offset_s = 0;
    g_kms.kpak = g_kpak;
    g_kms.community = NULL;
    mcgk_replay_cache_init(&g_cache, g_entries, sizeof g_entries / sizeof g_entries[0]);
    mcgk_gsk_open_cfg_init(&g_a);
    g_a.lookup = lookup;
    g_a.signer_kms = signer_kms;
    g_a.replay = &g_cache;
    g_b = g_a;
    g_b.replay = NULL;
    g_b.require_signature = 1;
}

static int documented(mcgk_err e)
{
    switch (e) {
    case MCGK_ERR_TRUNCATED:
    case MCGK_ERR_TRAILING_DATA:
    case MCGK_ERR_OVERSIZED:
    case MCGK_ERR_UNSUPPORTED:
    case MCGK_ERR_MALFORMED:
    case MCGK_ERR_MIKEY_VERSION:
    case MCGK_ERR_MIKEY_PAYLOAD_TYPE:
    case MCGK_ERR_MIKEY_CS_MAP:
    case MCGK_ERR_MIKEY_PROFILE:
    case MCGK_ERR_UNSIGNED:
    case MCGK_ERR_TIMESTAMP:
    case MCGK_ERR_REPLAY:
    case MCGK_ERR_KEY_PURPOSE:
    case MCGK_ERR_UNKNOWN_KEY_ID:
    case MCGK_ERR_MAC:
    case MCGK_ERR_KEY_DATA:
    case MCGK_ERR_UNKNOWN_KMS:
    case MCGK_ERR_SIGNATURE:
    case MCGK_ERR_IDENTITY:
        return 1;
    default:
        return 0;
    }
}

/* Returns 1 when accepted. */
static int open_with(const mcgk_gsk_open_cfg *cfg, const uint8_t *msg, size_t len)
{
    static mcgk_gsk_result r, guard;
    static mcgk_mikey_msg m;
    static uint8_t again[MCGK_MIKEY_MAX_MSG_LEN];
    memset(&guard, 0x5A, sizeof guard);
    r = guard;
    mcgk_err d = MCGK_OK;
    mcgk_err e = mcgk_gsk_open(cfg, msg, len, NOW, &r, &d);
    if (e != MCGK_OK) {
        if (!documented(e) || d == MCGK_OK || memcmp(&r, &guard, sizeof r) != 0)
            abort();
        return 0;
    }
    size_t n = 0;
    if (d != MCGK_OK || (r.gmk_id != k_gmk_id[0] && r.gmk_id != k_gmk_id[1]) ||
        r.key_type != MCGK_MIKEY_KD_TGK || r.rand_len < MCGK_GSK_RAND_LEN ||
        (cfg->require_signature && !r.is_signed) ||
        (r.is_signed && r.initiator_uri[0] == '\0') ||
        mcgk_mikey_parse(msg, len, &m, NULL) != MCGK_OK || m.hdr.csb_id != r.csb_id ||
        memcmp(mcgk_mikey_find(&m, MCGK_MIKEY_PT_RAND, NULL)->u.rand.data, r.rand,
               r.rand_len) != 0 ||
        mcgk_mikey_encode(&m, again, sizeof again, &n, NULL) != MCGK_OK || n != len ||
        memcmp(again, msg, len) != 0)
        abort();
    mcgk_gsk_result_clear(&r);
    return 1;
}

static void open_all(const uint8_t *msg, size_t len)
{
    g_cache.n = 0; /* the same message may come back: a replay only within one input */
    g_cache.floor_ntp_s = 0;
    if (open_with(&g_a, msg, len)) {
        static mcgk_gsk_result r;
        if (mcgk_gsk_open(&g_a, msg, len, NOW, &r, NULL) != MCGK_ERR_REPLAY)
            abort();
    }
    (void)open_with(&g_b, msg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    if (size > 0 && data[0] != MCGK_MIKEY_VERSION) {
        /* base64 / SDP forms first */
        static uint8_t bin[MCGK_MIKEY_MAX_MSG_LEN];
        size_t n = 0;
        if (mcgk_mikey_unwrap(data, size, bin, sizeof bin, &n) == MCGK_OK)
            open_all(bin, n);
        return 0;
    }
    open_all(data, size);
    return 0;
}
