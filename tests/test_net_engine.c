/*
 * ota_net_fetch through its API, against netserve.py (fault server + nginx):
 * the order of sink/store calls, the crash-consistency rule of the progress
 * record under simulated power cuts, a CA given in memory, progress reports.
 *
 * The memory device below plays sink and store and checks the engine's
 * promises on every call, counting violations:
 *   - begin comes right after decide; nothing is written before begin;
 *   - writes are sequential;
 *   - a saved record never claims more than the last flush made durable;
 *   - the sink is never restarted while a record still exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netserve.h"
#include "ota/net.h"
#include "testutil.h"

#define IMAGE_SIZE 200000u
#define DEV_CAP (IMAGE_SIZE + 4096u)

static tu_netserve_t g_ns;
static char g_dir[] = "/tmp/ota-net-engine-XXXXXX";
static char g_image_path[64];
static uint8_t g_image[IMAGE_SIZE];

typedef struct memdev {
    ota_net_sink_t sink;
    ota_net_store_t store;
    uint8_t data[DEV_CAP];
    uint64_t written, durable;
    bool begun;
    uint64_t lose_power_at; /* a write reaching this offset fails (0: never) */
    uint8_t rec[OTA_NET_RECORD_LEN];
    bool has_rec;
    bool fail_erase; /* the next erase fails, as if power went at that moment */
    char events[512]; /* D decide, B begin, F flush, R restart, S save, E erase */
    size_t n_events;
    unsigned violations;
    ota_err_t decide_answer;
    uint64_t last_done, last_total;
    unsigned progress_calls;
} memdev_t;

static void event(memdev_t *d, char c)
{
    if (d->n_events + 1 < sizeof d->events) {
        d->events[d->n_events++] = c;
    }
}

static ota_err_t dev_begin(void *ctx, uint64_t total, uint64_t offset)
{
    memdev_t *d = ctx;
    if (d->n_events == 0 || d->events[d->n_events - 1] != 'D' || offset > d->durable ||
        total > DEV_CAP) {
        d->violations++;
    }
    event(d, 'B');
    d->begun = true;
    d->written = offset;
    return OTA_OK;
}

static ota_err_t dev_write(void *ctx, uint64_t offset, const void *data, size_t len)
{
    memdev_t *d = ctx;
    if (!d->begun || offset != d->written || offset + len > DEV_CAP) {
        d->violations++;
        return OTA_ERR_INVALID_STATE;
    }
    if (d->lose_power_at && offset + len >= d->lose_power_at) {
        return OTA_ERR_FLASH_POWER_LOSS;
    }
    memcpy(d->data + offset, data, len);
    d->written += len;
    return OTA_OK;
}

static ota_err_t dev_flush(void *ctx)
{
    memdev_t *d = ctx;
    event(d, 'F');
    d->durable = d->written;
    return OTA_OK;
}

static ota_err_t dev_restart(void *ctx)
{
    memdev_t *d = ctx;
    if (d->has_rec) {
        d->violations++; /* a cut now would leave a record claiming erased bytes */
    }
    event(d, 'R');
    d->begun = false;
    d->written = d->durable = 0;
    d->last_done = 0; /* progress starts over too */
    return OTA_OK;
}

static ota_err_t dev_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
    memdev_t *d = ctx;
    if (offset + len > d->durable) {
        return OTA_ERR_IO;
    }
    memcpy(buf, d->data + offset, len);
    return OTA_OK;
}

static uint64_t record_committed(const memdev_t *d)
{
    ota_net_record_t rec;
    if (!d->has_rec || ota_net_record_decode(d->rec, sizeof d->rec, &rec) != OTA_OK) {
        return 0;
    }
    return rec.committed;
}

static ota_err_t dev_save(void *ctx, const uint8_t *rec, size_t len)
{
    memdev_t *d = ctx;
    ota_net_record_t decoded;
    if (len != sizeof d->rec || ota_net_record_decode(rec, len, &decoded) != OTA_OK ||
        decoded.committed > d->durable) {
        d->violations++;
    }
    event(d, 'S');
    memcpy(d->rec, rec, sizeof d->rec);
    d->has_rec = true;
    return OTA_OK;
}

static ota_err_t dev_load(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    memdev_t *d = ctx;
    if (!d->has_rec) {
        return OTA_ERR_NOT_FOUND;
    }
    assert_true(cap >= sizeof d->rec);
    memcpy(buf, d->rec, sizeof d->rec);
    *len = sizeof d->rec;
    return OTA_OK;
}

static ota_err_t dev_erase(void *ctx)
{
    memdev_t *d = ctx;
    event(d, 'E');
    if (d->fail_erase) {
        d->fail_erase = false;
        return OTA_ERR_IO;
    }
    d->has_rec = false;
    return OTA_OK;
}

static ota_err_t dev_decide(void *ctx, const uint8_t *head, size_t len, uint64_t total)
{
    memdev_t *d = ctx;
    if (len != OTA_NET_HEAD_LEN || total != IMAGE_SIZE || memcmp(head, g_image, len) != 0) {
        d->violations++;
    }
    event(d, 'D');
    return d->decide_answer;
}

static void dev_progress(void *ctx, uint64_t done, uint64_t total, uint64_t rate)
{
    memdev_t *d = ctx;
    (void)rate;
    if (done < d->last_done || done > total) {
        d->violations++;
    }
    d->last_done = done;
    d->last_total = total;
    d->progress_calls++;
}

static memdev_t *dev_new(void)
{
    memdev_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    d->sink = (ota_net_sink_t){d, DEV_CAP, dev_begin, dev_write, dev_flush, dev_restart, dev_read};
    d->store = (ota_net_store_t){d, dev_save, dev_load, dev_erase};
    return d;
}

/* What survives a power cut: the flushed bytes and the record. */
static void power_cut(memdev_t *d)
{
    memset(d->data + d->durable, 0xAA, DEV_CAP - d->durable);
    d->written = d->durable;
    d->begun = false;
    d->lose_power_at = 0;
    memset(d->events, 0, sizeof d->events);
    d->n_events = 0;
}

static ota_net_config_t dev_config(memdev_t *d, const char *base, char *url, size_t cap)
{
    ota_net_config_t cfg;
    snprintf(url, cap, "%s/app.bin", base);
    ota_net_config_default(&cfg, url);
    cfg.allow_http = true;
    cfg.backoff_ms = 1;
    cfg.stall_timeout_ms = 5000;
    cfg.decide = dev_decide;
    cfg.decide_ctx = d;
    cfg.progress = dev_progress;
    cfg.progress_ctx = d;
    return cfg;
}

static void server(const char *cmd)
{
    assert_int_equal(tu_netserve_cmd(&g_ns, cmd, NULL, 0), 0);
}

/* The Range header of the first request since the last reset ("-": none). */
static void first_range(char *out, size_t cap)
{
    char answer[4096], first[64] = "";
    assert_int_equal(tu_netserve_cmd(&g_ns, "requests", answer, sizeof answer), 0);
    assert_int_equal(sscanf(answer, "requests %63s", first), 1);
    snprintf(out, cap, "%s", first);
}

static void test_https_with_the_ca_in_memory(void **state)
{
    (void)state;
    char url[128];
    size_t len;
    memdev_t *d = dev_new();
    ota_net_config_t cfg = dev_config(d, g_ns.https, url, sizeof url);
    char *pem = (char *)tu_read_file(g_ns.ca, &len);
    assert_non_null(pem);
    char *ca = realloc(pem, len + 1);
    assert_non_null(ca);
    ca[len] = '\0';
    cfg.ca_pem = ca;
    cfg.pinned_key = g_ns.pin;
    ota_net_result_t res;
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, &res), OTA_OK);
    assert_string_equal(d->events, "DBF");
    assert_int_equal(d->violations, 0);
    assert_int_equal(d->written, IMAGE_SIZE);
    assert_memory_equal(d->data, g_image, IMAGE_SIZE);
    assert_int_equal(res.http_status, 200);
    assert_int_equal(res.transferred, IMAGE_SIZE);
    assert_true(d->progress_calls >= 2);
    assert_int_equal(d->last_done, IMAGE_SIZE);
    assert_int_equal(d->last_total, IMAGE_SIZE);
    free(ca);
    free(d);
}

static void test_https_with_the_wrong_pin_in_memory_is_refused(void **state)
{
    (void)state;
    char url[128];
    memdev_t *d = dev_new();
    ota_net_config_t cfg = dev_config(d, g_ns.https, url, sizeof url);
    cfg.ca_file = g_ns.ca;
    cfg.pinned_key = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, NULL), OTA_ERR_NET_TLS_PIN);
    assert_string_equal(d->events, "");
    free(d);
}

static void test_skip_by_decide_leaves_the_sink_untouched(void **state)
{
    (void)state;
    char url[128];
    memdev_t *d = dev_new();
    ota_net_config_t cfg = dev_config(d, g_ns.fault, url, sizeof url);
    d->decide_answer = OTA_ERR_NET_SKIPPED;
    cfg.store = &d->store;
    ota_net_result_t res;
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, &res), OTA_ERR_NET_SKIPPED);
    assert_string_equal(d->events, "D");
    assert_int_equal(res.written, 0);
    assert_false(d->begun);
    free(d);
}

static void test_200_to_a_range_request_goes_through_restart(void **state)
{
    (void)state;
    char url[128];
    memdev_t *d = dev_new();
    ota_net_config_t cfg = dev_config(d, g_ns.fault, url, sizeof url);
    server("reset");
    server("cuts 5000");
    server("ignore_range 1");
    ota_net_result_t res;
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, &res), OTA_OK);
    assert_string_equal(d->events, "DBRDBF");
    assert_int_equal(d->violations, 0);
    assert_int_equal(res.restarts, 1);
    assert_memory_equal(d->data, g_image, IMAGE_SIZE);
    server("reset");
    free(d);
}

static void test_restart_erases_the_record_before_the_sink(void **state)
{
    (void)state;
    char url[128];
    memdev_t *d = dev_new();
    ota_net_config_t cfg = dev_config(d, g_ns.fault, url, sizeof url);
    cfg.store = &d->store;
    cfg.commit_interval = 4096;
    server("reset");
    server("cuts 20000");
    server("ignore_range 1");
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, NULL), OTA_OK);
    assert_int_equal(d->violations, 0); /* dev_restart checks there is no record */
    assert_non_null(strchr(d->events, 'S'));
    assert_non_null(strstr(d->events, "ER"));
    assert_false(d->has_rec); /* erased once complete */
    assert_memory_equal(d->data, g_image, IMAGE_SIZE);
    server("reset");
    free(d);
}

/* Power lost when the write reaching `cut` is under way; then a second boot. */
static void power_cut_then_resume(uint64_t cut, uint32_t interval)
{
    char url[128], range[64], expect[64] = "-";
    memdev_t *d = dev_new();
    ota_net_config_t cfg = dev_config(d, g_ns.fault, url, sizeof url);
    cfg.store = &d->store;
    cfg.commit_interval = interval;
    d->lose_power_at = cut;
    server("reset");
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, NULL), OTA_ERR_FLASH_POWER_LOSS);
    power_cut(d);
    uint64_t committed = record_committed(d);
    assert_true(committed <= cut);
    assert_int_equal(committed % interval, 0);
    assert_true(cut - committed <= interval); /* at most that much is fetched again */

    server("reset");
    ota_net_result_t res;
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, &res), OTA_OK);
    assert_int_equal(res.resumed_from, committed);
    assert_int_equal(res.transferred, IMAGE_SIZE - committed);
    if (committed) {
        snprintf(expect, sizeof expect, "bytes=%llu-", (unsigned long long)committed);
    }
    first_range(range, sizeof range);
    assert_string_equal(range, expect);
    assert_int_equal(d->violations, 0);
    assert_memory_equal(d->data, g_image, IMAGE_SIZE);
    assert_false(d->has_rec);
    free(d);
}

static void test_power_cut_at_any_point_resumes_from_a_durable_prefix(void **state)
{
    (void)state;
    static const uint64_t cuts[] = {1, 288, 289, 4096, 50001, 131072, IMAGE_SIZE - 1, IMAGE_SIZE};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        power_cut_then_resume(cuts[i], 16384);
        power_cut_then_resume(cuts[i], 1000);
    }
}

/* Power lost after the last bytes were committed but before the record was
 * erased: the next boot finds the image complete and makes no request. */
static void test_complete_record_finishes_without_a_request(void **state)
{
    (void)state;
    char url[128];
    memdev_t *d = dev_new();
    ota_net_config_t cfg = dev_config(d, g_ns.fault, url, sizeof url);
    cfg.store = &d->store;
    cfg.commit_interval = 1000; /* every write commits, the last one too */
    d->fail_erase = true;
    server("reset");
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, NULL), OTA_ERR_IO);
    power_cut(d);
    assert_int_equal(record_committed(d), IMAGE_SIZE);

    ota_net_result_t res;
    assert_int_equal(ota_net_fetch(&cfg, &d->sink, &res), OTA_OK);
    assert_string_equal(d->events, "DBFE");
    assert_int_equal(res.attempts, 0);
    assert_int_equal(res.resumed_from, IMAGE_SIZE);
    assert_int_equal(res.written, IMAGE_SIZE);
    assert_int_equal(d->violations, 0);
    assert_false(d->has_rec);
    assert_memory_equal(d->data, g_image, IMAGE_SIZE);
    free(d);
}

static int setup(void **state)
{
    (void)state;
    uint32_t x = 12345;
    for (size_t i = 0; i < IMAGE_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        g_image[i] = (uint8_t)(x >> 16);
    }
    g_image[0] = 0xE9;
    if (!mkdtemp(g_dir)) {
        return -1;
    }
    snprintf(g_image_path, sizeof g_image_path, "%s/app.bin", g_dir);
    FILE *f = fopen(g_image_path, "wb");
    if (!f || fwrite(g_image, 1, IMAGE_SIZE, f) != IMAGE_SIZE || fclose(f) != 0) {
        return -1;
    }
    return tu_netserve_start(&g_ns, g_dir);
}

static int teardown(void **state)
{
    (void)state;
    tu_netserve_stop(&g_ns);
    unlink(g_image_path);
    return rmdir(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_https_with_the_ca_in_memory),
        cmocka_unit_test(test_https_with_the_wrong_pin_in_memory_is_refused),
        cmocka_unit_test(test_skip_by_decide_leaves_the_sink_untouched),
        cmocka_unit_test(test_200_to_a_range_request_goes_through_restart),
        cmocka_unit_test(test_restart_erases_the_record_before_the_sink),
        cmocka_unit_test(test_power_cut_at_any_point_resumes_from_a_durable_prefix),
        cmocka_unit_test(test_complete_record_finishes_without_a_request),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
