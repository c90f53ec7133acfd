/*
 * Names of MIKEY registry values for tools and logs (mcgk mikey inspect).
 * Sources: spec/mikey.md §1.1 (payloads), §2.1 (data types), §2.2 (maps),
 * §3 (TS types), §5 (roles, ID types), §6 (SRTP policy parameters), §7
 * (SAKKE ID schemes), §8 (S types), §9 (extension types), §10 (ERR), §11
 * (KEMAC, Key data); ts33180.md §0.1 (purpose tags), Table E.1.3-1 (CS-IDs).
 * Contract: see mcgk/mikey.h. No secrets.
 */
#include "mcgk/mikey.h"

#define NAME_OF(table, v) ((size_t)(v) < sizeof(table) / sizeof((table)[0]) ? (table)[(v)] : NULL)

const char *mcgk_mikey_payload_name(uint8_t type)
{
    static const char *const t[] = {
        [0] = "Last payload", [1] = "KEMAC",   [2] = "PKE",       [3] = "DH",
        [4] = "SIGN",         [5] = "T",       [6] = "ID",        [7] = "CERT",
        [8] = "CHASH",        [9] = "V",       [10] = "SP",       [11] = "RAND",
        [12] = "ERR",         [13] = "TR",     [14] = "IDR",      [15] = "RANDR",
        [16] = "TP",          [17] = "TICKET", [20] = "Key data", [21] = "GENERAL EXTENSION",
        [26] = "SAKKE",
    };
    return NAME_OF(t, type);
}

const char *mcgk_mikey_data_type_name(uint8_t data_type)
{
    static const char *const t[] = {
        [0] = "pre-shared key I_MESSAGE",
        [1] = "pre-shared key verification message",
        [2] = "public-key I_MESSAGE",
        [3] = "public-key verification message",
        [4] = "DH init",
        [5] = "DH response",
        [6] = "error message",
        [7] = "DHHMAC init",
        [8] = "DHHMAC response",
        [9] = "RSA-R I_MESSAGE",
        [10] = "RSA-R R_MESSAGE",
        [26] = "SAKKE I_MESSAGE",
        [27] = "SAKKE response (Streamwide, unconfirmed)",
    };
    return NAME_OF(t, data_type);
}

const char *mcgk_mikey_prf_name(uint8_t prf_func)
{
    static const char *const t[] = {"MIKEY-1 (HMAC-SHA-1)", "PRF-HMAC-SHA-256"};
    return NAME_OF(t, prf_func);
}

const char *mcgk_mikey_map_type_name(uint8_t map_type)
{
    static const char *const t[] = {"SRTP-ID", "empty map", "GENERIC-ID"};
    return NAME_OF(t, map_type);
}

const char *mcgk_mikey_ts_type_name(uint8_t ts_type)
{
    static const char *const t[] = {"NTP-UTC", "NTP", "COUNTER"};
    return NAME_OF(t, ts_type);
}

const char *mcgk_mikey_role_name(uint8_t role)
{
    static const char *const t[] = {
        [1] = "IDRi (initiator)",
        [2] = "IDRr (responder)",
        [3] = "IDRkms (KMS)",
        [4] = "IDRpsk (pre-shared key)",
        [5] = "IDRapp (application)",
        [6] = "IDRkmsi (initiator's KMS)",
        [7] = "IDRkmsr (responder's KMS)",
        [8] = "IDRuidi (initiator UID, identity hiding)",
        [9] = "IDRuidr (responder UID, identity hiding)",
    };
    return NAME_OF(t, role);
}

const char *mcgk_mikey_id_type_name(uint8_t id_type)
{
    static const char *const t[] = {"NAI", "URI", "byte string"};
    return NAME_OF(t, id_type);
}

const char *mcgk_mikey_sakke_scheme_name(uint8_t id_scheme)
{
    static const char *const t[] = {
        [1] = "tel URI with monthly keys (RFC 6509)",
        [2] = "3GPP hashed UID (TS 33.180)",
    };
    return NAME_OF(t, id_scheme);
}

const char *mcgk_mikey_sign_type_name(uint8_t s_type)
{
    static const char *const t[] = {"RSA/PKCS#1 v1.5", "RSA/PSS", "ECCSI"};
    return NAME_OF(t, s_type);
}

const char *mcgk_mikey_ext_type_name(uint8_t ext_type)
{
    static const char *const t[] = {
        [0] = "vendor-specific", [1] = "SDP key-management IDs", [2] = "key ID information (MBMS)",
        [6] = "SAKKE-to-self",   [7] = "3GPP key parameters",
    };
    return NAME_OF(t, ext_type);
}

const char *mcgk_mikey_encr_alg_name(uint8_t alg)
{
    static const char *const t[] = {"NULL", "AES-CM-128", "AES-KW-128"};
    return NAME_OF(t, alg);
}

const char *mcgk_mikey_mac_alg_name(uint8_t alg)
{
    static const char *const t[] = {"NULL", "HMAC-SHA-1-160"};
    return NAME_OF(t, alg);
}

const char *mcgk_mikey_err_no_name(uint8_t err_no)
{
    static const char *const t[] = {
        "Auth failure",  "Invalid TS", "Invalid PRF",       "Invalid MAC",  "Invalid EA",
        "Invalid HA",    "Invalid DH", "Invalid ID",        "Invalid Cert", "Invalid SP",
        "Invalid SPpar", "Invalid DT", "Unspecified error",
    };
    return NAME_OF(t, err_no);
}

const char *mcgk_mikey_kd_type_name(uint8_t type)
{
    static const char *const t[] = {"TGK", "TGK+SALT", "TEK", "TEK+SALT"};
    return NAME_OF(t, type);
}

const char *mcgk_mikey_kv_name(uint8_t kv)
{
    static const char *const t[] = {"NULL", "SPI/MKI", "interval"};
    return NAME_OF(t, kv);
}

const char *mcgk_mikey_prot_name(uint8_t prot_type)
{
    static const char *const t[] = {"SRTP"};
    return NAME_OF(t, prot_type);
}

const char *mcgk_mikey_srtp_param_name(uint8_t type)
{
    static const char *const t[] = {
        [0] = "SRTP encryption algorithm",
        [1] = "session encryption key length",
        [2] = "SRTP authentication algorithm",
        [3] = "session authentication key length",
        [4] = "session salt key length",
        [5] = "SRTP PRF",
        [6] = "key derivation rate",
        [7] = "SRTP encryption off/on",
        [8] = "SRTCP encryption off/on",
        [9] = "sender's FEC order",
        [10] = "SRTP authentication off/on",
        [11] = "authentication tag length",
        [12] = "SRTP prefix length",
        [13] = "ROC transmission rate",
        [18] = "SRTP authentication tag length for ROC transport",
        [19] = "SRTCP authentication tag length",
        [20] = "AEAD authentication tag length",
    };
    return NAME_OF(t, type);
}

const char *mcgk_mikey_srtp_param_value_name(uint8_t type, uint8_t value)
{
    switch (type) {
    case 0: {
        static const char *const t[] = {
            [0] = "NULL", [1] = "AES-CM", [2] = "AES-F8", [6] = "AES-GCM"};
        return NAME_OF(t, value);
    }
    case 2: {
        static const char *const t[] = {[0] = "NULL", [1] = "HMAC-SHA-1", [4] = "RCCm3"};
        return NAME_OF(t, value);
    }
    case 5: {
        static const char *const t[] = {"AES-CM"};
        return NAME_OF(t, value);
    }
    case 7:
    case 8:
    case 10: {
        static const char *const t[] = {"off", "on"};
        return NAME_OF(t, value);
    }
    default:
        return NULL;
    }
}

const char *mcgk_mikey_purpose_name(unsigned tag)
{
    static const char *const t[] = {
        "GMK (group master key)",
        "PCK (private call key)",
        "CSK (client-server key)",
        "SPK (signalling protection key)",
        "MKFC (multicast key for floor control)",
        "MSCCK (MBMS subchannel control key)",
        "MuSiK (multicast signalling key)",
    };
    return NAME_OF(t, tag);
}

const char *mcgk_mikey_cs_id_name(uint8_t cs_id)
{
    static const char *const t[] = {
        "MCPTT private call (initiator)",
        "MCPTT private call (receiver)",
        "MCVideo private call (initiator)",
        "MCVideo private call (receiver)",
        "MCPTT group call",
        "MCVideo group call",
        "CSK SRTCP for MCPTT",
        "MuSiK SRTCP for MCPTT",
        "CSK SRTCP for MCVideo",
        "MuSiK SRTCP for MCVideo",
    };
    return NAME_OF(t, cs_id);
}
