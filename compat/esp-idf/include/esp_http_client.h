/*
 * libota's ESP-IDF facade: the part of esp_http_client that OTA code uses
 * (esp_https_ota, native_ota_example), over libcurl on the host.
 *
 * A client streams one response at a time: open() sends the request and
 * waits for the answer to start, fetch_headers() for the headers of the final
 * response (redirects are followed), read() pulls the body through a buffer
 * of buffer_size bytes (the body is never held in memory whole). TLS: with
 * cert_pem only that CA is trusted; with crt_bundle_attach or
 * use_global_ca_store the host's CA store; the host name (here: IP) is
 * checked unless skip_cert_common_name_check. Only GET and HEAD requests,
 * without a body (open's write_len must be 0); no authentication, no proxy.
 *
 * Differences from ESP-IDF, deliberate: read() returns 0 at the end of the
 * body whether it is complete or the connection broke; then errno is
 * ENOTCONN if it is incomplete (as native_ota_example tests), and
 * esp_http_client_is_complete_data_received() tells. A body longer than
 * Content-Length is cut at Content-Length. Events are delivered to
 * event_handler in the calling thread (ON_CONNECTED and HEADERS_SENT by open,
 * ON_HEADER for each response header, ON_DATA for what read() returns,
 * ON_FINISH at the end of a complete body, DISCONNECTED by close, ERROR when
 * open or read fail).
 */
#ifndef ESP_HTTP_CLIENT_H
#define ESP_HTTP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DEFAULT_HTTP_BUF_SIZE 512

#define ESP_ERR_HTTP_BASE 0x7000
#define ESP_ERR_HTTP_MAX_REDIRECT (ESP_ERR_HTTP_BASE + 1)
#define ESP_ERR_HTTP_CONNECT (ESP_ERR_HTTP_BASE + 2)
#define ESP_ERR_HTTP_WRITE_DATA (ESP_ERR_HTTP_BASE + 3)
#define ESP_ERR_HTTP_FETCH_HEADER (ESP_ERR_HTTP_BASE + 4)
#define ESP_ERR_HTTP_INVALID_TRANSPORT (ESP_ERR_HTTP_BASE + 5)
#define ESP_ERR_HTTP_CONNECTING (ESP_ERR_HTTP_BASE + 6)
#define ESP_ERR_HTTP_EAGAIN (ESP_ERR_HTTP_BASE + 7)
#define ESP_ERR_HTTP_CONNECTION_CLOSED (ESP_ERR_HTTP_BASE + 8)
#define ESP_ERR_HTTP_NOT_MODIFIED (ESP_ERR_HTTP_BASE + 9)
#define ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE (ESP_ERR_HTTP_BASE + 10)
#define ESP_ERR_HTTP_READ_TIMEOUT (ESP_ERR_HTTP_BASE + 11)
#define ESP_ERR_HTTP_INCOMPLETE_DATA (ESP_ERR_HTTP_BASE + 12)

typedef struct esp_http_client *esp_http_client_handle_t;
typedef struct esp_http_client_event *esp_http_client_event_handle_t;

typedef enum {
    HTTP_EVENT_ERROR = 0,
    HTTP_EVENT_ON_CONNECTED,
    HTTP_EVENT_HEADERS_SENT,
    HTTP_EVENT_HEADER_SENT = HTTP_EVENT_HEADERS_SENT, /* older name */
    HTTP_EVENT_ON_HEADER,
    HTTP_EVENT_ON_DATA,
    HTTP_EVENT_ON_FINISH,
    HTTP_EVENT_DISCONNECTED,
    HTTP_EVENT_REDIRECT,
} esp_http_client_event_id_t;

typedef struct esp_http_client_event {
    esp_http_client_event_id_t event_id;
    esp_http_client_handle_t client;
    void *data; /* ON_DATA: the bytes read */
    int data_len;
    void *user_data; /* config.user_data */
    char *header_key;   /* ON_HEADER */
    char *header_value; /* ON_HEADER */
} esp_http_client_event_t;

typedef esp_err_t (*http_event_handle_cb)(esp_http_client_event_t *evt);

typedef enum {
    HTTP_TRANSPORT_UNKNOWN = 0x0,
    HTTP_TRANSPORT_OVER_TCP,
    HTTP_TRANSPORT_OVER_SSL,
} esp_http_client_transport_t;

typedef enum {
    HTTP_METHOD_GET = 0,
    HTTP_METHOD_POST,
    HTTP_METHOD_PUT,
    HTTP_METHOD_PATCH,
    HTTP_METHOD_DELETE,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_NOTIFY,
    HTTP_METHOD_SUBSCRIBE,
    HTTP_METHOD_UNSUBSCRIBE,
    HTTP_METHOD_OPTIONS,
    HTTP_METHOD_COPY,
    HTTP_METHOD_MOVE,
    HTTP_METHOD_LOCK,
    HTTP_METHOD_UNLOCK,
    HTTP_METHOD_PROPFIND,
    HTTP_METHOD_PROPPATCH,
    HTTP_METHOD_MKCOL,
    HTTP_METHOD_REPORT,
    HTTP_METHOD_MAX,
} esp_http_client_method_t;

typedef enum {
    HTTP_AUTH_TYPE_NONE = 0,
    HTTP_AUTH_TYPE_BASIC,
    HTTP_AUTH_TYPE_DIGEST,
} esp_http_client_auth_type_t;

/* Fields not listed in the header comment are accepted and ignored. */
typedef struct {
    const char *url; /* http:// or https:// (required) */
    const char *host;
    int port;
    const char *username;
    const char *password;
    esp_http_client_auth_type_t auth_type;
    const char *path;
    const char *query;
    const char *cert_pem; /* CA certificate(s), PEM text */
    size_t cert_len;      /* 0: cert_pem is NUL-terminated */
    const char *client_cert_pem;
    size_t client_cert_len;
    const char *client_key_pem;
    size_t client_key_len;
    const char *user_agent;
    esp_http_client_method_t method; /* GET (default) or HEAD */
    int timeout_ms;                  /* connect and silence limit; 0: 5000 */
    bool disable_auto_redirect;
    int max_redirection_count; /* 0: 10 */
    int max_authorization_retries;
    http_event_handle_cb event_handler;
    esp_http_client_transport_t transport_type;
    int buffer_size; /* receive buffer; 0: DEFAULT_HTTP_BUF_SIZE */
    int buffer_size_tx;
    void *user_data;
    bool is_async;
    bool use_global_ca_store;
    bool skip_cert_common_name_check;
    const char *common_name;
    esp_err_t (*crt_bundle_attach)(void *conf);
    bool keep_alive_enable;
    int keep_alive_idle;
    int keep_alive_interval;
    int keep_alive_count;
} esp_http_client_config_t;

/* NULL when config or its url is missing, or out of memory. */
esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config);

/* Request headers for the next open (a Range header makes a resumed download);
 * set replaces a header of the same name. ESP_OK, ESP_ERR_INVALID_ARG (NULL),
 * ESP_ERR_NO_MEM; delete: ESP_ERR_NOT_FOUND when there is no such header. */
esp_err_t esp_http_client_set_header(esp_http_client_handle_t client, const char *key,
                                     const char *value);
esp_err_t esp_http_client_delete_header(esp_http_client_handle_t client, const char *key);

/*
 * Send the request. ESP_OK once the response starts; ESP_ERR_HTTP_CONNECT
 * when the connection, TLS verification or redirects fail or nothing comes
 * within timeout_ms; ESP_ERR_NOT_SUPPORTED for write_len != 0 or a method
 * other than GET / HEAD; ESP_ERR_INVALID_ARG for a NULL client.
 */
esp_err_t esp_http_client_open(esp_http_client_handle_t client, int write_len);

/* Wait for the final response's headers. Content-Length, 0 when there is
 * none (chunked or until close), -1 (ESP_FAIL) on error or timeout. */
int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client);

/* Up to len body bytes; 0 at the end of the body (see the top of this file);
 * -ESP_ERR_HTTP_EAGAIN when nothing came for timeout_ms; -1 on error. */
int esp_http_client_read(esp_http_client_handle_t client, char *buffer, int len);

/* open + fetch_headers + read the whole body (ON_DATA events) + close. */
esp_err_t esp_http_client_perform(esp_http_client_handle_t client);

int esp_http_client_get_status_code(esp_http_client_handle_t client);
/* Content-Length of the final response; -1 when chunked or absent. */
int64_t esp_http_client_get_content_length(esp_http_client_handle_t client);
bool esp_http_client_is_chunked_response(esp_http_client_handle_t client);
/* The body was read to its announced end (Content-Length, or chunked end). */
bool esp_http_client_is_complete_data_received(esp_http_client_handle_t client);
esp_http_client_transport_t esp_http_client_get_transport_type(esp_http_client_handle_t client);

/* End the exchange (the connection is not reused); settings are kept. */
esp_err_t esp_http_client_close(esp_http_client_handle_t client);
/* close and free the client. */
esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client);

#ifdef __cplusplus
}
#endif

#endif
