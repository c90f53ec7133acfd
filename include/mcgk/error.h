/*
 * mcgk/error.h - the one error enum of mcgk.
 *
 * Every function that can fail returns an mcgk_err. Values are stable:
 * new codes are added at the end of the enum, never renumbered.
 * mcgk_err_name() gives the stable machine name printed by the CLI
 * ("error: <name>"), mcgk_strerror() a sentence for people.
 */
#ifndef MCGK_ERROR_H
#define MCGK_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mcgk_err {
    MCGK_OK = 0,

    /* caller errors */
    MCGK_ERR_INVALID_ARG = 1,       /* NULL pointer, impossible size: a caller bug */
    MCGK_ERR_BUFFER_TOO_SMALL = 2,  /* output buffer too small; *out_len says how much */
    MCGK_ERR_NO_MEMORY = 3,         /* allocation failed */
    MCGK_ERR_RNG = 4,               /* the RNG callback failed */

    /* encoding of values */
    MCGK_ERR_LENGTH = 5,            /* an encoded value has the wrong length */
    MCGK_ERR_HEX = 6,               /* not a hex string */
    MCGK_ERR_BASE64 = 7,            /* not a base64 string */

    /* elliptic-curve and scalar checks (RFC 6507 / RFC 6508) */
    MCGK_ERR_POINT_FORMAT = 8,      /* point not in uncompressed 0x04 form */
    MCGK_ERR_POINT_RANGE = 9,       /* a coordinate is >= p */
    MCGK_ERR_POINT_NOT_ON_CURVE = 10,
    MCGK_ERR_POINT_INFINITY = 11,   /* the point at infinity where a finite point is needed */
    MCGK_ERR_SCALAR_RANGE = 12,     /* a scalar outside [1, q-1] */
    MCGK_ERR_IDENTITY = 13,         /* identifier unusable (empty, too long, a + z = 0 mod q) */

    /* crypto verdicts: one code each; the failing step goes to the local log only */
    MCGK_ERR_SIGNATURE = 14,        /* ECCSI signature does not verify */
    MCGK_ERR_SSK_INVALID = 15,      /* SSK/PVT fail RFC 6507 5.1.2 validation */
    MCGK_ERR_RSK_INVALID = 16,      /* RSK fails RFC 6508 6.1.2 validation */
    MCGK_ERR_DECAPSULATE = 17,      /* SAKKE decapsulation TEST failed (RFC 6508 6.2.2 step 5) */

    /* generic parse errors (bounded reader) */
    MCGK_ERR_TRUNCATED = 18,        /* input ends inside a field */
    MCGK_ERR_TRAILING_DATA = 19,    /* octets after the end of the message */
    MCGK_ERR_OVERSIZED = 20,        /* a declared length exceeds a bound */
    MCGK_ERR_UNSUPPORTED = 21,      /* a valid but unsupported value (version, algorithm ...) */
    MCGK_ERR_MALFORMED = 22,        /* a field violates its format */

    MCGK_ERR_IO = 23,               /* a shell (file, socket, store) failed */
    MCGK_ERR_USAGE = 24,            /* bad command line */

    /* KMS interface XML (TS 33.180 Annex D) and the KMS/client shells */
    MCGK_ERR_XML_SYNTAX = 25,       /* not well-formed XML */
    MCGK_ERR_XML_DTD = 26,          /* a DOCTYPE / entity declaration (refused) */
    MCGK_ERR_XML_DEPTH = 27,        /* elements nested deeper than the bound */
    MCGK_ERR_XML_NAMESPACE = 28,    /* element not in the expected namespace */
    MCGK_ERR_XML_UNKNOWN = 29,      /* unknown element or attribute */
    MCGK_ERR_XML_MISSING = 30,      /* a required element or attribute is missing */
    MCGK_ERR_XML_DUPLICATE = 31,    /* an element occurs more often than allowed */
    MCGK_ERR_AUTH_MISSING = 32,     /* no access token presented */
    MCGK_ERR_AUTH_FAILED = 33,      /* the access token is wrong */
    MCGK_ERR_UNKNOWN_USER = 34,     /* no such user */
    MCGK_ERR_REVOKED = 35,          /* the user (or certificate, key set) is revoked */
    MCGK_ERR_FORBIDDEN = 36,        /* authenticated, but not allowed for that identity */
    MCGK_ERR_PERIOD = 37,           /* key period outside the window that is served */
    MCGK_ERR_WRONG_KMS = 38,        /* addressed to, or issued by, another KMS */
    MCGK_ERR_NOT_FOUND = 39,        /* no such resource */
    MCGK_ERR_METHOD = 40,           /* HTTP method not allowed */
    MCGK_ERR_UNSEAL = 41,           /* sealed data does not authenticate: wrong key or tampered */
    MCGK_ERR_EXISTS = 42,           /* already exists */
    MCGK_ERR_PEER = 43,             /* the peer answered with an error */
    MCGK_ERR_TLS = 44,              /* TLS handshake or certificate verification failed */
    MCGK_ERR_FILE_MODE = 45,        /* a secret file is accessible to group or others */
    MCGK_ERR_KEYSET_MISMATCH = 46,  /* a key set is not for the requested identity/period/KMS */
    MCGK_ERR_NO_KEYS = 47,          /* no key set for that identity at that time */

    /* MIKEY codec (RFC 3830 / RFC 6043 / RFC 6509) */
    MCGK_ERR_MIKEY_VERSION = 48,      /* HDR version is not 1 (RFC 3830 §6.1) */
    MCGK_ERR_MIKEY_PAYLOAD_TYPE = 49, /* unknown next-payload type, or one not allowed there */
    MCGK_ERR_MIKEY_CS_MAP = 50,       /* CS ID map inconsistent with #CS */

    MCGK_ERR_VALIDITY = 51,         /* a KMS certificate or key set is outside its validity time */

    /* GMK I_MESSAGE receiver checklist (TS 33.180 §5.2, Annex E; ts33180.md §9) */
    MCGK_ERR_MIKEY_PROFILE = 52,    /* well-formed MIKEY, but not the profile expected (TS 33.180
                                       Annex E; the ProSe GSK profile of mcgk/gsk_message.h) */
    MCGK_ERR_KEY_PURPOSE = 53,      /* key identifier purpose tag not the one expected (GMK: 0) */
    MCGK_ERR_TIMESTAMP = 54,        /* MIKEY timestamp outside the accepted window */
    MCGK_ERR_REPLAY = 55,           /* the same (sender, timestamp, CSB ID) was accepted before */
    MCGK_ERR_UNKNOWN_KMS = 56,      /* the initiator's KMS has no trusted certificate */
    MCGK_ERR_NOT_AUTHORISED = 57,   /* signer is not the GMS configured (for a listed group) */
    MCGK_ERR_NOT_FOR_ME = 58,       /* IDRr / IDRuidr / IDRkmsr is not this receiver */
    MCGK_ERR_DUPLICATE_KEY_ID = 59, /* key ID already held with a different key */
    MCGK_ERR_KEY_PARAMS = 60,       /* key parameters do not decrypt / authenticate / decode */
    MCGK_ERR_INITIATOR = 61,        /* initiator URI does not match the UID in IDRuidi (E.7) */

    /* SIP (RFC 3261) message parser, transactions, registrar (src/net/sip_*.c) */
    MCGK_ERR_SIP_MALFORMED = 62,      /* SIP grammar violated (start line, header syntax, CRLF) */
    MCGK_ERR_SIP_TOO_LARGE = 63,      /* SIP message longer than MCGK_SIP_MAX_MSG_LEN */
    MCGK_ERR_SIP_HEADERS = 64,        /* too many header fields / Vias, or a field too long */
    MCGK_ERR_SIP_CONTENT_LENGTH = 65, /* Content-Length missing, invalid, or not the body length */
    MCGK_ERR_SIP_NUL = 66,            /* a NUL octet in a SIP message */
    MCGK_ERR_SIP_MISSING_HEADER = 67, /* Via, From, To, Call-ID or CSeq missing */
    MCGK_ERR_SIP_CSEQ = 68,           /* CSeq number out of range or method differs */
    MCGK_ERR_SIP_BRANCH = 69,         /* top Via has no RFC 3261 branch (z9hG4bK...) */
    MCGK_ERR_SIP_BUSY = 70,           /* too many SIP transactions in progress */
    MCGK_ERR_SIP_TIMEOUT = 71,        /* no final response before Timer F */
    MCGK_ERR_SIP_NOT_REGISTERED = 72, /* no current registration for that address of record */
    MCGK_ERR_SIP_TXN_STATE = 73,      /* the transaction was already answered */
    MCGK_ERR_SIP_CLOSED = 74,         /* the SIP endpoint shut down before the transaction ended */

    /* Media protection: MCData protected payloads, SRTP/SRTCP under the GMK (src/media/) */
    MCGK_ERR_PAYLOAD_AUTH = 75,  /* protected payload (§8.5.4) tag does not verify */
    MCGK_ERR_UNKNOWN_KEY_ID = 76, /* no key held under that key identifier (GMK-ID in an MKI,
                                     DPPK-ID, the IDRpsk of a GSK message) */
    MCGK_ERR_SRTP_AUTH = 77,     /* SRTP/SRTCP packet does not authenticate: wrong key, tampered */
    MCGK_ERR_KEY_USAGE = 78,     /* key not held for this use (media, floor control, data) */
    MCGK_ERR_SRTP = 79,          /* libsrtp failed for another reason (see the local log) */

    /* ProSe GSK message: MIKEY pre-shared-key mode under the GMK (mcgk/gsk_message.h) */
    MCGK_ERR_MAC = 80,                /* the KEMAC MAC does not verify (RFC 3830 §6.2): wrong key or
                                         tampered */
    MCGK_ERR_KEY_DATA = 81,           /* the decrypted KEMAC is not the one key of the profile */
    MCGK_ERR_UNSIGNED = 82,           /* a signature is required but the message carries none */
    /* INVITE, the group controller and the off-network broadcast (issue 6) */
    MCGK_ERR_SIP_CANCELLED = 83,      /* the INVITE was CANCELed (487) */
    MCGK_ERR_SIP_NO_ACK = 84,         /* our 2xx to an INVITE was never ACKed */
    MCGK_ERR_CTL_NO_MEMBERS = 85,     /* the group has no member to reach */
    MCGK_ERR_CTL_TOO_MANY_MEMBERS = 86, /* more members than a call may fan out to */
    MCGK_ERR_BCAST_MAGIC = 87,        /* not an mcgk broadcast frame (magic) */

    /* the client's key ring (src/client/keyring.c) */
    MCGK_ERR_SUPERSEDED = 88,         /* a newer GMK replaced this one for the group (past the grace) */

    MCGK_ERR__COUNT                 /* keep last */
} mcgk_err;

/* Stable lower-case name without prefix, e.g. "signature" for MCGK_ERR_SIGNATURE. */
const char *mcgk_err_name(mcgk_err e);
/* A sentence describing the error. Never NULL. */
const char *mcgk_strerror(mcgk_err e);

#ifdef __cplusplus
}
#endif
#endif
