/* ota_net_fetch(): the download loop on top of libcurl (contract in include/ota/net.h). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <mbedtls/sha256.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ota/net.h"
#include "ota_port/hash_mbedtls.h"
#include "response.h"

#define READBACK_CHUNK 4096u

typedef struct identity {
    char etag[OTA_NET_ETAG_MAX];
    char last_modified[OTA_NET_LAST_MODIFIED_MAX];
    uint64_t total;
} identity_t;

typedef struct fetch {
    const ota_net_config_t *cfg;
    const ota_net_sink_t *sink;
    ota_net_result_t *res;
    CURL *curl;
    struct curl_slist *headers;
    char curl_err[CURL_ERROR_SIZE];
    uint8_t url_sha256[OTA_SHA256_LEN];

    identity_t id;              /* of the image being fetched (zero until a 200 names it) */
    bool begun;                 /* decide accepted it and sink->begin was called */
    uint64_t offset;            /* image bytes obtained: in head[] until begun, then in the sink */
    uint64_t committed;         /* bytes the saved progress record claims */
    uint64_t high_water;        /* furthest offset reached (retry accounting) */
    mbedtls_sha256_context sha; /* over image bytes [0, offset) once begun */
    uint8_t head[OTA_NET_HEAD_LEN];

    /* the current attempt */
    net_response_t resp;
    bool evaluated;      /* the final response's headers were checked */
    uint64_t range_from; /* start of the Range sent, 0 = none */
    ota_err_t cb_err;    /* error raised inside a libcurl callback */
    uint64_t start_ms, last_data_ms, attempt_bytes;
    uint64_t window_ms, window_bytes; /* start of the current rate window */
} fetch_t;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Record why the attempt failed in res->detail; returns err. */
static ota_err_t explain(fetch_t *st, ota_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ota_err_t explain(fetch_t *st, ota_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->res->detail, sizeof st->res->detail, fmt, ap);
    va_end(ap);
    return err;
}

static size_t head_len(const fetch_t *st)
{
    return st->id.total < OTA_NET_HEAD_LEN ? (size_t)st->id.total : OTA_NET_HEAD_LEN;
}

static bool has_validator(const identity_t *id)
{
    return id->etag[0] || id->last_modified[0];
}

/* ---- hashing and the progress record ---------------------------------- */

static ota_err_t hash_reset(fetch_t *st)
{
    return mbedtls_sha256_starts_ret(&st->sha, 0) ? OTA_ERR_IO : OTA_OK;
}

static ota_err_t hash_update(fetch_t *st, const uint8_t *p, size_t len)
{
    return mbedtls_sha256_update_ret(&st->sha, p, len) ? OTA_ERR_IO : OTA_OK;
}

/* Digest of the bytes hashed so far, leaving the running hash untouched. */
static ota_err_t hash_peek(const fetch_t *st, uint8_t out[OTA_SHA256_LEN])
{
    mbedtls_sha256_context tmp;
    mbedtls_sha256_init(&tmp);
    mbedtls_sha256_clone(&tmp, &st->sha);
    int rc = mbedtls_sha256_finish_ret(&tmp, out);
    mbedtls_sha256_free(&tmp);
    return rc ? OTA_ERR_IO : OTA_OK;
}

/* Make the sink's bytes durable, then let the record claim them (never the other order). */
static ota_err_t commit(fetch_t *st)
{
    const ota_net_store_t *store = st->cfg->store;
    if (!store || !st->begun || st->offset == st->committed || !has_validator(&st->id)) {
        return OTA_OK; /* a record without a validator could never be resumed */
    }
    ota_net_record_t rec;
    memcpy(rec.url_sha256, st->url_sha256, sizeof rec.url_sha256);
    rec.total = st->id.total;
    rec.committed = st->offset;
    memcpy(rec.etag, st->id.etag, sizeof rec.etag);
    memcpy(rec.last_modified, st->id.last_modified, sizeof rec.last_modified);
    ota_err_t err = st->sink->flush(st->sink->ctx);
    if (!err) {
        err = hash_peek(st, rec.prefix_sha256);
    }
    if (!err) {
        uint8_t blob[OTA_NET_RECORD_LEN];
        ota_net_record_encode(&rec, blob);
        err = store->save(store->ctx, blob, sizeof blob);
    }
    if (err) {
        return explain(st, err, "saving the progress record failed: %s", ota_strerror(err));
    }
    st->committed = st->offset;
    return OTA_OK;
}

/* The bytes obtained cannot be continued: forget them and start again from 0.
 * The record goes first, so it never claims bytes the sink no longer has. */
static ota_err_t discard(fetch_t *st)
{
    const ota_net_store_t *store = st->cfg->store;
    ota_err_t err = OTA_OK;
    if (st->offset > 0) {
        st->res->restarts++;
    }
    if (store && st->committed > 0) {
        err = store->erase(store->ctx);
    }
    if (!err && st->begun) {
        err = st->sink->restart(st->sink->ctx);
    }
    if (err) {
        return explain(st, err, "restarting the download failed: %s", ota_strerror(err));
    }
    st->committed = 0;
    st->begun = false;
    memset(&st->id, 0, sizeof st->id);
    st->offset = 0;
    return hash_reset(st);
}

/* ---- handing bytes to the sink ---------------------------------------- */

static void report_progress(const fetch_t *st, uint64_t done)
{
    if (st->cfg->progress) {
        uint64_t ms = now_ms() - st->start_ms;
        st->cfg->progress(st->cfg->progress_ctx, done, st->id.total,
                          st->attempt_bytes * 1000u / (ms ? ms : 1));
    }
}

static ota_err_t sink_put(fetch_t *st, uint64_t pos, const uint8_t *p, size_t len)
{
    ota_err_t err = st->sink->write(st->sink->ctx, pos, p, len);
    if (err) {
        return explain(st, err, "sink write at %" PRIu64 " failed: %s", pos, ota_strerror(err));
    }
    err = hash_update(st, p, len);
    report_progress(st, pos + len);
    return err;
}

static ota_err_t run_decide(fetch_t *st)
{
    const ota_net_config_t *cfg = st->cfg;
    ota_err_t err = cfg->decide ? cfg->decide(cfg->decide_ctx, st->head, head_len(st), st->id.total)
                                : OTA_OK;
    return err ? explain(st, err, "the decide callback refused the image") : OTA_OK;
}

static ota_err_t sink_begin(fetch_t *st, uint64_t offset)
{
    ota_err_t err = st->sink->begin ? st->sink->begin(st->sink->ctx, st->id.total, offset) : OTA_OK;
    if (err) {
        return explain(st, err, "sink begin failed: %s", ota_strerror(err));
    }
    st->begun = true;
    return OTA_OK;
}

/* The head is complete: only now may the sink be touched. */
static ota_err_t begin_image(fetch_t *st)
{
    ota_err_t err = run_decide(st);
    if (!err) {
        err = sink_begin(st, 0);
    }
    return err ? err : sink_put(st, 0, st->head, head_len(st));
}

/* Split at multiples of commit_interval and commit exactly there, so records
 * and resume offsets stay aligned to it. */
static ota_err_t append(fetch_t *st, const uint8_t *p, size_t len)
{
    uint64_t interval = st->cfg->commit_interval;
    while (len > 0) {
        uint64_t to_boundary = interval - st->offset % interval;
        size_t take = len < to_boundary ? len : (size_t)to_boundary;
        ota_err_t err = sink_put(st, st->offset, p, take);
        if (err) {
            return err;
        }
        st->offset += take;
        err = st->offset % interval == 0 ? commit(st) : OTA_OK;
        if (err) {
            return err;
        }
        p += take;
        len -= take;
    }
    return OTA_OK;
}

/* Body bytes at st->offset, all within the announced length. The head is
 * collected first; once complete (at once for a zero-length image) the image
 * is begun and the rest goes straight to the sink. */
static ota_err_t consume(fetch_t *st, const uint8_t *p, size_t len)
{
    while (len > 0 || (!st->begun && st->offset == head_len(st))) {
        size_t take = len;
        ota_err_t err;
        if (!st->begun) {
            size_t want = head_len(st) - (size_t)st->offset;
            take = len < want ? len : want;
            if (take > 0) {
                memcpy(st->head + st->offset, p, take);
            }
            st->offset += take;
            err = st->offset == head_len(st) ? begin_image(st) : OTA_OK;
        } else {
            err = append(st, p, take);
        }
        if (err) {
            return err;
        }
        p += take;
        len -= take;
    }
    return OTA_OK;
}

static ota_err_t on_data(fetch_t *st, const uint8_t *p, size_t len)
{
    uint64_t room = st->id.total - st->offset;
    size_t usable = len > room ? (size_t)room : len;
    ota_err_t err = consume(st, p, usable);
    if (!err && usable < len) {
        err = explain(st, OTA_ERR_NET_LONG_BODY, "more than the %" PRIu64 " bytes announced",
                      st->id.total);
    }
    return err;
}

/* ---- checking a response before its body is used ---------------------- */

static ota_err_t accept_full(fetch_t *st)
{
    const net_response_t *r = &st->resp;
    if (!r->has_length || r->length_bad) {
        return explain(st, OTA_ERR_NET_NO_LENGTH, "HTTP 200 without a usable Content-Length");
    }
    if (r->length > st->sink->capacity) {
        return explain(st, OTA_ERR_NET_TOO_LARGE,
                       "Content-Length %" PRIu64 " exceeds the capacity %" PRIu64, r->length,
                       st->sink->capacity);
    }
    if (st->offset > 0) {
        /* a whole image where a continuation was asked for: start over with it */
        ota_err_t err = discard(st);
        if (err) {
            return err;
        }
    }
    memcpy(st->id.etag, r->etag, sizeof st->id.etag);
    memcpy(st->id.last_modified, r->last_modified, sizeof st->id.last_modified);
    st->id.total = r->length;
    return OTA_OK;
}

static bool same_identity(const identity_t *id, const net_response_t *r)
{
    if (id->etag[0]) {
        return strcmp(id->etag, r->etag) == 0;
    }
    return id->last_modified[0] && strcmp(id->last_modified, r->last_modified) == 0;
}

/* A 206 continues our bytes only if it is exactly [range_from, total) of the
 * same image: same validator and same total length. */
static ota_err_t accept_partial(fetch_t *st)
{
    const net_response_t *r = &st->resp;
    uint64_t total = st->id.total, from = st->range_from;
    ota_err_t err = OTA_OK;
    if (from == 0 || !r->has_range || r->length_bad) {
        err = explain(st, OTA_ERR_NET_RANGE, "HTTP 206 without a usable Content-Range");
    } else if (!same_identity(&st->id, r) || r->range_total != total) {
        err = explain(st, OTA_ERR_NET_IDENTITY,
                      "now %" PRIu64 " bytes, ETag %s, Last-Modified %s (was %" PRIu64 ", %s, %s)",
                      r->range_total, r->etag, r->last_modified, total, st->id.etag,
                      st->id.last_modified);
    } else if (r->range_first != from || r->range_last + 1 != total ||
               (r->has_length && r->length != total - from)) {
        err = explain(st, OTA_ERR_NET_RANGE,
                      "HTTP 206 does not continue bytes=%" PRIu64 "- of %" PRIu64, from, total);
    }
    if (err) {
        ota_err_t derr = discard(st);
        return derr ? derr : err;
    }
    return OTA_OK;
}

static ota_err_t evaluate(fetch_t *st)
{
    long status = st->resp.status;
    st->evaluated = true;
    st->res->http_status = status;
    if (status == 200) {
        return accept_full(st);
    }
    if (status == 206) {
        return accept_partial(st);
    }
    if (status == 416 && st->range_from > 0) {
        ota_err_t err = discard(st);
        return err ? err : explain(st, OTA_ERR_NET_RANGE, "HTTP 416 to a Range request");
    }
    return explain(st, OTA_ERR_NET_HTTP_STATUS, "HTTP %ld", status);
}

/* ---- libcurl callbacks ------------------------------------------------- */

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    fetch_t *st = ud;
    net_response_line(&st->resp, line, size * n);
    return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    fetch_t *st = ud;
    size_t len = size * n;
    ota_err_t err = st->evaluated ? OTA_OK : evaluate(st);
    if (!err) {
        st->res->transferred += len;
        st->attempt_bytes += len;
        st->last_data_ms = now_ms();
        err = on_data(st, (const uint8_t *)data, len);
    }
    if (err) {
        st->cb_err = err;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return len;
}

/* A trickle that never stops is as useless as a stall: each window of
 * stall_timeout_ms must bring min_rate_bps on average. */
static bool too_slow(fetch_t *st, uint64_t now)
{
    uint64_t span = now - st->window_ms;
    if (span < st->cfg->stall_timeout_ms) {
        return false;
    }
    if (st->attempt_bytes - st->window_bytes < st->cfg->min_rate_bps * span / 1000u) {
        return true;
    }
    st->window_ms = now;
    st->window_bytes = st->attempt_bytes;
    return false;
}

/* libcurl calls this at least once a second, also while nothing arrives. */
static int on_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    fetch_t *st = ud;
    const ota_net_config_t *cfg = st->cfg;
    uint64_t now = now_ms();
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (now - st->last_data_ms >= cfg->stall_timeout_ms) {
        st->cb_err = explain(st, OTA_ERR_NET_TIMEOUT, "no data for %" PRIu32 " ms",
                             cfg->stall_timeout_ms);
        return 1;
    }
    if (too_slow(st, now)) {
        st->cb_err = explain(st, OTA_ERR_NET_TIMEOUT, "below %" PRIu32 " B/s for %" PRIu32 " ms",
                             cfg->min_rate_bps, cfg->stall_timeout_ms);
        return 1;
    }
    return 0;
}

/* ---- one request ------------------------------------------------------- */

static ota_err_t from_curl(fetch_t *st, CURLcode rc)
{
    ota_err_t err;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        err = OTA_ERR_NET_CONNECT;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        err = OTA_ERR_NET_TIMEOUT;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
        err = OTA_ERR_NET_TLS;
        break;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        err = OTA_ERR_NET_TLS_PIN;
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* the only way here is a redirect to a scheme the config refuses */
        err = st->cfg->allow_http ? OTA_ERR_NET_TRANSFER : OTA_ERR_NET_INSECURE;
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        err = st->evaluated ? OTA_ERR_NET_SHORT_BODY : OTA_ERR_NET_CONNECT;
        break;
    default:
        err = OTA_ERR_NET_TRANSFER;
        break;
    }
    return explain(st, err, "%s", st->curl_err[0] ? st->curl_err : curl_easy_strerror(rc));
}

/* Ask for the bytes still missing; without a validator a continuation could
 * not be checked, so the download starts over instead. */
static ota_err_t set_range(fetch_t *st)
{
    char range[32];
    if (st->offset > 0 && !has_validator(&st->id)) {
        ota_err_t err = discard(st);
        if (err) {
            return err;
        }
    }
    st->range_from = st->offset;
    snprintf(range, sizeof range, "%" PRIu64 "-", st->offset);
    CURLcode rc = curl_easy_setopt(st->curl, CURLOPT_RANGE, st->offset > 0 ? range : NULL);
    return rc == CURLE_OK ? OTA_OK : from_curl(st, rc);
}

/* One request; OTA_OK only when the image is complete in the sink. */
static ota_err_t attempt(fetch_t *st)
{
    ota_err_t err = set_range(st);
    if (err) {
        return err;
    }
    net_response_reset(&st->resp);
    st->evaluated = false;
    st->cb_err = OTA_OK;
    st->attempt_bytes = 0;
    st->start_ms = st->last_data_ms = st->window_ms = now_ms();
    st->window_bytes = 0;
    st->curl_err[0] = '\0';
    st->res->detail[0] = '\0';
    st->res->attempts++;

    CURLcode rc = curl_easy_perform(st->curl);
    if (st->cb_err) {
        return st->cb_err;
    }
    if (rc != CURLE_OK) {
        return from_curl(st, rc);
    }
    err = st->evaluated ? OTA_OK : evaluate(st); /* a response without body bytes */
    if (!err) {
        err = consume(st, NULL, 0); /* begins a zero-length image */
    }
    if (!err && st->offset < st->id.total) {
        err = explain(st, OTA_ERR_NET_SHORT_BODY,
                      "connection closed after %" PRIu64 " of %" PRIu64 " bytes", st->offset,
                      st->id.total);
    }
    return err;
}

/* ---- resume across a reboot -------------------------------------------- */

static bool record_usable(const fetch_t *st, const ota_net_record_t *rec)
{
    uint64_t head = rec->total < OTA_NET_HEAD_LEN ? rec->total : OTA_NET_HEAD_LEN;
    return memcmp(rec->url_sha256, st->url_sha256, OTA_SHA256_LEN) == 0 &&
           rec->total <= st->sink->capacity && rec->committed > 0 && rec->committed >= head &&
           (rec->etag[0] || rec->last_modified[0]);
}

/* Hash the sink's first `committed` bytes into st->sha (keeping the head)
 * and compare with the record. */
static bool prefix_matches(fetch_t *st, const ota_net_record_t *rec)
{
    uint8_t chunk[READBACK_CHUNK], digest[OTA_SHA256_LEN];
    for (uint64_t pos = 0; pos < rec->committed;) {
        uint64_t left = rec->committed - pos;
        size_t n = left < sizeof chunk ? (size_t)left : sizeof chunk;
        if (st->sink->read(st->sink->ctx, pos, chunk, n) || hash_update(st, chunk, n)) {
            return false;
        }
        if (pos < OTA_NET_HEAD_LEN) {
            size_t h = OTA_NET_HEAD_LEN - (size_t)pos;
            memcpy(st->head + pos, chunk, h < n ? h : n);
        }
        pos += n;
    }
    return !hash_peek(st, digest) && memcmp(digest, rec->prefix_sha256, OTA_SHA256_LEN) == 0;
}

static ota_err_t continue_from(fetch_t *st, const ota_net_record_t *rec)
{
    memcpy(st->id.etag, rec->etag, sizeof st->id.etag);
    memcpy(st->id.last_modified, rec->last_modified, sizeof st->id.last_modified);
    st->id.total = rec->total;
    st->offset = st->committed = st->high_water = rec->committed;
    st->res->resumed_from = rec->committed;
    ota_err_t err = run_decide(st);
    return err ? err : sink_begin(st, rec->committed);
}

static ota_err_t resume_from_record(fetch_t *st)
{
    const ota_net_store_t *store = st->cfg->store;
    uint8_t blob[OTA_NET_RECORD_LEN];
    size_t len = 0;
    ota_net_record_t rec;
    if (!store) {
        return OTA_OK;
    }
    ota_err_t err = store->load(store->ctx, blob, sizeof blob, &len);
    if (err == OTA_ERR_NOT_FOUND) {
        return OTA_OK;
    }
    if (!err) {
        err = ota_net_record_decode(blob, len, &rec);
    }
    if (err && err != OTA_ERR_NET_RECORD) {
        return explain(st, err, "loading the progress record failed: %s", ota_strerror(err));
    }
    if (!err && record_usable(st, &rec) && prefix_matches(st, &rec)) {
        return continue_from(st, &rec);
    }
    /* Stale or foreign: remove it before anything is written, so it never
     * claims bytes of this download. */
    err = hash_reset(st);
    return err ? err : store->erase(store->ctx);
}

/* ---- the whole download ------------------------------------------------ */

static bool transient(const fetch_t *st, ota_err_t err)
{
    switch (err) {
    case OTA_ERR_NET_CONNECT:
    case OTA_ERR_NET_TIMEOUT:
    case OTA_ERR_NET_SHORT_BODY:
    case OTA_ERR_NET_IDENTITY:
    case OTA_ERR_NET_RANGE:
        return true;
    case OTA_ERR_NET_HTTP_STATUS:
        return st->res->http_status >= 500;
    default:
        return false;
    }
}

static uint32_t backoff_delay(const ota_net_config_t *cfg, unsigned failures)
{
    uint64_t d = cfg->backoff_ms;
    for (unsigned i = 1; i < failures && d < cfg->backoff_max_ms; i++) {
        d *= 2;
    }
    return d < cfg->backoff_max_ms ? (uint32_t)d : cfg->backoff_max_ms;
}

/* Sink durable first, then the record goes: a cut in between resumes near the end. */
static ota_err_t finish(fetch_t *st)
{
    const ota_net_store_t *store = st->cfg->store;
    ota_err_t err = st->sink->flush ? st->sink->flush(st->sink->ctx) : OTA_OK;
    if (!err && store) {
        err = store->erase(store->ctx);
    }
    return err ? explain(st, err, "finishing failed: %s", ota_strerror(err)) : OTA_OK;
}

static ota_err_t download(fetch_t *st)
{
    unsigned failures = 0;
    while (!(st->begun && st->offset == st->id.total)) {
        ota_err_t err = attempt(st);
        if (st->offset > st->high_water) {
            st->high_water = st->offset; /* new bytes: the link works, count again */
            failures = 0;
        }
        if (!err) {
            break;
        }
        if (!transient(st, err) || ++failures > st->cfg->retries) {
            return err;
        }
        sleep_ms(backoff_delay(st->cfg, failures));
    }
    return finish(st);
}

#define SET_(opt, val)                                               \
    do {                                                             \
        CURLcode rc_ = curl_easy_setopt(st->curl, opt, val);        \
        if (rc_ != CURLE_OK) {                                       \
            return from_curl(st, rc_);                               \
        }                                                            \
    } while (0)

static ota_err_t setup_tls(fetch_t *st)
{
    const ota_net_config_t *cfg = st->cfg;
    SET_(CURLOPT_SSL_VERIFYPEER, 1L);
    SET_(CURLOPT_SSL_VERIFYHOST, 2L);
    if (cfg->ca_file) {
        SET_(CURLOPT_CAINFO, cfg->ca_file);
    }
    if (cfg->ca_pem) {
        struct curl_blob blob = {(void *)cfg->ca_pem, strlen(cfg->ca_pem), CURL_BLOB_COPY};
        SET_(CURLOPT_CAINFO_BLOB, &blob);
    }
    if (cfg->pinned_key) {
        SET_(CURLOPT_PINNEDPUBLICKEY, cfg->pinned_key);
    }
    return OTA_OK;
}

static ota_err_t setup_curl(fetch_t *st)
{
    const ota_net_config_t *cfg = st->cfg;
    const char *schemes = cfg->allow_http ? "http,https" : "https";
    st->curl = curl_easy_init();
    /* one connection per response, closed by the server: the engine itself
     * compares the body with Content-Length, so it sees short and long bodies */
    st->headers = curl_slist_append(NULL, "Connection: close");
    if (!st->curl || !st->headers) {
        return explain(st, OTA_ERR_NET_TRANSFER, "libcurl initialisation failed");
    }
    SET_(CURLOPT_ERRORBUFFER, st->curl_err);
    SET_(CURLOPT_URL, cfg->url);
    SET_(CURLOPT_PROTOCOLS_STR, schemes);
    SET_(CURLOPT_REDIR_PROTOCOLS_STR, schemes);
    SET_(CURLOPT_FOLLOWLOCATION, 1L);
    SET_(CURLOPT_MAXREDIRS, 5L);
    SET_(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET_(CURLOPT_HTTPHEADER, st->headers);
    SET_(CURLOPT_IGNORE_CONTENT_LENGTH, 1L);
    SET_(CURLOPT_FRESH_CONNECT, 1L);
    SET_(CURLOPT_FORBID_REUSE, 1L);
    SET_(CURLOPT_NOSIGNAL, 1L);
    SET_(CURLOPT_USERAGENT, "libota");
    SET_(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
    SET_(CURLOPT_HEADERFUNCTION, on_header);
    SET_(CURLOPT_HEADERDATA, st);
    SET_(CURLOPT_WRITEFUNCTION, on_body);
    SET_(CURLOPT_WRITEDATA, st);
    SET_(CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    SET_(CURLOPT_XFERINFODATA, st);
    SET_(CURLOPT_NOPROGRESS, 0L);
    return setup_tls(st);
}

#undef SET_

static ota_err_t check_args(const ota_net_config_t *cfg, const ota_net_sink_t *sink,
                            ota_net_result_t *res)
{
    const ota_net_store_t *store = cfg ? cfg->store : NULL;
    if (!cfg || !sink || !cfg->url || !sink->write || !sink->restart || cfg->commit_interval == 0 ||
        (cfg->ca_file && cfg->ca_pem) ||
        (store && (!store->save || !store->load || !store->erase || !sink->read || !sink->flush))) {
        snprintf(res->detail, sizeof res->detail, "incomplete or inconsistent configuration");
        return OTA_ERR_INVALID_ARG;
    }
    if (strncasecmp(cfg->url, "https://", 8) == 0) {
        return OTA_OK;
    }
    if (strncasecmp(cfg->url, "http://", 7) == 0) {
        if (cfg->allow_http) {
            return OTA_OK;
        }
        snprintf(res->detail, sizeof res->detail, "http:// refused (allow_http is not set)");
        return OTA_ERR_NET_INSECURE;
    }
    snprintf(res->detail, sizeof res->detail, "not an http(s) URL");
    return OTA_ERR_INVALID_ARG;
}

void ota_net_config_default(ota_net_config_t *cfg, const char *url)
{
    *cfg = (ota_net_config_t){
        .url = url,
        .connect_timeout_ms = 10000,
        .stall_timeout_ms = 30000,
        .min_rate_bps = 100,
        .retries = 3,
        .backoff_ms = 250,
        .backoff_max_ms = 4000,
        .commit_interval = 64u * 1024u,
    };
}

ota_err_t ota_net_fetch(const ota_net_config_t *cfg, const ota_net_sink_t *sink,
                        ota_net_result_t *res)
{
    ota_net_result_t ignored;
    if (!res) {
        res = &ignored;
    }
    memset(res, 0, sizeof *res);
    ota_err_t err = check_args(cfg, sink, res);
    if (err) {
        return err;
    }
    fetch_t st = {.cfg = cfg, .sink = sink, .res = res};
    mbedtls_sha256_init(&st.sha);
    ota_port_sha256(cfg->url, strlen(cfg->url), st.url_sha256);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* reference-counted; paired below */
    err = hash_reset(&st);
    if (!err) {
        err = setup_curl(&st);
    }
    if (!err) {
        err = resume_from_record(&st);
    }
    if (!err) {
        err = download(&st);
    }
    res->total = st.id.total;
    res->written = st.begun ? st.offset : 0;
    curl_easy_cleanup(st.curl);
    curl_slist_free_all(st.headers);
    curl_global_cleanup();
    mbedtls_sha256_free(&st.sha);
    return err;
}
