/*
 * The application's side of otadata (esp_ota_ops: set boot partition, rollback
 * marks and queries, spec §2.5, §2.7, §3.3) and otatool's switch (§6.2).
 * Kept apart from otadata.c so a bootloader does not link it.
 */
#include "ota/otadata.h"

#include <string.h>

#include "otadata_internal.h"

#define OTA_SLOT_SUBTYPE(slot) ((uint8_t)(OTA_PART_SUBTYPE_OTA_MIN + (slot)))

/* ---- Partition table ------------------------------------------------------- */

static const ota_partition_t *find_app(const ota_partition_table_t *table, uint8_t subtype)
{
    return ota_partition_find_first(table, OTA_PART_TYPE_APP, subtype, NULL);
}

const ota_partition_t *ota_otadata_partition(const ota_partition_table_t *table)
{
    return ota_partition_find_first(table, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, NULL);
}

unsigned ota_app_count_boot(const ota_partition_table_t *table)
{
    unsigned n = 0;
    for (size_t i = 0; i < table->count; i++) {
        n += OTA_PART_IS_OTA_SLOT(&table->entries[i]) ? 1u : 0u;
    }
    return n;
}

unsigned ota_app_count(const ota_partition_table_t *table)
{
    unsigned n = 0;
    while (n < OTA_OTADATA_MAX_SLOTS && find_app(table, OTA_SLOT_SUBTYPE(n))) {
        n++;
    }
    return n;
}

/* ---- Application side ------------------------------------------------------ */

/* What every app-side operation starts from. */
typedef struct otadata_view {
    const ota_flash_t *flash;
    const ota_partition_t *part;
    ota_writes_t writes; /* how rewrite() stores: FAITHFUL unless load_view_for_write says */
    ota_select_entry_t e[2]; /* as read; rewrite() edits one (never its label) */
    unsigned app_count; /* the application's definition */
} otadata_view_t;

static ota_err_t load_view(const ota_flash_t *flash, const ota_partition_table_t *table,
                           otadata_view_t *v)
{
    if (!flash || !table) {
        return OTA_ERR_INVALID_ARG;
    }
    v->flash = flash;
    v->writes = OTA_WRITES_FAITHFUL;
    v->part = ota_otadata_partition(table);
    if (!v->part) {
        return OTA_ERR_OTADATA_NONE;
    }
    v->app_count = ota_app_count(table);
    return ota_otadata_read(flash, v->part, v->e);
}

/*
 * The view a writing operation starts from. Hardened: records a boot left
 * unresolved (only a stock bootloader does) are retired first, so a later cut
 * can never bring back an entry this operation replaces or erases.
 */
static ota_err_t load_view_for_write(const ota_flash_t *flash, const ota_partition_table_t *table,
                                     ota_writes_t writes, otadata_view_t *v)
{
    ota_err_t err = ota__writes_check(writes);
    err = err ? err : load_view(flash, table, v);
    v->writes = writes;
    if (!err && OTA__HARDENED(writes)) {
        err = ota_otadata_recover(flash, v->part, false, NULL);
    }
    return err;
}

/*
 * esp_ota_ops' rewrite_ota_seq: entry `sector` gets seq, its CRC and state;
 * its label stays. Hardened skips a rewrite that would store the same bytes
 * (ESP-IDF erases and reprograms them, a power-loss window for nothing).
 */
static ota_err_t rewrite(otadata_view_t *v, unsigned sector, uint32_t seq, uint32_t state)
{
    ota_select_entry_t *e = &v->e[sector];
    uint32_t crc = ota_otadata_crc(seq);
    /* Labels are never edited, so equal fields mean equal stored bytes. */
    if (OTA__HARDENED(v->writes) && e->seq == seq && e->state == state && e->crc == crc) {
        return OTA_OK;
    }
    e->seq = seq;
    e->state = state;
    e->crc = crc;
    return ota_otadata_store(v->flash, v->part, sector, e, v->writes);
}

/* The active entry, or -1 when there is none or no OTA slot to map it to. */
static int active_in(const otadata_view_t *v)
{
    return v->app_count ? ota_otadata_active(v->e) : -1;
}

/* The view for a write that changes the active entry (none → OTA_ERR_OTA_NO_ACTIVE). */
static ota_err_t load_active_for_write(const ota_flash_t *flash, const ota_partition_table_t *table,
                                       ota_writes_t writes, otadata_view_t *v, int *active)
{
    ota_err_t err = load_view_for_write(flash, table, writes, v);
    if (!err) {
        *active = active_in(v);
        err = *active < 0 ? OTA_ERR_OTA_NO_ACTIVE : OTA_OK;
    }
    return err;
}

static const ota_partition_t *slot_partition(const ota_partition_table_t *table,
                                             const otadata_view_t *v, unsigned entry)
{
    return find_app(table, OTA_SLOT_SUBTYPE(ota_otadata_slot(v->e[entry].seq, v->app_count)));
}

ota_err_t ota_otadata_set_boot_slot(const ota_flash_t *flash, const ota_partition_table_t *table,
                                    unsigned slot, bool rollback, ota_writes_t writes)
{
    otadata_view_t v;
    ota_err_t err = load_view_for_write(flash, table, writes, &v);
    if (err) {
        return err;
    }
    if (slot >= v.app_count) {
        return OTA_ERR_OTADATA_SLOT;
    }
    int a = ota_otadata_active(v.e);
    unsigned target = 0;
    uint32_t seq = slot + 1u;
    if (a >= 0 && ota_otadata_slot(v.e[a].seq, v.app_count) == slot) {
        target = (unsigned)a; /* already designated: only the state changes */
        seq = v.e[a].seq;
    } else if (a >= 0) {
        target = 1u - (unsigned)a;
        err = ota_otadata_next_seq(v.e[a].seq, slot, v.app_count, &seq);
        if (err) {
            return err;
        }
    }
    return rewrite(&v, target, seq, rollback ? OTA_IMG_NEW : OTA_IMG_UNDEFINED);
}

ota_err_t ota_otadata_set_factory(const ota_flash_t *flash, const ota_partition_table_t *table,
                                  ota_writes_t writes)
{
    if (!flash || !table) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = ota__writes_check(writes);
    const ota_partition_t *part = ota_otadata_partition(table);
    if (err || !part) {
        return err ? err : OTA_ERR_OTADATA_NONE;
    }
    if (OTA__HARDENED(writes)) {
        /* Read errors (a partition too small for two copies) are left to the erase. */
        (void)ota_otadata_recover(flash, part, false, NULL);
    }
    return ota_otadata_erase(flash, part, writes);
}

static bool in_table(const ota_partition_table_t *table, const ota_partition_t *p)
{
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_t *q = &table->entries[i];
        if (q->type == p->type && q->subtype == p->subtype && q->offset == p->offset &&
            q->size == p->size) {
            return true;
        }
    }
    return false;
}

ota_err_t ota_otadata_set_boot_partition(const ota_flash_t *flash,
                                         const ota_partition_table_t *table,
                                         const ota_partition_t *p, bool rollback,
                                         ota_writes_t writes)
{
    if (!flash || !table || !p) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!in_table(table, p)) {
        return OTA_ERR_NOT_FOUND;
    }
    if (p->type != OTA_PART_TYPE_APP) {
        return OTA_ERR_INVALID_ARG;
    }
    if (p->subtype == OTA_PART_SUBTYPE_FACTORY) {
        return ota_otadata_set_factory(flash, table, writes);
    }
    if (!OTA_PART_IS_OTA_SLOT(p)) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    return ota_otadata_set_boot_slot(flash, table, p->subtype & 0x0Fu, rollback, writes);
}

/* find_default_boot_partition: factory, else the lowest ota_N, else test. */
static const ota_partition_t *default_boot_partition(const ota_partition_table_t *table)
{
    const ota_partition_t *p = find_app(table, OTA_PART_SUBTYPE_FACTORY);
    for (unsigned n = 0; !p && n < OTA_OTADATA_MAX_SLOTS; n++) {
        p = find_app(table, OTA_SLOT_SUBTYPE(n));
    }
    return p ? p : find_app(table, OTA_PART_SUBTYPE_TEST);
}

ota_err_t ota_otadata_boot_partition(const ota_flash_t *flash, const ota_partition_table_t *table,
                                     const ota_partition_t **out)
{
    otadata_view_t v;
    ota_err_t err = out ? load_view(flash, table, &v) : OTA_ERR_INVALID_ARG;
    if (err) {
        return err;
    }
    /* "Both invalid" and "none active" give the same default here, unlike in the bootloader. */
    int a = active_in(&v);
    *out = a >= 0 ? slot_partition(table, &v, (unsigned)a) : default_boot_partition(table);
    return *out ? OTA_OK : OTA_ERR_NOT_FOUND;
}

ota_err_t ota_otadata_state_of(const ota_flash_t *flash, const ota_partition_table_t *table,
                               const ota_partition_t *p, uint32_t *state)
{
    if (!p || !state) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!OTA_PART_IS_OTA_SLOT(p)) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
    if (err) {
        return err;
    }
    for (unsigned i = 0; i < 2 && v.app_count; i++) {
        if (ota_otadata_slot(v.e[i].seq, v.app_count) == (p->subtype & 0x0Fu) &&
            ota_select_entry_crc_ok(&v.e[i])) {
            *state = v.e[i].state;
            return OTA_OK;
        }
    }
    return OTA_ERR_NOT_FOUND;
}

static bool rejected(const ota_select_entry_t *e)
{
    return e->seq != OTA_OTADATA_SEQ_ERASED && ota_select_entry_crc_ok(e) &&
           (e->state == OTA_IMG_INVALID || e->state == OTA_IMG_ABORTED);
}

ota_err_t ota_otadata_last_invalid_partition(const ota_flash_t *flash,
                                             const ota_partition_table_t *table,
                                             ota_image_ok_fn image_ok, void *ctx,
                                             const ota_partition_t **out)
{
    if (!image_ok || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
    if (err) {
        return err;
    }
    const bool ok[2] = {rejected(&v.e[0]), rejected(&v.e[1])};
    int i = ota_otadata_select(v.e, ok, false);
    const ota_partition_t *p = i >= 0 && v.app_count ? slot_partition(table, &v, (unsigned)i) : NULL;
    if (!p || image_ok(ctx, p) != OTA_OK) {
        return OTA_ERR_NOT_FOUND;
    }
    *out = p;
    return OTA_OK;
}

static bool image_accepted(ota_image_ok_fn image_ok, void *ctx, const ota_partition_t *p)
{
    return p && image_ok(ctx, p) == OTA_OK;
}

/* check_rollback_is_possible over an already loaded view. */
static bool rollback_possible_in(const ota_partition_table_t *table, const otadata_view_t *v,
                                 ota_image_ok_fn image_ok, void *ctx)
{
    int a = active_in(v);
    if (a < 0) {
        return false;
    }
    unsigned last = 1u - (unsigned)a;
    if (!ota_select_entry_is_valid(&v->e[last])) {
        return image_accepted(image_ok, ctx, find_app(table, OTA_PART_SUBTYPE_FACTORY));
    }
    return image_accepted(image_ok, ctx, slot_partition(table, v, last));
}

ota_err_t ota_otadata_rollback_possible(const ota_flash_t *flash,
                                        const ota_partition_table_t *table,
                                        ota_image_ok_fn image_ok, void *ctx, bool *possible)
{
    if (!image_ok || !possible) {
        return OTA_ERR_INVALID_ARG;
    }
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
    if (!err) {
        *possible = rollback_possible_in(table, &v, image_ok, ctx);
    }
    return err;
}

ota_err_t ota_otadata_mark_valid(const ota_flash_t *flash, const ota_partition_table_t *table,
                                 ota_writes_t writes)
{
    otadata_view_t v;
    int a;
    ota_err_t err = load_active_for_write(flash, table, writes, &v, &a);
    if (err) {
        return err;
    }
    if (v.e[a].state == OTA_IMG_VALID) {
        return OTA_OK;
    }
    return rewrite(&v, (unsigned)a, v.e[a].seq, OTA_IMG_VALID);
}

ota_err_t ota_otadata_mark_invalid(const ota_flash_t *flash, const ota_partition_table_t *table,
                                   ota_image_ok_fn image_ok, void *ctx, ota_writes_t writes)
{
    if (!image_ok) {
        return OTA_ERR_INVALID_ARG;
    }
    otadata_view_t v;
    int a;
    ota_err_t err = load_active_for_write(flash, table, writes, &v, &a);
    if (err) {
        return err;
    }
    if (!rollback_possible_in(table, &v, image_ok, ctx)) {
        return OTA_ERR_OTA_ROLLBACK_FAILED;
    }
    return rewrite(&v, (unsigned)a, v.e[a].seq, OTA_IMG_INVALID);
}

/* erase_last_boot_app_partition(skip_app_part_erase = !erase_app). */
static ota_err_t drop_inactive(const ota_flash_t *flash, const ota_partition_table_t *table,
                               const ota_partition_t *running, bool erase_app, ota_writes_t writes)
{
    if (!running) {
        return OTA_ERR_INVALID_ARG;
    }
    otadata_view_t v;
    int a;
    ota_err_t err = load_active_for_write(flash, table, writes, &v, &a);
    if (err) {
        return err;
    }
    unsigned inactive = 1u - (unsigned)a;
    if (ota_select_entry_is_initial(&v.e[inactive])) {
        return OTA_ERR_OTADATA_NO_INACTIVE;
    }
    const ota_partition_t *p = slot_partition(table, &v, inactive);
    if (!p) {
        return OTA_ERR_NOT_FOUND;
    }
    if (p->offset == running->offset) {
        return OTA_ERR_OTA_PARTITION_CONFLICT;
    }
    if (erase_app) {
        err = ota_flash_erase_range(flash, p->offset, p->size);
    }
    return err ? err
               : ota_flash_erase_range(flash, v.part->offset + inactive * ota_otadata_copy_size(flash),
                                       ota_otadata_copy_size(flash));
}

ota_err_t ota_otadata_invalidate_inactive(const ota_flash_t *flash,
                                          const ota_partition_table_t *table,
                                          const ota_partition_t *running, ota_writes_t writes)
{
    return drop_inactive(flash, table, running, false, writes);
}

ota_err_t ota_otadata_erase_last_boot_app(const ota_flash_t *flash,
                                          const ota_partition_table_t *table,
                                          const ota_partition_t *running, ota_writes_t writes)
{
    return drop_inactive(flash, table, running, true, writes);
}

ota_err_t ota_otadata_otatool_switch(const ota_flash_t *flash, const ota_partition_table_t *table,
                                     unsigned slot)
{
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
    if (err) {
        return err;
    }
    if (slot >= v.app_count) {
        return OTA_ERR_OTADATA_SLOT;
    }
    /* otatool trusts seq + CRC only; the state is neither read nor written. */
    const bool ok[2] = {!ota_select_entry_is_initial(&v.e[0]), !ota_select_entry_is_initial(&v.e[1])};
    int base = ota_otadata_select(v.e, ok, true);
    unsigned target = base == 0 ? 1u : 0u;
    uint32_t seq = slot + 1u;
    if (base >= 0) {
        err = ota_otadata_next_seq(v.e[base].seq, slot, v.app_count, &seq);
    }
    /* otatool's own write, byte for byte: a host tool, not a power-fail path. */
    return err ? err : rewrite(&v, target, seq, v.e[target].state);
}
