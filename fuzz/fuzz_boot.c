/*
 * otadata and the boot decision (ota_boot_select), then one app-side otadata
 * operation on the flash the boot left behind.
 *
 * Input (missing bytes read as 0; otadata bytes past the input as 0xFF):
 *   0      flags, see F_* below
 *   1      fixed table: OTA slot count (bits 0-4, mod 17), 0x20 factory,
 *          0x40 test app, 0x80 otadata only 0x1000 bytes
 *   2      flash write unit: 1 << (b % 10)
 *   3, 4   app-side operation (mod OP_COUNT) and its argument; bit 7 of byte 3:
 *          ESP-IDF's exact otadata writes for the boot and the operation
 *          (OTA_WRITES_FAITHFUL), else libota's journaled ones
 *   5      the device's anti-rollback counter
 *   6-13   image verdicts of the fake verifier: bit (table index % 64) set = rejected
 *   14-21  secure_version of each image: nibble (table index % 16)
 *   then   with F_TABLE, 0xC00 bytes of binary partition table
 *   then   0x2000 bytes of otadata, put at every data/ota partition
 *
 * Invariants: the boot result is an app partition of the table that the
 * verifier accepted (and, with anti-rollback, not older than the counter),
 * or an error with no partition; the counter only grows and only through
 * raise_version; every write recorded in the result reached the flash and,
 * with ESP-IDF's writes, no other did (libota's add journal records and
 * marks); nothing is written outside the otadata partitions (a factory
 * reset may erase the "nvs" data partitions and all otadata copies); an
 * app-side operation never touches the running partition and leaves otadata
 * saying what it promised.
 */
#include <string.h>

#include "fuzz.h"
#include "ota/boot.h"
#include "ota/otadata.h"

#define FLASH_SIZE 0x1000000u
#define APP_SIZE 0x80000u
#define HEADER_LEN 22u
#define RESET_LABELS "nvs"

enum {
    F_ROLLBACK = 0x01,
    F_ANTI_ROLLBACK = 0x02,
    F_TEST_REQUEST = 0x04,
    F_FACTORY_RESET = 0x08,
    F_RESET_OTADATA = 0x10,
    F_TABLE = 0x20,     /* the table comes from the input */
    F_UNCHECKED = 0x40, /* ... parsed without flash-size and overlap checks */
    F_RAISE_FAILS = 0x80,
};

typedef struct boot_case {
    uint8_t flags, layout, op, arg;
    uint32_t write_size, counter;
    uint64_t bad;
    uint8_t versions[8];
    ota_partition_table_t table;
    bool overlap_free;
    fuzz_sparse_t sparse;
    fuzz_guard_t guard;
    uint32_t burnt; /* the anti-rollback counter as raise_version left it */
} boot_case_t;

static boot_case_t g_case; /* static: the sparse flash is 64 KiB */

static ota_writes_t writes_of(const boot_case_t *c)
{
    return c->op & 0x80u ? OTA_WRITES_FAITHFUL : OTA_WRITES_HARDENED;
}

/* ---- Building the device ------------------------------------------------------ */

static void add(ota_partition_table_t *t, const char *label, uint8_t type, uint8_t subtype,
                uint32_t offset, uint32_t size)
{
    ota_partition_t *p = &t->entries[t->count++];
    *p = (ota_partition_t){.type = type, .subtype = subtype, .offset = offset, .size = size};
    strncpy(p->label, label, OTA_PART_LABEL_LEN);
}

/* nvs, otadata, phy_init, [factory], ota_0.., [test], as ESP-IDF's default tables. */
static void fixed_table(ota_partition_table_t *t, uint8_t layout)
{
    static const char *const k_slots[] = {"ota_0", "ota_1", "ota_2", "ota_3", "ota_4", "ota_5",
                                          "ota_6", "ota_7", "ota_8", "ota_9", "ota_10", "ota_11",
                                          "ota_12", "ota_13", "ota_14", "ota_15"};
    uint32_t off = 0x10000;
    *t = (ota_partition_table_t){0};
    add(t, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x9000, 0x4000);
    add(t, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, 0xD000,
        layout & 0x80 ? 0x1000 : OTA_OTADATA_SIZE);
    add(t, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0xF000, 0x1000);
    if (layout & 0x20) {
        add(t, "factory", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_FACTORY, off, APP_SIZE);
        off += APP_SIZE;
    }
    for (unsigned i = 0; i < (layout & 0x1Fu) % 17u; i++, off += APP_SIZE) {
        add(t, k_slots[i], OTA_PART_TYPE_APP, (uint8_t)(OTA_PART_SUBTYPE_OTA_MIN + i), off, APP_SIZE);
    }
    if (layout & 0x40) {
        add(t, "test", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_TEST, off, APP_SIZE);
    }
}

static bool table_from_input(boot_case_t *c, fuzz_input_t *in)
{
    size_t got;
    const uint8_t *raw = fuzz_bytes(in, OTA_PART_TABLE_MAX_LEN, &got);
    ota_partition_parse_opts_t opts = {.flash_size = FLASH_SIZE, .check_overlap = true};
    bool unchecked = c->flags & F_UNCHECKED;
    c->overlap_free = !unchecked;
    return ota_partition_table_parse(raw, got, unchecked ? NULL : &opts, &c->table) == OTA_OK;
}

static bool is_otadata(const ota_partition_t *p)
{
    return p->type == OTA_PART_TYPE_DATA && p->subtype == OTA_PART_SUBTYPE_DATA_OTA;
}

/* The flash: otadata bytes at every data/ota partition, the rest erased. */
static void build_flash(boot_case_t *c, fuzz_input_t *in)
{
    size_t got;
    const uint8_t *otadata = fuzz_bytes(in, OTA_OTADATA_SIZE, &got);
    fuzz_sparse_init(&c->sparse, FLASH_SIZE, c->write_size);
    for (size_t i = 0; i < c->table.count; i++) {
        const ota_partition_t *p = &c->table.entries[i];
        if (is_otadata(p)) {
            fuzz_sparse_poke(&c->sparse, p->offset, otadata, got < p->size ? got : p->size);
        }
    }
}

static bool parse_case(boot_case_t *c, const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    size_t got;
    c->flags = fuzz_u8(&in);
    c->layout = fuzz_u8(&in);
    c->write_size = 1u << (fuzz_u8(&in) % 10u);
    c->op = fuzz_u8(&in);
    c->arg = fuzz_u8(&in);
    c->counter = fuzz_u8(&in);
    c->bad = (uint64_t)fuzz_u32(&in) | (uint64_t)fuzz_u32(&in) << 32;
    memset(c->versions, 0, sizeof c->versions);
    memcpy(c->versions, fuzz_bytes(&in, sizeof c->versions, &got), got);
    c->overlap_free = true;
    if (c->flags & F_TABLE) {
        if (!table_from_input(c, &in)) {
            return false;
        }
    } else {
        fixed_table(&c->table, c->layout);
    }
    build_flash(c, &in);
    return true;
}

/* ---- The fake verifier ---------------------------------------------------------- */

static size_t index_of(const boot_case_t *c, const ota_partition_t *p)
{
    FUZZ_CHECK(p >= c->table.entries && p < c->table.entries + c->table.count);
    return (size_t)(p - c->table.entries);
}

static bool image_bad(const boot_case_t *c, const ota_partition_t *p)
{
    return (c->bad >> (index_of(c, p) % 64u)) & 1u;
}

static uint32_t image_version(const boot_case_t *c, const ota_partition_t *p)
{
    size_t i = index_of(c, p) % 16u;
    return (c->versions[i / 2] >> (i % 2 * 4)) & 0x0Fu;
}

static ota_err_t image_ok(void *ctx, const ota_partition_t *p)
{
    const boot_case_t *c = ctx;
    FUZZ_CHECK(p->type == OTA_PART_TYPE_APP);
    return image_bad(c, p) ? OTA_ERR_IMG_HASH : OTA_OK;
}

static ota_err_t check_image(void *ctx, const ota_partition_t *p, uint32_t *secure_version)
{
    *secure_version = image_version(ctx, p);
    return image_ok(ctx, p);
}

static ota_err_t raise_version(void *ctx, uint32_t version)
{
    boot_case_t *c = ctx;
    FUZZ_CHECK(version > c->burnt);
    if (c->flags & F_RAISE_FAILS) {
        return OTA_ERR_IO;
    }
    c->burnt = version;
    return OTA_OK;
}

/* ---- The boot decision ---------------------------------------------------------- */

/* Mutations may go to the otadata partitions the bootloader (last) and the app (first) use. */
static bool guard_otadata(boot_case_t *c)
{
    const ota_partition_t *first = ota_otadata_partition(&c->table), *last = NULL;
    for (size_t i = 0; i < c->table.count; i++) {
        last = is_otadata(&c->table.entries[i]) ? &c->table.entries[i] : last;
    }
    fuzz_guard_init(&c->guard, &c->sparse.flash);
    return !first || (fuzz_guard_allow(&c->guard, first->offset, first->size) &&
                      fuzz_guard_allow(&c->guard, last->offset, last->size));
}

/* The factory reset may also erase the data partitions RESET_LABELS names
 * and, when asked to, every otadata partition. */
static bool guard_factory_reset(boot_case_t *c)
{
    for (size_t i = 0; i < c->table.count; i++) {
        const ota_partition_t *p = &c->table.entries[i];
        bool erased = (is_otadata(p) && (c->flags & F_RESET_OTADATA)) ||
                      (p->type == OTA_PART_TYPE_DATA && !strcmp(p->label, RESET_LABELS));
        if (erased && !fuzz_guard_allow(&c->guard, p->offset, p->size)) {
            return false;
        }
    }
    return true;
}

static void check_boot_result(const boot_case_t *c, const ota_boot_config_t *cfg, ota_err_t err,
                              const ota_boot_result_t *res)
{
    FUZZ_CHECK((err == OTA_OK) == (res->partition != NULL));
    if (res->partition) {
        const ota_partition_t *p = res->partition;
        FUZZ_CHECK(p->type == OTA_PART_TYPE_APP && p->size > 0 && !image_bad(c, p));
        FUZZ_CHECK(p->subtype == OTA_PART_SUBTYPE_FACTORY || p->subtype == OTA_PART_SUBTYPE_TEST ||
                   OTA_PART_IS_OTA_SLOT(p));
        FUZZ_CHECK(!cfg->anti_rollback || image_version(c, p) >= res->secure_version);
    }
    FUZZ_CHECK(res->secure_version == c->burnt);
    FUZZ_CHECK(res->op_count <= OTA_BOOT_MAX_OPS);
    unsigned long written = 0;
    for (size_t i = 0; i < res->op_count; i++) {
        written += res->ops[i].kind != OTA_BOOT_OP_ERASE_OTADATA && res->ops[i].err == OTA_OK;
    }
    FUZZ_CHECK(cfg->writes == OTA_WRITES_FAITHFUL ? written == c->guard.writes
                                                  : written <= c->guard.writes);
}

static void run_boot(boot_case_t *c)
{
    ota_boot_config_t cfg = {
        .rollback = c->flags & (F_ROLLBACK | F_ANTI_ROLLBACK),
        .anti_rollback = c->flags & F_ANTI_ROLLBACK,
        .secure_version = c->counter,
        .raise_version = raise_version,
        .check_image = check_image,
        .ctx = c,
        .test_app_request = c->flags & F_TEST_REQUEST,
        .factory_reset_request = c->flags & F_FACTORY_RESET,
        .factory_reset_labels = RESET_LABELS,
        .factory_reset_erase_otadata = c->flags & F_RESET_OTADATA,
        .writes = writes_of(c),
    };
    ota_boot_result_t res;
    c->burnt = c->counter;
    ota_err_t err = ota_boot_select(&c->guard.flash, &c->table, &cfg, &res);
    check_boot_result(c, &cfg, err, &res);
}

/* ---- App-side operations -------------------------------------------------------- */

enum { OP_SET_SLOT, OP_SET_PARTITION, OP_FACTORY, OP_MARK_VALID, OP_MARK_INVALID, OP_INVALIDATE,
       OP_ERASE_LAST, OP_OTATOOL, OP_QUERIES, OP_COUNT };

static const ota_partition_t *boot_partition(boot_case_t *c)
{
    const ota_partition_t *p = NULL;
    ota_err_t err = ota_otadata_boot_partition(&c->guard.flash, &c->table, &p);
    FUZZ_CHECK(err != OTA_OK || (p && index_of(c, p) < c->table.count));
    return err == OTA_OK ? p : NULL;
}

static void check_active_state(boot_case_t *c, uint32_t state)
{
    ota_select_entry_t e[2];
    FUZZ_CHECK(ota_otadata_read(&c->guard.flash, ota_otadata_partition(&c->table), e) == OTA_OK);
    int a = ota_otadata_active(e);
    FUZZ_CHECK(a >= 0 && e[a].state == state);
}

static void op_set_partition(boot_case_t *c, const ota_partition_t *p, bool rollback)
{
    if (ota_otadata_set_boot_partition(&c->guard.flash, &c->table, p, rollback, writes_of(c)) !=
        OTA_OK) {
        return;
    }
    if (ota_otadata_partition(&c->table)->size < OTA_OTADATA_SIZE) {
        return; /* factory: erased, but the app cannot read it back (OTA_ERR_OTADATA_SIZE) */
    }
    const ota_partition_t *expect = p->subtype == OTA_PART_SUBTYPE_FACTORY
                                        ? ota_partition_find_first(&c->table, OTA_PART_TYPE_APP,
                                                                   OTA_PART_SUBTYPE_FACTORY, NULL)
                                        : ota_partition_ota_slot(&c->table, p->subtype & 0x0Fu);
    FUZZ_CHECK(boot_partition(c) == expect);
}

static void op_queries(boot_case_t *c, const ota_partition_t *p)
{
    const ota_flash_t *f = &c->guard.flash;
    const ota_partition_t *q = NULL;
    uint32_t state;
    bool possible;
    boot_partition(c);
    (void)ota_otadata_state_of(f, &c->table, p, &state);
    if (ota_otadata_last_invalid_partition(f, &c->table, image_ok, c, &q) == OTA_OK) {
        FUZZ_CHECK(OTA_PART_IS_OTA_SLOT(q) && !image_bad(c, q));
    }
    (void)ota_otadata_rollback_possible(f, &c->table, image_ok, c, &possible);
}

/* The running partition is never written, unless otadata itself overlaps it. */
static void forbid_running(boot_case_t *c, const ota_partition_t *running)
{
    for (size_t i = 0; i < c->table.count; i++) {
        const ota_partition_t *p = &c->table.entries[i];
        if (is_otadata(p) && fuzz_overlap(p->offset, p->size, running->offset, running->size)) {
            return;
        }
    }
    fuzz_guard_forbid(&c->guard, running->offset, running->size);
}

static void run_app_op(boot_case_t *c)
{
    const ota_flash_t *f = &c->guard.flash;
    const ota_partition_t *p = c->table.count ? &c->table.entries[c->arg % c->table.count] : NULL;
    unsigned slot = (c->arg & 0x7Fu) % 17u;
    bool rollback = c->arg & 0x80u;
    ota_writes_t w = writes_of(c);
    forbid_running(c, p);
    switch (c->op % OP_COUNT) {
    case OP_SET_SLOT:
        if (ota_otadata_set_boot_slot(f, &c->table, slot, rollback, w) == OTA_OK) {
            FUZZ_CHECK(boot_partition(c) == ota_partition_ota_slot(&c->table, slot));
        }
        break;
    case OP_SET_PARTITION:
        op_set_partition(c, p, rollback);
        break;
    case OP_FACTORY:
        (void)ota_otadata_set_factory(f, &c->table, w);
        break;
    case OP_MARK_VALID:
        if (ota_otadata_mark_valid(f, &c->table, w) == OTA_OK) {
            check_active_state(c, OTA_IMG_VALID);
        }
        break;
    case OP_MARK_INVALID:
        (void)ota_otadata_mark_invalid(f, &c->table, image_ok, c, w);
        break;
    case OP_INVALIDATE:
        (void)ota_otadata_invalidate_inactive(f, &c->table, p, w);
        break;
    case OP_ERASE_LAST:
        fuzz_guard_allow(&c->guard, 0, FLASH_SIZE); /* another app partition may be erased */
        (void)ota_otadata_erase_last_boot_app(f, &c->table, p, w);
        break;
    case OP_OTATOOL:
        (void)ota_otadata_otatool_switch(f, &c->table, slot);
        break;
    default:
        op_queries(c, p);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    boot_case_t *c = &g_case;
    if (size < HEADER_LEN || !parse_case(c, data, size) || !guard_otadata(c)) {
        return 0;
    }
    if ((c->flags & F_FACTORY_RESET) && !guard_factory_reset(c)) {
        return 0;
    }
    run_boot(c);
    if (c->table.count && guard_otadata(c)) {
        run_app_op(c);
    }
    return 0;
}
