/* The otadata partition: entries, selection and the app-side writes (spec §2, §6.2). */
#include "ota/otadata.h"

#include <string.h>

#define OTA_SLOT_SUBTYPE(slot) ((uint8_t)(OTA_PART_SUBTYPE_OTA_MIN + (slot)))

/* ---- Entries --------------------------------------------------------------- */

uint32_t ota_crc32_le(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int bit = 0; bit < 8; bit++) {
            /* Bitwise, no table: only 4 bytes are ever hashed and a bootloader wants small code. */
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t ota_otadata_crc(uint32_t seq)
{
    uint8_t le[4];
    put_le32(le, seq);
    /* esp_rom_crc32_le(UINT32_MAX, ...): the register starts at 0, not at the usual ~0. */
    return ota_crc32_le(0xFFFFFFFFu, le, sizeof le);
}

void ota_select_entry_encode(const ota_select_entry_t *e, uint8_t out[OTA_OTADATA_ENTRY_SIZE])
{
    put_le32(out, e->seq);
    memcpy(out + 4, e->label, OTA_OTADATA_LABEL_LEN);
    put_le32(out + 24, e->state);
    put_le32(out + 28, e->crc);
}

void ota_select_entry_decode(const uint8_t in[OTA_OTADATA_ENTRY_SIZE], ota_select_entry_t *e)
{
    e->seq = get_le32(in);
    memcpy(e->label, in + 4, OTA_OTADATA_LABEL_LEN);
    e->state = get_le32(in + 24);
    e->crc = get_le32(in + 28);
}

void ota_select_entry_make(ota_select_entry_t *e, uint32_t seq, uint32_t state)
{
    e->seq = seq;
    memset(e->label, 0xFF, sizeof e->label);
    e->state = state;
    e->crc = ota_otadata_crc(seq);
}

bool ota_select_entry_crc_ok(const ota_select_entry_t *e)
{
    return e->crc == ota_otadata_crc(e->seq);
}

bool ota_select_entry_is_invalid(const ota_select_entry_t *e)
{
    return e->seq == OTA_OTADATA_SEQ_ERASED || e->state == OTA_IMG_INVALID ||
           e->state == OTA_IMG_ABORTED;
}

bool ota_select_entry_is_valid(const ota_select_entry_t *e)
{
    return !ota_select_entry_is_invalid(e) && ota_select_entry_crc_ok(e);
}

bool ota_select_entry_is_initial(const ota_select_entry_t *e)
{
    return e->seq == OTA_OTADATA_SEQ_ERASED || !ota_select_entry_crc_ok(e);
}

const char *ota_img_state_name(uint32_t state)
{
    switch (state) {
    case OTA_IMG_NEW:
        return "NEW";
    case OTA_IMG_PENDING_VERIFY:
        return "PENDING_VERIFY";
    case OTA_IMG_VALID:
        return "VALID";
    case OTA_IMG_INVALID:
        return "INVALID";
    case OTA_IMG_ABORTED:
        return "ABORTED";
    case OTA_IMG_UNDEFINED:
        return "UNDEFINED";
    default:
        return "UNKNOWN";
    }
}

int ota_otadata_select(const ota_select_entry_t e[2], const bool ok[2], bool use_max)
{
    if (ok[0] && ok[1]) {
        bool second = use_max ? e[1].seq > e[0].seq : e[1].seq < e[0].seq;
        return second ? 1 : 0;
    }
    return ok[0] ? 0 : ok[1] ? 1 : -1;
}

int ota_otadata_active(const ota_select_entry_t e[2])
{
    const bool ok[2] = {ota_select_entry_is_valid(&e[0]), ota_select_entry_is_valid(&e[1])};
    return ota_otadata_select(e, ok, true);
}

unsigned ota_otadata_slot(uint32_t seq, unsigned app_count)
{
    return (unsigned)((seq - 1u) % app_count);
}

ota_err_t ota_otadata_next_seq(uint32_t active_seq, unsigned slot, unsigned app_count,
                               uint32_t *seq)
{
    if (!seq || app_count == 0 || slot >= app_count) {
        return OTA_ERR_INVALID_ARG;
    }
    /* 64-bit so the search cannot wrap; ESP-IDF's 32-bit loop can spin forever here. */
    uint64_t base = (slot + 1u) % app_count;
    uint64_t next = base;
    if (active_seq > base) {
        next = base + (active_seq - base + app_count - 1u) / app_count * app_count;
    }
    if (next >= OTA_OTADATA_SEQ_ERASED) {
        return OTA_ERR_BOOT_SEQ_OVERFLOW;
    }
    *seq = (uint32_t)next;
    return OTA_OK;
}

/* ---- Partition table ------------------------------------------------------- */

static const ota_partition_t *find_first(const ota_partition_table_t *table, uint8_t type,
                                         uint8_t subtype)
{
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_t *p = &table->entries[i];
        if (p->type == type && p->subtype == subtype) {
            return p;
        }
    }
    return NULL;
}

static const ota_partition_t *find_app(const ota_partition_table_t *table, uint8_t subtype)
{
    return find_first(table, OTA_PART_TYPE_APP, subtype);
}

const ota_partition_t *ota_otadata_partition(const ota_partition_table_t *table)
{
    return find_first(table, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA);
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

/* ---- Flash access ---------------------------------------------------------- */

ota_err_t ota_otadata_read(const ota_flash_t *flash, const ota_partition_t *otadata,
                           ota_select_entry_t e[2])
{
    if (!flash || !otadata || !e) {
        return OTA_ERR_INVALID_ARG;
    }
    if (otadata->size < OTA_OTADATA_SIZE) {
        return OTA_ERR_OTADATA_SIZE;
    }
    for (unsigned i = 0; i < 2; i++) {
        uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
        ota_err_t err =
            ota_flash_read(flash, otadata->offset + i * OTA_OTADATA_SECTOR_SIZE, raw, sizeof raw);
        if (err) {
            return err;
        }
        ota_select_entry_decode(raw, &e[i]);
    }
    return OTA_OK;
}

ota_err_t ota_otadata_write_entry(const ota_flash_t *flash, const ota_partition_t *otadata,
                                  unsigned sector, const ota_select_entry_t *e)
{
    if (!flash || !otadata || !e || sector > 1) {
        return OTA_ERR_INVALID_ARG;
    }
    if (otadata->size < OTA_OTADATA_SIZE) {
        return OTA_ERR_OTADATA_SIZE;
    }
    /* Check the write unit before erasing, so a refused write never leaves a blank copy. */
    uint32_t unit = flash->write_size > OTA_OTADATA_ENTRY_SIZE ? flash->write_size
                                                               : OTA_OTADATA_ENTRY_SIZE;
    if (flash->write_size == 0 || unit > OTA_OTADATA_MAX_WRITE_SIZE || unit % flash->write_size) {
        return OTA_ERR_OTADATA_WRITE_SIZE;
    }
    uint8_t buf[OTA_OTADATA_MAX_WRITE_SIZE];
    memset(buf, flash->erased_value, unit);
    ota_select_entry_encode(e, buf);

    uint32_t addr = otadata->offset + sector * OTA_OTADATA_SECTOR_SIZE;
    ota_err_t err = ota_flash_erase_range(flash, addr, OTA_OTADATA_SECTOR_SIZE);
    return err ? err : ota_flash_write(flash, addr, buf, unit);
}

/* ---- Application side ------------------------------------------------------ */

/* What every app-side operation starts from. */
typedef struct otadata_view {
    const ota_partition_t *part;
    ota_select_entry_t e[2];
    unsigned app_count; /* the application's definition */
} otadata_view_t;

static ota_err_t load_view(const ota_flash_t *flash, const ota_partition_table_t *table,
                           otadata_view_t *v)
{
    if (!flash || !table) {
        return OTA_ERR_INVALID_ARG;
    }
    v->part = ota_otadata_partition(table);
    if (!v->part) {
        return OTA_ERR_OTADATA_NONE;
    }
    v->app_count = ota_app_count(table);
    return ota_otadata_read(flash, v->part, v->e);
}

/* esp_ota_ops' rewrite_ota_seq: new seq and its CRC; label and state as they are in v. */
static ota_err_t rewrite(const ota_flash_t *flash, otadata_view_t *v, unsigned sector,
                         uint32_t seq)
{
    v->e[sector].seq = seq;
    v->e[sector].crc = ota_otadata_crc(seq);
    return ota_otadata_write_entry(flash, v->part, sector, &v->e[sector]);
}

/* The active entry, or -1 when there is none or no OTA slot to map it to. */
static int active_in(const otadata_view_t *v)
{
    return v->app_count ? ota_otadata_active(v->e) : -1;
}

static const ota_partition_t *slot_partition(const ota_partition_table_t *table,
                                             const otadata_view_t *v, unsigned entry)
{
    return find_app(table, OTA_SLOT_SUBTYPE(ota_otadata_slot(v->e[entry].seq, v->app_count)));
}

ota_err_t ota_otadata_set_boot_slot(const ota_flash_t *flash, const ota_partition_table_t *table,
                                    unsigned slot, bool rollback)
{
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
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
    v.e[target].state = rollback ? OTA_IMG_NEW : OTA_IMG_UNDEFINED;
    return rewrite(flash, &v, target, seq);
}

ota_err_t ota_otadata_set_factory(const ota_flash_t *flash, const ota_partition_table_t *table)
{
    if (!flash || !table) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_partition_t *part = ota_otadata_partition(table);
    if (!part) {
        return OTA_ERR_OTADATA_NONE;
    }
    return ota_flash_erase_range(flash, part->offset, part->size);
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
                                         const ota_partition_t *p, bool rollback)
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
        return ota_otadata_set_factory(flash, table);
    }
    if (!OTA_PART_IS_OTA_SLOT(p)) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    return ota_otadata_set_boot_slot(flash, table, p->subtype & 0x0Fu, rollback);
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

ota_err_t ota_otadata_mark_valid(const ota_flash_t *flash, const ota_partition_table_t *table)
{
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
    if (err) {
        return err;
    }
    int a = active_in(&v);
    if (a < 0) {
        return OTA_ERR_OTA_NO_ACTIVE;
    }
    if (v.e[a].state == OTA_IMG_VALID) {
        return OTA_OK;
    }
    v.e[a].state = OTA_IMG_VALID;
    return rewrite(flash, &v, (unsigned)a, v.e[a].seq);
}

ota_err_t ota_otadata_mark_invalid(const ota_flash_t *flash, const ota_partition_table_t *table,
                                   ota_image_ok_fn image_ok, void *ctx)
{
    if (!image_ok) {
        return OTA_ERR_INVALID_ARG;
    }
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
    if (err) {
        return err;
    }
    int a = active_in(&v);
    if (a < 0) {
        return OTA_ERR_OTA_NO_ACTIVE;
    }
    if (!rollback_possible_in(table, &v, image_ok, ctx)) {
        return OTA_ERR_OTA_ROLLBACK_FAILED;
    }
    v.e[a].state = OTA_IMG_INVALID;
    return rewrite(flash, &v, (unsigned)a, v.e[a].seq);
}

/* erase_last_boot_app_partition(skip_app_part_erase = !erase_app). */
static ota_err_t drop_inactive(const ota_flash_t *flash, const ota_partition_table_t *table,
                               const ota_partition_t *running, bool erase_app)
{
    if (!running) {
        return OTA_ERR_INVALID_ARG;
    }
    otadata_view_t v;
    ota_err_t err = load_view(flash, table, &v);
    if (err) {
        return err;
    }
    int a = active_in(&v);
    if (a < 0) {
        return OTA_ERR_OTA_NO_ACTIVE;
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
               : ota_flash_erase_range(flash, v.part->offset + inactive * OTA_OTADATA_SECTOR_SIZE,
                                       OTA_OTADATA_SECTOR_SIZE);
}

ota_err_t ota_otadata_invalidate_inactive(const ota_flash_t *flash,
                                          const ota_partition_table_t *table,
                                          const ota_partition_t *running)
{
    return drop_inactive(flash, table, running, false);
}

ota_err_t ota_otadata_erase_last_boot_app(const ota_flash_t *flash,
                                          const ota_partition_table_t *table,
                                          const ota_partition_t *running)
{
    return drop_inactive(flash, table, running, true);
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
    return err ? err : rewrite(flash, &v, target, seq);
}
