/*
 * libFuzzer target for the GMK I_MESSAGE receiver (src/mikey/gmk_open.c,
 * replay.c, key_params.c through it, the codec underneath). Seed corpus:
 * fuzz/corpus/gmk_open/ (the Streamwide and synthetic vector messages and
 * mcgk-built variants: hidden identities with SAKKE-to-self, an empty map
 * without parameters, a revocation).
 *
 * Every input is opened (binary, or unwrapped from base64 / SDP first) by two
 * receivers whose real keys come from the vectors, so that inputs near a
 * valid message reach every step of the checklist:
 *   - Streamwide's Alice (KMS kms.mydev.streamwide.com, period 236), every key
 *     purpose accepted, the legacy cleartext parameters accepted, GMS
 *     gms@streamwide.com authorised;
 *   - the synthetic vector's sip:user@example.org (KMS kms.example.org, period
 *     1388), GMKs only, sip:gms@example.org authorised, with a replay cache.
 * Properties (abort = finding): the outcome is MCGK_OK, MCGK_ERR_REVOKED or a
 * code of the documented set; a rejection leaves the result untouched; an
 * accepted result is self-consistent (the purpose is the CSB ID's tag, the
 * RAND at least 16 octets, the reply confirms). ASan/UBSan/LSan watch memory.
 * The keys here are public test vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "mcgk/gmk_message.h"
#include "mcgk/mikey.h"

/* Streamwide (tests/vectors/streamwide-mikey-sakke.txt) */
static const char sw_Z[] =
    "046fc2cf00fd48467abe7c02f383002fc49b6632bf0f7071d958f1f128154e6fae1f69bb"
    "91691a191a358fe647a3e020d2365d52f81fb3af4ea271654f1a880274c1ae228ac72cc1"
    "5d535394321bd2143cea2619fb3b0c6ce7a5f72714d8ef4d11cb0c991c3376ca31b168b0"
    "1e66021effdbf7920bd66615e6f0d6a1e61c06e72e61b4138738c11bc249a3849e9c4cff"
    "327a7d0d2769c3d97a37f86adfb13baa257e628ce236f40360d3f7b8d95b0e3fcc194176"
    "02d7d6b8928b855eae9129be1f0b87d33e884906dd95a04a8bd61240bad60f9dfada6480"
    "6726f8f08b86343f54046416f5198116e9798c218bcf9ca07d0baa4be50062bfe54e4449"
    "5b6ed59cb6";
static const char sw_kpak[] =
    "0448f9c2c48b50735f6bc70ec6691073243f1e0bd83cc73bb936d61ffcb2d6049a5b297e"
    "8205b29fbd8591cb582d6402add21451ce4beebeaaa7520e93b11cf28f";
static const char sw_alice_uid[] =
    "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4";
static const char sw_alice_rsk[] =
    "0428b44cd6dffd2e7fe73521a5c514738287df177c1ae841ba6f5d72601b9c6bc5509c3f"
    "d800ac1fee833dd81c74ab39d2740a10fba25cd9b0debb25a3da958cf52e35e863d2db37"
    "ea22b318d23d9911d36f585eb110e430123f3cd84d2692a4013bc7f59533e5da2083d8e6"
    "e8b96764eb8e8be599dc2361e7428460b8490200417baa5bac10efaa5262301b3110f6da"
    "9e8bc9c4b62827c3d4f4070a8e341346a326a23f219d2a99298036615956bb85a60cf303"
    "d15d469c1ee837c29cba5dccb28d74e4ba0d83dac9400d72eecb1817cc60127203f1321e"
    "82b7a24f60c07f1804a9895cbb455a94694a5ef627b1c631760295dad53f0eed1714ba52"
    "d5a932bddd";
#define SW_KMS "kms.mydev.streamwide.com"
#define SW_PERIOD 16777215
#define SW_NOW (0xec898da8ull - MCGK_NTP_UNIX_OFFSET_S + 30)

/* synthetic (tests/vectors/synthetic-gmk-imessage.txt) */
static const char syn_Z[] =
    "045958ef1b1679bf099b3a030df255aa6a23c1d8f143d4d23f753e69bd27a832f38cb4ad"
    "53ddef4260b0fe8bb45c4c1ff510effe300367a37b61f701d914aef09724825fa0707d61"
    "a6dff4fbd7273566cdde352a0b04b7c16a78309be640697de747613a5fc195e8b9f32885"
    "2a579db8f99b1d0034479ea9c5595f47c4b2f54ff21508d37514dcf7a8e143a6058c09a6"
    "bf2c9858ca37c258065ae6bf7532bc8b5b63383866e0753c5ac0e72709f8445f2e6178e0"
    "65857e0eda10f68206b63505ed87e534fb2831ff957fb7dc619dae61301eeacc2fda3680"
    "ea4999258a833cea8fc67c6d19487fb449059f26cc8aab655ab58b7cc796e24e9a394095"
    "754f5f8bae";
static const char syn_kpak[] =
    "0450d4670bde75244f28d2838a0d25558a7a72686d4522d4c8273fb6442aebfa93dbdd37"
    "551afd263b5dfd617f3960c65a8c298850ff99f20366dce7d4367217f4";
static const char syn_user_uid[] =
    "3a81fb14c3b1d0fe43c9c577104d55a6d81788bfd2f09743c4557746a5a0353b";
static const char syn_user_rsk[] =
    "0426374381964c068abd86c09f6b773b89a9a75ab18d197ec3e3fb18e154277886f6c483"
    "600b1b2287489feec9433b31fd08055eb7e8949295a587f8b3d53fbd6c84a4731d569a24"
    "9a298d26d9b4e64653afb20898f777f853a76b6f35790fcbf9841fbce972c511e9dd84a4"
    "e64f14e8203e1a1877a7bfe84c03911e9f1491bda8221524c3e159c8eaff147ff9df6096"
    "b701452b88d1caf06421db330c69b67accf75f50128128e69e7ece01cd9ebd01c017ecab"
    "2372440431852024d46510c68d71c3241d52c0cb1d11384cb3fbfef3cdf541417f0e1227"
    "d733e145b9ce28b8400c815b41adac7e56665081d7175adb02e039f6201404d9d88d476d"
    "490162cd4e";
#define SYN_KMS "kms.example.org"
#define SYN_PERIOD 2592000
#define SYN_NOW (3597800000ull - MCGK_NTP_UNIX_OFFSET_S + 30)

typedef struct rx {
    uint8_t Z[MCGK_SAKKE_POINT_LEN], kpak[MCGK_ECCSI_POINT_LEN];
    mcgk_sakke_community *c;
    mcgk_sakke_receiver *r;
    mcgk_gmk_kms kms;
    mcgk_gmk_own_keys own;
    mcgk_gmk_open_cfg cfg;
    uint64_t now;
} rx;

static rx g_sw, g_syn;
static mcgk_replay_entry g_entries[8];
static mcgk_replay_cache g_cache;
static const char *const g_sw_gms[] = {"gms@streamwide.com"};
static const char *const g_syn_gms[] = {"sip:gms@example.org"};

static void unhex(const char *h, uint8_t *out, size_t n)
{
    size_t got = 0;
    if (mcgk_hex_decode(h, strlen(h), out, n, &got) != MCGK_OK || got != n)
        abort();
}

static void rx_init(rx *x, const char *Z, const char *kpak, const char *uid, const char *rsk,
                    const char *kms_uri, uint64_t period, uint64_t period_no, const char *user,
                    uint64_t now)
{
    uint8_t u[MCGK_UID_LEN], k[MCGK_SAKKE_POINT_LEN];
    unhex(Z, x->Z, sizeof x->Z);
    unhex(kpak, x->kpak, sizeof x->kpak);
    unhex(uid, u, sizeof u);
    unhex(rsk, k, sizeof k);
    if (mcgk_sakke_community_new(x->Z, &x->c) != MCGK_OK ||
        mcgk_sakke_receiver_new(x->c, u, sizeof u, k, &x->r) != MCGK_OK)
        abort();
    x->kms.kms_uri = kms_uri;
    x->kms.period_s = period;
    x->kms.offset_s = 0;
    x->kms.kpak = x->kpak;
    x->kms.community = x->c;
    x->own.period_no = period_no;
    x->own.receiver = x->r;
    mcgk_gmk_open_cfg_init(&x->cfg);
    x->cfg.own_uri = user;
    x->cfg.own_kms = &x->kms;
    x->cfg.own_keys = &x->own;
    x->cfg.n_own_keys = 1;
    x->now = now;
}

static void init_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    rx_init(&g_sw, sw_Z, sw_kpak, sw_alice_uid, sw_alice_rsk, SW_KMS, SW_PERIOD, 236,
            "sip:alice@streamwide.com", SW_NOW);
    g_sw.cfg.purposes = 0x7F; /* GMK, PCK, CSK, SPK, MKFC, MSCCK, MuSiK */
    g_sw.cfg.accept_legacy_params = 1;
    g_sw.cfg.authorised_gms = g_sw_gms;
    g_sw.cfg.n_authorised_gms = 1;
    rx_init(&g_syn, syn_Z, syn_kpak, syn_user_uid, syn_user_rsk, SYN_KMS, SYN_PERIOD, 1388,
            "sip:user@example.org", SYN_NOW);
    g_syn.cfg.authorised_gms = g_syn_gms;
    g_syn.cfg.n_authorised_gms = 1;
    mcgk_replay_cache_init(&g_cache, g_entries, sizeof g_entries / sizeof g_entries[0]);
    g_syn.cfg.replay = &g_cache;
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
    case MCGK_ERR_KEY_PURPOSE:
    case MCGK_ERR_TIMESTAMP:
    case MCGK_ERR_REPLAY:
    case MCGK_ERR_NO_KEYS:
    case MCGK_ERR_UNKNOWN_KMS:
    case MCGK_ERR_NOT_AUTHORISED:
    case MCGK_ERR_SIGNATURE:
    case MCGK_ERR_NOT_FOR_ME:
    case MCGK_ERR_DECAPSULATE:
    case MCGK_ERR_DUPLICATE_KEY_ID:
    case MCGK_ERR_KEY_PARAMS:
    case MCGK_ERR_IDENTITY:
        return 1;
    default:
        return 0;
    }
}

static void open_with(rx *x, const uint8_t *msg, size_t len)
{
    static mcgk_gmk_result r, guard;
    memset(&guard, 0x5A, sizeof guard);
    r = guard;
    mcgk_err d = MCGK_OK;
    mcgk_err e = mcgk_gmk_open(&x->cfg, msg, len, x->now, &r, &d);
    if (e == MCGK_OK || e == MCGK_ERR_REVOKED) {
        if (r.purpose != (r.csb_id >> 28) || (r.key_id >> 28) != r.purpose ||
            r.rand_len < MCGK_GMK_RAND_LEN || !r.reply.confirm || d != MCGK_OK ||
            r.revoked != (e == MCGK_ERR_REVOKED))
            abort();
        mcgk_gmk_result_clear(&r);
        return;
    }
    if (!documented(e) || d == MCGK_OK || memcmp(&r, &guard, sizeof r) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    g_cache.n = 0; /* the same message may come back: a replay only within one input */
    g_cache.floor_ntp_s = 0;
    if (size > 0 && data[0] != MCGK_MIKEY_VERSION) {
        /* base64 / SDP forms first */
        static uint8_t bin[MCGK_MIKEY_MAX_MSG_LEN];
        size_t n = 0;
        if (mcgk_mikey_unwrap(data, size, bin, sizeof bin, &n) == MCGK_OK) {
            open_with(&g_sw, bin, n);
            open_with(&g_syn, bin, n);
        }
        return 0;
    }
    open_with(&g_sw, data, size);
    open_with(&g_syn, data, size);
    open_with(&g_syn, data, size); /* a second time: a replay when the first was accepted */
    return 0;
}
