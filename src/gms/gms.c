/*
 * The GMS's decisions, sans I/O (see mcgk/gms.h): names, rotation planning,
 * key parameters, current GMKs of a group, the delivery state machine with
 * exponential backoff, the member's document, the HTTPS pull requests.
 * Spec: TS 33.180 §5.2.1, §5.2.4/E.6, §5.7; seed requirements R-001-06,
 * R-001-24..33, R-003-28..35, R-004-12/13/16; docs/gms-protocol.md.
 *
 * Secrets: the GMKs made by mcgk_gms_rotate_plan (wiped by the caller with
 * mcgk_gms_new_gmk_clear, here on every error path); the bearer token copied
 * into mcgk_gms_http_req (wiped by mcgk_gms_http_req_clear and on error).
 */
#include "mcgk/gms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcgk/kdf.h"

/* ---- names ---- */

/* Printable UTF-8: no C0/C1 controls, DEL, space or comma; well-formed sequences. */
static mcgk_err check_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c <= 0x20 || c == 0x7f || c == ',')
                return MCGK_ERR_MALFORMED;
            p++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return MCGK_ERR_MALFORMED;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return MCGK_ERR_MALFORMED;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        /* overlong forms, surrogates, beyond Unicode, C1 controls */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || (cp >= 0x80 && cp <= 0x9F) ||
            cp == 0xFFFE || cp == 0xFFFF)
            return MCGK_ERR_MALFORMED;
        p += n + 1;
    }
    return MCGK_OK;
}

mcgk_err mcgk_gms_check_group_id(const char *id)
{
    if (id == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t n = strnlen(id, MCGK_GMS_GROUP_ID_MAX + 1);
    if (n == 0 || n > MCGK_GMS_GROUP_ID_MAX)
        return MCGK_ERR_INVALID_ARG;
    return check_chars(id);
}

mcgk_err mcgk_gms_check_uri(const char *uri)
{
    if (uri == NULL)
        return MCGK_ERR_INVALID_ARG;
    size_t n = strnlen(uri, MCGK_GMS_URI_MAX + 1);
    if (n == 0 || n > MCGK_GMS_URI_MAX)
        return MCGK_ERR_INVALID_ARG;
    if (strncmp(uri, "sip:", 4) != 0 && strncmp(uri, "sips:", 5) != 0 &&
        strncmp(uri, "tel:", 4) != 0)
        return MCGK_ERR_MALFORMED;
    const char *rest = strchr(uri, ':') + 1;
    if (*rest == '\0')
        return MCGK_ERR_MALFORMED;
    return check_chars(uri);
}

/* ---- jobs and deliveries ---- */

const char *mcgk_gms_job_kind_name(int kind)
{
    switch (kind) {
    case MCGK_GMS_JOB_ROTATE: return "rotate";
    case MCGK_GMS_JOB_REVOKE: return "revoke";
    case MCGK_GMS_JOB_ADD: return "add";
    case MCGK_GMS_JOB_REMOVE: return "remove";
    default: return NULL;
    }
}

static const char *const k_states[] = {"pending", "sent", "confirmed", "failed", "cancelled"};

const char *mcgk_gms_dlv_state_name(int state)
{
    if (state < 0 || (size_t)state >= sizeof k_states / sizeof k_states[0])
        return NULL;
    return k_states[state];
}

mcgk_err mcgk_gms_dlv_state_parse(const char *name, int *state)
{
    if (name == NULL || state == NULL)
        return MCGK_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof k_states / sizeof k_states[0]; i++)
        if (strcmp(name, k_states[i]) == 0) {
            *state = (int)i;
            return MCGK_OK;
        }
    return MCGK_ERR_MALFORMED;
}

static void policy_defaults(const mcgk_gms_retry *p, uint64_t *base, uint64_t *cap,
                            uint32_t *max)
{
    *base = p != NULL && p->base_ms != 0 ? p->base_ms : 500;
    *cap = p != NULL && p->cap_ms != 0 ? p->cap_ms : 60000;
    *max = p != NULL && p->max_attempts != 0 ? p->max_attempts : 20;
}

uint64_t mcgk_gms_backoff_ms(const mcgk_gms_retry *policy, uint32_t attempts)
{
    uint64_t base, cap;
    uint32_t max;
    policy_defaults(policy, &base, &cap, &max);
    if (attempts == 0)
        attempts = 1;
    uint64_t d = base;
    for (uint32_t i = 1; i < attempts && d < cap; i++)
        d = d > cap / 2 ? cap : d * 2;
    return d < cap ? d : cap;
}

mcgk_gms_verdict mcgk_gms_classify(const mcgk_gms_answer *a)
{
    if (a == NULL)
        return MCGK_GMS_FAIL;
    switch (a->transport) {
    case MCGK_OK:
        return a->status == 0 || (a->status >= 200 && a->status < 300) ? MCGK_GMS_CONFIRM
                                                                        : MCGK_GMS_FAIL;
    case MCGK_ERR_SIP_TIMEOUT:
    case MCGK_ERR_SIP_NOT_REGISTERED:
    case MCGK_ERR_SIP_BUSY:
    case MCGK_ERR_SIP_CLOSED:
    case MCGK_ERR_NO_KEYS: /* the GMS's own keys for the period are not there yet */
        return MCGK_GMS_RETRY;
    case MCGK_ERR_PEER:
        if (a->status >= 200 && a->status < 300)
            return MCGK_GMS_CONFIRM;
        /* 408 timeout, 480 "no keys for that period yet", any server error: try again */
        if (a->status == 408 || a->status == 480 || (a->status >= 500 && a->status < 600))
            return MCGK_GMS_RETRY;
        return MCGK_GMS_FAIL;
    default:
        return MCGK_GMS_FAIL;
    }
}

static void set_reason(mcgk_gms_delivery *d, const char *prefix, const char *why)
{
    snprintf(d->reason, sizeof d->reason, "%s%s", prefix, why != NULL ? why : "");
}

/* A short name for a transport outcome without the member's own words. */
static const char *transport_reason(const mcgk_gms_answer *a)
{
    if (a->reason != NULL && a->reason[0] != '\0')
        return a->reason;
    switch (a->transport) {
    case MCGK_ERR_SIP_TIMEOUT: return "timeout";
    case MCGK_ERR_SIP_NOT_REGISTERED: return "not-registered";
    case MCGK_ERR_SIP_BUSY: return "busy";
    case MCGK_ERR_SIP_CLOSED: return "shutdown";
    case MCGK_OK: return "ok";
    case MCGK_ERR_PEER: return "error status";
    default: return mcgk_err_name(a->transport);
    }
}

mcgk_err mcgk_gms_delivery_apply(const mcgk_gms_retry *policy, uint64_t now_ms,
                                 const mcgk_gms_answer *a, mcgk_gms_delivery *d)
{
    if (a == NULL || d == NULL)
        return MCGK_ERR_INVALID_ARG;
    if (d->state == MCGK_GMS_DLV_CONFIRMED || d->state == MCGK_GMS_DLV_CANCELLED)
        return MCGK_OK; /* idempotent: a repeated or late answer changes nothing */
    uint64_t base, cap;
    uint32_t max;
    policy_defaults(policy, &base, &cap, &max);
    switch (mcgk_gms_classify(a)) {
    case MCGK_GMS_CONFIRM:
        d->state = MCGK_GMS_DLV_CONFIRMED;
        d->status = a->status != 0 ? a->status : 200;
        set_reason(d, "", "ok");
        d->next_ms = 0;
        return MCGK_OK;
    case MCGK_GMS_FAIL:
        if (d->state == MCGK_GMS_DLV_FAILED && a->transport != MCGK_ERR_PEER &&
            a->transport != MCGK_OK)
            return MCGK_OK; /* a local failure does not overwrite the member's verdict */
        d->state = MCGK_GMS_DLV_FAILED;
        d->status = a->status;
        set_reason(d, "", transport_reason(a));
        d->next_ms = 0;
        return MCGK_OK;
    case MCGK_GMS_RETRY:
    default:
        if (d->state == MCGK_GMS_DLV_FAILED)
            return MCGK_OK; /* final already */
        d->status = a->status;
        /* An unregistered member is not a failing one: a mission-critical user
           who is switched off gets the key when it registers again (its
           REGISTER makes the delivery due at once). So not-registered never
           uses up the attempts; the backoff only paces the re-checks. */
        if (d->attempts >= max && a->transport != MCGK_ERR_SIP_NOT_REGISTERED) {
            d->state = MCGK_GMS_DLV_FAILED;
            set_reason(d, "gave up: ", transport_reason(a));
            d->next_ms = 0;
            return MCGK_OK;
        }
        d->state = MCGK_GMS_DLV_PENDING;
        set_reason(d, "", transport_reason(a));
        d->next_ms = now_ms + mcgk_gms_backoff_ms(policy, d->attempts);
        return MCGK_OK;
    }
}

/* ---- GMKs ---- */

void mcgk_gms_new_gmk_clear(mcgk_gms_new_gmk *g)
{
    if (g != NULL)
        mcgk_wipe(g, sizeof *g);
}

mcgk_err mcgk_gms_rotate_plan(const mcgk_gms_rotate_req *req, const mcgk_rng *rng,
                              mcgk_gms_new_gmk out[MCGK_GMS_JOB_GMKS], size_t *n)
{
    if (req == NULL || rng == NULL || out == NULL || n == NULL || req->n_groups == 0 ||
        req->n_groups > MCGK_GMS_JOB_GROUPS)
        return MCGK_ERR_INVALID_ARG;
    if (req->expiry_unix_s != 0 &&
        (req->expiry_unix_s <= req->now_unix_s || req->expiry_unix_s <= req->activation_unix_s))
        return MCGK_ERR_PERIOD;
    size_t count = req->floor_control ? 2 : 1;
    mcgk_err e = MCGK_OK;
    for (size_t i = 0; i < count && e == MCGK_OK; i++) {
        /* ts33180.md §0: GMK-ID = purpose tag 0 || 28 random bits; §7.4.2: one RAND */
        e = mcgk_gmk_generate(rng, MCGK_PURPOSE_GMK, out[i].key, &out[i].key_id, out[i].rand);
        out[i].use = i == 0 ? MCGK_GMK_USE_MEDIA : MCGK_GMK_USE_FLOOR_CONTROL;
        /* R-004-12: two different GMKs, told apart by their GMK-IDs */
        if (e == MCGK_OK && i == 1 && out[1].key_id == out[0].key_id)
            i--;
    }
    if (e != MCGK_OK) {
        mcgk_wipe(out, sizeof *out * MCGK_GMS_JOB_GMKS);
        return e;
    }
    *n = count;
    return MCGK_OK;
}

mcgk_err mcgk_gms_key_params(const mcgk_gms_gmk_info *g, const char *const *groups,
                             size_t n_groups, int revoked, mcgk_key_params *kp)
{
    if (g == NULL || groups == NULL || kp == NULL || n_groups == 0 ||
        n_groups > MCGK_KP_MAX_GROUPS)
        return MCGK_ERR_INVALID_ARG;
    size_t tl = strnlen(g->text, sizeof g->text);
    if (tl > MCGK_KP_TEXT_MAX)
        return MCGK_ERR_INVALID_ARG;
    mcgk_key_params tmp;
    mcgk_key_params_init(&tmp, MCGK_PURPOSE_GMK); /* E.6.11 key type GMK */
    if (revoked)
        tmp.status &= ~MCGK_KP_STATUS_NOT_REVOKED; /* E.6.9, R-003-34 */
    /* E.6.4 / E.6.10: 40-bit NTP times; 0 = not given */
    tmp.activation_ntp_s = g->activation_unix_s ? g->activation_unix_s + MCGK_NTP_UNIX_OFFSET_S : 0;
    tmp.expiry_ntp_s = g->expiry_unix_s ? g->expiry_unix_s + MCGK_NTP_UNIX_OFFSET_S : 0;
    memcpy(tmp.text, g->text, tl);
    tmp.text[tl] = '\0';
    tmp.text_len = tl;
    for (size_t i = 0; i < n_groups; i++) { /* E.6.3, R-001-06/07 */
        if (groups[i] == NULL)
            return MCGK_ERR_INVALID_ARG;
        mcgk_err e = mcgk_key_params_add_group(&tmp, groups[i], strlen(groups[i]));
        if (e != MCGK_OK)
            return MCGK_ERR_INVALID_ARG;
    }
    *kp = tmp;
    mcgk_wipe(&tmp, sizeof tmp);
    return MCGK_OK;
}

/* newer first: activation, then creation, then key ID (a total order) */
static int newer(const mcgk_gms_gmk_info *a, const mcgk_gms_gmk_info *b)
{
    if (a->activation_unix_s != b->activation_unix_s)
        return a->activation_unix_s > b->activation_unix_s;
    if (a->created_unix_s != b->created_unix_s)
        return a->created_unix_s > b->created_unix_s;
    return a->key_id > b->key_id;
}

size_t mcgk_gms_current_gmks(const mcgk_gms_gmk_info *c, size_t n, uint64_t now_unix_s,
                             size_t *idx, size_t cap)
{
    if (c == NULL || idx == NULL)
        return 0;
    size_t out = 0, per_use[2] = {0, 0};
    /* selection by repeated maximum: n is small (the GMKs of one group) */
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            const mcgk_gms_gmk_info *g = &c[i];
            if (g->revoked || (g->expiry_unix_s != 0 && g->expiry_unix_s <= now_unix_s))
                continue;
            size_t u = g->use == MCGK_GMK_USE_FLOOR_CONTROL ? 1 : 0;
            if (per_use[u] >= 2)
                continue;
            int taken = 0;
            for (size_t k = 0; k < out; k++)
                if (idx[k] == i)
                    taken = 1;
            if (taken)
                continue;
            if (best == n || newer(g, &c[best]))
                best = i;
        }
        if (best == n || out == cap)
            return out;
        per_use[c[best].use == MCGK_GMK_USE_FLOOR_CONTROL ? 1 : 0]++;
        idx[out++] = best;
    }
}

/* ---- the member's document ---- */

mcgk_err mcgk_gms_member_doc(int kind, const mcgk_gms_group_ref *groups, size_t n_groups,
                             uint32_t mask, uint64_t seq, const uint8_t *const *msgs,
                             const size_t *msg_lens, const mcgk_gmk_use *uses, size_t n_msgs,
                             char *out, size_t out_cap, size_t *out_len)
{
    if (groups == NULL || out_len == NULL || n_groups == 0 || n_groups > MCGK_GMS_JOB_GROUPS ||
        mask == 0 || (n_groups < 32 && (mask >> n_groups) != 0) || n_msgs > MCGK_GMS_DOC_GMKS ||
        (n_msgs > 0 && (msgs == NULL || msg_lens == NULL || uses == NULL)) ||
        (kind == MCGK_GMS_JOB_REMOVE && n_msgs != 0) || mcgk_gms_job_kind_name(kind) == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_groupdoc *d = calloc(1, sizeof *d);
    if (d == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = MCGK_OK;
    d->seq = seq;
    for (size_t i = 0; i < n_groups && e == MCGK_OK; i++) {
        if (!(mask & (1u << i)))
            continue;
        const mcgk_gms_group_ref *g = &groups[i];
        mcgk_groupdoc_group *o = &d->groups[d->n_groups++];
        const char *name = g->name != NULL ? g->name : "";
        if (g->id == NULL || g->gms_uri == NULL || strlen(g->id) >= sizeof o->id ||
            strlen(g->gms_uri) >= sizeof o->gms || strlen(name) >= sizeof o->name) {
            e = MCGK_ERR_INVALID_ARG;
            break;
        }
        strcpy(o->id, g->id);
        strcpy(o->gms, g->gms_uri);
        strcpy(o->name, name);
        o->removed = kind == MCGK_GMS_JOB_REMOVE; /* R-001-25: the user-profile update */
    }
    for (size_t i = 0; i < n_msgs && e == MCGK_OK; i++) {
        if (msgs[i] == NULL || msg_lens[i] == 0 || msg_lens[i] > MCGK_GROUPDOC_MSG_MAX) {
            e = MCGK_ERR_INVALID_ARG;
            break;
        }
        mcgk_groupdoc_gmk *k = &d->gmks[d->n_gmks++];
        k->use = uses[i]; /* R-004-13: both GMKs of a pair in one document */
        k->msg_len = msg_lens[i];
        memcpy(k->msg, msgs[i], msg_lens[i]);
    }
    if (e == MCGK_OK)
        e = mcgk_groupdoc_encode(d, out, out_cap, out_len);
    free(d);
    return e;
}

/* ---- the HTTPS pull ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..len) into out (cap with the NUL); no NUL octet allowed. */
static mcgk_err pct_decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= len)
                return MCGK_ERR_NOT_FOUND;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return MCGK_ERR_NOT_FOUND;
            c = h * 16 + l;
            i += 2;
            if (c == 0)
                return MCGK_ERR_NOT_FOUND;
        }
        if (o + 1 >= cap)
            return MCGK_ERR_NOT_FOUND;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return MCGK_OK;
}

static int ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return 0;
    }
    return 1;
}

void mcgk_gms_http_req_clear(mcgk_gms_http_req *r)
{
    if (r != NULL)
        mcgk_wipe(r, sizeof *r);
}

mcgk_err mcgk_gms_http_parse(const char *method, const char *path, const char *authorization,
                             const uint8_t *body, size_t body_len, mcgk_gms_http_req *out)
{
    static const char prefix[] = "/groups/", suffix[] = "/result";
    if (method == NULL || path == NULL || out == NULL || (body == NULL && body_len != 0))
        return MCGK_ERR_INVALID_ARG;
    mcgk_gms_http_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = MCGK_OK;
    size_t pl = strlen(path), pre = sizeof prefix - 1, suf = sizeof suffix - 1;
    const char *seg = path + pre;
    size_t seg_len = 0;
    if (pl <= pre || strncmp(path, prefix, pre) != 0) {
        e = MCGK_ERR_NOT_FOUND;
    } else {
        seg_len = strcspn(seg, "/");
        if (seg[seg_len] == '\0') {
            r->route = MCGK_GMS_ROUTE_GET_GROUP;
        } else if (strcmp(seg + seg_len, suffix) == 0 && seg + seg_len + suf == path + pl) {
            r->route = MCGK_GMS_ROUTE_RESULT;
        } else {
            e = MCGK_ERR_NOT_FOUND;
        }
    }
    if (e == MCGK_OK && seg_len == 0)
        e = MCGK_ERR_NOT_FOUND;
    if (e == MCGK_OK)
        e = pct_decode(seg, seg_len, r->group_id, sizeof r->group_id);
    if (e == MCGK_OK && mcgk_gms_check_group_id(r->group_id) != MCGK_OK)
        e = MCGK_ERR_NOT_FOUND;
    if (e == MCGK_OK) {
        const char *want = r->route == MCGK_GMS_ROUTE_GET_GROUP ? "GET" : "POST";
        if (strcmp(method, want) != 0)
            e = MCGK_ERR_METHOD;
    }
    if (e == MCGK_OK) {
        /* RFC 6750 §2.1: "Bearer" SP token; the scheme is case-insensitive */
        if (authorization == NULL || authorization[0] == '\0') {
            e = MCGK_ERR_AUTH_MISSING;
        } else if (strlen(authorization) != 7 + MCGK_KMS_TOKEN_LEN ||
                   !ascii_ieq(authorization, "Bearer ", 7)) {
            e = MCGK_ERR_AUTH_FAILED;
        } else {
            const char *t = authorization + 7;
            for (size_t i = 0; i < MCGK_KMS_TOKEN_LEN; i++)
                if (hexval((unsigned char)t[i]) < 0)
                    e = MCGK_ERR_AUTH_FAILED;
            if (e == MCGK_OK) {
                memcpy(r->token, t, MCGK_KMS_TOKEN_LEN);
                r->token[MCGK_KMS_TOKEN_LEN] = '\0';
            }
        }
    }
    if (e == MCGK_OK && r->route == MCGK_GMS_ROUTE_RESULT)
        e = mcgk_groupdoc_result_parse(body != NULL ? body : (const uint8_t *)"", body_len,
                                       &r->result);
    if (e == MCGK_OK)
        memcpy(out, r, sizeof *r);
    mcgk_wipe(r, sizeof *r);
    free(r);
    return e;
}

int mcgk_gms_http_status(mcgk_err e)
{
    switch (e) {
    case MCGK_OK: return 200;
    case MCGK_ERR_MALFORMED:
    case MCGK_ERR_BASE64:
    case MCGK_ERR_XML_SYNTAX:
    case MCGK_ERR_XML_DTD:
    case MCGK_ERR_XML_DEPTH:
    case MCGK_ERR_XML_NAMESPACE:
    case MCGK_ERR_XML_UNKNOWN:
    case MCGK_ERR_XML_MISSING:
    case MCGK_ERR_XML_DUPLICATE:
        return 400;
    case MCGK_ERR_AUTH_MISSING:
    case MCGK_ERR_AUTH_FAILED:
        return 401;
    case MCGK_ERR_FORBIDDEN:
    case MCGK_ERR_REVOKED:
        return 403;
    case MCGK_ERR_NOT_FOUND: return 404;
    case MCGK_ERR_METHOD: return 405;
    case MCGK_ERR_OVERSIZED: return 413;
    default: return 500;
    }
}

/* ---- building the members' messages ---- */

mcgk_err mcgk_gms_ctx_init(mcgk_gmk_ctx *ctx, const mcgk_gms_ctx_in *in)
{
    if (ctx == NULL || in == NULL || in->key == NULL || in->rand == NULL || in->info == NULL ||
        in->gms_uri == NULL || in->gms_kms == NULL || in->signer == NULL)
        return MCGK_ERR_INVALID_ARG;
    mcgk_key_params *kp = malloc(sizeof *kp);
    if (kp == NULL)
        return MCGK_ERR_NO_MEMORY;
    mcgk_err e = mcgk_gms_key_params(in->info, in->groups, in->n_groups, in->revoked, kp);
    if (e == MCGK_OK) {
        mcgk_gmk_build_cfg c;
        memset(&c, 0, sizeof c);
        c.key = in->key;
        c.key_id = in->key_id;
        c.rand = in->rand;
        c.rand_len = MCGK_GMK_RAND_LEN;
        c.ts_ntp_s = in->ts_ntp_s;
        c.ts_frac = in->ts_frac;
        c.params = kp; /* R-001-13 / R-003-16: parameters encrypted under the GMK */
        c.gms_uri = in->gms_uri;
        c.gms_kms = in->gms_kms;
        c.signer = in->signer;
        c.map = MCGK_GMK_MAP_GENERIC;
        c.cs_id = MCGK_GMK_CS_ID_MCPTT;
        e = mcgk_gmk_ctx_init(ctx, &c);
    }
    mcgk_wipe(kp, sizeof *kp);
    free(kp);
    return e;
}

mcgk_err mcgk_gms_build_docs(int kind, const mcgk_gms_group_ref *groups, size_t n_groups,
                             uint32_t mask, const mcgk_gmk_ctx *const *ctxs,
                             const mcgk_gmk_use *uses, size_t n_gmks,
                             const mcgk_gmk_member *members, const uint64_t *seqs, size_t n,
                             const mcgk_rng *rng, mcgk_gms_doc_out *outs)
{
    if (groups == NULL || members == NULL || seqs == NULL || outs == NULL || rng == NULL ||
        n_gmks > MCGK_GMS_DOC_GMKS || (n_gmks > 0 && (ctxs == NULL || uses == NULL)))
        return MCGK_ERR_INVALID_ARG;
    if (n == 0)
        return MCGK_OK;
    size_t slots = n * (n_gmks ? n_gmks : 1);
    uint8_t *bufs = malloc(slots * MCGK_GROUPDOC_MSG_MAX);
    mcgk_gmk_out *gouts = calloc(slots, sizeof *gouts);
    if (bufs == NULL || gouts == NULL) {
        free(bufs);
        free(gouts);
        return MCGK_ERR_NO_MEMORY;
    }
    for (size_t k = 0; k < n_gmks; k++) {
        mcgk_gmk_out *o = gouts + k * n;
        for (size_t i = 0; i < n; i++) {
            o[i].buf = bufs + (k * n + i) * MCGK_GROUPDOC_MSG_MAX;
            o[i].cap = MCGK_GROUPDOC_MSG_MAX;
        }
        /* R-000-19: a different I_MESSAGE for each member */
        (void)mcgk_gmk_build_batch(ctxs[k], members, n, rng, o);
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *msgs[MCGK_GMS_DOC_GMKS];
        size_t lens[MCGK_GMS_DOC_GMKS];
        mcgk_err e = MCGK_OK;
        for (size_t k = 0; k < n_gmks; k++) {
            const mcgk_gmk_out *o = &gouts[k * n + i];
            if (o->err != MCGK_OK && e == MCGK_OK)
                e = o->err;
            msgs[k] = o->buf;
            lens[k] = o->len;
            outs[i].guk_ids[k] = o->guk_id;
        }
        if (e == MCGK_OK)
            e = mcgk_gms_member_doc(kind, groups, n_groups, mask, seqs[i], msgs, lens, uses,
                                    n_gmks, outs[i].buf, outs[i].cap, &outs[i].len);
        outs[i].err = e;
    }
    free(bufs);
    free(gouts);
    return MCGK_OK;
}
