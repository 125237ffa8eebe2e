/*
 * Update sessions: esp_ota_begin / resume / write / write_with_offset /
 * set_final_partition / end / abort (spec §3.2-§3.4), over caller-owned
 * ota_session_t records linked into the context.
 *
 * Invariant: every byte a session has programmed, or holds in its tail
 * buffer, lies below s->erased_to, and everything in [0, erased_to) was either
 * erased by this session, found erased, or written by it (or, after resume, by
 * the interrupted session below the resume offset). So a write never lands on
 * flash that was not erased, whatever the erase mode.
 */
#include <string.h>

#include "ota/ota.h"
#include "ota_internal.h"

/* ---- Session list ------------------------------------------------------------ */

static bool is_live(const ota_ctx_t *ctx, const ota_session_t *s)
{
    for (const ota_session_t *q = ctx->sessions; q; q = q->next) {
        if (q == s) {
            return true;
        }
    }
    return false;
}

/* A session is usable only while it is linked into its context. */
static ota_err_t check_live(const ota_session_t *s)
{
    if (!s) {
        return OTA_ERR_INVALID_ARG;
    }
    return s->ctx && is_live(s->ctx, s) ? OTA_OK : OTA_ERR_OTA_SESSION_CLOSED;
}

static void unlink_session(ota_session_t *s)
{
    for (ota_session_t **pp = &s->ctx->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    s->ctx = NULL;
    s->next = NULL;
}

const ota_session_t *ota__session_using(const ota_ctx_t *ctx, const ota_partition_t *p)
{
    for (const ota_session_t *q = ctx->sessions; q; q = q->next) {
        if (ota__overlaps(q->part, p) || ota__overlaps(q->final, p)) {
            return q;
        }
    }
    return NULL;
}

ota_session_t *ota_session_find(ota_ctx_t *ctx, uint32_t handle)
{
    for (ota_session_t *q = ctx ? ctx->sessions : NULL; q; q = q->next) {
        if (q->handle == handle) {
            return q;
        }
    }
    return NULL;
}

/* ---- Flash helpers ------------------------------------------------------------ */

/* ceil(v / unit) * unit modulo 2^32, in 32-bit arithmetic: a 64-bit division
 * would pull a 0.7 KiB libgcc routine into 32-bit MCU builds. */
static uint32_t align_up(uint32_t v, uint32_t unit)
{
    uint32_t rem = v % unit;
    return rem ? v - rem + unit : v;
}

/* Bytes read first when checking for erased flash: a sector holding data
 * nearly always shows it there, so only a sector that starts erased is read
 * in full (on a real part a 4 KiB read costs ~100x a 32-byte one). */
#define ERASED_PROBE_LEN 32u

/* Does flash [addr, addr + len) read as erased? */
static ota_err_t reads_erased(const ota_ctx_t *ctx, uint32_t addr, uint32_t len, bool *erased)
{
    const ota_config_t *cfg = &ctx->cfg;
    uint32_t chunk = ERASED_PROBE_LEN; /* <= OTA_SCRATCH_MIN */
    *erased = true;
    while (len && *erased) {
        uint32_t n = len < chunk ? len : chunk;
        chunk = (uint32_t)cfg->scratch_len;
        ota_err_t err = ota_flash_read(cfg->flash, addr, cfg->scratch, n);
        if (err) {
            return err;
        }
        for (uint32_t i = 0; i < n && *erased; i++) {
            *erased = cfg->scratch[i] == cfg->flash->erased_value;
        }
        addr += n;
        len -= n;
    }
    return OTA_OK;
}

/* Erase [addr, addr + len) sector by sector, skipping sectors that read as erased (less wear, less time). */
static ota_err_t erase_dirty(const ota_ctx_t *ctx, uint32_t addr, uint32_t len)
{
    const ota_flash_t *flash = ctx->cfg.flash;
    for (uint32_t done = 0; done < len; done += flash->sector_size) {
        bool erased;
        ota_err_t err = reads_erased(ctx, addr + done, flash->sector_size, &erased);
        if (!err && !erased) {
            err = ota_flash_erase_range(flash, addr + done, flash->sector_size);
        }
        if (err) {
            return err;
        }
    }
    return OTA_OK;
}

/* Make sure [0, end) of the staging partition may be programmed. */
static ota_err_t ensure_erased(ota_session_t *s, uint32_t end)
{
    uint32_t target = align_up(end, s->ctx->cfg.flash->sector_size);
    if (target <= s->erased_to) {
        return OTA_OK;
    }
    ota_err_t err = erase_dirty(s->ctx, s->part->offset + s->erased_to, target - s->erased_to);
    if (!err) {
        s->erased_to = target;
    }
    return err;
}

static ota_err_t program(ota_session_t *s, uint32_t off, const void *data, uint32_t len)
{
    ota_err_t err = ota_flash_write(s->ctx->cfg.flash, s->part->offset + off, data, len);
    if (!err && off + len > s->data_end) {
        s->data_end = off + len;
    }
    return err;
}

/* ---- Opening ------------------------------------------------------------------ */

static bool sector_aligned(const ota_flash_t *flash, const ota_partition_t *p)
{
    return p->offset % flash->sector_size == 0 && p->size % flash->sector_size == 0;
}

/* Partitions an update must never write: the running app and otadata. */
static ota_err_t check_protected(const ota_ctx_t *ctx, const ota_partition_t *p)
{
    if (ota__overlaps(p, ctx->cfg.running) || ota__overlaps(p, ota_otadata_partition(ctx->cfg.table))) {
        return OTA_ERR_OTA_PARTITION_CONFLICT;
    }
    return OTA_OK;
}

static bool is_otadata(const ota_partition_t *p)
{
    return p->type == OTA_PART_TYPE_DATA && p->subtype == OTA_PART_SUBTYPE_DATA_OTA;
}

/* ESP-IDF refuses new updates until a first-boot app has confirmed itself. */
static ota_err_t check_running_confirmed(const ota_ctx_t *ctx)
{
    const ota_partition_t *running = ctx->cfg.running;
    uint32_t state;
    if (!ctx->cfg.rollback || !running || !OTA_PART_IS_OTA_SLOT(running)) {
        return OTA_OK;
    }
    ota_err_t err = ota_otadata_state_of(ctx->cfg.flash, ctx->cfg.table, running, &state);
    return !err && state == OTA_IMG_PENDING_VERIFY ? OTA_ERR_OTA_ROLLBACK_INVALID_STATE : OTA_OK;
}

/* Every refusal of begin/resume, before anything is written. */
static ota_err_t check_target(ota_ctx_t *ctx, ota_session_t *s, const ota_partition_t **p)
{
    if (!ctx || !s || !*p) {
        return OTA_ERR_INVALID_ARG;
    }
    if (is_live(ctx, s)) {
        return OTA_ERR_INVALID_ARG;
    }
    *p = ota_partition_canonical(ctx->cfg.table, *p);
    if (!*p) {
        return OTA_ERR_NOT_FOUND;
    }
    bool app = (*p)->type == OTA_PART_TYPE_APP;
    if ((app && !OTA_PART_IS_OTA_SLOT(*p)) || is_otadata(*p)) {
        return OTA_ERR_OTA_NOT_UPDATABLE;
    }
    ota_err_t err = check_protected(ctx, *p);
    if (err) {
        return err;
    }
    if ((*p)->flags & OTA_PART_FLAG_READONLY) {
        return OTA_ERR_FLASH_READONLY;
    }
    if (!sector_aligned(ctx->cfg.flash, *p)) {
        return OTA_ERR_FLASH_ALIGN;
    }
    if (ota__session_using(ctx, *p)) {
        return OTA_ERR_OTA_ALREADY_IN_PROGRESS;
    }
    return app ? check_running_confirmed(ctx) : OTA_OK;
}

static void open_session(ota_ctx_t *ctx, ota_session_t *s, const ota_partition_t *p)
{
    *s = (ota_session_t){.ctx = ctx, .part = p, .final = p, .handle = ++ctx->last_handle};
    if (s->handle == 0) {
        s->handle = ++ctx->last_handle; /* 0 is never a handle */
    }
    s->next = ctx->sessions;
    ctx->sessions = s;
    ota_forget_verified(ctx, p);
}

ota_err_t ota_begin(ota_ctx_t *ctx, ota_session_t *s, const ota_partition_t *p,
                    ota_erase_mode_t mode, uint32_t image_size)
{
    ota_err_t err = check_target(ctx, s, &p);
    if (err) {
        return err;
    }
    if (mode != OTA_ERASE_WHOLE && mode != OTA_ERASE_IMAGE_SIZE && mode != OTA_ERASE_SEQUENTIAL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (mode == OTA_ERASE_IMAGE_SIZE && image_size > p->size) {
        return OTA_ERR_OTA_TOO_LARGE;
    }
    if (ctx->cfg.rollback && OTA_PART_IS_OTA_SLOT(p) && ctx->cfg.running) {
        /* Before erasing: otadata must never designate a half-erased slot. */
        (void)ota_otadata_invalidate_inactive(ctx->cfg.flash, ctx->cfg.table, ctx->cfg.running,
                                              ctx->cfg.otadata_writes);
    }
    open_session(ctx, s, p);
    if (mode != OTA_ERASE_SEQUENTIAL) {
        err = ensure_erased(s, mode == OTA_ERASE_WHOLE ? p->size : image_size);
    }
    if (err) {
        unlink_session(s);
    }
    return err;
}

/* Load the already programmed start of the write unit at offset into the tail buffer. */
static ota_err_t load_partial_unit(ota_session_t *s, uint32_t offset)
{
    uint32_t unit = s->ctx->cfg.flash->write_size;
    s->tail_len = (uint16_t)(offset % unit);
    return ota_flash_read(s->ctx->cfg.flash, s->part->offset + offset - s->tail_len, s->tail,
                          s->tail_len);
}

ota_err_t ota_resume(ota_ctx_t *ctx, ota_session_t *s, const ota_partition_t *p, uint32_t offset)
{
    ota_err_t err = check_target(ctx, s, &p);
    if (err) {
        return err;
    }
    if (offset > p->size) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t sector_end = align_up(offset, ctx->cfg.flash->sector_size);
    bool erased;
    err = reads_erased(ctx, p->offset + offset, sector_end - offset, &erased);
    if (err || !erased) {
        return err ? err : OTA_ERR_OTA_RESUME_NOT_ERASED;
    }
    open_session(ctx, s, p);
    s->pos = s->data_end = offset;
    s->erased_to = sector_end;
    s->resumed = true;
    err = load_partial_unit(s, offset);
    if (err) {
        unlink_session(s);
    }
    return err;
}

ota_err_t ota_set_final_partition(ota_session_t *s, const ota_partition_t *final, bool copy)
{
    ota_err_t err = final ? check_live(s) : OTA_ERR_INVALID_ARG;
    if (err) {
        return err;
    }
    if (s->written && !s->resumed) {
        return OTA_ERR_INVALID_STATE;
    }
    ota_ctx_t *ctx = s->ctx;
    final = ota_partition_canonical(ctx->cfg.table, final);
    if (!final) {
        return OTA_ERR_NOT_FOUND;
    }
    if (final == s->part) {
        return OTA_OK;
    }
    err = check_protected(ctx, final);
    if (!err && copy && (final->flags & OTA_PART_FLAG_READONLY)) {
        err = OTA_ERR_FLASH_READONLY;
    }
    if (!err && !sector_aligned(ctx->cfg.flash, final)) {
        err = OTA_ERR_FLASH_ALIGN;
    }
    const ota_session_t *other = err ? NULL : ota__session_using(ctx, final);
    if (other && other != s) {
        err = OTA_ERR_OTA_ALREADY_IN_PROGRESS;
    }
    if (!err) {
        s->final = final;
        s->copy_to_final = copy;
    }
    return err;
}

/* ---- Writing -------------------------------------------------------------------- */

/* What the first bytes of the stream must be, by the final partition's type. */
static ota_err_t check_first_bytes(const ota_session_t *s, const uint8_t *d, size_t len)
{
    switch (s->final->type) {
    case OTA_PART_TYPE_APP:
    case OTA_PART_TYPE_BOOTLOADER:
        return d[0] == OTA_IMAGE_MAGIC ? OTA_OK : OTA_ERR_IMG_MAGIC;
    case OTA_PART_TYPE_PARTITION_TABLE:
        return d[0] == (OTA_PART_MAGIC & 0xFFu) && (len < 2 || d[1] == OTA_PART_MAGIC >> 8)
                   ? OTA_OK
                   : OTA_ERR_PART_MAGIC;
    default:
        return OTA_OK;
    }
}

/* Complete the buffered write unit with up to len bytes of d; returns how many it took. */
static ota_err_t fill_tail(ota_session_t *s, const uint8_t *d, size_t len, size_t *taken)
{
    uint32_t unit = s->ctx->cfg.flash->write_size;
    size_t n = unit - s->tail_len < len ? unit - s->tail_len : len;
    memcpy(s->tail + s->tail_len, d, n);
    s->tail_len = (uint16_t)(s->tail_len + n);
    s->pos += (uint32_t)n;
    *taken = n;
    if (s->tail_len < unit) {
        return OTA_OK;
    }
    s->tail_len = 0;
    return program(s, s->pos - unit, s->tail, unit);
}

ota_err_t ota_write(ota_session_t *s, const void *data, size_t len)
{
    if (!data && len) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = check_live(s);
    if (err || len == 0) {
        return err;
    }
    if (len > s->part->size - s->pos) {
        return OTA_ERR_OTA_TOO_LARGE;
    }
    const uint8_t *d = data;
    if (s->pos == 0 && !s->written && (err = check_first_bytes(s, d, len)) != OTA_OK) {
        return err;
    }
    err = ensure_erased(s, s->pos + (uint32_t)len);
    if (err) {
        return err;
    }
    s->written = true;
    uint32_t unit = s->ctx->cfg.flash->write_size;
    size_t taken = 0;
    if (s->tail_len) {
        err = fill_tail(s, d, len, &taken);
    }
    size_t whole = (len - taken) / unit * unit;
    if (!err && whole) {
        err = program(s, s->pos, d + taken, (uint32_t)whole);
        s->pos += err ? 0 : (uint32_t)whole;
        taken += whole;
    }
    if (!err && taken < len) {
        err = fill_tail(s, d + taken, len - taken, &taken);
    }
    return err;
}

ota_err_t ota_write_with_offset(ota_session_t *s, const void *data, size_t len, uint32_t offset)
{
    if (!data && len) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = check_live(s);
    if (err || len == 0) {
        return err;
    }
    uint32_t unit = s->ctx->cfg.flash->write_size;
    if (offset > s->part->size || len > s->part->size - offset) {
        return OTA_ERR_OTA_TOO_LARGE;
    }
    if (offset % unit || len % unit) {
        return OTA_ERR_FLASH_ALIGN; /* a unit is programmed once: no read-merge */
    }
    err = ensure_erased(s, offset + (uint32_t)len);
    if (!err) {
        s->written = true;
        err = program(s, offset, data, (uint32_t)len);
    }
    return err;
}

/* ---- Closing ----------------------------------------------------------------------- */

/* Program the incomplete last unit, padded with the erased value. */
static ota_err_t flush_tail(ota_session_t *s)
{
    const ota_flash_t *flash = s->ctx->cfg.flash;
    if (s->tail_len == 0) {
        return OTA_OK;
    }
    uint32_t start = s->pos - s->tail_len;
    memset(s->tail + s->tail_len, flash->erased_value, flash->write_size - s->tail_len);
    s->tail_len = 0;
    return program(s, start, s->tail, flash->write_size);
}

/* esp_partition_table_verify on the staged 0xC00 bytes (overlaps refused too). */
static ota_err_t check_table(const ota_session_t *s)
{
    const ota_config_t *cfg = &s->ctx->cfg;
    if (cfg->scratch_len < OTA_PART_TABLE_MAX_LEN) {
        return OTA_ERR_NO_SPACE;
    }
    ota_err_t err = ota_flash_read(cfg->flash, s->part->offset, cfg->scratch, OTA_PART_TABLE_MAX_LEN);
    if (err) {
        return err;
    }
    ota_partition_parse_opts_t opts = {.flash_size = cfg->flash->size, .md5 = cfg->md5,
                                       .check_overlap = true};
    return ota_partition_table_verify(cfg->scratch, OTA_PART_TABLE_MAX_LEN, &opts, NULL);
}

static ota_err_t check_result(const ota_session_t *s)
{
    switch (s->final->type) {
    case OTA_PART_TYPE_APP:
        return ota__accept_image(s->ctx, s->part, OTA_IMAGE_APP, &s->data_end, NULL);
    case OTA_PART_TYPE_BOOTLOADER:
        return ota__accept_image(s->ctx, s->part, OTA_IMAGE_BOOTLOADER, &s->data_end, NULL);
    case OTA_PART_TYPE_PARTITION_TABLE:
        return check_table(s);
    default:
        return OTA_OK; /* data partitions carry no format to check */
    }
}

/* Erase final (skipping erased sectors), then copy the written bytes of staging into it. */
static ota_err_t copy_to_final(const ota_session_t *s)
{
    const ota_config_t *cfg = &s->ctx->cfg;
    uint32_t len = align_up(s->data_end, cfg->flash->write_size);
    if (len > s->final->size) {
        return OTA_ERR_OTA_TOO_LARGE;
    }
    ota_err_t err = erase_dirty(s->ctx, s->final->offset, s->final->size);
    uint32_t chunk = (uint32_t)(cfg->scratch_len / cfg->flash->write_size * cfg->flash->write_size);
    for (uint32_t off = 0; !err && off < len; off += chunk) {
        uint32_t n = len - off < chunk ? len - off : chunk;
        err = ota_flash_read(cfg->flash, s->part->offset + off, cfg->scratch, n);
        if (!err) {
            err = ota_flash_write(cfg->flash, s->final->offset + off, cfg->scratch, n);
        }
    }
    return err;
}

ota_err_t ota_end(ota_session_t *s)
{
    ota_err_t err = check_live(s);
    if (err) {
        return err;
    }
    if (!s->written && s->data_end == 0) {
        err = OTA_ERR_OTA_NO_DATA;
    }
    if (!err) {
        err = flush_tail(s);
    }
    if (!err) {
        err = check_result(s);
    }
    if (!err && s->copy_to_final && s->final != s->part) {
        err = copy_to_final(s);
    }
    if (!err && s->final == s->part && s->part->type == OTA_PART_TYPE_APP) {
        s->ctx->verified = s->part;
    }
    unlink_session(s);
    return err;
}

ota_err_t ota_abort(ota_session_t *s)
{
    ota_err_t err = check_live(s);
    if (!err) {
        unlink_session(s);
    }
    return err;
}
