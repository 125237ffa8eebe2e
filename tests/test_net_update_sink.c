/*
 * ota_net_update_sink_t (include/ota/net.h) without a network: the calls the
 * download engine makes, on a simulated device running factory 1.0
 * (tests/support/samplerun.h). A download into ota_0 that completes, one that
 * restarts, one that resumes after a "reboot" at a record's offset with junk
 * after it, and the refusals.
 */
#include <stdlib.h>
#include <string.h>

#include "ota/net.h"
#include "samplerun.h"
#include "testutil.h"

#define CHUNK 1000u
#define RECORD 0x2000u /* a resume offset: a multiple of the sector, as records are */

static const hostdev_build_t k_build = {.rollback = true};

static unsigned g_persisted;

static ota_err_t persist(void *arg)
{
    (void)arg;
    g_persisted++;
    return OTA_OK;
}

static hostdev_t *device(const tu_image_t *factory)
{
    hostdev_t *d = tu_sample_device(factory);
    ota_boot_result_t res;
    assert_int_equal(hostdev_boot(d, &k_build, NULL, &res), OTA_OK);
    assert_int_equal(hostdev_app(d, &k_build), OTA_OK);
    return d;
}

/* What the engine does for [from, to) of img: decide (at 0), begin, writes. */
static void feed(ota_net_update_sink_t *us, const tu_image_t *img, uint64_t from, uint64_t to)
{
    const ota_net_sink_t *s = &us->sink;
    if (from == 0) {
        assert_int_equal(ota_net_update_sink_decide(us, img->data, OTA_NET_HEAD_LEN, img->len), OTA_OK);
    }
    assert_int_equal(s->begin(s->ctx, img->len, from), OTA_OK);
    for (uint64_t off = from; off < to; off += CHUNK) {
        size_t n = to - off < CHUNK ? (size_t)(to - off) : CHUNK;
        assert_int_equal(s->write(s->ctx, off, img->data + off, n), OTA_OK);
    }
}

static void test_download_restart_and_finish(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 70000);
    hostdev_t *d = device(&v1);
    const ota_partition_t *slot = hostdev_part(d, "ota_0");
    ota_net_update_sink_t us;
    ota_net_update_sink_init(&us, &d->ota, slot, persist, NULL);
    assert_int_equal(us.sink.capacity, slot->size);
    feed(&us, &v2, 0, 30000);
    assert_string_equal(us.desc.version, "2.0");
    g_persisted = 0;
    assert_int_equal(us.sink.flush(us.sink.ctx), OTA_OK);
    assert_int_equal(g_persisted, 1);
    assert_int_equal(us.sink.restart(us.sink.ctx), OTA_OK); /* e.g. a 200 to a Range request */
    assert_int_equal(ota_net_update_sink_finish(&us), OTA_ERR_OTA_SESSION_CLOSED);
    feed(&us, &v2, 0, v2.len);
    uint8_t back[64];
    assert_int_equal(us.sink.read(us.sink.ctx, 100, back, sizeof back), OTA_OK);
    assert_memory_equal(back, v2.data + 100, sizeof back);
    assert_int_equal(ota_net_update_sink_finish(&us), OTA_OK);
    const ota_partition_t *boot = NULL;
    assert_int_equal(ota_get_boot_partition(&d->ota, &boot), OTA_OK);
    assert_ptr_equal(boot, slot);
    tu_sample_device_free(d);
    tu_image_free(&v1);
    tu_image_free(&v2);
}

/* The process died after the record at RECORD; the flash holds more than the record says. */
static void test_resume_after_reboot(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 70000);
    hostdev_t *d = device(&v1);
    const ota_partition_t *slot = hostdev_part(d, "ota_0");
    ota_net_update_sink_t us;
    ota_net_update_sink_init(&us, &d->ota, slot, NULL, NULL);
    feed(&us, &v2, 0, RECORD + 3000); /* 3000 bytes past the record, then the power cut */
    ota_net_update_sink_close(&us);
    ota_net_update_sink_init(&us, &d->ota, slot, NULL, NULL);
    feed(&us, &v2, RECORD, v2.len); /* no erase below RECORD; the sector at RECORD is redone */
    assert_int_equal(ota_net_update_sink_finish(&us), OTA_OK);
    assert_memory_equal(d->sim.mem + TU_OTA_0, v2.data, v2.len);
    tu_sample_device_free(d);
    tu_image_free(&v1);
    tu_image_free(&v2);
}

static void test_refusals_touch_nothing(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t s3 = tu_app_image(OTA_CHIP_ESP32S3, "2.0", 0, 50000);
    hostdev_t *d = device(&v1);
    const ota_partition_t *slot = hostdev_part(d, "ota_0");
    ota_net_update_sink_t us;
    ota_net_update_sink_init(&us, &d->ota, slot, NULL, NULL);
    const ota_net_sink_t *s = &us.sink;
    uint8_t byte = 0;
    assert_int_equal(ota_net_update_sink_decide(&us, v1.data, OTA_NET_HEAD_LEN, v1.len),
                     OTA_ERR_OTA_SAME_VERSION);
    assert_int_equal(ota_net_update_sink_decide(&us, s3.data, OTA_NET_HEAD_LEN, s3.len),
                     OTA_ERR_IMG_CHIP);
    assert_int_equal(s->begin(s->ctx, (uint64_t)slot->size + 1, 0), OTA_ERR_OTA_TOO_LARGE);
    assert_int_equal(s->write(s->ctx, 0, &byte, 1), OTA_ERR_INVALID_STATE); /* not begun */
    assert_int_equal(s->read(s->ctx, slot->size, &byte, 1), OTA_ERR_FLASH_RANGE);
    assert_int_equal(s->begin(s->ctx, v1.len, 0), OTA_OK);
    assert_int_equal(s->write(s->ctx, 5, v1.data, 1), OTA_ERR_INVALID_STATE); /* out of order */
    ota_net_update_sink_close(&us);
    uint8_t *erased = malloc(TU_SLOT);
    assert_non_null(erased);
    memset(erased, 0xFF, TU_SLOT);
    assert_memory_equal(d->sim.mem + TU_OTA_0, erased, TU_SLOT);
    free(erased);
    tu_sample_device_free(d);
    tu_image_free(&v1);
    tu_image_free(&s3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download_restart_and_finish),
        cmocka_unit_test(test_resume_after_reboot),
        cmocka_unit_test(test_refusals_touch_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
