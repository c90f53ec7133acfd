/*
 * net/kms_client.h - the client side of TS 33.180 Annex D over HTTPS, and
 * provisioning (§5.3): fetch the KMS certificate (init), the key sets of
 * the current and the next key period for the user and any further
 * identities (keyprov), the partner KMS certificates (certcache); check
 * each key set (identity, period, UID, RFC 6507 §5.1.2, RFC 6508 §6.1.2)
 * and store it sealed. Used by `mcgk client provision` and by the client
 * daemon; a GMS provisions its own URI the same way.
 *
 * Secrets: the bearer token, the DEK, the fetched RSK/SSK (checked,
 * sealed, wiped).
 */
#ifndef MCGK_NET_KMS_CLIENT_H
#define MCGK_NET_KMS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mcgk/kms.h"
#include "store/store.h"

typedef struct mcgk_kms_client {
    const char *base_url;  /* "https://kms.example.org:8443" (the root path is added
                              unless the URL already ends with it) */
    const char *user_uri;  /* the requesting user (KmsRequest UserUri) */
    const char *token;     /* bearer token, secret */
    const char *ca_file;   /* PEM to trust for the KMS's TLS certificate, or NULL */
    const char *client_id; /* optional KmsRequest ClientId */
    long timeout_ms;
} mcgk_kms_client;

/*
 * One Annex D call: POST <root>/<path> with a KmsRequest (UserUri, KmsUri,
 * Time = now, ClientReqUrl), parse the KmsResponse. A KmsError answer is
 * returned as its code (mcgk's KmsError codes are mcgk_err values; an
 * unknown code is MCGK_ERR_PEER). On MCGK_OK resp holds the response
 * (release with mcgk_kms_response_clear).
 * Returns MCGK_OK, MCGK_ERR_INVALID_ARG, MCGK_ERR_PEER (a non-200 status
 * without a KmsError, or a response of another type), the codes of
 * mcgk_http_post and mcgk_kms_response_parse, and the KmsError codes.
 */
mcgk_err mcgk_kms_client_call(const mcgk_kms_client *c, const char *path, const char *kms_uri,
                              uint64_t now_unix_s, mcgk_kms_msg want, mcgk_kms_response *resp);

typedef struct mcgk_provision_opts {
    const char *const *identities; /* further identities (e.g. a GMS's group identities) */
    size_t n_identities;
    uint64_t prefetch_s;           /* fetch the next period's keys this long before the
                                      current one ends; 0 = a tenth of the period */
} mcgk_provision_opts;

typedef struct mcgk_provision_result {
    char kms_uri[MCGK_KMS_URI_MAX];
    uint64_t period_no;          /* the current key period */
    uint64_t period_end_unix_s;  /* when it ends */
    size_t fetched;              /* key sets fetched and stored by this run */
    size_t partners;             /* partner certificates stored */
    int have_next;               /* the next period's key sets are all stored */
    uint64_t next_run_unix_s;    /* when to run again */
} mcgk_provision_result;

/*
 * Provision once at now_unix_s (see the top of this file). Key sets already
 * in the store are not fetched again. A certificate whose keys changed under
 * the same KMS URI drops the stored key sets of that KMS. Material that
 * fails a check is refused (nothing stored for it) and its code returned.
 * Returns MCGK_OK, the codes of mcgk_kms_client_call, mcgk_kms_cert_check,
 * mcgk_sakke_community_new, mcgk_kms_keyset_check (MCGK_ERR_SSK_INVALID,
 * MCGK_ERR_RSK_INVALID, MCGK_ERR_KEYSET_MISMATCH, MCGK_ERR_WRONG_KMS ...),
 * and of the store; MCGK_ERR_KEYSET_MISMATCH also when the KMS sent no key
 * set for the period asked for.
 */
mcgk_err mcgk_kms_provision(const mcgk_kms_client *c, const mcgk_provision_opts *opts,
                            mcgk_client_store *store, const uint8_t dek[MCGK_SEAL_KEY_LEN],
                            uint64_t now_unix_s, const mcgk_rng *rng,
                            mcgk_provision_result *res);

#endif
