/*
 * HTTP(S) image download engine with safe resume (host only, libcurl).
 *
 * ota_net_fetch() streams one image from an http:// or https:// URL into a
 * caller-supplied sink, through a bounded buffer (the image is never held in
 * memory). The sink is an update session writing the next OTA slot
 * (ota_net_update_sink_t, `ota device`) or a file (`ota fetch`).
 *
 * Order of events for one image:
 *   1. The response headers are checked: status, Content-Length against the
 *      sink's capacity. Nothing has been handed to the sink yet.
 *   2. The first OTA_NET_HEAD_LEN bytes (image header + segment header + app
 *      descriptor, spec §4.1/§4.4) are collected and passed to `decide`, which
 *      may refuse (wrong chip, lower secure_version, not an image) or skip
 *      (same version). Only when it accepts are sink->begin and sink->write
 *      called.
 *   3. The rest is streamed to sink->write at sequential offsets. With a store
 *      configured, each time the offset reaches a multiple of
 *      `commit_interval`, sink->flush makes the bytes durable and then the
 *      progress record is saved. Writes are split at those multiples, so
 *      every record (and every resume offset) is a multiple of
 *      commit_interval: a flash sink whose flush can only persist whole
 *      blocks gets block-aligned records if the interval is a multiple of
 *      its block (the 64 KiB default is a multiple of the 4 KiB sector).
 *
 * Resume within one call: after a broken connection, stall or 5xx, the next
 * attempt asks for `Range: bytes=N-` where N is every byte already obtained.
 * Only a 206 whose Content-Range is exactly "N-(T-1)/T" with T the original
 * length, and whose identity (strong ETag, else Last-Modified) equals the first
 * response's, is appended. A 200 to the Range request is used as a fresh
 * download from byte 0 after sink->restart; any other mismatch (identity,
 * Content-Range, 416) calls sink->restart and the next attempt starts from 0.
 * A 200 body is never written at a resume offset. When the first response had
 * no validator (no strong ETag, no Last-Modified) resuming cannot be checked,
 * so a broken download always restarts from 0.
 *
 * Retries: a failed attempt is retried if the failure is transient (connect
 * error, timeout, short body, 5xx, identity/Range mismatch) after a delay of
 * backoff_ms doubled per consecutive failure (capped at backoff_max_ms). At
 * most `retries` consecutive failures are retried; the count starts over when
 * an attempt brings new bytes (beyond any offset reached before), so a long
 * download over a flaky link completes while a dead server fails fast.
 * `retries` = 0 means a single attempt. Every response is read on its own
 * connection ("Connection: close"); the body length is checked against
 * Content-Length by the engine, so a body shorter or longer than announced is
 * detected (OTA_ERR_NET_SHORT_BODY / OTA_ERR_NET_LONG_BODY).
 *
 * Resume across a reboot (store != NULL): the progress record (struct below)
 * names the URL (SHA-256), the image identity and length, the number of bytes
 * committed and the SHA-256 of that prefix. At start the record is loaded; if
 * it matches the URL and the sink's capacity, the prefix is read back through
 * sink->read and hashed, and only if the hash matches is `decide` run again on
 * the header read back and the download continued with a Range request. Any
 * mismatch (other URL, corrupt record, different prefix) erases the record
 * and starts from 0. At most commit_interval bytes are downloaded twice.
 *
 * Why a power cut at any point leaves the record consistent:
 *   - The record never claims more than the sink has made durable: growing, the
 *     order is sink->write ... sink->flush, then store->save of the new length;
 *     shrinking (restart from 0), store->erase comes before sink->restart.
 *   - store->save replaces the record atomically (host: temporary file, fsync,
 *     rename, fsync of the directory), so after a cut it holds the old or the
 *     new record, each of which satisfies the rule above.
 *   - Bytes written after the last save are simply downloaded again; the prefix
 *     hash catches a sink that lost or changed data behind the record's back.
 *   - On success the record is erased after the final flush; a cut between the
 *     two leaves a valid record that resumes near the end.
 */
#ifndef OTA_NET_H
#define OTA_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"
#include "ota/hash.h"
#include "ota/ota.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes handed to `decide`: 0x20 (image + first segment header) + 256 (app descriptor). */
#define OTA_NET_HEAD_LEN (0x20u + 256u)

/* Size of an encoded progress record. */
#define OTA_NET_RECORD_LEN 312u

/* Longest validators that can be kept for resume (longer ones are not used). */
#define OTA_NET_ETAG_MAX 128u
#define OTA_NET_LAST_MODIFIED_MAX 64u

/* Where the image goes. Offsets are image offsets, written strictly in order. */
typedef struct ota_net_sink {
    void *ctx;
    uint64_t capacity; /* largest image accepted (UINT64_MAX: no limit) */

    /* Once per image, after `decide` accepted it and before its first write:
     * the image is `total` bytes and writes continue at `offset` (0: fresh;
     * > 0: the prefix [0, offset) kept from before a reboot). May be NULL. */
    ota_err_t (*begin)(void *ctx, uint64_t total, uint64_t offset);
    /* Store data at [offset, offset + len). Required. */
    ota_err_t (*write)(void *ctx, uint64_t offset, const void *data, size_t len);
    /* Make everything written so far durable. Required with a store. */
    ota_err_t (*flush)(void *ctx);
    /* Forget everything written: the image starts again from byte 0 (and
     * begin will be called again before the next write). Required. */
    ota_err_t (*restart)(void *ctx);
    /* Read back [offset, offset + len) of what was written before (used to
     * check the prefix when resuming across a reboot). Required with a store. */
    ota_err_t (*read)(void *ctx, uint64_t offset, void *buf, size_t len);
} ota_net_sink_t;

/* Persistence of the progress record (an opaque blob of OTA_NET_RECORD_LEN). */
typedef struct ota_net_store {
    void *ctx;
    /* Replace the record atomically: after a power cut `load` returns the old
     * or the new record, never a mixture. */
    ota_err_t (*save)(void *ctx, const uint8_t *rec, size_t len);
    /* Copy the record into buf (cap bytes), its length into *len;
     * OTA_ERR_NOT_FOUND when there is none. */
    ota_err_t (*load)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
    /* Remove the record (no record is not an error). */
    ota_err_t (*erase)(void *ctx);
} ota_net_store_t;

/*
 * Look at the first min(OTA_NET_HEAD_LEN, total) bytes of the image before the
 * sink is touched. Return OTA_OK to download, OTA_ERR_NET_SKIPPED to skip (the
 * fetch returns OTA_ERR_NET_SKIPPED, nothing written), any other error to
 * refuse (returned by the fetch as is, e.g. OTA_ERR_IMG_MAGIC).
 */
typedef ota_err_t (*ota_net_decide_fn)(void *ctx, const uint8_t *head, size_t len, uint64_t total);

/* After each write: bytes of the image in the sink, its length, and the
 * average rate of the current attempt in bytes per second. */
typedef void (*ota_net_progress_fn)(void *ctx, uint64_t done, uint64_t total, uint64_t bytes_per_s);

typedef struct ota_net_config {
    const char *url;        /* http:// or https:// */
    const char *ca_file;    /* PEM file of the CA(s) to trust, or NULL */
    const char *ca_pem;     /* the same as NUL-terminated PEM text, or NULL (not both) */
    const char *pinned_key; /* "sha256//BASE64[;sha256//BASE64...]" of the server's
                               public key, or NULL; checked in addition to the CA */
    bool allow_http;        /* plain http:// (also after a redirect) is refused otherwise */

    uint32_t connect_timeout_ms; /* TCP + TLS handshake */
    uint32_t stall_timeout_ms;   /* no body byte for this long ends the attempt */
    uint32_t min_rate_bps;       /* slower than this over stall_timeout_ms also does (0: off) */
    unsigned retries;            /* consecutive failed attempts retried (see above) */
    uint32_t backoff_ms;         /* delay before the first retry */
    uint32_t backoff_max_ms;     /* cap of the doubling delay */
    uint32_t commit_interval;    /* progress records at multiples of this (> 0) */

    ota_net_decide_fn decide; /* NULL: accept every image */
    void *decide_ctx;
    ota_net_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    const ota_net_store_t *store; /* NULL: no resume across reboots */
} ota_net_config_t;

/* What happened, filled in on success and on failure. */
typedef struct ota_net_result {
    uint64_t total;        /* image length (0 until known) */
    uint64_t written;      /* image bytes in the sink at the end */
    uint64_t transferred;  /* image bytes received, all attempts (fetched twice: counted twice) */
    uint64_t resumed_from; /* prefix kept from a progress record (0: none) */
    unsigned attempts;     /* HTTP requests made */
    unsigned restarts;     /* times bytes already obtained were thrown away */
    long http_status;      /* status of the last response (0: none) */
    char detail[256];      /* libcurl's or the engine's explanation of the last failure */
} ota_net_result_t;

/* Defaults: no CA (system store), no pin, https only, 10 s connect and 30 s
 * stall timeouts, at least 100 B/s, 3 retries from 250 ms up to 4 s, a
 * record every 64 KiB. */
void ota_net_config_default(ota_net_config_t *cfg, const char *url);

/*
 * Download cfg->url into sink (see the top of this file). res may be NULL.
 * Errors:
 *   OTA_ERR_INVALID_ARG      NULL or inconsistent config/sink, URL not http(s)
 *   OTA_ERR_NET_INSECURE     http:// (or a redirect to it) without allow_http
 *   OTA_ERR_NET_CONNECT      could not connect / connection lost before a response
 *   OTA_ERR_NET_TLS          server certificate not verified against the CA
 *   OTA_ERR_NET_TLS_PIN      server public key does not match pinned_key
 *   OTA_ERR_NET_TIMEOUT      connect timeout, no data for stall_timeout_ms, or
 *                            less than min_rate_bps over stall_timeout_ms
 *   OTA_ERR_NET_HTTP_STATUS  status other than 200/206 (res->http_status)
 *   OTA_ERR_NET_NO_LENGTH    200 without a Content-Length
 *   OTA_ERR_NET_TOO_LARGE    Content-Length > sink capacity (nothing written)
 *   OTA_ERR_NET_SHORT_BODY   connection ended before Content-Length bytes
 *   OTA_ERR_NET_LONG_BODY    more bytes than Content-Length
 *   OTA_ERR_NET_IDENTITY     the image changed between attempts
 *   OTA_ERR_NET_RANGE        a Range request got an unusable answer
 *   OTA_ERR_NET_TRANSFER     any other libcurl failure (res->detail)
 *   OTA_ERR_NET_SKIPPED or the error returned by decide (nothing written)
 *   OTA_ERR_NET_RECORD is never returned: an unusable record is erased and
 *   the download starts from 0
 *   errors returned by the sink or the store
 * CONNECT, TIMEOUT, SHORT_BODY, IDENTITY, RANGE and 5xx statuses are retried;
 * they are returned once `retries` consecutive failures were retried.
 * Blocking; keeps no state between calls. Fetches may run in several threads
 * at once (libcurl >= 7.84 initialises itself thread-safely).
 */
ota_err_t ota_net_fetch(const ota_net_config_t *cfg, const ota_net_sink_t *sink,
                        ota_net_result_t *res);

/* ---- The progress record ---------------------------------------------- */

typedef struct ota_net_record {
    uint8_t url_sha256[OTA_SHA256_LEN];
    uint64_t total;     /* image length */
    uint64_t committed; /* bytes durably in the sink */
    uint8_t prefix_sha256[OTA_SHA256_LEN]; /* SHA-256 of image bytes [0, committed) */
    char etag[OTA_NET_ETAG_MAX];                   /* strong ETag with quotes, or "" */
    char last_modified[OTA_NET_LAST_MODIFIED_MAX]; /* or "" */
} ota_net_record_t;

/* Encode to the portable little-endian form (magic, version, fields, SHA-256 check). */
void ota_net_record_encode(const ota_net_record_t *rec, uint8_t out[OTA_NET_RECORD_LEN]);

/* Decode and check. Errors: OTA_ERR_INVALID_ARG (NULL), OTA_ERR_NET_RECORD
 * (wrong length, magic, version or check, committed > total, unterminated text). */
ota_err_t ota_net_record_decode(const uint8_t *buf, size_t len, ota_net_record_t *rec);

/* ---- Host sink and store backed by files ------------------------------ */

/* A sink writing the image into a file with positional writes. The file is
 * created by begin (never before decide accepted the image), cut to `offset`
 * there and by restart, and fsync'ed by flush. */
typedef struct ota_net_file_sink {
    ota_net_sink_t sink; /* hand &fs->sink to ota_net_fetch */
    const char *path;    /* caller-owned */
    int fd;              /* -1 until opened */
} ota_net_file_sink_t;

void ota_net_file_sink_init(ota_net_file_sink_t *fs, const char *path, uint64_t capacity);
void ota_net_file_sink_close(ota_net_file_sink_t *fs);

/* A store keeping the record in a file, replaced atomically (temporary file
 * in the same directory, fsync, rename, fsync of the directory). */
typedef struct ota_net_file_store {
    ota_net_store_t store; /* hand &fst->store to the config */
    const char *path;      /* caller-owned */
} ota_net_file_store_t;

void ota_net_file_store_init(ota_net_file_store_t *fst, const char *path);

/* ---- Sink into an update session ---------------------------------------- */

/*
 * The image goes straight into an OTA slot through the core's update session
 * (no file, no RAM copy): begin = ota_begin with sequential erase (offset 0)
 * or ota_resume at a progress record's offset (no erase of the prefix),
 * write = ota_write, flush = the `persist` hook, restart = ota_abort (begin
 * follows), read = the slot's flash (for the prefix check on resume).
 * capacity = the slot's size. Give ota_net_update_sink_decide as the
 * config's `decide` (decide_ctx = the sink): ota_check_update_head() rules.
 * After a successful fetch, ota_net_update_sink_finish() verifies the image
 * from flash and makes it the boot partition; after a failed one,
 * ota_net_update_sink_close() drops the session (flash stays as it is; the
 * running app and the active otadata entry are never touched).
 *
 * With a store, commit_interval must be a multiple of the flash sector (the
 * 64 KiB default is): resume offsets are then sector-aligned, so ota_resume
 * never meets programmed bytes in its first sector, and the session's tail
 * buffer is empty at every record.
 */
typedef struct ota_net_update_sink {
    ota_net_sink_t sink;         /* hand &us->sink to ota_net_fetch */
    ota_ctx_t *ctx;              /* the running app's context */
    const ota_partition_t *part; /* the slot, usually ota_get_next_update_partition() */
    ota_app_desc_t desc;         /* descriptor of the image decide looked at */
    /* Make every byte the session programmed durable, e.g. save a simulated
     * flash to its file. NULL: flash writes are durable when they return. */
    ota_err_t (*persist)(void *arg);
    void *persist_arg;
    /* private */
    ota_session_t session;
    bool open;
    uint64_t pos;
} ota_net_update_sink_t;

void ota_net_update_sink_init(ota_net_update_sink_t *us, ota_ctx_t *ctx, const ota_partition_t *part,
                              ota_err_t (*persist)(void *arg), void *persist_arg);

/* ota_net_decide_fn: ota_check_update_head() on the sink's context; fills us->desc. */
ota_err_t ota_net_update_sink_decide(void *us, const uint8_t *head, size_t len, uint64_t total);

/* ota_end (full verification from flash, image policy) then
 * ota_set_boot_partition. Errors: OTA_ERR_OTA_SESSION_CLOSED (no download
 * in the session), those of ota_end() and ota_set_boot_partition(). */
ota_err_t ota_net_update_sink_finish(ota_net_update_sink_t *us);

/* Abort the session if one is open. */
void ota_net_update_sink_close(ota_net_update_sink_t *us);

#ifdef __cplusplus
}
#endif

#endif
