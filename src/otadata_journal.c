/*
 * Power-loss safe otadata writes (OTA_WRITES_HARDENED, docs/DESIGN.md
 * "Power-loss safety"): the journal that makes the rewrite of a copy atomic,
 * the recovery a bootloader runs, and erasing otadata in a safe order. Part of
 * what a bootloader links, with otadata.c and boot.c.
 *
 * A copy's entry changes only by erasing the copy; between the erase and the
 * program it is gone. So when the entry holds anything (right CRC), its 32
 * bytes are first recorded in the other copy's spare area, which ESP-IDF never
 * reads (it reads the first 32 bytes of each copy only) and which is erased
 * whenever that copy is rewritten. Slots follow the other copy's entry unit:
 *
 *   body (padded to the write unit): magic | target copy | the target's
 *        previous 32 bytes | CRC-32 of the 40 bytes before          (44 bytes)
 *   done mark (padded to the write unit): programmed to 0; any byte that is
 *        not erased means done, so a torn mark counts as done         (4 bytes)
 *
 * Records are appended at the first free slot and resolved before the next
 * hardened write, so at most one is live (not done) and nothing after the
 * first free slot matters (it can only be what a cut erase left behind).
 */
#include <string.h>

#include "bytes_le.h"
#include "otadata_internal.h"

#define JNL_MAGIC 0x4A41544Fu /* "OTAJ" */
#define JNL_BODY_LEN OTA__JNL_BODY_LEN
#define JNL_CRC_AT 40u
#define JNL_MARK_LEN 4u

typedef struct jnl {
    const ota_flash_t *flash;
    const ota_partition_t *part;
    uint8_t *buf;        /* the writer's scratch buffer, OTA__OTADATA_BUF_LEN bytes */
    uint32_t first;      /* offset of slot 0 in a copy: the entry's write unit */
    uint32_t body, mark; /* padded lengths */
    uint32_t count;      /* slots per copy */
} jnl_t;

/* Where the last live record for one target is, and where the next record goes. */
typedef struct jnl_scan {
    int free_slot; /* -1: the copy is full */
    int live_slot; /* -1: none */
} jnl_scan_t;

static uint32_t pad(uint32_t len, uint32_t unit)
{
    return (len + unit - 1u) / unit * unit;
}

static ota_err_t jnl_open(const ota_flash_t *flash, const ota_partition_t *part, uint8_t *buf,
                          jnl_t *j)
{
    if (!flash || !part) {
        return OTA_ERR_INVALID_ARG;
    }
    *j = (jnl_t){.flash = flash, .part = part, .buf = buf};
    ota_err_t err = ota__otadata_check(flash, part, &j->first);
    if (err) {
        return err;
    }
    j->body = pad(JNL_BODY_LEN, flash->write_size);
    j->mark = pad(JNL_MARK_LEN, flash->write_size);
    if (j->body > OTA__OTADATA_BUF_LEN) {
        return OTA_ERR_OTADATA_WRITE_SIZE; /* only odd units such as 43 with a small maximum */
    }
    j->count = (ota_otadata_copy_size(flash) - j->first) / (j->body + j->mark);
    return OTA_OK;
}

static uint32_t slot_addr(const jnl_t *j, unsigned copy, unsigned slot)
{
    return ota__otadata_copy_addr(j->flash, j->part, copy) + j->first + slot * (j->body + j->mark);
}

/* Are the first n bytes of the scratch buffer all the erased value? */
static bool buf_erased(const jnl_t *j, uint32_t n)
{
    bool erased = true;
    for (uint32_t i = 0; i < n; i++) {
        erased = erased && j->buf[i] == j->flash->erased_value;
    }
    return erased;
}

/* Does flash [addr, addr + len) read as erased? (Uses the scratch buffer.) */
static ota_err_t reads_erased(const jnl_t *j, uint32_t addr, uint32_t len, bool *erased)
{
    *erased = true;
    while (len && *erased) {
        uint32_t n = len < OTA__OTADATA_BUF_LEN ? len : OTA__OTADATA_BUF_LEN;
        ota_err_t err = ota_flash_read(j->flash, addr, j->buf, n);
        if (err) {
            return err;
        }
        *erased = buf_erased(j, n);
        addr += n;
        len -= n;
    }
    return OTA_OK;
}

/* Read record body `slot` of `copy` into the scratch buffer; is it a whole record? */
static ota_err_t read_body(const jnl_t *j, unsigned copy, unsigned slot, bool *ok)
{
    const uint8_t *b = j->buf;
    ota_err_t err = ota_flash_read(j->flash, slot_addr(j, copy, slot), j->buf, JNL_BODY_LEN);
    *ok = !err && le32_get(b) == JNL_MAGIC && le32_get(b + 4) <= 1u &&
          le32_get(b + JNL_CRC_AT) == ota_crc32_le(0, b, JNL_CRC_AT);
    return err;
}

/* Walk copy `copy` up to its first free slot, looking for live records aimed at `target`. */
static ota_err_t jnl_scan(const jnl_t *j, unsigned copy, unsigned target, jnl_scan_t *sc)
{
    *sc = (jnl_scan_t){.free_slot = -1, .live_slot = -1};
    for (unsigned i = 0; i < j->count; i++) {
        bool whole, erased;
        uint32_t addr = slot_addr(j, copy, i);
        ota_err_t err = read_body(j, copy, i, &whole);
        unsigned aimed_at = err ? 2u : le32_get(j->buf + 4); /* read before the mark reuses buf */
        if (!err && !whole) {
            /* Free if the body just read and the rest of the slot are erased (the
             * body is not read twice: the boot decision's flash reads stay few). */
            erased = buf_erased(j, JNL_BODY_LEN);
            if (erased) {
                err = reads_erased(j, addr + JNL_BODY_LEN, j->body + j->mark - JNL_BODY_LEN,
                                   &erased);
            }
            if (!err && erased) {
                sc->free_slot = (int)i;
                return OTA_OK;
            }
            continue; /* a record torn by a cut: skipped */
        }
        if (!err) {
            err = reads_erased(j, addr + j->body, j->mark, &erased);
        }
        if (err) {
            return err;
        }
        if (erased && aimed_at == target) {
            sc->live_slot = (int)i;
        }
    }
    return OTA_OK;
}

/* Mark every live record in `copy` aimed at `target` done. */
static ota_err_t jnl_retire(const jnl_t *j, unsigned copy, unsigned target)
{
    jnl_scan_t sc;
    ota_err_t err = jnl_scan(j, copy, target, &sc);
    while (!err && sc.live_slot >= 0) {
        memset(j->buf, 0, j->mark);
        err = ota_flash_write(j->flash, slot_addr(j, copy, (unsigned)sc.live_slot) + j->body,
                              j->buf, j->mark);
        if (!err) {
            err = jnl_scan(j, copy, target, &sc);
        }
    }
    return err;
}

/* Record the 32 bytes `target` holds now in slot `slot` of the other copy. */
static ota_err_t jnl_append(const jnl_t *j, unsigned slot, unsigned target)
{
    uint8_t *b = j->buf;
    memset(b, j->flash->erased_value, j->body);
    le32_put(b, JNL_MAGIC);
    le32_put(b + 4, target);
    ota_err_t err = ota_flash_read(j->flash, ota__otadata_copy_addr(j->flash, j->part, target),
                                   b + 8, OTA_OTADATA_ENTRY_SIZE);
    if (err) {
        return err;
    }
    le32_put(b + JNL_CRC_AT, ota_crc32_le(0, b, JNL_CRC_AT));
    return ota_flash_write(j->flash, slot_addr(j, 1u - target, slot), b, j->body);
}

/*
 * Does `copy` hold an entry a rewrite could lose (seq set, right CRC)? Read
 * from the stored bytes, left at the start of the scratch buffer: no decoded
 * entry on the stack of the deepest path.
 */
static ota_err_t holds_entry(const jnl_t *j, unsigned copy, bool *holds)
{
    ota_err_t err = ota_flash_read(j->flash, ota__otadata_copy_addr(j->flash, j->part, copy),
                                   j->buf, OTA_OTADATA_ENTRY_SIZE);
    uint32_t seq = le32_get(j->buf);
    *holds = !err && seq != OTA_OTADATA_SEQ_ERASED && le32_get(j->buf + 28) == ota_otadata_crc(seq);
    return err;
}

/*
 * Rewrite `copy` with e (NULL: with the bytes it holds now), first recording
 * its current bytes in the other copy's free slot sc->free_slot (if there is
 * none — only when both spare areas hold foreign data — the write is
 * ESP-IDF's), then mark the record done.
 */
static ota_err_t rewrite_recorded(const jnl_t *j, unsigned copy, const ota_select_entry_t *e,
                                  const jnl_scan_t *sc)
{
    ota_err_t err = OTA_OK;
    bool holds;
    if (sc->free_slot >= 0) {
        err = jnl_append(j, (unsigned)sc->free_slot, copy);
    }
    if (!err && !e) {
        err = holds_entry(j, copy, &holds); /* its bytes back at the start of the buffer */
    }
    if (!err) {
        err = ota__otadata_write_entry(j->flash, j->part, copy, e, j->buf);
    }
    return err ? err : jnl_retire(j, 1u - copy, copy);
}

/*
 * Make room in a full copy: rewrite it with its own entry (recorded in the
 * other copy, whose spare area was emptied when it was last rewritten), or
 * just erase it when its entry holds nothing. Never compacts again, so the
 * journal has no recursion.
 */
static ota_err_t compact(const jnl_t *j, unsigned copy)
{
    bool holds;
    jnl_scan_t sc;
    ota_err_t err = holds_entry(j, copy, &holds);
    if (!err && !holds) {
        return ota_flash_erase_range(j->flash, ota__otadata_copy_addr(j->flash, j->part, copy),
                                     ota_otadata_copy_size(j->flash));
    }
    err = err ? err : jnl_scan(j, 1u - copy, copy, &sc);
    return err ? err : rewrite_recorded(j, copy, NULL, &sc);
}

/* Record the entry of `copy` in the other copy, rewrite `copy`, mark the record done. */
static ota_err_t store_journaled(const jnl_t *j, unsigned copy, const ota_select_entry_t *e)
{
    bool holds;
    unsigned other = 1u - copy;
    jnl_scan_t sc;
    ota_err_t err = holds_entry(j, copy, &holds);
    if (err || !holds) {
        /* Nothing on flash to lose: ESP-IDF's plain rewrite is already safe. */
        return err ? err : ota__otadata_write_entry(j->flash, j->part, copy, e, j->buf);
    }
    err = jnl_scan(j, other, copy, &sc);
    if (!err && sc.free_slot < 0) {
        err = compact(j, other);
        if (!err) {
            err = jnl_scan(j, other, copy, &sc);
        }
    }
    return err ? err : rewrite_recorded(j, copy, e, &sc);
}

ota_err_t ota_otadata_store(const ota_flash_t *flash, const ota_partition_t *otadata,
                            unsigned sector, const ota_select_entry_t *e, ota_writes_t writes)
{
    uint8_t buf[OTA__OTADATA_BUF_LEN];
    if (!e || sector > 1) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = ota__writes_check(writes);
    if (err) {
        return err;
    }
    if (!OTA__HARDENED(writes)) {
        return ota__otadata_write_entry(flash, otadata, sector, e, buf);
    }
    jnl_t j;
    err = jnl_open(flash, otadata, buf, &j);
    return err ? err : store_journaled(&j, sector, e);
}

/* Copy `copy`: resolve the live record aimed at it (in the other copy). */
static ota_err_t recover_copy(const jnl_t *j, unsigned copy, bool restore, unsigned *restored)
{
    unsigned other = 1u - copy;
    jnl_scan_t sc;
    ota_err_t err = jnl_scan(j, other, copy, &sc);
    if (err || sc.live_slot < 0) {
        return err;
    }
    bool holds, whole;
    uint32_t record = slot_addr(j, other, (unsigned)sc.live_slot);
    err = holds_entry(j, copy, &holds);
    /* A right CRC means the rewrite completed or never began: keep what is there. */
    if (!err && restore && !holds) {
        err = read_body(j, other, (unsigned)sc.live_slot, &whole);
        err = err ? err : whole ? OTA_OK : OTA_ERR_FLASH_IO; /* it was whole a moment ago */
        if (!err) { /* the recorded 32 bytes, at the start of the buffer, go back */
            err = ota_flash_read(j->flash, record + 8, j->buf, OTA_OTADATA_ENTRY_SIZE);
        }
        if (!err) {
            err = ota__otadata_write_entry(j->flash, j->part, copy, NULL, j->buf);
        }
        *restored |= err ? 0u : 1u << copy;
    }
    return err ? err : jnl_retire(j, other, copy);
}

ota_err_t ota_otadata_recover(const ota_flash_t *flash, const ota_partition_t *otadata,
                              bool restore, unsigned *restored)
{
    unsigned dummy = 0;
    uint8_t buf[OTA__OTADATA_BUF_LEN];
    restored = restored ? restored : &dummy;
    *restored = 0;
    if (!OTA_CONFIG_HARDENED_WRITES) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    jnl_t j;
    ota_err_t err = jnl_open(flash, otadata, buf, &j);
    for (unsigned copy = 0; copy < 2 && !err; copy++) {
        err = recover_copy(&j, copy, restore, restored);
    }
    return err;
}

ota_err_t ota_otadata_erase(const ota_flash_t *flash, const ota_partition_t *otadata,
                            ota_writes_t writes)
{
    if (!flash || !otadata) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = ota__writes_check(writes);
    if (err) {
        return err;
    }
    ota_select_entry_t e[2];
    uint32_t copy = ota_otadata_copy_size(flash);
    if (!OTA__HARDENED(writes) || ota_otadata_read(flash, otadata, e) != OTA_OK) {
        return ota_flash_erase_range(flash, otadata->offset, otadata->size);
    }
    /* Inactive copy first: until the active one is erased, it still decides the boot. */
    unsigned first = ota_otadata_active(e) == 0 ? 1u : 0u;
    err = ota_flash_erase_range(flash, otadata->offset + first * copy, copy);
    if (!err) {
        err = ota_flash_erase_range(flash, otadata->offset + (1u - first) * copy, copy);
    }
    if (!err && otadata->size > 2 * copy) {
        err = ota_flash_erase_range(flash, otadata->offset + 2 * copy, otadata->size - 2 * copy);
    }
    return err;
}
