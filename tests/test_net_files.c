/* The parts of net/ that need no server: progress record, file store, file sink, config checks. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/net.h"
#include "testutil.h"

static char g_dir[] = "/tmp/ota-net-files-XXXXXX";

typedef struct path {
    char s[256];
} path_t;

static path_t path_in_dir(const char *name)
{
    path_t p;
    snprintf(p.s, sizeof p.s, "%s/%s", g_dir, name);
    return p;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static ota_net_record_t sample_record(void)
{
    ota_net_record_t rec;
    memset(&rec, 0, sizeof rec);
    for (unsigned i = 0; i < OTA_SHA256_LEN; i++) {
        rec.url_sha256[i] = (uint8_t)i;
        rec.prefix_sha256[i] = (uint8_t)(0xFF - i);
    }
    rec.total = 0x123456789ull;
    rec.committed = 0x10000ull;
    strcpy(rec.etag, "\"abc-123\"");
    strcpy(rec.last_modified, "Tue, 14 Nov 2023 22:13:20 GMT");
    return rec;
}

static void test_record_round_trip(void **state)
{
    (void)state;
    ota_net_record_t rec = sample_record(), back;
    uint8_t blob[OTA_NET_RECORD_LEN];
    ota_net_record_encode(&rec, blob);
    assert_memory_equal(blob, "OTAN", 4);
    assert_int_equal(ota_net_record_decode(blob, sizeof blob, &back), OTA_OK);
    assert_memory_equal(&back, &rec, sizeof rec);
}

static void test_record_any_corruption_is_detected(void **state)
{
    (void)state;
    ota_net_record_t rec = sample_record(), back;
    uint8_t blob[OTA_NET_RECORD_LEN];
    ota_net_record_encode(&rec, blob);
    for (size_t i = 0; i < sizeof blob; i++) {
        blob[i] ^= 0x01;
        assert_int_equal(ota_net_record_decode(blob, sizeof blob, &back), OTA_ERR_NET_RECORD);
        blob[i] ^= 0x01;
    }
    assert_int_equal(ota_net_record_decode(blob, sizeof blob - 1, &back), OTA_ERR_NET_RECORD);
    assert_int_equal(ota_net_record_decode(NULL, sizeof blob, &back), OTA_ERR_INVALID_ARG);
}

static void test_record_claiming_more_than_the_image_is_refused(void **state)
{
    (void)state;
    ota_net_record_t rec = sample_record(), back;
    uint8_t blob[OTA_NET_RECORD_LEN];
    rec.committed = rec.total + 1;
    ota_net_record_encode(&rec, blob);
    assert_int_equal(ota_net_record_decode(blob, sizeof blob, &back), OTA_ERR_NET_RECORD);
}

static void test_file_store_save_load_erase(void **state)
{
    (void)state;
    path_t state_path = path_in_dir("state"), tmp_path = path_in_dir("state.tmp");
    const char *path = state_path.s;
    ota_net_file_store_t fst;
    uint8_t buf[OTA_NET_RECORD_LEN], got[OTA_NET_RECORD_LEN];
    size_t len = 0;
    ota_net_file_store_init(&fst, path);
    const ota_net_store_t *s = &fst.store;
    assert_int_equal(s->load(s->ctx, got, sizeof got, &len), OTA_ERR_NOT_FOUND);
    for (unsigned round = 0; round < 2; round++) { /* the second save replaces the first */
        memset(buf, 0x30 + (int)round, sizeof buf);
        assert_int_equal(s->save(s->ctx, buf, sizeof buf), OTA_OK);
        assert_int_equal(s->load(s->ctx, got, sizeof got, &len), OTA_OK);
        assert_int_equal(len, sizeof buf);
        assert_memory_equal(got, buf, sizeof buf);
        assert_false(exists(tmp_path.s));
    }
    assert_int_equal(s->load(s->ctx, got, sizeof got - 1, &len), OTA_ERR_NET_RECORD);
    assert_int_equal(s->erase(s->ctx), OTA_OK);
    assert_false(exists(path));
    assert_int_equal(s->erase(s->ctx), OTA_OK); /* nothing to erase is fine */
    assert_int_equal(s->load(s->ctx, got, sizeof got, &len), OTA_ERR_NOT_FOUND);
}

static void test_file_sink_creates_the_file_only_at_begin(void **state)
{
    (void)state;
    path_t image_path = path_in_dir("image.bin");
    const char *path = image_path.s;
    ota_net_file_sink_t fs;
    uint8_t buf[8];
    ota_net_file_sink_init(&fs, path, 1000);
    const ota_net_sink_t *s = &fs.sink;
    assert_int_equal(s->capacity, 1000);
    assert_int_equal(s->read(s->ctx, 0, buf, 1), OTA_ERR_IO);
    assert_int_equal(s->write(s->ctx, 0, "x", 1), OTA_ERR_INVALID_STATE);
    assert_int_equal(s->restart(s->ctx), OTA_OK);
    assert_int_equal(s->flush(s->ctx), OTA_OK);
    assert_false(exists(path));

    assert_int_equal(s->begin(s->ctx, 8, 0), OTA_OK);
    assert_int_equal(s->write(s->ctx, 0, "abcd", 4), OTA_OK);
    assert_int_equal(s->write(s->ctx, 4, "efgh", 4), OTA_OK);
    assert_int_equal(s->flush(s->ctx), OTA_OK);
    assert_int_equal(s->read(s->ctx, 2, buf, 4), OTA_OK);
    assert_memory_equal(buf, "cdef", 4);
    assert_int_equal(s->read(s->ctx, 6, buf, 4), OTA_ERR_IO); /* past the end */
    ota_net_file_sink_close(&fs);
}

static void test_file_sink_begin_keeps_only_the_prefix_and_restart_empties(void **state)
{
    (void)state;
    path_t image_path = path_in_dir("image.bin");
    const char *path = image_path.s;
    size_t len = 0;
    ota_net_file_sink_t fs;
    ota_net_file_sink_init(&fs, path, 1000);
    const ota_net_sink_t *s = &fs.sink;
    assert_int_equal(s->begin(s->ctx, 8, 0), OTA_OK);
    assert_int_equal(s->write(s->ctx, 0, "abcdefgh", 8), OTA_OK);
    ota_net_file_sink_close(&fs);

    ota_net_file_sink_init(&fs, path, 1000); /* as after a reboot */
    assert_int_equal(s->begin(s->ctx, 8, 3), OTA_OK);
    uint8_t *data = tu_read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "abc", 3);
    free(data);
    assert_int_equal(s->restart(s->ctx), OTA_OK);
    data = tu_read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(len, 0);
    free(data);
    ota_net_file_sink_close(&fs);
    unlink(path);
}

static ota_err_t ok_write(void *ctx, uint64_t offset, const void *data, size_t len)
{
    (void)ctx, (void)offset, (void)data, (void)len;
    return OTA_OK;
}

static ota_err_t ok_restart(void *ctx)
{
    (void)ctx;
    return OTA_OK;
}

static void test_fetch_checks_its_config_before_connecting(void **state)
{
    (void)state;
    ota_net_config_t cfg;
    ota_net_result_t res;
    ota_net_sink_t sink = {.capacity = 100, .write = ok_write, .restart = ok_restart};
    ota_net_file_store_t fst;
    path_t unused = path_in_dir("unused");
    ota_net_file_store_init(&fst, unused.s);

    ota_net_config_default(&cfg, "http://127.0.0.1:9/x.bin");
    assert_int_equal(ota_net_fetch(&cfg, &sink, &res), OTA_ERR_NET_INSECURE);
    assert_int_equal(res.attempts, 0);
    assert_int_equal(ota_net_fetch(NULL, &sink, &res), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_net_fetch(&cfg, NULL, NULL), OTA_ERR_INVALID_ARG);

    ota_net_config_default(&cfg, "ftp://127.0.0.1/x.bin");
    assert_int_equal(ota_net_fetch(&cfg, &sink, &res), OTA_ERR_INVALID_ARG);

    ota_net_config_default(&cfg, "https://127.0.0.1:9/x.bin");
    cfg.ca_file = "a.pem";
    cfg.ca_pem = "-----BEGIN CERTIFICATE-----";
    assert_int_equal(ota_net_fetch(&cfg, &sink, &res), OTA_ERR_INVALID_ARG);

    ota_net_config_default(&cfg, "https://127.0.0.1:9/x.bin");
    cfg.store = &fst.store; /* a store needs a sink that can flush and read back */
    assert_int_equal(ota_net_fetch(&cfg, &sink, &res), OTA_ERR_INVALID_ARG);

    ota_net_config_default(&cfg, "https://127.0.0.1:9/x.bin");
    cfg.commit_interval = 0;
    assert_int_equal(ota_net_fetch(&cfg, &sink, &res), OTA_ERR_INVALID_ARG);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path_in_dir("state").s);
    unlink(path_in_dir("image.bin").s);
    return rmdir(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_round_trip),
        cmocka_unit_test(test_record_any_corruption_is_detected),
        cmocka_unit_test(test_record_claiming_more_than_the_image_is_refused),
        cmocka_unit_test(test_file_store_save_load_erase),
        cmocka_unit_test(test_file_sink_creates_the_file_only_at_begin),
        cmocka_unit_test(test_file_sink_begin_keeps_only_the_prefix_and_restart_empties),
        cmocka_unit_test(test_fetch_checks_its_config_before_connecting),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
