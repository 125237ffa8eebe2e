/*
 * esp_https_ota over the facade's esp_http_client and esp_ota_ops (contract
 * and the deliberate differences from ESP-IDF in include/esp_https_ota.h).
 */
#include "esp_https_ota.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_app_format.h"
#include "esp_ota_ops.h"
#include "facade.h"

#define HEAD_READ 1024u   /* what ESP-IDF reads before it looks at the header */
#define HEAD_MIN (sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t) + \
                  sizeof(esp_app_desc_t))
#define REQUEST_DEFAULT (64 * 1024)
#define STALLS_MAX 3u
#define RESUME_MIN 1024u  /* ESP-IDF ignores a resume offset below this */

typedef enum { ST_BEGIN, ST_RESUME, ST_IN_PROGRESS, ST_SUCCESS } state_t;

typedef struct https_ota {
    esp_http_client_handle_t client;
    const esp_partition_t *staging, *final;
    bool copy, bulk, partial;
    size_t request_size;
    state_t state;
    esp_ota_handle_t ota;
    bool ota_open;
    int64_t total;   /* image length, -1 unknown */
    int64_t written; /* image bytes on flash, the resume offset included */
    uint8_t head[HEAD_READ]; /* image bytes read before perform, not yet written */
    size_t head_len;
    unsigned stalls;
    size_t buf_len;
    char buf[]; /* perform's read buffer */
} https_ota_t;

static bool g_allow_http;

void esp_idf_host_https_ota_allow_http(bool allow)
{
    g_allow_http = allow;
}

/* ---- requests ------------------------------------------------------------------ */

static esp_err_t set_range(https_ota_t *h, int64_t from)
{
    char range[64];
    if (h->partial) {
        int64_t last = from + (int64_t)h->request_size - 1;
        if (h->total > 0 && last >= h->total) {
            last = h->total - 1;
        }
        snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)from, (long long)last);
    } else if (from > 0) {
        snprintf(range, sizeof range, "bytes=%lld-", (long long)from);
    } else {
        (void)esp_http_client_delete_header(h->client, "Range");
        return ESP_OK;
    }
    return esp_http_client_set_header(h->client, "Range", range);
}

/* A 206 continues our bytes only if it starts exactly at `from` of an image of the known length. */
static esp_err_t accept_partial(https_ota_t *h, int64_t from, int64_t *at)
{
    uint64_t first, last, total;
    if (!facade_http_content_range(h->client, &first, &last, &total) || (int64_t)first != from ||
        (h->total > 0 && (int64_t)total != h->total)) {
        return ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE;
    }
    h->total = (int64_t)total;
    *at = from;
    return ESP_OK;
}

/* Ask for the image from byte `from`; *at = where the body starts in the image:
 * `from` for a matching 206, 0 for a 200 (the whole image). */
static esp_err_t request_from(https_ota_t *h, int64_t from, int64_t *at)
{
    esp_err_t err = set_range(h, from);
    if (!err) {
        err = esp_http_client_open(h->client, 0);
    }
    if (err) {
        return err;
    }
    if (esp_http_client_fetch_headers(h->client) < 0) {
        return ESP_ERR_HTTP_FETCH_HEADER;
    }
    switch (esp_http_client_get_status_code(h->client)) {
    case 200:
        h->total = esp_http_client_get_content_length(h->client);
        *at = 0;
        return ESP_OK;
    case 206:
        return accept_partial(h, from, at);
    case 304:
        return ESP_ERR_HTTP_NOT_MODIFIED;
    case 416:
        return ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE;
    default:
        return ESP_FAIL;
    }
}

/* ---- begin ------------------------------------------------------------------------ */

static esp_err_t check_config(const esp_https_ota_config_t *cfg)
{
    const esp_http_client_config_t *hc = cfg ? cfg->http_config : NULL;
    if (!hc || !hc->url) {
        return ESP_ERR_INVALID_ARG;
    }
    if (strncasecmp(hc->url, "https://", 8) != 0) {
        return g_allow_http ? ESP_OK : ESP_ERR_INVALID_ARG;
    }
    bool verifies = hc->cert_pem || hc->crt_bundle_attach || hc->use_global_ca_store;
    return verifies ? ESP_OK : ESP_ERR_INVALID_ARG;
}

static https_ota_t *new_handle(const esp_https_ota_config_t *cfg)
{
    int want = cfg->http_config->buffer_size;
    size_t buf_len = want > (int)HEAD_READ ? (size_t)want : HEAD_READ;
    https_ota_t *h = calloc(1, sizeof *h + buf_len);
    if (!h) {
        return NULL;
    }
    h->buf_len = buf_len;
    h->bulk = cfg->bulk_flash_erase;
    h->partial = cfg->partial_http_download;
    h->request_size = cfg->max_http_request_size > 0 ? (size_t)cfg->max_http_request_size
                                                     : REQUEST_DEFAULT;
    h->copy = cfg->partition.finalize_with_copy;
    h->total = -1;
    h->staging = cfg->partition.staging ? esp_partition_verify(cfg->partition.staging)
                                        : esp_ota_get_next_update_partition(NULL);
    h->final = cfg->partition.final ? esp_partition_verify(cfg->partition.final) : h->staging;
    return h;
}

static void free_handle(https_ota_t *h)
{
    if (h->ota_open) {
        (void)esp_ota_abort(h->ota);
    }
    if (h->client) {
        esp_http_client_cleanup(h->client);
    }
    free(h);
}

/* Where a resumed download starts: ESP-IDF's rule, rounded down to a flash
 * sector, so bytes written after the app saved its count do not matter. */
static int64_t resume_offset(const esp_https_ota_config_t *cfg, const esp_partition_t *staging)
{
    size_t off = cfg->ota_image_bytes_written;
    if (!cfg->ota_resumption || off < RESUME_MIN || off > staging->size) {
        return 0;
    }
    return (int64_t)(off - off % staging->erase_size);
}

static esp_err_t connect(https_ota_t *h, const esp_https_ota_config_t *cfg)
{
    int64_t from = resume_offset(cfg, h->staging), at = 0;
    esp_err_t err = request_from(h, from, &at);
    if (err == ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE && from > 0) {
        err = request_from(h, 0, &at); /* the server cannot continue: from the start */
    }
    if (err) {
        return err;
    }
    if (h->total > (int64_t)h->staging->size) {
        return ESP_ERR_INVALID_SIZE;
    }
    h->written = at;
    h->state = at > 0 ? ST_RESUME : ST_BEGIN;
    return ESP_OK;
}

esp_err_t esp_https_ota_begin(const esp_https_ota_config_t *ota_config,
                              esp_https_ota_handle_t *handle)
{
    esp_err_t err = handle ? check_config(ota_config) : ESP_ERR_INVALID_ARG;
    if (handle) {
        *handle = NULL;
    }
    if (err) {
        return err;
    }
    https_ota_t *h = new_handle(ota_config);
    if (!h) {
        return ESP_ERR_NO_MEM;
    }
    h->client = esp_http_client_init(ota_config->http_config);
    if (!h->staging || !h->final) {
        err = ESP_FAIL;
    } else if (!h->client) {
        err = ESP_ERR_NO_MEM;
    } else if (ota_config->http_client_init_cb) {
        err = ota_config->http_client_init_cb(h->client);
    }
    if (!err) {
        err = connect(h, ota_config);
    }
    if (err) {
        free_handle(h);
        return err;
    }
    *handle = h;
    return ESP_OK;
}

/* ---- the image's first bytes -------------------------------------------------------- */

/* Read from the stream until head holds `want` bytes or the body ends. */
static esp_err_t read_head(https_ota_t *h, size_t want)
{
    unsigned stalls = 0;
    while (h->head_len < want) {
        int n = esp_http_client_read(h->client, (char *)h->head + h->head_len,
                                     (int)(sizeof h->head - h->head_len));
        if (n == -ESP_ERR_HTTP_EAGAIN && ++stalls < STALLS_MAX) {
            continue;
        }
        if (n <= 0) {
            return n == 0 && esp_http_client_is_complete_data_received(h->client) ? ESP_OK
                   : n == -ESP_ERR_HTTP_EAGAIN                                   ? ESP_ERR_HTTP_EAGAIN
                                                                                 : ESP_FAIL;
        }
        h->head_len += (size_t)n;
    }
    return ESP_OK;
}

static esp_err_t desc_from(const uint8_t *head, size_t len, esp_app_desc_t *out)
{
    const size_t at = sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t);
    if (len < at + sizeof *out) {
        return ESP_FAIL;
    }
    memcpy(out, head + at, sizeof *out);
    return out->magic_word == ESP_APP_DESC_MAGIC_WORD ? ESP_OK : ESP_FAIL;
}

esp_err_t esp_https_ota_get_img_desc(esp_https_ota_handle_t https_ota_handle,
                                     esp_app_desc_t *new_app_info)
{
    https_ota_t *h = https_ota_handle;
    if (!h || !new_app_info) {
        return ESP_ERR_INVALID_ARG;
    }
    if (h->state == ST_RESUME) { /* the header is on flash already */
        uint8_t head[HEAD_MIN];
        esp_err_t err = esp_partition_read(h->staging, 0, head, sizeof head);
        return err ? ESP_FAIL : desc_from(head, sizeof head, new_app_info);
    }
    if (h->state != ST_BEGIN) {
        return ESP_ERR_INVALID_STATE;
    }
    return read_head(h, HEAD_MIN) ? ESP_FAIL : desc_from(h->head, h->head_len, new_app_info);
}

/* Is this an app (or bootloader) for this device? Checked before anything is erased. */
static esp_err_t check_head(https_ota_t *h)
{
    esp_partition_type_t type = h->final->type;
    if (type != ESP_PARTITION_TYPE_APP && type != ESP_PARTITION_TYPE_BOOTLOADER) {
        return ESP_OK; /* data: no header to check */
    }
    esp_image_header_t hdr;
    esp_app_desc_t desc;
    if (h->head_len < sizeof hdr || h->head[0] != ESP_IMAGE_HEADER_MAGIC) {
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    memcpy(&hdr, h->head, sizeof hdr);
    bool app = type == ESP_PARTITION_TYPE_APP;
    if (app && desc_from(h->head, h->head_len, &desc) != ESP_OK) {
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    return esp_ota_check_image_validity(type, &hdr, app ? &desc : NULL);
}

/* ---- perform ---------------------------------------------------------------------- */

static esp_err_t open_update(https_ota_t *h, bool resume)
{
    size_t size = h->bulk ? (h->total > 0 ? (size_t)h->total : OTA_SIZE_UNKNOWN)
                          : OTA_WITH_SEQUENTIAL_WRITES;
    esp_err_t err = resume ? esp_ota_resume(h->staging, 0, (size_t)h->written, &h->ota)
                           : esp_ota_begin(h->staging, size, &h->ota);
    h->ota_open = err == ESP_OK;
    if (!err && h->final != h->staging) {
        err = esp_ota_set_final_partition(h->ota, h->final, h->copy);
    }
    if (!err) {
        h->state = ST_IN_PROGRESS;
    }
    return err;
}

static esp_err_t start_writing(https_ota_t *h)
{
    esp_err_t err = read_head(h, HEAD_MIN);
    if (!err) {
        err = check_head(h);
    }
    if (!err) {
        err = open_update(h, false);
    }
    if (!err && h->head_len > 0) {
        err = esp_ota_write(h->ota, h->head, h->head_len);
        h->written += (int64_t)h->head_len;
        h->head_len = 0;
    }
    return err ? err : ESP_ERR_HTTPS_OTA_IN_PROGRESS;
}

/* The response ended: done, the next window of a partial download, or a cut. */
static esp_err_t body_ended(https_ota_t *h)
{
    if (!esp_https_ota_is_complete_data_received(h)) {
        return ESP_FAIL;
    }
    if (h->partial && h->total > 0 && h->written < h->total) {
        int64_t at = 0;
        esp_err_t err = request_from(h, h->written, &at);
        return err ? err : at == h->written ? ESP_ERR_HTTPS_OTA_IN_PROGRESS : ESP_FAIL;
    }
    h->state = ST_SUCCESS;
    return ESP_OK;
}

static esp_err_t write_some(https_ota_t *h)
{
    int n = esp_http_client_read(h->client, h->buf, (int)h->buf_len);
    if (n == -ESP_ERR_HTTP_EAGAIN) {
        return ++h->stalls < STALLS_MAX ? ESP_ERR_HTTPS_OTA_IN_PROGRESS : ESP_ERR_HTTP_EAGAIN;
    }
    if (n < 0) {
        return ESP_FAIL;
    }
    if (n == 0) {
        return body_ended(h);
    }
    h->stalls = 0;
    esp_err_t err = esp_ota_write(h->ota, h->buf, (size_t)n);
    h->written += err ? 0 : n;
    return err ? err : ESP_ERR_HTTPS_OTA_IN_PROGRESS;
}

esp_err_t esp_https_ota_perform(esp_https_ota_handle_t https_ota_handle)
{
    https_ota_t *h = https_ota_handle;
    if (!h) {
        return ESP_ERR_INVALID_ARG;
    }
    switch (h->state) {
    case ST_BEGIN:
        return start_writing(h);
    case ST_RESUME: {
        esp_err_t err = open_update(h, true);
        return err ? err : ESP_ERR_HTTPS_OTA_IN_PROGRESS;
    }
    case ST_IN_PROGRESS:
        return write_some(h);
    default:
        return ESP_OK;
    }
}

/* ---- finish, abort, queries ---------------------------------------------------------- */

esp_err_t esp_https_ota_finish(esp_https_ota_handle_t https_ota_handle)
{
    https_ota_t *h = https_ota_handle;
    if (!h) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = h->ota_open ? ESP_OK : ESP_ERR_INVALID_STATE;
    if (h->ota_open) {
        h->ota_open = false;
        err = esp_ota_end(h->ota);
    }
    bool ota_slot = h->final->type == ESP_PARTITION_TYPE_APP &&
                    h->final->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_MIN &&
                    h->final->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_MAX;
    if (!err && h->state == ST_SUCCESS && ota_slot) {
        err = esp_ota_set_boot_partition(h->final);
    }
    free_handle(h);
    return err;
}

esp_err_t esp_https_ota_abort(esp_https_ota_handle_t https_ota_handle)
{
    if (!https_ota_handle) {
        return ESP_ERR_INVALID_ARG;
    }
    free_handle(https_ota_handle);
    return ESP_OK;
}

bool esp_https_ota_is_complete_data_received(esp_https_ota_handle_t https_ota_handle)
{
    const https_ota_t *h = https_ota_handle;
    return h && esp_http_client_is_complete_data_received(h->client);
}

int esp_https_ota_get_image_len_read(esp_https_ota_handle_t https_ota_handle)
{
    const https_ota_t *h = https_ota_handle;
    return h && h->state >= ST_IN_PROGRESS ? (int)h->written : -1;
}

int esp_https_ota_get_image_size(esp_https_ota_handle_t https_ota_handle)
{
    const https_ota_t *h = https_ota_handle;
    return h ? (int)h->total : -1;
}

int esp_https_ota_get_status_code(esp_https_ota_handle_t https_ota_handle)
{
    const https_ota_t *h = https_ota_handle;
    return h ? esp_http_client_get_status_code(h->client) : -1;
}

esp_err_t esp_https_ota(const esp_https_ota_config_t *ota_config)
{
    if (!ota_config || !ota_config->http_config) {
        return ESP_ERR_INVALID_ARG;
    }
    if (ota_config->ota_resumption) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_https_ota_handle_t h = NULL;
    esp_err_t err = esp_https_ota_begin(ota_config, &h);
    while (!err || err == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
        err = esp_https_ota_perform(h);
        if (err == ESP_OK) {
            return esp_https_ota_finish(h);
        }
    }
    if (h) {
        esp_https_ota_abort(h);
    }
    return err;
}
