/*
 * Fuzz target for the crypto decoders that see peer input: SAKKE point
 * decoding, SAKKE decapsulation of an attacker-chosen R || H, and ECCSI
 * verification of an attacker-chosen signature (r, s, PVT). The first octet
 * selects the decoder. Every path must return an error code, never crash.
 * Fixed keys come from the RFC 6507 / RFC 6508 test data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sakke_internal.h"
#include "mcgk/eccsi.h"
#include "mcgk/sakke.h"

static const char k_Z[] =
    "045958EF1B1679BF099B3A030DF255AA6A23C1D8F143D4D23F753E69BD27A832F38CB4AD53DDEF4260B0FE8BB45C4C1FF510EFFE300367A37B61F701D914AEF09724825FA0707D61A6DFF4FBD7273566CDDE352A0B04B7C16A78309BE640697DE747613A5FC195E8B9F328852A579DB8F99B1D0034479EA9C5595F47C4B2F54FF21508D37514DCF7A8E143A6058C09A6BF2C9858CA37C258065AE6BF7532BC8B5B63383866E0753C5AC0E72709F8445F2E6178E065857E0EDA10F68206B63505ED87E534FB2831FF957FB7DC619DAE61301EEACC2FDA3680EA4999258A833CEA8FC67C6D19487FB449059F26CC8AAB655AB58B7CC796E24E9A394095754F5F8BAE";
static const char k_RSK[] =
    "0493AF67E5007BA6E6A80DA793DA300FA4B52D0A74E25E6E7B2B3D6EE9D18A9B5C5023597BD82D8062D34019563BA1D25C0DC56B7B979D74AA50F29FBF11CC2C93F5DFCA615E609279F6175CEADB00B58C6BEE1E7A2A47C4F0C456F05259A6FA94A634A40DAE1DF593D4FECF688D5FC678BE7EFC6DF3D6835325B83B2C6E69036B155F0A27241094B04BFB0BDFAC6C670A65C325D39A069F03659D44CA27D3BE8DF311172B554160181CBE94A2A783320CED590BC42644702CF371271E496BF20F588B78A1BC01ECBB6559934BDD2FB65D2884318A33D1A42ADF5E33CC5800280B28356497F87135BAB9612A17260424409AC15FEE996B744C332151235DECB0F5";
static const char k_b[] = "323031312D30320074656C3A2B34343737303039303031323300";
static const char k_KPAK[] =
    "0450D4670BDE75244F28D2838A0D25558A7A72686D4522D4C8273FB6442AEBFA93DBDD37551AFD263B5DFD617F3960C65A8C298850FF99F20366DCE7D4367217F4";

static mcgk_sakke_community *g_c;
static mcgk_sakke_receiver *g_r;
static uint8_t g_kpak[65], g_id[26];

static void unhex(const char *h, uint8_t *out, size_t len)
{
    size_t n;
    (void)mcgk_hex_decode(h, 2 * len, out, len, &n);
}

static void setup(void)
{
    uint8_t Z[257], rsk[257];
    unhex(k_Z, Z, sizeof Z);
    unhex(k_RSK, rsk, sizeof rsk);
    unhex(k_b, g_id, sizeof g_id);
    unhex(k_KPAK, g_kpak, sizeof g_kpak);
    if (mcgk_sakke_community_new(Z, &g_c) != MCGK_OK)
        abort();
    /* the receiver may fail if the fixed RSK text is wrong; decapsulation is then skipped */
    (void)mcgk_sakke_receiver_new(g_c, g_id, sizeof g_id, rsk, &g_r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_c == NULL)
        setup();
    if (size < 1)
        return 0;
    const sk_params *S = sk_params_get();
    uint8_t sel = data[0];
    data++;
    size--;
    switch (sel % 3) {
    case 0: { /* a SAKKE point of any length */
        sk_affine pt;
        (void)sk_point_decode(&pt, data, size, S);
        break;
    }
    case 1: { /* decapsulate R || H */
        uint8_t enc[MCGK_SAKKE_ENCAP_LEN] = {0}, ssv[16];
        memcpy(enc, data, size < sizeof enc ? size : sizeof enc);
        if (g_r != NULL)
            (void)mcgk_sakke_decapsulate(g_r, enc, ssv);
        break;
    }
    default: { /* ECCSI signature over a fixed message */
        uint8_t sig[MCGK_ECCSI_SIG_LEN] = {0};
        static const uint8_t msg[] = "message";
        memcpy(sig, data, size < sizeof sig ? size : sizeof sig);
        (void)mcgk_eccsi_verify(g_kpak, g_id, sizeof g_id, msg, sizeof msg, sig);
        break;
    }
    }
    return 0;
}
