/*
 * The facade's esp_http_client (compat/esp-idf/include/esp_http_client.h)
 * against a real nginx (HTTPS, throw-away CA) and the fault-injecting server:
 * the read loop OTA code runs, events, Range requests, and what a cut, a
 * stall, a wrong CA and a missing file look like to the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_http_client.h"
#include "samplerun.h"
#include "testutil.h"

#define SIZE 300000u

static struct {
    char dir[64], *ca, *wrong_ca;
    tu_netserve_t ns;
    uint8_t *image;
} g;

typedef struct events {
    int connected, headers_sent, finish, disconnected, error;
    size_t data;
    char content_length[32];
} events_t;

static esp_err_t on_event(esp_http_client_event_t *evt)
{
    events_t *e = evt->user_data;
    switch (evt->event_id) {
    case HTTP_EVENT_ON_CONNECTED: e->connected++; break;
    case HTTP_EVENT_HEADERS_SENT: e->headers_sent++; break;
    case HTTP_EVENT_ON_DATA: e->data += (size_t)evt->data_len; break;
    case HTTP_EVENT_ON_FINISH: e->finish++; break;
    case HTTP_EVENT_DISCONNECTED: e->disconnected++; break;
    case HTTP_EVENT_ERROR: e->error++; break;
    case HTTP_EVENT_ON_HEADER:
        if (!strcmp(evt->header_key, "Content-Length")) {
            snprintf(e->content_length, sizeof e->content_length, "%s", evt->header_value);
        }
        break;
    default: break;
    }
    return ESP_OK;
}

static char *text_of(const char *path)
{
    size_t len = 0;
    uint8_t *data = tu_read_file(path, &len);
    char *s = malloc(len + 1);
    assert_non_null(data);
    assert_non_null(s);
    memcpy(s, data, len);
    s[len] = '\0';
    free(data);
    return s;
}

static int group_setup(void **state)
{
    (void)state;
    g.image = malloc(SIZE);
    for (size_t i = 0; i < SIZE; i++) {
        g.image[i] = (uint8_t)(i * 7 + i / 1000);
    }
    tu_sample_mkdir(g.dir, sizeof g.dir);
    tu_sample_publish(g.dir, "blob.bin", g.image, SIZE);
    if (tu_netserve_start(&g.ns, g.dir) != 0) {
        return -1;
    }
    g.ca = text_of(g.ns.ca);
    g.wrong_ca = text_of(g.ns.wrong_ca);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_netserve_stop(&g.ns);
    tu_sample_rmdir(g.dir);
    free(g.image);
    free(g.ca);
    free(g.wrong_ca);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    return tu_netserve_cmd(&g.ns, "reset", NULL, 0);
}

static esp_http_client_handle_t client_for(const char *base, const char *name, const char *ca,
                                           events_t *ev)
{
    static char url[256];
    snprintf(url, sizeof url, "%s/%s", base, name);
    esp_http_client_config_t cfg = {
        .url = url, .cert_pem = ca, .timeout_ms = 2000, .event_handler = on_event, .user_data = ev,
    };
    esp_http_client_handle_t c = esp_http_client_init(&cfg);
    assert_non_null(c);
    return c;
}

/* Read the body in odd-sized pieces (the client's buffer fills, pauses, drains). */
static size_t read_all(esp_http_client_handle_t c, uint8_t *out, size_t cap)
{
    size_t got = 0;
    int n;
    while ((n = esp_http_client_read(c, (char *)out + got, (int)(cap - got < 333 ? cap - got : 333))) > 0) {
        got += (size_t)n;
    }
    assert_int_equal(n, 0);
    return got;
}

static void test_read_loop_and_events(void **state)
{
    (void)state;
    events_t ev = {0};
    uint8_t *body = malloc(SIZE);
    esp_http_client_handle_t c = client_for(g.ns.https, "blob.bin", g.ca, &ev);
    assert_int_equal(esp_http_client_open(c, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(c), SIZE);
    assert_int_equal(esp_http_client_get_status_code(c), 200);
    assert_int_equal(esp_http_client_get_content_length(c), SIZE);
    assert_false(esp_http_client_is_chunked_response(c));
    assert_int_equal(esp_http_client_get_transport_type(c), HTTP_TRANSPORT_OVER_SSL);
    assert_int_equal(read_all(c, body, SIZE), SIZE);
    assert_memory_equal(body, g.image, SIZE);
    assert_true(esp_http_client_is_complete_data_received(c));
    assert_int_equal(esp_http_client_close(c), ESP_OK);
    assert_int_equal(esp_http_client_cleanup(c), ESP_OK);
    assert_int_equal(ev.connected, 1);
    assert_int_equal(ev.headers_sent, 1);
    assert_int_equal(ev.data, SIZE);
    assert_string_equal(ev.content_length, "300000");
    assert_int_equal(ev.finish, 1);
    assert_int_equal(ev.disconnected, 1);
    assert_int_equal(ev.error, 0);
    free(body);
}

static void test_range_header_and_perform(void **state)
{
    (void)state;
    events_t ev = {0};
    uint8_t *body = malloc(SIZE);
    esp_http_client_handle_t c = client_for(g.ns.https, "blob.bin", g.ca, &ev);
    assert_int_equal(esp_http_client_set_header(c, "Range", "bytes=1000-"), ESP_OK);
    assert_int_equal(esp_http_client_open(c, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(c), SIZE - 1000);
    assert_int_equal(esp_http_client_get_status_code(c), 206);
    assert_int_equal(read_all(c, body, SIZE), SIZE - 1000);
    assert_memory_equal(body, g.image + 1000, SIZE - 1000);
    assert_int_equal(esp_http_client_delete_header(c, "Range"), ESP_OK);
    assert_int_equal(esp_http_client_delete_header(c, "Range"), ESP_ERR_NOT_FOUND);
    ev.data = 0;
    assert_int_equal(esp_http_client_perform(c), ESP_OK); /* the whole body, as ON_DATA */
    assert_int_equal(esp_http_client_get_status_code(c), 200);
    assert_int_equal(ev.data, SIZE);
    esp_http_client_cleanup(c);
    free(body);
}

static void test_connection_errors(void **state)
{
    (void)state;
    events_t ev = {0};
    esp_http_client_handle_t c = client_for(g.ns.https, "blob.bin", g.wrong_ca, &ev);
    assert_int_equal(esp_http_client_open(c, 0), ESP_ERR_HTTP_CONNECT);
    assert_int_equal(ev.error, 1);
    assert_int_equal(esp_http_client_open(c, 5), ESP_ERR_NOT_SUPPORTED); /* no request bodies */
    esp_http_client_cleanup(c);
    c = client_for(g.ns.https, "blob.bin", NULL, &ev); /* https, but nothing to verify with */
    assert_int_equal(esp_http_client_open(c, 0), ESP_ERR_HTTP_CONNECT);
    esp_http_client_cleanup(c);
    c = client_for("http://127.0.0.1:1", "blob.bin", NULL, &ev);
    assert_int_equal(esp_http_client_open(c, 0), ESP_ERR_HTTP_CONNECT);
    esp_http_client_cleanup(c);
    assert_null(esp_http_client_init(NULL));
    assert_int_equal(esp_http_client_read(NULL, (char *)&ev, 1), ESP_FAIL);
}

static void test_missing_file_is_a_status(void **state)
{
    (void)state;
    events_t ev = {0};
    esp_http_client_handle_t c = client_for(g.ns.https, "missing.bin", g.ca, &ev);
    assert_int_equal(esp_http_client_open(c, 0), ESP_OK);
    assert_true(esp_http_client_fetch_headers(c) >= 0);
    assert_int_equal(esp_http_client_get_status_code(c), 404);
    esp_http_client_cleanup(c);
}

static void test_cut_is_an_incomplete_body(void **state)
{
    (void)state;
    events_t ev = {0};
    uint8_t *body = malloc(SIZE);
    assert_int_equal(tu_netserve_cmd(&g.ns, "cuts 100000", NULL, 0), 0);
    esp_http_client_handle_t c = client_for(g.ns.fault, "blob.bin", NULL, &ev);
    assert_int_equal(esp_http_client_open(c, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(c), SIZE);
    errno = 0;
    assert_int_equal(read_all(c, body, SIZE), 100000);
    assert_int_equal(errno, ENOTCONN);
    assert_false(esp_http_client_is_complete_data_received(c));
    assert_int_equal(ev.finish, 0);
    assert_int_equal(ev.error, 1);
    esp_http_client_cleanup(c);
    free(body);
}

static void test_stall_is_eagain(void **state)
{
    (void)state;
    char buf[4096], url[256];
    assert_int_equal(tu_netserve_cmd(&g.ns, "stall 100", NULL, 0), 0);
    snprintf(url, sizeof url, "%s/blob.bin", g.ns.fault);
    esp_http_client_config_t cfg = {.url = url, .timeout_ms = 300};
    esp_http_client_handle_t c = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_open(c, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(c), SIZE);
    assert_int_equal(esp_http_client_read(c, buf, sizeof buf), 100);
    assert_int_equal(esp_http_client_read(c, buf, sizeof buf), -ESP_ERR_HTTP_EAGAIN);
    esp_http_client_cleanup(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_read_loop_and_events, setup),
        cmocka_unit_test_setup(test_range_header_and_perform, setup),
        cmocka_unit_test_setup(test_connection_errors, setup),
        cmocka_unit_test_setup(test_missing_file_is_a_status, setup),
        cmocka_unit_test_setup(test_cut_is_an_incomplete_body, setup),
        cmocka_unit_test_setup(test_stall_is_eagain, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
