/* Error names and messages. See mcgk/error.h. */
#include "mcgk/error.h"

#include <stddef.h>

struct err_text {
    const char *name;
    const char *msg;
};

static const struct err_text k_errors[MCGK_ERR__COUNT] = {
    [MCGK_OK] = {"ok", "success"},
    [MCGK_ERR_INVALID_ARG] = {"invalid-arg", "invalid argument"},
    [MCGK_ERR_BUFFER_TOO_SMALL] = {"buffer-too-small", "output buffer too small"},
    [MCGK_ERR_NO_MEMORY] = {"no-memory", "out of memory"},
    [MCGK_ERR_RNG] = {"rng", "random number generator failed"},
    [MCGK_ERR_LENGTH] = {"length", "value has the wrong length"},
    [MCGK_ERR_HEX] = {"hex", "not a hex string"},
    [MCGK_ERR_BASE64] = {"base64", "not a base64 string"},
    [MCGK_ERR_POINT_FORMAT] = {"point-format", "point is not an uncompressed 0x04 point"},
    [MCGK_ERR_POINT_RANGE] = {"point-range", "point coordinate is not below p"},
    [MCGK_ERR_POINT_NOT_ON_CURVE] = {"point-not-on-curve", "point is not on the curve"},
    [MCGK_ERR_POINT_INFINITY] = {"point-infinity", "point at infinity"},
    [MCGK_ERR_SCALAR_RANGE] = {"scalar-range", "scalar outside [1, q-1]"},
    [MCGK_ERR_IDENTITY] = {"identity", "identifier cannot be used"},
    [MCGK_ERR_SIGNATURE] = {"signature", "signature does not verify"},
    [MCGK_ERR_SSK_INVALID] = {"ssk-invalid", "SSK/PVT fail validation (RFC 6507 5.1.2)"},
    [MCGK_ERR_RSK_INVALID] = {"rsk-invalid", "RSK fails validation (RFC 6508 6.1.2)"},
    [MCGK_ERR_DECAPSULATE] = {"decapsulate", "SAKKE decapsulation failed"},
    [MCGK_ERR_TRUNCATED] = {"truncated", "input is truncated"},
    [MCGK_ERR_TRAILING_DATA] = {"trailing-data", "unexpected data after the end"},
    [MCGK_ERR_OVERSIZED] = {"oversized", "declared length exceeds the limit"},
    [MCGK_ERR_UNSUPPORTED] = {"unsupported", "unsupported value"},
    [MCGK_ERR_MALFORMED] = {"malformed", "malformed field"},
    [MCGK_ERR_IO] = {"io", "input/output error"},
    [MCGK_ERR_USAGE] = {"usage", "bad command line"},
    [MCGK_ERR_XML_SYNTAX] = {"xml-syntax", "not well-formed XML"},
    [MCGK_ERR_XML_DTD] = {"xml-dtd", "XML document type declarations are refused"},
    [MCGK_ERR_XML_DEPTH] = {"xml-depth", "XML elements nested too deeply"},
    [MCGK_ERR_XML_NAMESPACE] = {"xml-namespace", "XML element in the wrong namespace"},
    [MCGK_ERR_XML_UNKNOWN] = {"xml-unknown", "unknown XML element or attribute"},
    [MCGK_ERR_XML_MISSING] = {"xml-missing", "required XML element or attribute missing"},
    [MCGK_ERR_XML_DUPLICATE] = {"xml-duplicate", "XML element repeated"},
    [MCGK_ERR_AUTH_MISSING] = {"auth-missing", "no access token"},
    [MCGK_ERR_AUTH_FAILED] = {"auth-failed", "access token not accepted"},
    [MCGK_ERR_UNKNOWN_USER] = {"unknown-user", "unknown user"},
    [MCGK_ERR_REVOKED] = {"revoked", "revoked"},
    [MCGK_ERR_FORBIDDEN] = {"forbidden", "not authorised for that identity"},
    [MCGK_ERR_PERIOD] = {"period", "key period not served"},
    [MCGK_ERR_WRONG_KMS] = {"wrong-kms", "belongs to another KMS"},
    [MCGK_ERR_NOT_FOUND] = {"not-found", "no such resource"},
    [MCGK_ERR_METHOD] = {"method", "method not allowed"},
    [MCGK_ERR_UNSEAL] = {"unseal", "sealed data does not authenticate (wrong key or tampered)"},
    [MCGK_ERR_EXISTS] = {"exists", "already exists"},
    [MCGK_ERR_PEER] = {"peer", "the peer reported an error"},
    [MCGK_ERR_TLS] = {"tls", "TLS handshake or certificate verification failed"},
    [MCGK_ERR_FILE_MODE] = {"file-mode", "secret file is accessible to group or others"},
    [MCGK_ERR_KEYSET_MISMATCH] = {"keyset-mismatch", "key set is not for the requested identity, period or KMS"},
    [MCGK_ERR_NO_KEYS] = {"no-keys", "no key set for that identity at that time"},
    [MCGK_ERR_MIKEY_VERSION] = {"mikey-version", "MIKEY version is not 1"},
    [MCGK_ERR_MIKEY_PAYLOAD_TYPE] = {"mikey-payload-type", "unknown or misplaced MIKEY payload type"},
    [MCGK_ERR_MIKEY_CS_MAP] = {"mikey-cs-map", "MIKEY CS ID map inconsistent with #CS"},
    [MCGK_ERR_VALIDITY] = {"validity", "outside its validity time"},
    [MCGK_ERR_MIKEY_PROFILE] = {"mikey-profile", "MIKEY message does not follow the expected profile (TS 33.180 Annex E, ProSe GSK)"},
    [MCGK_ERR_KEY_PURPOSE] = {"key-purpose", "key identifier has an unexpected purpose tag"},
    [MCGK_ERR_TIMESTAMP] = {"timestamp", "MIKEY timestamp outside the accepted window"},
    [MCGK_ERR_REPLAY] = {"replay", "message already received (replay)"},
    [MCGK_ERR_UNKNOWN_KMS] = {"unknown-kms", "the sender's KMS is not trusted"},
    [MCGK_ERR_NOT_AUTHORISED] = {"not-authorised", "the sender is not the GMS authorised for this group"},
    [MCGK_ERR_NOT_FOR_ME] = {"not-for-me", "message is addressed to another identity"},
    [MCGK_ERR_DUPLICATE_KEY_ID] = {"duplicate-key-id", "key ID already in use by a different key"},
    [MCGK_ERR_KEY_PARAMS] = {"key-params", "key parameters do not decrypt or decode"},
    [MCGK_ERR_INITIATOR] = {"initiator", "initiator URI does not match the UID in the message"},
    [MCGK_ERR_SIP_MALFORMED] = {"sip-malformed", "SIP message violates the grammar"},
    [MCGK_ERR_SIP_TOO_LARGE] = {"sip-too-large", "SIP message too large"},
    [MCGK_ERR_SIP_HEADERS] = {"sip-headers", "too many SIP header fields, or one too long"},
    [MCGK_ERR_SIP_CONTENT_LENGTH] = {"sip-content-length", "SIP Content-Length missing, invalid or not the body length"},
    [MCGK_ERR_SIP_NUL] = {"sip-nul", "NUL octet in a SIP message"},
    [MCGK_ERR_SIP_MISSING_HEADER] = {"sip-missing-header", "a mandatory SIP header is missing"},
    [MCGK_ERR_SIP_CSEQ] = {"sip-cseq", "SIP CSeq invalid or its method differs from the request"},
    [MCGK_ERR_SIP_BRANCH] = {"sip-branch", "SIP Via has no RFC 3261 branch"},
    [MCGK_ERR_SIP_BUSY] = {"sip-busy", "too many SIP transactions in progress"},
    [MCGK_ERR_SIP_TIMEOUT] = {"sip-timeout", "no final SIP response in time"},
    [MCGK_ERR_SIP_NOT_REGISTERED] = {"sip-not-registered", "no current SIP registration for that address"},
    [MCGK_ERR_SIP_TXN_STATE] = {"sip-txn-state", "the SIP transaction was already answered"},
    [MCGK_ERR_SIP_CLOSED] = {"sip-closed", "the SIP endpoint shut down"},
    [MCGK_ERR_PAYLOAD_AUTH] = {"payload-auth", "protected payload does not authenticate (wrong key or tampered)"},
    [MCGK_ERR_UNKNOWN_KEY_ID] = {"unknown-key-id", "no key held under that key identifier"},
    [MCGK_ERR_SRTP_AUTH] = {"srtp-auth", "SRTP/SRTCP packet does not authenticate (wrong key or tampered)"},
    [MCGK_ERR_KEY_USAGE] = {"key-usage", "key not held for this use (media, floor control or data)"},
    [MCGK_ERR_SRTP] = {"srtp", "libsrtp failed"},
    [MCGK_ERR_MAC] = {"mac", "MIKEY KEMAC MAC does not verify (wrong key or tampered)"},
    [MCGK_ERR_KEY_DATA] = {"key-data", "decrypted MIKEY key data is not the key the profile expects"},
    [MCGK_ERR_UNSIGNED] = {"unsigned", "a signature is required but the message carries none"},
    [MCGK_ERR_SIP_CANCELLED] = {"sip-cancelled", "the INVITE was cancelled"},
    [MCGK_ERR_SIP_NO_ACK] = {"sip-no-ack", "the answer to an INVITE was never acknowledged"},
    [MCGK_ERR_CTL_NO_MEMBERS] = {"ctl-no-members", "the group has no member to reach"},
    [MCGK_ERR_CTL_TOO_MANY_MEMBERS] = {"ctl-too-many-members",
                                       "the group has more members than a call may reach"},
    [MCGK_ERR_BCAST_MAGIC] = {"bcast-magic", "not an mcgk broadcast frame"},
    [MCGK_ERR_SUPERSEDED] = {"superseded", "a newer GMK has replaced this one for the group"},
};

const char *mcgk_err_name(mcgk_err e)
{
    if ((unsigned)e >= (unsigned)MCGK_ERR__COUNT || k_errors[e].name == NULL)
        return "unknown";
    return k_errors[e].name;
}

const char *mcgk_strerror(mcgk_err e)
{
    if ((unsigned)e >= (unsigned)MCGK_ERR__COUNT || k_errors[e].msg == NULL)
        return "unknown error";
    return k_errors[e].msg;
}
