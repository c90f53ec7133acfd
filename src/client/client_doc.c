/*
 * The client's entry point for a document's bytes (a SIP NOTIFY body or an
 * HTTPS GET response, docs/gms-protocol.md): parse, hash, process. Kept
 * apart from client.c so that code working on parsed documents does not
 * pull in the XML parser. Contract: mcgk/client.h.
 *
 * Secrets: none of its own (the parsed document carries I_MESSAGEs, whose
 * keys are encrypted); the document copy is wiped anyway before it is freed.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/client.h"

mcgk_err mcgk_client_process_bytes(const mcgk_client_cfg *cfg, mcgk_client_state *s,
                                   const uint8_t *body, size_t body_len, uint64_t now_unix_s,
                                   mcgk_client_outcome *outcome)
{
    if (outcome == NULL)
        return MCGK_ERR_INVALID_ARG;
    memset(outcome, 0, sizeof *outcome);
    outcome->gmk_index = -1;
    if (body == NULL && body_len != 0) {
        mcgk_client_outcome_fail(outcome, MCGK_ERR_INVALID_ARG);
        return outcome->result;
    }
    mcgk_groupdoc *doc = calloc(1, sizeof *doc);
    if (doc == NULL) {
        mcgk_client_outcome_fail(outcome, MCGK_ERR_NO_MEMORY);
        return outcome->result;
    }
    uint8_t hash[MCGK_CLIENT_HASH_LEN];
    unsigned int hl = 0;
    /* docs/gms-protocol.md: the envelope is parsed strictly and bounded; a document
       that does not parse is answered 400 with the parser's error name */
    mcgk_err e = mcgk_groupdoc_parse(body, body_len, doc);
    if (e == MCGK_OK &&
        (EVP_Digest(body, body_len, hash, &hl, EVP_sha256(), NULL) != 1 ||
         hl != MCGK_CLIENT_HASH_LEN))
        e = MCGK_ERR_NO_MEMORY;
    if (e == MCGK_OK)
        e = mcgk_client_process(cfg, s, doc, hash, now_unix_s, outcome);
    else
        mcgk_client_outcome_fail(outcome, e);
    mcgk_wipe(doc, sizeof *doc);
    free(doc);
    return e;
}
