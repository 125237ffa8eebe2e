/*
 * esp_http_client over libcurl (contract in include/esp_http_client.h).
 *
 * ESP-IDF's client is pulled (read() asks for bytes), libcurl's easy
 * interface pushes. The multi interface bridges the two without threads:
 * libcurl runs only inside open / fetch_headers / read, its write callback
 * fills a buffer, and when the buffer cannot take a chunk the transfer is
 * paused until read() has emptied it. Response headers are parsed by the
 * download engine's parser (net/response.c).
 */
#include "esp_http_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "facade.h"
#include "response.h"

#define MAX_HEADERS 16
#define TIMEOUT_DEFAULT_MS 5000
#define REDIRECTS_DEFAULT 10
#define POLL_SLICE_MS 100
#define HEADER_LINE_MAX 1024

typedef struct header {
    char *key, *value;
} header_t;

struct esp_http_client {
    esp_http_client_config_t cfg; /* url and cert_pem point at the copies below */
    char *url, *cert;
    size_t cert_len;
    header_t headers[MAX_HEADERS];
    size_t header_count;
    CURLM *multi;
    char curl_err[CURL_ERROR_SIZE];
    /* the exchange in progress (open until close) */
    CURL *easy;
    struct curl_slist *request_headers;
    bool started, body_started, done, paused, finished;
    CURLcode result;
    net_response_t resp;
    bool chunked;
    uint8_t *buf;
    size_t cap, off, len;
    int64_t body_read;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void dispatch(esp_http_client_handle_t c, esp_http_client_event_id_t id, void *data,
                     int len, char *key, char *value)
{
    if (c->cfg.event_handler) {
        esp_http_client_event_t evt = {
            .event_id = id, .client = c, .data = data, .data_len = len,
            .user_data = c->cfg.user_data, .header_key = key, .header_value = value,
        };
        (void)c->cfg.event_handler(&evt);
    }
}

/* ---- libcurl callbacks ---------------------------------------------------------- */

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t')) {
        s++;
    }
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) {
        end--;
    }
    *end = '\0';
    return s;
}

/* One header line: the engine's parser, chunked detection, the ON_HEADER event. */
static void header_line(esp_http_client_handle_t c, const char *data, size_t len)
{
    char line[HEADER_LINE_MAX];
    size_t n = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, n);
    line[n] = '\0';
    if (!strncmp(line, "HTTP/", 5)) {
        c->chunked = false; /* a new response (after a redirect or 1xx) */
        return;
    }
    char *colon = strchr(line, ':');
    if (!colon) {
        return;
    }
    char *key = trim(line, colon), *value = trim(colon + 1, line + n);
    if (!strcasecmp(key, "Transfer-Encoding") && strcasestr(value, "chunked")) {
        c->chunked = true;
    }
    dispatch(c, HTTP_EVENT_ON_HEADER, NULL, 0, key, value);
}

static size_t on_header(char *data, size_t size, size_t count, void *ud)
{
    esp_http_client_handle_t c = ud;
    size_t len = size * count;
    c->started = true;
    net_response_line(&c->resp, data, len);
    header_line(c, data, len);
    return len;
}

/* Make room for len more bytes; false when the caller must pause the transfer. */
static bool room_for(esp_http_client_handle_t c, size_t len)
{
    if (c->off + c->len + len <= c->cap) {
        return true;
    }
    if (c->len + len <= c->cap) {
        memmove(c->buf, c->buf + c->off, c->len);
        c->off = 0;
        return true;
    }
    if (c->len > 0) {
        return false;
    }
    uint8_t *bigger = realloc(c->buf, len); /* libcurl's chunk is larger than buffer_size */
    if (!bigger) {
        return false;
    }
    c->buf = bigger;
    c->cap = len;
    c->off = 0;
    return true;
}

static size_t on_body(char *data, size_t size, size_t count, void *ud)
{
    esp_http_client_handle_t c = ud;
    size_t len = size * count;
    c->body_started = true;
    if (!room_for(c, len)) {
        c->paused = true;
        return CURL_WRITEFUNC_PAUSE; /* delivered again after curl_easy_pause(CONT) */
    }
    memcpy(c->buf + c->off + c->len, data, len);
    c->len += len;
    return len;
}

/* ---- driving libcurl -------------------------------------------------------------- */

static void collect_done(esp_http_client_handle_t c)
{
    int queued;
    CURLMsg *m;
    while ((m = curl_multi_info_read(c->multi, &queued))) {
        if (m->msg == CURLMSG_DONE) {
            c->done = true;
            c->result = m->data.result;
        }
    }
}

static bool response_started(const struct esp_http_client *c)
{
    return c->started;
}

static bool headers_done(const struct esp_http_client *c)
{
    return c->body_started;
}

static bool has_data(const struct esp_http_client *c)
{
    return c->len > 0;
}

/* Let libcurl work until cond holds or the transfer ends (true), or until
 * timeout_ms pass without that (false). */
static bool drive(esp_http_client_handle_t c, bool (*cond)(const struct esp_http_client *))
{
    uint64_t deadline = now_ms() + (uint64_t)c->cfg.timeout_ms;
    while (!cond(c) && !c->done) {
        if (c->paused && c->len == 0) {
            c->paused = false;
            curl_easy_pause(c->easy, CURLPAUSE_CONT); /* may deliver data at once */
            continue;
        }
        int running;
        curl_multi_perform(c->multi, &running);
        collect_done(c);
        uint64_t now = now_ms();
        if (cond(c) || c->done) {
            break;
        }
        if (now >= deadline) {
            return false;
        }
        uint64_t wait = deadline - now < POLL_SLICE_MS ? deadline - now : POLL_SLICE_MS;
        curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
    }
    return true;
}

/* ---- the request ------------------------------------------------------------------ */

static bool is_https(const char *url)
{
    return strncasecmp(url, "https://", 8) == 0;
}

static bool request_headers(esp_http_client_handle_t c)
{
    for (size_t i = 0; i < c->header_count; i++) {
        size_t n = strlen(c->headers[i].key) + strlen(c->headers[i].value) + 3;
        char *line = malloc(n);
        if (!line) {
            return false;
        }
        snprintf(line, n, "%s: %s", c->headers[i].key, c->headers[i].value);
        struct curl_slist *l = curl_slist_append(c->request_headers, line);
        free(line);
        if (!l) {
            return false;
        }
        c->request_headers = l;
    }
    return true;
}

#define SET_(opt, val) ok = ok && curl_easy_setopt(c->easy, opt, val) == CURLE_OK

/* Server verification as esp-tls does it: the given CA, else the CA store
 * when the config asks for it (bundle / global store), else no https at all. */
static bool setup_tls(esp_http_client_handle_t c)
{
    bool ok = true;
    SET_(CURLOPT_SSL_VERIFYPEER, 1L);
    SET_(CURLOPT_SSL_VERIFYHOST, c->cfg.skip_cert_common_name_check ? 0L : 2L);
    if (c->cert) {
        struct curl_blob blob = {c->cert, c->cert_len, CURL_BLOB_COPY};
        SET_(CURLOPT_CAINFO_BLOB, &blob);
    } else if (!c->cfg.crt_bundle_attach && !c->cfg.use_global_ca_store) {
        SET_(CURLOPT_PROTOCOLS_STR, "http"); /* https fails: no way to verify the server */
        SET_(CURLOPT_REDIR_PROTOCOLS_STR, "http");
    }
    return ok;
}

static bool setup_easy(esp_http_client_handle_t c)
{
    bool ok = (c->easy = curl_easy_init()) != NULL && request_headers(c);
    int redirects = c->cfg.max_redirection_count > 0 ? c->cfg.max_redirection_count : REDIRECTS_DEFAULT;
    SET_(CURLOPT_URL, c->url);
    SET_(CURLOPT_ERRORBUFFER, c->curl_err);
    SET_(CURLOPT_PROTOCOLS_STR, "http,https");
    SET_(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET_(CURLOPT_FOLLOWLOCATION, c->cfg.disable_auto_redirect ? 0L : 1L);
    SET_(CURLOPT_MAXREDIRS, (long)redirects);
    SET_(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET_(CURLOPT_HTTPHEADER, c->request_headers);
    SET_(CURLOPT_NOBODY, c->cfg.method == HTTP_METHOD_HEAD ? 1L : 0L);
    SET_(CURLOPT_CONNECTTIMEOUT_MS, (long)c->cfg.timeout_ms);
    SET_(CURLOPT_BUFFERSIZE, (long)(c->cap > 1024 ? c->cap : 1024));
    SET_(CURLOPT_NOSIGNAL, 1L);
    SET_(CURLOPT_USERAGENT, c->cfg.user_agent ? c->cfg.user_agent : "ESP32 HTTP Client/1.0");
    SET_(CURLOPT_HEADERFUNCTION, on_header);
    SET_(CURLOPT_HEADERDATA, c);
    SET_(CURLOPT_WRITEFUNCTION, on_body);
    SET_(CURLOPT_WRITEDATA, c);
    return ok && setup_tls(c) && curl_multi_add_handle(c->multi, c->easy) == CURLM_OK;
}

#undef SET_

static void reset_exchange(esp_http_client_handle_t c)
{
    c->started = c->body_started = c->done = c->paused = c->finished = c->chunked = false;
    c->result = CURLE_OK;
    c->off = c->len = 0;
    c->body_read = 0;
    c->curl_err[0] = '\0';
    net_response_reset(&c->resp);
}

/* ---- public ----------------------------------------------------------------------- */

static char *copy_text(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config)
{
    if (!config || !config->url) {
        return NULL;
    }
    esp_http_client_handle_t c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT); /* reference-counted; paired in cleanup */
    c->cfg = *config;
    c->cfg.timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : TIMEOUT_DEFAULT_MS;
    c->cap = config->buffer_size > 0 ? (size_t)config->buffer_size : DEFAULT_HTTP_BUF_SIZE;
    c->cert_len = config->cert_pem ? (config->cert_len ? config->cert_len : strlen(config->cert_pem)) : 0;
    c->url = copy_text(config->url, strlen(config->url));
    c->cert = config->cert_pem ? copy_text(config->cert_pem, c->cert_len) : NULL;
    c->buf = malloc(c->cap);
    c->multi = curl_multi_init();
    if (!c->url || (config->cert_pem && !c->cert) || !c->buf || !c->multi) {
        esp_http_client_cleanup(c);
        return NULL;
    }
    c->cfg.url = c->url;
    c->cfg.cert_pem = c->cert;
    return c;
}

static header_t *find_header(esp_http_client_handle_t c, const char *key)
{
    for (size_t i = 0; i < c->header_count; i++) {
        if (!strcasecmp(c->headers[i].key, key)) {
            return &c->headers[i];
        }
    }
    return NULL;
}

esp_err_t esp_http_client_set_header(esp_http_client_handle_t client, const char *key,
                                     const char *value)
{
    if (!client || !key || !value) {
        return ESP_ERR_INVALID_ARG;
    }
    header_t *h = find_header(client, key);
    if (!h && client->header_count == MAX_HEADERS) {
        return ESP_ERR_NO_MEM;
    }
    char *v = copy_text(value, strlen(value));
    char *k = h ? NULL : copy_text(key, strlen(key));
    if (!v || (!h && !k)) {
        free(v);
        free(k);
        return ESP_ERR_NO_MEM;
    }
    if (!h) {
        h = &client->headers[client->header_count++];
        h->key = k;
    } else {
        free(h->value);
    }
    h->value = v;
    return ESP_OK;
}

esp_err_t esp_http_client_delete_header(esp_http_client_handle_t client, const char *key)
{
    header_t *h = client && key ? find_header(client, key) : NULL;
    if (!h) {
        return client && key ? ESP_ERR_NOT_FOUND : ESP_ERR_INVALID_ARG;
    }
    free(h->key);
    free(h->value);
    *h = client->headers[--client->header_count];
    return ESP_OK;
}

esp_err_t esp_http_client_open(esp_http_client_handle_t client, int write_len)
{
    if (!client) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_http_client_method_t m = client->cfg.method;
    if (write_len != 0 || (m != HTTP_METHOD_GET && m != HTTP_METHOD_HEAD)) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_http_client_close(client);
    reset_exchange(client);
    bool ok = setup_easy(client) && drive(client, response_started) && client->started;
    if (!ok) {
        dispatch(client, HTTP_EVENT_ERROR, NULL, 0, NULL, NULL);
        esp_http_client_close(client);
        return ESP_ERR_HTTP_CONNECT;
    }
    dispatch(client, HTTP_EVENT_ON_CONNECTED, NULL, 0, NULL, NULL);
    dispatch(client, HTTP_EVENT_HEADERS_SENT, NULL, 0, NULL, NULL);
    return ESP_OK;
}

int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client)
{
    if (!client || !client->easy || !drive(client, headers_done) ||
        (client->done && client->result != CURLE_OK && !client->body_started)) {
        return ESP_FAIL;
    }
    int64_t len = esp_http_client_get_content_length(client);
    return len > 0 ? len : 0;
}

/* The body ended: ON_FINISH once if it is complete, else errno says why 0 was read. */
static int end_of_body(esp_http_client_handle_t c)
{
    if (!esp_http_client_is_complete_data_received(c)) {
        errno = ENOTCONN;
        dispatch(c, HTTP_EVENT_ERROR, NULL, 0, NULL, NULL);
    } else if (!c->finished) {
        c->finished = true;
        dispatch(c, HTTP_EVENT_ON_FINISH, NULL, 0, NULL, NULL);
    }
    return 0;
}

int esp_http_client_read(esp_http_client_handle_t client, char *buffer, int len)
{
    if (!client || !buffer || len < 0 || !client->easy) {
        return ESP_FAIL;
    }
    if (client->len == 0 && !drive(client, has_data)) {
        return -ESP_ERR_HTTP_EAGAIN;
    }
    if (client->len == 0) {
        return end_of_body(client);
    }
    size_t n = client->len < (size_t)len ? client->len : (size_t)len;
    memcpy(buffer, client->buf + client->off, n);
    client->off += n;
    client->len -= n;
    client->body_read += (int64_t)n;
    dispatch(client, HTTP_EVENT_ON_DATA, buffer, (int)n, NULL, NULL);
    return (int)n;
}

esp_err_t esp_http_client_perform(esp_http_client_handle_t client)
{
    char buf[1024];
    esp_err_t err = esp_http_client_open(client, 0);
    if (err) {
        return err;
    }
    int n = esp_http_client_fetch_headers(client) < 0 ? -1 : 1;
    if (n < 0) {
        err = ESP_ERR_HTTP_FETCH_HEADER;
    }
    while (n > 0) {
        n = esp_http_client_read(client, buf, sizeof buf);
    }
    if (!err && n == -ESP_ERR_HTTP_EAGAIN) {
        err = ESP_ERR_HTTP_EAGAIN;
    } else if (!err && !esp_http_client_is_complete_data_received(client)) {
        err = ESP_ERR_HTTP_INCOMPLETE_DATA;
    }
    esp_http_client_close(client);
    return err;
}

int esp_http_client_get_status_code(esp_http_client_handle_t client)
{
    return client ? (int)client->resp.status : ESP_FAIL;
}

int64_t esp_http_client_get_content_length(esp_http_client_handle_t client)
{
    if (!client || client->chunked || !client->resp.has_length || client->resp.length_bad) {
        return -1;
    }
    return (int64_t)client->resp.length;
}

bool facade_http_content_range(facade_http_t client, uint64_t *first, uint64_t *last,
                               uint64_t *total)
{
    if (!client || !client->resp.has_range) {
        return false;
    }
    *first = client->resp.range_first;
    *last = client->resp.range_last;
    *total = client->resp.range_total;
    return true;
}

bool esp_http_client_is_chunked_response(esp_http_client_handle_t client)
{
    return client && client->chunked;
}

bool esp_http_client_is_complete_data_received(esp_http_client_handle_t client)
{
    if (!client) {
        return false;
    }
    int64_t len = esp_http_client_get_content_length(client);
    if (len >= 0) {
        return client->body_read == len;
    }
    return client->done && client->result == CURLE_OK && client->len == 0;
}

esp_http_client_transport_t esp_http_client_get_transport_type(esp_http_client_handle_t client)
{
    if (!client) {
        return HTTP_TRANSPORT_UNKNOWN;
    }
    return is_https(client->url) ? HTTP_TRANSPORT_OVER_SSL : HTTP_TRANSPORT_OVER_TCP;
}

esp_err_t esp_http_client_close(esp_http_client_handle_t client)
{
    if (!client) {
        return ESP_ERR_INVALID_ARG;
    }
    if (client->easy) {
        curl_multi_remove_handle(client->multi, client->easy);
        curl_easy_cleanup(client->easy);
        client->easy = NULL;
        dispatch(client, HTTP_EVENT_DISCONNECTED, NULL, 0, NULL, NULL);
    }
    curl_slist_free_all(client->request_headers);
    client->request_headers = NULL;
    return ESP_OK;
}

esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client)
{
    if (!client) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_http_client_close(client);
    for (size_t i = 0; i < client->header_count; i++) {
        free(client->headers[i].key);
        free(client->headers[i].value);
    }
    if (client->multi) {
        curl_multi_cleanup(client->multi);
    }
    free(client->buf);
    free(client->url);
    free(client->cert);
    free(client);
    curl_global_cleanup();
    return ESP_OK;
}
