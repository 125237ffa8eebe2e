/* The bootloader's choice of app (spec §2.6 selection + loading order, §2.7 rollback/anti-rollback). */
#include "ota/boot.h"

#include <string.h>

#include "otadata_internal.h"

/* A feature asked for and built in (ota/config.h): compiled-out paths are dropped. */
#define ROLLBACK(cfg) (OTA_CONFIG_BOOT_ROLLBACK && (cfg)->rollback)
#define ANTI_ROLLBACK(cfg) (OTA_CONFIG_BOOT_ANTI_ROLLBACK && (cfg)->anti_rollback)

/* The table as the ESP-IDF bootloader indexes it (bootloader_state_t), slots aside. */
typedef struct boot_layout {
    const ota_partition_t *factory, *test, *otadata;
    unsigned app_count; /* OTA entries counted, gaps or not */
} boot_layout_t;

typedef struct boot_run {
    const ota_flash_t *flash;
    const ota_partition_table_t *table;
    const ota_boot_config_t *cfg;
    boot_layout_t lay;
    ota_boot_result_t *res;
} boot_run_t;

const char *ota_boot_reason_text(ota_boot_reason_t reason)
{
    switch (reason) {
    case OTA_BOOT_REASON_NO_OTADATA:
        return "no otadata partition: factory app";
    case OTA_BOOT_REASON_NOTHING_SELECTABLE:
        return "no selectable otadata entry or no OTA slot: factory app, else ota_0";
    case OTA_BOOT_REASON_INITIAL_OTADATA:
        return "otadata blank or corrupt (anti-rollback): first bootable app from factory on";
    case OTA_BOOT_REASON_ACTIVE_ENTRY:
        return "slot of the active otadata entry";
    case OTA_BOOT_REASON_NO_ACTIVE_ENTRY:
        return "otadata entries present but none valid: factory index";
    case OTA_BOOT_REASON_TEST_REQUEST:
        return "test app requested";
    }
    return "unknown reason";
}

/* One pass like bootloader_utility_load_partition_table: later entries win. */
static void load_layout(const ota_partition_table_t *table, boot_layout_t *lay)
{
    *lay = (boot_layout_t){0};
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_t *p = &table->entries[i];
        if (OTA_PART_IS_OTA_SLOT(p)) {
            lay->app_count++;
        } else if (p->type == OTA_PART_TYPE_APP && p->subtype == OTA_PART_SUBTYPE_FACTORY) {
            lay->factory = p;
        } else if (p->type == OTA_PART_TYPE_APP && p->subtype == OTA_PART_SUBTYPE_TEST) {
            lay->test = p;
        } else if (p->type == OTA_PART_TYPE_DATA && p->subtype == OTA_PART_SUBTYPE_DATA_OTA) {
            lay->otadata = p;
        }
    }
}

/*
 * The bootloader's ota[slot]: the last entry with subtype ota_<slot>. Looked
 * up rather than kept in a 16-pointer array: the table is short, the stack is not.
 */
static const ota_partition_t *slot_partition(const ota_partition_table_t *table, unsigned slot)
{
    const ota_partition_t *found = NULL;
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_t *p = &table->entries[i];
        if (OTA_PART_IS_OTA_SLOT(p) && (p->subtype & 0x0Fu) == slot) {
            found = p;
        }
    }
    return found;
}

/* index_to_partition; NULL for absent or zero-sized partitions. */
static const ota_partition_t *index_partition(const boot_run_t *run, int index)
{
    const ota_partition_t *p = NULL;
    if (index == OTA_BOOT_INDEX_FACTORY) {
        p = run->lay.factory;
    } else if (index == OTA_BOOT_INDEX_TEST) {
        p = run->lay.test;
    } else if (index >= 0 && index < (int)OTA_OTADATA_MAX_SLOTS &&
               (unsigned)index < run->lay.app_count) {
        p = slot_partition(run->table, (unsigned)index);
    }
    return p && p->size ? p : NULL;
}

static void record(boot_run_t *run, ota_boot_op_kind_t kind, unsigned sector,
                   const ota_select_entry_t *e, ota_err_t err)
{
    ota_boot_result_t *res = run->res;
    if (res->op_count < OTA_BOOT_MAX_OPS) {
        ota_boot_op_t *op = &res->ops[res->op_count++];
        *op = (ota_boot_op_t){.kind = kind, .sector = sector, .err = err};
        if (e) {
            op->entry = *e;
        }
    }
}

/*
 * Every otadata write of the bootloader goes through here (cfg->writes says
 * how); errors do not stop the boot, as in ESP-IDF.
 */
static void store_entry(boot_run_t *run, unsigned sector, const ota_select_entry_t *e)
{
    ota_err_t err = ota_otadata_store(run->flash, run->lay.otadata, sector, e, run->cfg->writes);
    record(run, OTA_BOOT_OP_WRITE_ENTRY, sector, e, err);
}

/* Hardened: put back entries whose rewrite a power cut interrupted, before anything reads them. */
static void recover(boot_run_t *run)
{
    unsigned restored = 0;
    ota_select_entry_t *e = run->res->entries;
    if (!OTA__HARDENED(run->cfg->writes) || !run->lay.otadata ||
        ota_otadata_recover(run->flash, run->lay.otadata, true, &restored) != OTA_OK ||
        !restored || ota_otadata_read(run->flash, run->lay.otadata, e) != OTA_OK) {
        return; /* a flash failure shows again, and is reported, when otadata is read */
    }
    for (unsigned i = 0; i < 2; i++) {
        if (restored & (1u << i)) {
            record(run, OTA_BOOT_OP_RESTORE_ENTRY, i, &e[i], OTA_OK);
        }
    }
}

/* Image verifies and, with anti-rollback, is not older than the counter. */
static bool image_acceptable(const boot_run_t *run, const ota_partition_t *p, uint32_t *version)
{
    *version = 0;
    if (!p || run->cfg->check_image(run->cfg->ctx, p, version) != OTA_OK) {
        return false;
    }
    return !ANTI_ROLLBACK(run->cfg) || *version >= run->res->secure_version;
}

/* A failed raise does not stop the boot (as in ESP-IDF), but is reported. */
static void raise_version(boot_run_t *run, uint32_t version)
{
    if (!ANTI_ROLLBACK(run->cfg) || version <= run->res->secure_version) {
        return;
    }
    ota_err_t err = run->cfg->raise_version(run->cfg->ctx, version);
    if (err) {
        run->res->raise_err = err;
    } else {
        run->res->secure_version = version;
    }
}

/* A boot never selects a first-boot image twice: PENDING_VERIFY left over means it did not confirm. */
static void abort_pending(boot_run_t *run, ota_select_entry_t e[2])
{
    for (unsigned i = 0; i < 2; i++) {
        if (e[i].state == OTA_IMG_PENDING_VERIFY) {
            e[i].state = OTA_IMG_ABORTED;
            store_entry(run, i, &e[i]);
        }
    }
}

/* Anti-rollback's active entry: valid entries whose slot image is acceptable; versions[i] out. */
static int active_with_version(const boot_run_t *run, const ota_select_entry_t e[2],
                               uint32_t versions[2])
{
    bool ok[2] = {false, false};
    for (unsigned i = 0; i < 2 && run->lay.app_count; i++) {
        const ota_partition_t *p = slot_partition(
            run->table, ota_otadata_slot(e[i].seq, run->lay.app_count) % OTA_OTADATA_MAX_SLOTS);
        ok[i] = ota_select_entry_is_valid(&e[i]) && image_acceptable(run, p, &versions[i]);
    }
    return ota_otadata_select(e, ok, true);
}

/* Steps 1-5 of §2.6 (with §2.7): the start index and the selection-time writes. */
static ota_err_t select_start(boot_run_t *run, int *index)
{
    ota_boot_result_t *res = run->res;
    const boot_layout_t *lay = &run->lay;
    res->initial_contents = false;
    res->active_entry = -1;
    *index = OTA_BOOT_INDEX_FACTORY;
    if (!lay->otadata) {
        res->reason = OTA_BOOT_REASON_NO_OTADATA;
        return OTA_OK;
    }
    ota_select_entry_t *e = res->entries;
    ota_err_t err = ota_otadata_read(run->flash, lay->otadata, e);
    if (err) {
        return err;
    }
    if (ROLLBACK(run->cfg)) {
        abort_pending(run, e);
    }
    bool both_initial = ota_select_entry_is_initial(&e[0]) && ota_select_entry_is_initial(&e[1]);
    uint32_t versions[2] = {0, 0};
    int a;
    if (ANTI_ROLLBACK(run->cfg)) {
        if (both_initial) {
            res->initial_contents = true;
            res->reason = OTA_BOOT_REASON_INITIAL_OTADATA;
            return OTA_OK;
        }
        a = active_with_version(run, e, versions);
    } else {
        if ((ota_select_entry_is_invalid(&e[0]) && ota_select_entry_is_invalid(&e[1])) ||
            lay->app_count == 0) {
            res->reason = OTA_BOOT_REASON_NOTHING_SELECTABLE;
            if (!lay->factory) {
                *index = 0;
                res->initial_contents = both_initial;
            }
            return OTA_OK;
        }
        a = ota_otadata_active(e);
    }
    if (a < 0) {
        res->reason = OTA_BOOT_REASON_NO_ACTIVE_ENTRY;
        return OTA_OK;
    }
    res->active_entry = a;
    res->reason = OTA_BOOT_REASON_ACTIVE_ENTRY;
    *index = (int)ota_otadata_slot(e[a].seq, lay->app_count);
    if (ROLLBACK(run->cfg) && e[a].state == OTA_IMG_NEW) {
        e[a].state = OTA_IMG_PENDING_VERIFY;
        store_entry(run, (unsigned)a, &e[a]);
    }
    if (e[a].state == OTA_IMG_VALID) {
        raise_version(run, versions[a]);
    }
    return OTA_OK;
}

/* bootloader_common_label_search: is label one of the comma/space separated words of list? */
static bool label_listed(const char *list, const char *label)
{
    while (list && *list) {
        size_t n = 0;
        while (list[n] && list[n] != ',' && list[n] != ' ') {
            n++;
        }
        /* A whole label: n equal bytes, then its end (labels hold at most 16). */
        if (n && n <= OTA_PART_LABEL_LEN && memcmp(list, label, n) == 0 && label[n] == '\0') {
            return true;
        }
        list += n + (list[n] ? 1 : 0);
    }
    return false;
}

/*
 * Erase the listed data partitions and, if asked, every otadata partition.
 * The otadata erase is recorded as one op (with its first error) however many
 * data/ota partitions the table holds, so the result's op list stays within
 * OTA_BOOT_MAX_OPS and every entry write after the reset is still recorded.
 */
static void factory_reset(boot_run_t *run)
{
    ota_boot_result_t *res = run->res;
    bool otadata_erased = false;
    ota_err_t otadata_err = OTA_OK;
    for (size_t i = 0; i < run->table->count; i++) {
        const ota_partition_t *p = &run->table->entries[i];
        if (p->type != OTA_PART_TYPE_DATA) {
            continue;
        }
        bool is_otadata = p->subtype == OTA_PART_SUBTYPE_DATA_OTA;
        if ((is_otadata && run->cfg->factory_reset_erase_otadata) ||
            label_listed(run->cfg->factory_reset_labels, p->label)) {
            ota_err_t err = is_otadata ? ota_otadata_erase(run->flash, p, run->cfg->writes)
                                       : ota_flash_erase_range(run->flash, p->offset, p->size);
            if (is_otadata) {
                otadata_erased = true;
                otadata_err = otadata_err ? otadata_err : err;
            }
            if (err && !res->factory_reset_err) {
                res->factory_reset_err = err;
            }
        }
    }
    if (otadata_erased) {
        record(run, OTA_BOOT_OP_ERASE_OTADATA, 0, NULL, otadata_err);
    }
    res->factory_reset = true;
}

/* Load attempt at one index; on success also the initial-contents write (set_actual_ota_seq). */
static bool try_boot(boot_run_t *run, int index)
{
    const ota_partition_t *p = index_partition(run, index);
    uint32_t version;
    if (!p) {
        return false;
    }
    if (!image_acceptable(run, p, &version)) {
        run->res->fell_back = true;
        return false;
    }
    run->res->partition = p;
    if (index >= 0 && run->res->initial_contents) {
        ota_select_entry_t *e = &run->res->entries[0];
        ota_select_entry_make(e, (uint32_t)index + 1u, OTA_IMG_VALID);
        store_entry(run, 0, e);
        raise_version(run, version);
    }
    return true;
}

/* Step 7: start, down to factory, then up through the slots, then the test app. */
static ota_err_t load(boot_run_t *run, int start)
{
    if (start != OTA_BOOT_INDEX_TEST) {
        for (int i = start; i >= OTA_BOOT_INDEX_FACTORY; i--) {
            if (try_boot(run, i)) {
                return OTA_OK;
            }
        }
        for (int i = start + 1; i < (int)run->lay.app_count; i++) {
            if (try_boot(run, i)) {
                return OTA_OK;
            }
        }
    }
    return try_boot(run, OTA_BOOT_INDEX_TEST) ? OTA_OK : OTA_ERR_BOOT_NO_IMAGE;
}

/* The configuration's errors, before anything is read: a feature not built in is refused. */
static ota_err_t check_config(const ota_boot_config_t *cfg)
{
    ota_err_t err = ota__writes_check(cfg->writes);
    if (err == OTA_ERR_INVALID_ARG || !cfg->check_image ||
        (cfg->anti_rollback && !cfg->raise_version)) {
        return OTA_ERR_INVALID_ARG;
    }
    bool missing = (cfg->rollback && !OTA_CONFIG_BOOT_ROLLBACK) ||
                   (cfg->anti_rollback && !OTA_CONFIG_BOOT_ANTI_ROLLBACK) ||
                   (cfg->factory_reset_request && !OTA_CONFIG_BOOT_FACTORY_RESET) ||
                   (cfg->test_app_request && !OTA_CONFIG_BOOT_TEST_APP);
    return missing ? OTA_ERR_NOT_SUPPORTED : err;
}

ota_err_t ota_boot_select(const ota_flash_t *flash, const ota_partition_table_t *table,
                          const ota_boot_config_t *cfg, ota_boot_result_t *out)
{
    if (!flash || !table || !cfg || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = check_config(cfg);
    if (err) {
        return err;
    }
    *out = (ota_boot_result_t){.active_entry = -1, .secure_version = cfg->secure_version};
    memset(out->entries, 0xFF, sizeof out->entries);
    boot_run_t run = {.flash = flash, .table = table, .cfg = cfg, .res = out};
    load_layout(table, &run.lay);
    recover(&run);

    int start;
    err = select_start(&run, &start);
    if (!err && OTA_CONFIG_BOOT_FACTORY_RESET && cfg->factory_reset_request) {
        factory_reset(&run);
        err = select_start(&run, &start); /* the test request is not honoured after a reset */
    } else if (!err && OTA_CONFIG_BOOT_TEST_APP && cfg->test_app_request) {
        if (!run.lay.test) {
            return OTA_ERR_BOOT_NO_TEST_APP;
        }
        start = OTA_BOOT_INDEX_TEST;
        out->reason = OTA_BOOT_REASON_TEST_REQUEST;
    }
    if (err) {
        return err;
    }
    out->start_index = start;
    return load(&run, start);
}
