/*
 * otadata and the boot decision against the upstream vectors
 * (../shared/vectors/manifest.json "otadata", README notes 4 and 6):
 *   - every case x 8 configurations: the bootloader's start index, active
 *     entry, booted partition, initial-contents flag, exact flash writes and
 *     the otadata bytes afterwards (SHA-256), computed by ESP-IDF's own code;
 *   - the app's esp_ota_get_boot_partition() view;
 *   - every esp_ota_set_boot_partition() transition (flash ops, result, bytes);
 *   - every otatool.py switch_ota_partition run (byte-identical result file).
 * Where upstream loops forever or writes the unusable seq 0xFFFFFFFF, libota
 * must refuse with OTA_ERR_BOOT_SEQ_OVERFLOW, write nothing and keep booting
 * what booted before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ota/boot.h"
#include "ota/otadata.h"
#include "ota_port/hash_mbedtls.h"
#include "otadev.h"
#include "testutil.h"

static json_value_t *g_manifest;

static int load_manifest(void **state)
{
    (void)state;
    return json_load_vector("manifest.json", &g_manifest);
}

static int free_manifest(void **state)
{
    (void)state;
    json_free(g_manifest);
    return 0;
}

static const json_value_t *otadata_section(const char *name)
{
    const json_value_t *v = json_path(g_manifest, name);
    assert_non_null(v);
    return v;
}

static uint32_t get_u32(const json_value_t *obj, const char *key)
{
    bool ok;
    int64_t v = json_int(json_get(obj, key), &ok);
    if (!ok || v < 0 || v > 0xFFFFFFFFll) {
        fail_msg("manifest: '%s' is not a u32", key);
    }
    return (uint32_t)v;
}

static void unhex(const char *hex, uint8_t *out, size_t len)
{
    assert_non_null(hex);
    assert_int_equal(strlen(hex), 2 * len);
    for (size_t i = 0; i < len; i++) {
        unsigned byte;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
        out[i] = (uint8_t)byte;
    }
}

/* The start image of a case or transition (8 KiB), checked against its recorded SHA-256 when given. */
static uint8_t *load_otadata(const char *rel, const char *sha256_hex)
{
    size_t len;
    uint8_t *img = tu_read_file(tu_vector_path(rel), &len);
    if (!img) {
        fail_msg("cannot read %s", rel);
    }
    assert_int_equal(len, OTA_OTADATA_SIZE);
    if (sha256_hex) {
        uint8_t d[OTA_SHA256_LEN];
        char hex[65];
        ota_port_sha256(img, len, d);
        tu_hex(d, sizeof d, hex);
        assert_string_equal(hex, sha256_hex);
    }
    return img;
}

static void open_device(tu_otadev_t *dev, unsigned app_count, bool has_factory, const uint8_t *img)
{
    tu_otadev_opts_t opts = {.app_count = app_count, .has_factory = has_factory};
    tu_otadev_init(dev, &opts);
    tu_otadev_poke_otadata(dev, img, OTA_OTADATA_SIZE);
}

static void expect_sha(const char *what, const tu_otadev_t *dev, const char *expected)
{
    char hex[65];
    tu_otadev_otadata_sha256_hex(dev, hex);
    if (!expected || strcmp(hex, expected) != 0) {
        fail_msg("%s: otadata sha256 %s, expected %s", what, hex, expected ? expected : "(none)");
    }
}

/*
 * The flash mutations recorded on dev equal the manifest's list: erase
 * ranges (logged sector by sector) and 32-byte entry writes, offsets relative
 * to the otadata partition.
 */
static void expect_flash_ops(const char *what, const tu_otadev_t *dev, const json_value_t *ops)
{
    size_t n = 0;
    const tu_flashlog_t *log = &dev->log;
    for (size_t i = 0; i < json_len(ops); i++) {
        const json_value_t *op = json_at(ops, i);
        if (json_get(op, "erase_offset")) {
            uint32_t off = get_u32(op, "erase_offset"), len = get_u32(op, "erase_len");
            for (uint32_t s = 0; s < len; s += OTA_OTADATA_SECTOR_SIZE, n++) {
                if (n >= log->count || log->ops[n].kind != TU_FLASHLOG_ERASE ||
                    log->ops[n].addr != TU_OTADATA_OFFSET + off + s) {
                    fail_msg("%s: flash op %zu should erase otadata+0x%x", what, n, off + s);
                }
            }
            continue;
        }
        uint8_t entry[OTA_OTADATA_ENTRY_SIZE];
        unhex(json_str(json_get(op, "entry_hex")), entry, sizeof entry);
        uint32_t off = get_u32(op, "write_offset");
        if (n >= log->count || log->ops[n].kind != TU_FLASHLOG_WRITE ||
            log->ops[n].addr != TU_OTADATA_OFFSET + off || log->ops[n].len != sizeof entry ||
            memcmp(log->ops[n].data, entry, sizeof entry) != 0) {
            fail_msg("%s: flash op %zu should write entry %s at otadata+0x%x", what, n,
                     json_str(json_get(op, "entry_hex")), off);
        }
        n++;
    }
    if (n != log->count) {
        fail_msg("%s: %zu flash ops performed, %zu expected", what, log->count, n);
    }
}

/* The result's own list of bootloader writes matches the manifest's entry writes. */
static void expect_result_ops(const char *what, const ota_boot_result_t *res,
                              const json_value_t *ops)
{
    size_t k = 0;
    for (size_t i = 0; i < json_len(ops); i++) {
        const json_value_t *op = json_at(ops, i);
        if (!json_get(op, "entry_hex")) {
            continue;
        }
        uint8_t want[OTA_OTADATA_ENTRY_SIZE], got[OTA_OTADATA_ENTRY_SIZE];
        unhex(json_str(json_get(op, "entry_hex")), want, sizeof want);
        if (k >= res->op_count) {
            fail_msg("%s: result lists %zu writes, more expected", what, res->op_count);
        }
        ota_select_entry_encode(&res->ops[k].entry, got);
        if (res->ops[k].kind != OTA_BOOT_OP_WRITE_ENTRY || res->ops[k].err != OTA_OK ||
            res->ops[k].sector != get_u32(op, "sector") || memcmp(got, want, sizeof got) != 0) {
            fail_msg("%s: result write %zu differs from the manifest", what, k);
        }
        k++;
    }
    if (k != res->op_count) {
        fail_msg("%s: result lists %zu writes, %zu expected", what, res->op_count, k);
    }
}

static ota_err_t boot(tu_otadev_t *dev, bool rollback, ota_boot_result_t *res)
{
    /* ESP-IDF's exact writes: the vectors are its byte sequences. */
    ota_boot_config_t cfg = {.rollback = rollback,
                             .check_image = tu_otadev_check_image,
                             .ctx = dev,
                             .writes = OTA_WRITES_FAITHFUL};
    return ota_boot_select(dev->flash, &dev->table, &cfg, res);
}

/*
 * In the minimal build (tests/CMakeLists.txt: otadata_vectors_minimal) the
 * bootloader has no rollback: a boot asking for it is refused before anything
 * is written. Checks that and returns false there; true where rollback is
 * built in or not asked for.
 */
static bool boot_has_rollback(const char *what, tu_otadev_t *dev, bool rollback)
{
    if (!rollback || OTA_CONFIG_BOOT_ROLLBACK) {
        return true;
    }
    size_t ops = dev->log.count;
    ota_boot_result_t res;
    ota_err_t err = boot(dev, rollback, &res);
    if (err != OTA_ERR_NOT_SUPPORTED || dev->log.count != ops) {
        fail_msg("%s: rollback not built in: got %s, %zu writes", what, ota_err_name(err),
                 dev->log.count - ops);
    }
    return false;
}

static void test_every_case_boots_like_esp_idf(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const json_value_t *cases = otadata_section("otadata.cases");
    size_t checked = 0, not_built = 0;
    for (size_t c = 0; c < json_len(cases); c++) {
        const json_value_t *kase = json_at(cases, c);
        const char *id = json_str(json_get(kase, "id"));
        uint8_t *img = load_otadata(json_str(json_get(kase, "file")),
                                    json_str(json_get(kase, "sha256")));
        const json_value_t *boots = json_get(kase, "expected_boot");
        assert_int_equal(json_len(boots), 8);
        for (size_t b = 0; b < json_len(boots); b++) {
            const json_value_t *eb = json_at(boots, b);
            unsigned n = get_u32(eb, "app_count");
            bool rollback = json_bool(json_get(eb, "rollback"));
            bool factory = json_bool(json_get(eb, "has_factory"));
            char what[128];
            snprintf(what, sizeof what, "%s [app_count=%u rollback=%d factory=%d]", id, n,
                     rollback, factory);

            tu_otadev_t dev;
            open_device(&dev, n, factory, img);
            checked++;
            if (!boot_has_rollback(what, &dev, rollback)) {
                tu_otadev_free(&dev);
                not_built++;
                continue;
            }
            ota_boot_result_t res;
            ota_err_t err = boot(&dev, rollback, &res);
            if (err != OTA_OK) {
                fail_msg("%s: boot failed: %s", what, ota_err_name(err));
            }
            if (res.start_index != json_int(json_get(eb, "selected_index"), NULL) ||
                res.active_entry != json_int(json_get(eb, "active_otadata"), NULL) ||
                res.initial_contents != json_bool(json_get(eb, "ota_has_initial_contents")) ||
                strcmp(res.partition->label, json_str(json_get(eb, "boot_partition"))) != 0 ||
                res.fell_back) {
                fail_msg("%s: start %d active %d initial %d booted %s", what, res.start_index,
                         res.active_entry, res.initial_contents, res.partition->label);
            }
            const json_value_t *ops = json_get(eb, "bootloader_flash_ops");
            expect_flash_ops(what, &dev, ops);
            expect_result_ops(what, &res, ops);
            expect_sha(what, &dev, json_str(json_get(eb, "otadata_after_boot_sha256")));
            tu_otadev_free(&dev);
        }
        free(img);
    }
    assert_int_equal(checked, 34 * 8);
    assert_int_equal(not_built, OTA_CONFIG_BOOT_ROLLBACK ? 0 : 34 * 4); /* half ask for rollback */
}

static void test_every_case_app_view(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const json_value_t *cases = otadata_section("otadata.cases");
    size_t checked = 0;
    for (size_t c = 0; c < json_len(cases); c++) {
        const json_value_t *kase = json_at(cases, c);
        uint8_t *img = load_otadata(json_str(json_get(kase, "file")), NULL);
        const json_value_t *views = json_get(kase, "expected_app_view");
        for (size_t v = 0; v < json_len(views); v++) {
            const json_value_t *ev = json_at(views, v);
            tu_otadev_t dev;
            open_device(&dev, get_u32(ev, "app_count"), json_bool(json_get(ev, "has_factory")),
                        img);
            const ota_partition_t *p = NULL;
            assert_int_equal(ota_otadata_boot_partition(dev.flash, &dev.table, &p), OTA_OK);
            const char *want = json_str(json_get(ev, "esp_ota_get_boot_partition"));
            if (strcmp(p->label, want) != 0) {
                fail_msg("%s [app_count=%u factory=%d]: app sees %s, expected %s",
                         json_str(json_get(kase, "id")), get_u32(ev, "app_count"),
                         json_bool(json_get(ev, "has_factory")), p->label, want);
            }
            assert_int_equal(dev.log.count, 0); /* a query never writes */
            tu_otadev_free(&dev);
            checked++;
        }
        free(img);
    }
    assert_int_equal(checked, 34 * 4);
}

/* The expected_boot entry of case `file` for a configuration. */
static const json_value_t *expected_boot_of(const char *file, unsigned n, bool rollback,
                                            bool factory)
{
    const json_value_t *cases = otadata_section("otadata.cases");
    for (size_t c = 0; c < json_len(cases); c++) {
        const json_value_t *kase = json_at(cases, c);
        if (strcmp(json_str(json_get(kase, "file")), file) != 0) {
            continue;
        }
        const json_value_t *boots = json_get(kase, "expected_boot");
        for (size_t b = 0; b < json_len(boots); b++) {
            const json_value_t *eb = json_at(boots, b);
            if (get_u32(eb, "app_count") == n && json_bool(json_get(eb, "rollback")) == rollback &&
                json_bool(json_get(eb, "has_factory")) == factory) {
                return eb;
            }
        }
    }
    fail_msg("no expected_boot for %s", file);
    return NULL;
}

/* A refused update left otadata alone, so the bootloader still boots what it booted before. */
static void expect_refused_and_unchanged(const char *what, tu_otadev_t *dev, ota_err_t err,
                                         const char *start_file, bool rollback,
                                         const char *start_sha)
{
    if (err != OTA_ERR_BOOT_SEQ_OVERFLOW) {
        fail_msg("%s: got %s, expected OTA_ERR_BOOT_SEQ_OVERFLOW", what, ota_err_name(err));
    }
    assert_int_equal(dev->log.count, 0);
    expect_sha(what, dev, start_sha);
    if (!boot_has_rollback(what, dev, rollback)) {
        return;
    }
    const json_value_t *eb =
        expected_boot_of(start_file, ota_app_count(&dev->table), rollback, dev->opts.has_factory);
    ota_boot_result_t res;
    assert_int_equal(boot(dev, rollback, &res), OTA_OK);
    assert_string_equal(res.partition->label, json_str(json_get(eb, "boot_partition")));
}

/* Upstream wrote seq 0xFFFFFFFF (an "erased" seq, never selectable) in one of these ops. */
static bool writes_erased_seq(const json_value_t *ops)
{
    for (size_t i = 0; i < json_len(ops); i++) {
        const json_value_t *seq = json_get(json_at(ops, i), "ota_seq");
        if (seq && json_int(seq, NULL) == OTA_OTADATA_SEQ_ERASED) {
            return true;
        }
    }
    return false;
}

static void test_every_set_boot_partition_transition(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const json_value_t *list = otadata_section("otadata.set_boot_partition_transitions");
    size_t checked = 0, refused = 0;
    for (size_t i = 0; i < json_len(list); i++) {
        const json_value_t *t = json_at(list, i);
        const char *start = json_str(json_get(t, "start"));
        const char *target = json_str(json_get(t, "target"));
        bool rollback = json_bool(json_get(t, "rollback"));
        char what[160];
        snprintf(what, sizeof what, "%s -> %s [app_count=%u rollback=%d]", start, target,
                 get_u32(t, "app_count"), rollback);

        uint8_t *img = load_otadata(start, NULL);
        uint8_t start_digest[OTA_SHA256_LEN];
        char start_sha[65];
        ota_port_sha256(img, OTA_OTADATA_SIZE, start_digest);
        tu_hex(start_digest, sizeof start_digest, start_sha);

        tu_otadev_t dev;
        open_device(&dev, get_u32(t, "app_count"), json_bool(json_get(t, "has_factory")), img);
        ota_err_t err = ota_otadata_set_boot_partition(
            dev.flash, &dev.table, tu_otadev_part(&dev, target), rollback, OTA_WRITES_FAITHFUL);
        const json_value_t *ops = json_get(t, "flash_ops");
        if (json_bool(json_get(t, "hangs")) || writes_erased_seq(ops)) {
            expect_refused_and_unchanged(what, &dev, err, start, rollback, start_sha);
            refused++;
        } else {
            if (err != OTA_OK || json_int(json_get(t, "esp_err"), NULL) != 0) {
                fail_msg("%s: %s", what, ota_err_name(err));
            }
            expect_flash_ops(what, &dev, ops);
            expect_sha(what, &dev, json_str(json_get(t, "otadata_after_sha256")));
        }
        tu_otadev_free(&dev);
        free(img);
        checked++;
    }
    assert_int_equal(checked, 176);
    assert_int_equal(refused, 8); /* 4 hangs + 4 writes of seq 0xFFFFFFFF, all from od25 */
}

static void test_every_otatool_switch_transition(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const json_value_t *list = otadata_section("otadata.otatool_switch_transitions");
    size_t checked = 0, refused = 0;
    for (size_t i = 0; i < json_len(list); i++) {
        const json_value_t *t = json_at(list, i);
        const char *start = json_str(json_get(t, "start"));
        const char *command = json_str(json_get(t, "command"));
        unsigned slot;
        assert_non_null(command);
        assert_int_equal(sscanf(command, "otatool.py switch_ota_partition --slot %u", &slot), 1);
        unsigned n = get_u32(t, "app_count");
        char what[200];
        snprintf(what, sizeof what, "%s: %s [app_count=%u]", start, command, n);

        uint8_t *img = load_otadata(start, NULL);
        uint8_t start_digest[OTA_SHA256_LEN];
        char start_sha[65];
        ota_port_sha256(img, OTA_OTADATA_SIZE, start_digest);
        tu_hex(start_digest, sizeof start_digest, start_sha);
        /* p02 = factory + 2 slots, p03 = 4 slots without factory. */
        tu_otadev_t dev;
        open_device(&dev, n, n == 2, img);
        ota_err_t err = ota_otadata_otatool_switch(dev.flash, &dev.table, slot);

        const char *result_file = json_str(json_get(t, "result_file"));
        const json_value_t *after = json_get(t, "entries_after");
        const json_value_t *changed = json_get(t, "sectors_changed");
        bool wrote_erased = json_len(changed) == 1 &&
                            get_u32(json_at(after, (size_t)json_int(json_at(changed, 0), NULL)),
                                    "ota_seq") == OTA_OTADATA_SEQ_ERASED;
        if (!result_file || wrote_erased) {
            expect_refused_and_unchanged(what, &dev, err, start, false, start_sha);
            refused++;
        } else {
            if (err != OTA_OK) {
                fail_msg("%s: %s", what, ota_err_name(err));
            }
            uint8_t *want = load_otadata(result_file, json_str(json_get(t, "result_sha256")));
            if (memcmp(tu_otadev_otadata_bytes(&dev), want, OTA_OTADATA_SIZE) != 0) {
                fail_msg("%s: result differs from %s", what, result_file);
            }
            /* Only the changed copy's sector was touched: one erase, one write. */
            uint32_t sector_addr =
                TU_OTADATA_OFFSET + (uint32_t)json_int(json_at(changed, 0), NULL) * 0x1000u;
            assert_int_equal(dev.log.count, 2);
            assert_int_equal(dev.log.ops[0].addr, sector_addr);
            assert_int_equal(dev.log.ops[1].addr, sector_addr);
            free(want);
        }
        tu_otadev_free(&dev);
        free(img);
        checked++;
    }
    assert_int_equal(checked, 66);
    assert_int_equal(refused, 4); /* 2 otatool crashes + 2 writes of seq 0xFFFFFFFF */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_case_boots_like_esp_idf),
        cmocka_unit_test(test_every_case_app_view),
        cmocka_unit_test(test_every_set_boot_partition_transition),
        cmocka_unit_test(test_every_otatool_switch_transition),
    };
    return cmocka_run_group_tests(tests, load_manifest, free_manifest);
}
