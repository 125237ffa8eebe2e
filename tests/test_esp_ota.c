/*
 * ESP-IDF's own app_update test cases (spec §8.1) and the worked scenarios of
 * §2.8, through the facade (esp_ota_ops.h, esp_partition.h) on a simulated
 * device (tools/hostdev): every "reboot" runs the bootloader's decision on the
 * flash and starts the app context again, as the device would.
 *
 * The table is the one of ESP-IDF's test app: nvs, otadata, phy_init,
 * factory, ota_0, ota_1, test (apps 0xB0000 each), partition table at
 * 0x18000, chip ESP32-C3. As in ESP-IDF's tests, updates copy the running app
 * into the next slot. Expected partitions and states are the ones the spec
 * gives for each case.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "esp_flash_partitions.h"
#include "esp_idf_host.h"
#include "esp_image_format.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "hostdev.h"
#include "imgpack.h"
#include "testimg.h"
#include "testutil.h"

#define TABLE_OFFSET 0x18000u
#define APP_SIZE 0xB0000u
#define FLASH_SIZE 0x400000u
#define OTADATA_OFFSET 0x1D000u

typedef enum layout {
    LAYOUT_IDF_TEST,   /* ESP-IDF's test app table */
    LAYOUT_NO_FACTORY, /* the same without factory and test */
    LAYOUT_REGIONS,    /* plus bootloader and partition-table entries (non-app OTA) */
} layout_t;

typedef struct dev {
    hostdev_t hd;
    hostdev_build_t build;
    tu_image_t app; /* what the factory partition holds */
} device_t;

static jmp_buf g_restart_env;

static void restart_hook(void *arg)
{
    (void)arg;
    longjmp(g_restart_env, 1);
}

static void add(ota_partition_table_t *t, const char *label, uint8_t type, uint8_t subtype,
                uint32_t offset, uint32_t size)
{
    ota_partition_t *p = &t->entries[t->count++];
    *p = (ota_partition_t){.type = type, .subtype = subtype, .offset = offset, .size = size};
    snprintf(p->label, sizeof p->label, "%s", label);
}

static void make_table(layout_t layout, uint8_t bin[OTA_PART_TABLE_MAX_LEN])
{
    ota_partition_table_t t = {.count = 0};
    if (layout == LAYOUT_REGIONS) {
        add(&t, "PrimaryBTLDR", OTA_PART_TYPE_BOOTLOADER, 0, 0x0, 0x18000);
        add(&t, "PrimaryPrtTable", OTA_PART_TYPE_PARTITION_TABLE, 0, TABLE_OFFSET, 0x1000);
    }
    add(&t, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x19000, 0x4000);
    add(&t, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, OTADATA_OFFSET, 0x2000);
    add(&t, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0x1F000, 0x1000);
    if (layout != LAYOUT_NO_FACTORY) {
        add(&t, "factory", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_FACTORY, 0x20000, APP_SIZE);
    }
    add(&t, "ota_0", OTA_PART_TYPE_APP, 0x10, 0xD0000, APP_SIZE);
    add(&t, "ota_1", OTA_PART_TYPE_APP, 0x11, 0x180000, APP_SIZE);
    if (layout != LAYOUT_NO_FACTORY) {
        add(&t, "test", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_TEST, 0x230000, APP_SIZE);
    }
    mbedtls_md5_context md5_ctx;
    ota_hash_t md5;
    ota_port_md5_init(&md5, &md5_ctx);
    assert_int_equal(ota_partition_table_serialize(&t, &md5, bin, OTA_PART_TABLE_MAX_LEN), OTA_OK);
}

static device_t *new_dev(layout_t layout, bool rollback)
{
    device_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    make_table(layout, bin);
    assert_int_equal(hostdev_create(&d->hd, FLASH_SIZE, TABLE_OFFSET, bin, sizeof bin, "esp32c3"),
                     OTA_OK);
    d->build.rollback = rollback;
    d->app = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 60000);
    if (layout != LAYOUT_NO_FACTORY) {
        assert_int_equal(hostdev_write_partition(&d->hd, "factory", d->app.data, d->app.len), OTA_OK);
    }
    esp_idf_host_set_restart(restart_hook, NULL);
    return d;
}

static void free_dev(device_t *d)
{
    esp_idf_host_detach();
    esp_idf_host_set_restart(NULL, NULL);
    tu_image_free(&d->app);
    hostdev_close(&d->hd);
    free(d);
}

/* Power on (pins may be NULL) and check which app the bootloader started. */
static void boot(device_t *d, const hostdev_pins_t *pins, const char *expect)
{
    esp_idf_host_detach();
    ota_boot_result_t res;
    assert_int_equal(hostdev_boot(&d->hd, &d->build, pins, &res), OTA_OK);
    assert_string_equal(res.partition->label, expect);
    assert_int_equal(hostdev_app(&d->hd, &d->build), OTA_OK);
    assert_int_equal(esp_idf_host_attach(&d->hd.ota), 0);
    assert_string_equal(esp_ota_get_running_partition()->label, expect);
}

static const esp_partition_t *part(const char *label)
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_ANY,
                                                        ESP_PARTITION_SUBTYPE_ANY, label);
    assert_non_null(p);
    return p;
}

/* ESP-IDF's copy_current_app_to_next_part: the whole running partition, 4 KiB at a time. */
static void copy_app(const esp_partition_t *dst, bool with_offset)
{
    const esp_partition_t *src = esp_ota_get_running_partition();
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(dst, OTA_SIZE_UNKNOWN, &h), ESP_OK);
    static uint8_t buf[0x1000];
    for (uint32_t off = 0; off < src->size; off += sizeof buf) {
        assert_int_equal(esp_partition_read(src, off, buf, sizeof buf), ESP_OK);
        esp_err_t err = with_offset ? esp_ota_write_with_offset(h, buf, sizeof buf, off)
                                    : esp_ota_write(h, buf, sizeof buf);
        assert_int_equal(err, ESP_OK);
    }
    assert_int_equal(esp_ota_end(h), ESP_OK);
}

/* Update the next slot with the running app, make it the boot partition, reboot into it. */
static void update_and_boot(device_t *d, const char *next)
{
    const esp_partition_t *p = esp_ota_get_next_update_partition(NULL);
    assert_string_equal(p->label, next);
    copy_app(p, false);
    assert_int_equal(esp_ota_set_boot_partition(p), ESP_OK);
    boot(d, NULL, next);
}

static void entries(const device_t *d, ota_select_entry_t e[2])
{
    for (unsigned i = 0; i < 2; i++) {
        ota_select_entry_decode(d->hd.sim.mem + OTADATA_OFFSET + i * 0x1000u, &e[i]);
    }
}

static void assert_entry(const device_t *d, unsigned i, uint32_t seq, uint32_t state)
{
    ota_select_entry_t e[2];
    entries(d, e);
    assert_int_equal(e[i].seq, seq);
    assert_int_equal(e[i].state, state);
    assert_true(ota_select_entry_crc_ok(&e[i]));
}

static void assert_erased_entry(const device_t *d, unsigned i)
{
    ota_select_entry_t e[2];
    entries(d, e);
    assert_int_equal(e[i].seq, OTA_OTADATA_SEQ_ERASED);
    assert_int_equal(e[i].crc, 0xFFFFFFFFu);
}

static esp_ota_img_states_t state_of(const char *label)
{
    esp_ota_img_states_t s;
    assert_int_equal(esp_ota_get_state_partition(part(label), &s), ESP_OK);
    return s;
}

/* ---- spec §8.1: components/app_update/test_apps ------------------------------------- */

static void test_begin_verifies_arguments(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    esp_ota_handle_t h = 0x5A5A5A5Au;
    assert_int_equal(esp_ota_begin(esp_ota_get_running_partition(), OTA_SIZE_UNKNOWN, &h),
                     ESP_ERR_INVALID_ARG); /* factory is no OTA slot */
    esp_partition_t moved = *esp_ota_get_next_update_partition(NULL);
    moved.address--;
    assert_int_equal(esp_ota_begin(&moved, OTA_SIZE_UNKNOWN, &h), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_begin(NULL, OTA_SIZE_UNKNOWN, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_SIZE_UNKNOWN, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_begin(part("ota_0"), APP_SIZE + 1, &h), ESP_ERR_INVALID_SIZE);
    assert_int_equal(h, 0x5A5A5A5Au); /* untouched by every refusal */
    update_and_boot(d, "ota_0");
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_SIZE_UNKNOWN, &h),
                     ESP_ERR_OTA_PARTITION_CONFLICT);
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_SIZE_UNKNOWN, &h), ESP_OK);
    assert_int_equal(h, 1u); /* ESP-IDF numbers handles from 1 */
    esp_ota_handle_t h2;
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_SIZE_UNKNOWN, &h2),
                     ESP_ERR_OTA_ALREADY_IN_PROGRESS);
    assert_int_equal(esp_ota_abort(h), ESP_OK);
    assert_int_equal(esp_ota_abort(h), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_end(h), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_write(h, "x", 1), ESP_ERR_INVALID_ARG);
    free_dev(d);
}

static void test_next_update_partition_logic(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), part("ota_0"));
    assert_ptr_equal(esp_ota_get_next_update_partition(part("factory")), part("ota_0"));
    assert_ptr_equal(esp_ota_get_next_update_partition(part("ota_0")), part("ota_1"));
    assert_ptr_equal(esp_ota_get_next_update_partition(part("ota_1")), part("ota_0"));
    assert_ptr_equal(esp_ota_get_next_update_partition(part("test")), part("ota_0"));
    assert_int_equal(esp_ota_get_app_partition_count(), 2);
    free_dev(d);
}

static void test_get_partition_description(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    esp_app_desc_t desc;
    assert_int_equal(esp_ota_get_partition_description(esp_ota_get_running_partition(), &desc),
                     ESP_OK);
    /* What a bootloader-side reader sees: the 256 bytes at image offset 0x20;
     * numbers are in host order, so only a little-endian host sees them as stored. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    assert_memory_equal(&desc, d->app.data + 0x20, sizeof desc);
#endif
    assert_int_equal(desc.magic_word, ESP_APP_DESC_MAGIC_WORD);
    assert_string_equal(desc.version, "1.0");
    assert_string_equal(desc.project_name, "libota-test");
    assert_memory_equal(esp_app_get_description(), &desc, sizeof desc);
    assert_int_equal(esp_ota_get_partition_description(part("otadata"), &desc),
                     ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_ota_get_partition_description(part("ota_0"), &desc), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_get_partition_description(NULL, &desc), ESP_ERR_INVALID_ARG);
    free_dev(d);
}

static void test_running_partition_points_to_factory(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    const esp_partition_t *factory =
        esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    assert_ptr_equal(esp_ota_get_running_partition(), factory);
    assert_int_equal(factory->address, 0x20000);
    assert_int_equal(factory->size, APP_SIZE);
    assert_int_equal(factory->erase_size, 0x1000);
    assert_ptr_equal(esp_ota_get_boot_partition(), factory);
    free_dev(d);
}

static void test_switch_factory_ota0_ota1_ota0(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    update_and_boot(d, "ota_1");
    update_and_boot(d, "ota_0");
    assert_entry(d, 0, 3, OTA_IMG_UNDEFINED);
    assert_entry(d, 1, 2, OTA_IMG_UNDEFINED);
    free_dev(d);
}

/* corrupt_ota_data(): copy 0 keeps its seq with a zero CRC; copy 1 becomes junk (spec §8.1 note). */
static void corrupt_otadata(bool copy0, bool copy1)
{
    const esp_partition_t *od = part("otadata");
    for (unsigned i = 0; i < 2; i++) {
        esp_ota_select_entry_t e;
        assert_int_equal(esp_partition_read(od, i * 0x1000u, &e, sizeof e), ESP_OK);
        if (!(i == 0 ? copy0 : copy1)) {
            continue;
        }
        if (i == 0) {
            e.crc = 0;
        } else {
            memset(&e, 0xA5, sizeof e);
        }
        assert_int_equal(esp_partition_erase_range(od, i * 0x1000u, 0x1000), ESP_OK);
        assert_int_equal(esp_partition_write(od, i * 0x1000u, &e, sizeof e), ESP_OK);
    }
}

static void test_corrupt_ota_sec1_boots_factory(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    corrupt_otadata(true, true);
    boot(d, NULL, "factory");
    free_dev(d);
}

static void test_corrupt_ota_sec2_keeps_ota0(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    update_and_boot(d, "ota_1");
    copy_app(part("ota_0"), false);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    assert_entry(d, 0, 3, OTA_IMG_UNDEFINED);
    corrupt_otadata(false, true);
    boot(d, NULL, "ota_0");
    free_dev(d);
}

static void test_factory_reset_pin(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    hostdev_pins_t pins = {.factory_reset = true, .factory_reset_labels = "nvs"};
    boot(d, &pins, "factory");
    assert_erased_entry(d, 0);
    assert_erased_entry(d, 1);
    free_dev(d);
}

static void test_app_test_pin(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    /* The test app is not an OTA slot: ESP-IDF's test writes it with esp_partition_*. */
    const esp_partition_t *t = part("test");
    assert_int_equal(esp_partition_erase_range(t, 0, t->size), ESP_OK);
    assert_int_equal(esp_partition_write(t, 0, d->app.data, d->app.len), ESP_OK);
    hostdev_pins_t pins = {.test_app = true};
    boot(d, &pins, "test");
    boot(d, NULL, "factory");
    free_dev(d);
}

static void test_rollback_factory_ota0_ota0_to_factory(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, true);
    boot(d, NULL, "factory");
    const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
    copy_app(next, false);
    assert_int_equal(esp_ota_set_boot_partition(next), ESP_OK);
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_NEW);
    boot(d, NULL, "ota_0");
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_PENDING_VERIFY);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_VALID);
    boot(d, NULL, "ota_0");
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_VALID);
    assert_true(esp_ota_check_rollback_is_possible());
    if (setjmp(g_restart_env) == 0) {
        esp_ota_mark_app_invalid_rollback_and_reboot();
        fail_msg("esp_ota_mark_app_invalid_rollback_and_reboot returned");
    }
    boot(d, NULL, "factory");
    assert_ptr_equal(esp_ota_get_last_invalid_partition(), esp_ota_get_next_update_partition(NULL));
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_INVALID);
    esp_ota_img_states_t s;
    assert_int_equal(esp_ota_get_state_partition(part("factory"), &s), ESP_ERR_NOT_SUPPORTED);
    /* In factory there is no active entry: nothing to mark. */
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_FAIL);
    free_dev(d);
}

static void test_rollback_factory_ota0_ota1_to_ota0(void **state)
{
    (void)state;
    /* With rollback: a reset while ota_1 is PENDING_VERIFY aborts it. */
    device_t *d = new_dev(LAYOUT_IDF_TEST, true);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    update_and_boot(d, "ota_1");
    assert_int_equal(state_of("ota_1"), ESP_OTA_IMG_PENDING_VERIFY);
    boot(d, NULL, "ota_0");
    assert_int_equal(state_of("ota_1"), ESP_OTA_IMG_ABORTED);
    assert_ptr_equal(esp_ota_get_last_invalid_partition(), part("ota_1"));
    free_dev(d);

    /* Without rollback: the app rejects itself. */
    d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    update_and_boot(d, "ota_1");
    assert_int_equal(state_of("ota_1"), ESP_OTA_IMG_UNDEFINED);
    if (setjmp(g_restart_env) == 0) {
        esp_ota_mark_app_invalid_rollback_and_reboot();
        fail_msg("esp_ota_mark_app_invalid_rollback_and_reboot returned");
    }
    boot(d, NULL, "ota_0");
    assert_int_equal(state_of("ota_1"), ESP_OTA_IMG_INVALID);
    free_dev(d);
}

static void test_erase_last_boot_app_partition(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, true);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    update_and_boot(d, "ota_1");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_int_equal(esp_ota_erase_last_boot_app_partition(), ESP_OK);
    uint8_t first[16];
    assert_int_equal(esp_partition_read(part("ota_0"), 0, first, sizeof first), ESP_OK);
    for (size_t i = 0; i < sizeof first; i++) {
        assert_int_equal(first[i], 0xFF);
    }
    assert_erased_entry(d, 0);
    /* ota_0 is gone: a rollback now goes to factory. */
    if (setjmp(g_restart_env) == 0) {
        esp_ota_mark_app_invalid_rollback_and_reboot();
        fail_msg("esp_ota_mark_app_invalid_rollback_and_reboot returned");
    }
    boot(d, NULL, "factory");
    assert_int_equal(esp_ota_erase_last_boot_app_partition(), ESP_FAIL);
    free_dev(d);
}

static void test_switch_with_write_with_offset(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    for (int i = 0; i < 2; i++) {
        const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
        copy_app(next, true);
        assert_int_equal(esp_ota_set_boot_partition(next), ESP_OK);
        boot(d, NULL, next->label);
    }
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_1");
    free_dev(d);
}

static void test_sha256_of_corrupted_partition(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    uint8_t sha[32];
    assert_int_equal(esp_partition_get_sha256(part("factory"), sha), ESP_OK);
    /* The image's appended digest: its last 32 bytes. */
    assert_memory_equal(sha, d->app.data + d->app.len - 32, 32);
    copy_app(part("ota_0"), false);
    assert_int_equal(esp_partition_get_sha256(part("ota_0"), sha), ESP_OK);
    static const uint8_t zero[4] = {0};
    assert_int_equal(esp_partition_write(part("ota_0"), 0x50, zero, sizeof zero), ESP_OK);
    assert_int_equal(esp_partition_get_sha256(part("ota_0"), sha), ESP_ERR_IMAGE_INVALID);
    assert_false(esp_partition_check_identity(part("factory"), part("ota_0")));
    /* A data partition: the SHA-256 of all its bytes (erased otadata here). */
    uint8_t expect[32];
    static uint8_t ff[0x2000];
    memset(ff, 0xFF, sizeof ff);
    ota_port_sha256(ff, sizeof ff, expect);
    assert_int_equal(esp_partition_get_sha256(part("otadata"), sha), ESP_OK);
    assert_memory_equal(sha, expect, 32);
    free_dev(d);
}

static void test_updated_partition_invalidated_after_begin(void **state)
{
    (void)state;
    /* Scenario D: s0 {1, VALID}, s1 {2, VALID}, running ota_1. */
    device_t *d = new_dev(LAYOUT_IDF_TEST, true);
    boot(d, NULL, "factory");
    update_and_boot(d, "ota_0");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    update_and_boot(d, "ota_1");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_entry(d, 0, 1, OTA_IMG_VALID);
    assert_entry(d, 1, 2, OTA_IMG_VALID);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_SIZE_UNKNOWN, &h), ESP_OK);
    assert_erased_entry(d, 0);
    esp_ota_img_states_t s;
    assert_int_equal(esp_ota_get_state_partition(part("ota_0"), &s), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_abort(h), ESP_OK);
    free_dev(d);
}

static void test_rewrite_otadata_seq_for_non_running_partition(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    copy_app(part("ota_0"), false);
    copy_app(part("ota_1"), false);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_1")), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_1")), ESP_OK);
    assert_entry(d, 0, 1, OTA_IMG_UNDEFINED);
    assert_entry(d, 1, 2, OTA_IMG_UNDEFINED);
    boot(d, NULL, "ota_1");
    /* Choosing ota_0 again and again never touches the running slot's entry (copy 1). */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
        assert_entry(d, 0, 3, OTA_IMG_UNDEFINED);
        assert_entry(d, 1, 2, OTA_IMG_UNDEFINED);
    }
    assert_ptr_equal(esp_ota_get_boot_partition(), part("ota_0"));
    boot(d, NULL, "ota_0");
    free_dev(d);
}

/* A bootloader-like image: no descriptor, one RAM segment. */
static tu_image_t bootloader_image(void)
{
    static const uint8_t code[64] = {1, 2, 3, 4};
    imgpack_segment_t seg = {0x3FCD5000u, code, sizeof code};
    imgpack_opts_t o;
    imgpack_defaults(&o, OTA_CHIP_ESP32C3);
    o.segments = &seg;
    o.segment_count = 1;
    tu_image_t img = {NULL, 0};
    assert_int_equal(imgpack_build(&o, &img.data, &img.len), OTA_OK);
    return img;
}

/* Stage in a free OTA slot, check as `final`, copy there. */
static esp_err_t staged_update(const esp_partition_t *final, const void *data, size_t len)
{
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_set_final_partition(h, final, true), ESP_OK);
    esp_err_t err = esp_ota_write(h, data, len);
    if (err) {
        assert_int_equal(esp_ota_abort(h), ESP_OK);
        return err;
    }
    assert_int_equal(esp_ota_set_final_partition(h, part("nvs"), true), ESP_ERR_INVALID_STATE);
    return esp_ota_end(h);
}

static void test_bootloader_and_table_updates(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_REGIONS, false);
    boot(d, NULL, "factory");
    tu_image_t bl = bootloader_image();
    const esp_partition_t *btl = part("PrimaryBTLDR");

    /* Bootloader via a free OTA partition: magic checked, image checked, copied. */
    bl.data[0] = 0xE8;
    assert_int_equal(staged_update(btl, bl.data, bl.len), ESP_ERR_OTA_VALIDATE_FAILED);
    bl.data[0] = 0xE9;
    assert_int_equal(staged_update(btl, bl.data, bl.len), ESP_OK);
    assert_memory_equal(d->hd.sim.mem + btl->address, bl.data, bl.len);
    esp_bootloader_desc_t bdesc;
    assert_int_equal(esp_ota_get_bootloader_description(btl, &bdesc), ESP_ERR_NOT_FOUND);

    /* Partition table via a free OTA partition, then directly on the primary table. */
    uint8_t table[OTA_PART_TABLE_MAX_LEN];
    memcpy(table, d->hd.sim.mem + TABLE_OFFSET, sizeof table);
    const esp_partition_t *pt = part("PrimaryPrtTable");
    uint8_t bad[OTA_PART_TABLE_MAX_LEN];
    memcpy(bad, table, sizeof bad);
    bad[0] = 0x00;
    assert_int_equal(staged_update(pt, bad, sizeof bad), ESP_ERR_OTA_VALIDATE_FAILED);
    memcpy(bad, table, sizeof bad);
    bad[0x4C] ^= 0x01; /* a label byte: the MD5 entry no longer matches */
    assert_int_equal(staged_update(pt, bad, sizeof bad), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_int_equal(staged_update(pt, table, sizeof table), ESP_OK);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(pt, OTA_SIZE_UNKNOWN, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, table, sizeof table), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    assert_memory_equal(d->hd.sim.mem + TABLE_OFFSET, table, sizeof table);
    /* The device still boots with the rewritten table. */
    boot(d, NULL, "factory");
    tu_image_free(&bl);
    free_dev(d);
}

static void test_nvs_partition_updates(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    const esp_partition_t *nvs = part("nvs");
    uint8_t data[0x3000];
    for (size_t i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(i * 7 + 3);
    }
    /* Direct: no magic, no verification for data partitions. */
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(nvs, OTA_SIZE_UNKNOWN, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, data, sizeof data), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    uint8_t back[sizeof data];
    assert_int_equal(esp_partition_read(nvs, 0, back, sizeof back), ESP_OK);
    assert_memory_equal(back, data, sizeof data);
    /* Via a free OTA partition, copied by esp_ota_end. */
    data[0] ^= 0xFF;
    assert_int_equal(staged_update(nvs, data, sizeof data), ESP_OK);
    assert_int_equal(esp_partition_read(nvs, 0, back, sizeof back), ESP_OK);
    assert_memory_equal(back, data, sizeof data);
    free_dev(d);
}

/* ---- spec §2.8: worked scenarios ---------------------------------------------------------- */

static void test_scenario_a_rollback_off(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    copy_app(part("ota_0"), false);
    copy_app(part("ota_1"), false);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    assert_entry(d, 0, 1, OTA_IMG_UNDEFINED);
    boot(d, NULL, "ota_0");
    assert_int_equal(esp_ota_set_boot_partition(part("ota_1")), ESP_OK);
    assert_entry(d, 1, 2, OTA_IMG_UNDEFINED);
    boot(d, NULL, "ota_1");
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    assert_entry(d, 0, 3, OTA_IMG_UNDEFINED);
    boot(d, NULL, "ota_0");
    uint8_t before[0x2000];
    memcpy(before, d->hd.sim.mem + OTADATA_OFFSET, sizeof before);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    assert_memory_equal(d->hd.sim.mem + OTADATA_OFFSET, before, sizeof before);
    assert_int_equal(esp_ota_set_boot_partition(part("factory")), ESP_OK);
    assert_erased_entry(d, 0);
    assert_erased_entry(d, 1);
    boot(d, NULL, "factory");
    free_dev(d);
}

/* Scenario B up to ota_1 PENDING_VERIFY (shared with C). */
static device_t *scenario_b_start(void)
{
    device_t *d = new_dev(LAYOUT_IDF_TEST, true);
    boot(d, NULL, "factory");
    copy_app(part("ota_0"), false);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    assert_entry(d, 0, 1, OTA_IMG_NEW);
    boot(d, NULL, "ota_0");
    assert_entry(d, 0, 1, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_entry(d, 0, 1, OTA_IMG_VALID);
    copy_app(part("ota_1"), false);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_1")), ESP_OK);
    assert_entry(d, 1, 2, OTA_IMG_NEW);
    boot(d, NULL, "ota_1");
    assert_entry(d, 1, 2, OTA_IMG_PENDING_VERIFY);
    return d;
}

static void test_scenario_b_never_confirmed(void **state)
{
    (void)state;
    device_t *d = scenario_b_start();
    boot(d, NULL, "ota_0"); /* reset before confirming */
    assert_entry(d, 1, 2, OTA_IMG_ABORTED);
    assert_int_equal(state_of("ota_1"), ESP_OTA_IMG_ABORTED);
    assert_ptr_equal(esp_ota_get_last_invalid_partition(), part("ota_1"));
    free_dev(d);
}

static void test_scenario_c_app_rejects(void **state)
{
    (void)state;
    device_t *d = scenario_b_start();
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_SIZE_UNKNOWN, &h),
                     ESP_ERR_OTA_ROLLBACK_INVALID_STATE);
    assert_true(esp_ota_check_rollback_is_possible());
    assert_int_equal(esp_ota_mark_app_invalid_rollback(), ESP_OK);
    assert_entry(d, 1, 2, OTA_IMG_INVALID);
    boot(d, NULL, "ota_0");
    free_dev(d);
}

static void test_scenario_e_no_factory(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_NO_FACTORY, false);
    assert_int_equal(hostdev_write_partition(&d->hd, "ota_0", d->app.data, d->app.len), OTA_OK);
    assert_int_equal(hostdev_write_partition(&d->hd, "ota_1", d->app.data, d->app.len), OTA_OK);
    boot(d, NULL, "ota_0");
    assert_entry(d, 0, 1, OTA_IMG_VALID);
    free_dev(d);

    d = new_dev(LAYOUT_NO_FACTORY, false);
    tu_image_t bad = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 60000);
    bad.data[100] ^= 0x40;
    assert_int_equal(hostdev_write_partition(&d->hd, "ota_0", bad.data, bad.len), OTA_OK);
    assert_int_equal(hostdev_write_partition(&d->hd, "ota_1", d->app.data, d->app.len), OTA_OK);
    boot(d, NULL, "ota_1");
    assert_entry(d, 0, 2, OTA_IMG_VALID);
    tu_image_free(&bad);
    free_dev(d);
}

static void test_update_refused_for_wrong_chip(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    tu_image_t s3 = tu_app_image(OTA_CHIP_ESP32S3, "2.0", 0, 30000);
    esp_image_header_t hdr;
    memcpy(&hdr, s3.data, sizeof hdr);
    assert_int_equal(esp_ota_check_image_validity(ESP_PARTITION_TYPE_APP, &hdr, NULL),
                     ESP_ERR_INVALID_VERSION);
    memcpy(&hdr, d->app.data, sizeof hdr);
    assert_int_equal(esp_ota_check_image_validity(ESP_PARTITION_TYPE_APP, &hdr, NULL), ESP_OK);
    assert_int_equal(esp_ota_check_image_validity(ESP_PARTITION_TYPE_DATA, &hdr, NULL),
                     ESP_ERR_INVALID_ARG);
    uint8_t before[0x2000];
    memcpy(before, d->hd.sim.mem + OTADATA_OFFSET, sizeof before);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, s3.data, s3.len), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_memory_equal(d->hd.sim.mem + OTADATA_OFFSET, before, sizeof before);
    tu_image_free(&s3);
    free_dev(d);
}

/* Write img to ota_0 through the facade; esp_ota_end's answer. */
static esp_err_t facade_install(const tu_image_t *img)
{
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, img->data, img->len), ESP_OK);
    return esp_ota_end(h);
}

static void test_require_signed(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    uint8_t efuse[1][32];
    tu_key_digest("rsa3072_a", efuse[0]);
    d->build.require_signed = (hostdev_keys_t){.digests = (const uint8_t(*)[32])efuse, .count = 1};
    tu_image_sign(&d->app, "rsa3072_a");
    assert_int_equal(hostdev_write_partition(&d->hd, "factory", d->app.data, d->app.len), OTA_OK);
    boot(d, NULL, "factory");
    uint8_t before[0x2000];
    memcpy(before, d->hd.sim.mem + OTADATA_OFFSET, sizeof before);
    /* Unsigned or signed by an untrusted key: every refusal is ESP-IDF's validate failure. */
    tu_image_t img = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 30000);
    assert_int_equal(facade_install(&img), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_ERR_OTA_VALIDATE_FAILED);
    tu_image_t other = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 30000);
    tu_image_sign(&other, "rsa3072_b");
    assert_int_equal(facade_install(&other), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_ERR_OTA_VALIDATE_FAILED);
    assert_memory_equal(d->hd.sim.mem + OTADATA_OFFSET, before, sizeof before);

    tu_image_sign(&img, "rsa3072_a");
    assert_int_equal(facade_install(&img), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    boot(d, NULL, "ota_0");
    tu_image_free(&img);
    tu_image_free(&other);
    free_dev(d);
}

/* A secure_version the eFuse field cannot hold: esp_efuse_update_secure_version's ESP_ERR_INVALID_ARG. */
static void test_counter_exhausted(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, true);
    d->build.anti_rollback = true;
    assert_int_equal(hostdev_set_counter_bits(&d->hd, 1), OTA_OK);
    boot(d, NULL, "factory");
    tu_image_t v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 2, 30000);
    assert_int_equal(facade_install(&v2), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_ERR_INVALID_ARG);
    assert_erased_entry(d, 0);
    tu_image_free(&v2);
    free_dev(d);
}

static void test_partition_api_bounds(void **state)
{
    (void)state;
    device_t *d = new_dev(LAYOUT_IDF_TEST, false);
    boot(d, NULL, "factory");
    const esp_partition_t *nvs = part("nvs");
    uint8_t buf[16];
    assert_int_equal(esp_partition_read(nvs, nvs->size + 1, buf, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_read(nvs, nvs->size - 8, buf, 16), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_read(nvs, nvs->size, buf, 0), ESP_OK);
    assert_int_equal(esp_partition_erase_range(nvs, 0x100, 0x1000), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_erase_range(nvs, 0, 0x100), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_erase_range(nvs, 0x1000, nvs->size), ESP_ERR_INVALID_SIZE);
    ESP_ERROR_CHECK(esp_partition_erase_range(nvs, 0, nvs->size));
    assert_int_equal(ESP_ERROR_CHECK_WITHOUT_ABORT(esp_ota_end(12345)), ESP_ERR_NOT_FOUND);
    /* Iteration in table order, with type and subtype filters. */
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_APP,
                                                     ESP_PARTITION_SUBTYPE_ANY, NULL);
    static const char *const apps[] = {"factory", "ota_0", "ota_1", "test"};
    for (size_t i = 0; i < 4; i++) {
        assert_non_null(it);
        assert_string_equal(esp_partition_get(it)->label, apps[i]);
        it = esp_partition_next(it);
    }
    assert_null(it);
    assert_null(esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_DATA_NVS, NULL));
    assert_ptr_equal(esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_OTA(1), NULL),
                     part("ota_1"));
    esp_partition_t copy = *part("ota_1");
    assert_ptr_equal(esp_partition_verify(&copy), part("ota_1"));
    copy.label[0] = '\0'; /* an empty label matches any */
    assert_ptr_equal(esp_partition_verify(&copy), part("ota_1"));
    copy.size--;
    assert_null(esp_partition_verify(&copy));
    assert_string_equal(esp_err_to_name(ESP_ERR_OTA_VALIDATE_FAILED), "ESP_ERR_OTA_VALIDATE_FAILED");
    assert_string_equal(esp_err_to_name(0x7777), "UNKNOWN ERROR");
    free_dev(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_verifies_arguments),
        cmocka_unit_test(test_next_update_partition_logic),
        cmocka_unit_test(test_get_partition_description),
        cmocka_unit_test(test_running_partition_points_to_factory),
        cmocka_unit_test(test_switch_factory_ota0_ota1_ota0),
        cmocka_unit_test(test_corrupt_ota_sec1_boots_factory),
        cmocka_unit_test(test_corrupt_ota_sec2_keeps_ota0),
        cmocka_unit_test(test_factory_reset_pin),
        cmocka_unit_test(test_app_test_pin),
        cmocka_unit_test(test_rollback_factory_ota0_ota0_to_factory),
        cmocka_unit_test(test_rollback_factory_ota0_ota1_to_ota0),
        cmocka_unit_test(test_erase_last_boot_app_partition),
        cmocka_unit_test(test_switch_with_write_with_offset),
        cmocka_unit_test(test_sha256_of_corrupted_partition),
        cmocka_unit_test(test_updated_partition_invalidated_after_begin),
        cmocka_unit_test(test_rewrite_otadata_seq_for_non_running_partition),
        cmocka_unit_test(test_bootloader_and_table_updates),
        cmocka_unit_test(test_nvs_partition_updates),
        cmocka_unit_test(test_scenario_a_rollback_off),
        cmocka_unit_test(test_scenario_b_never_confirmed),
        cmocka_unit_test(test_scenario_c_app_rejects),
        cmocka_unit_test(test_scenario_e_no_factory),
        cmocka_unit_test(test_update_refused_for_wrong_chip),
        cmocka_unit_test(test_require_signed),
        cmocka_unit_test(test_counter_exhausted),
        cmocka_unit_test(test_partition_api_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
