/*
 * The application's OTA context: boot partition, queries, rollback and image
 * acceptance (spec §2.5, §2.7, §3.3). Update sessions are in ota_session.c.
 */
#include "ota/ota.h"

#include <string.h>

#include "label.h"
#include "ota_internal.h"
#include "otadata_internal.h"

/* ---- Context ---------------------------------------------------------------- */

static bool config_ok(const ota_config_t *cfg)
{
    if (!cfg->flash || !cfg->table || !cfg->sha256 || !cfg->scratch ||
        cfg->scratch_len < OTA_SCRATCH_MIN) {
        return false;
    }
    return !cfg->anti_rollback ||
           (cfg->rollback && cfg->read_secure_version && cfg->raise_secure_version);
}

ota_err_t ota_init(ota_ctx_t *ctx, const ota_config_t *cfg)
{
    if (!ctx || !cfg || !config_ok(cfg)) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = ota__writes_check(cfg->otadata_writes);
    if (err) {
        return err;
    }
    const ota_flash_t *flash = cfg->flash;
    if (flash->sector_size == 0 || flash->write_size == 0 ||
        flash->write_size > OTA_SESSION_TAIL_MAX) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    /* The running app is kept as the table's own entry: pointer identity is used throughout. */
    const ota_partition_t *running = ota_partition_canonical(cfg->table, cfg->running);
    if (cfg->running && (!running || running->type != OTA_PART_TYPE_APP)) {
        return OTA_ERR_INVALID_ARG;
    }
    *ctx = (ota_ctx_t){.cfg = *cfg};
    ctx->cfg.running = running;
    return OTA_OK;
}

const ota_partition_t *ota_partition_canonical(const ota_partition_table_t *table,
                                               const ota_partition_t *p)
{
    if (!table || !p) {
        return NULL;
    }
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_t *q = &table->entries[i];
        if (q == p || (q->type == p->type && q->subtype == p->subtype && q->offset == p->offset &&
                       q->size == p->size && label_equal(q->label, p->label))) {
            return q;
        }
    }
    return NULL;
}

/* The one that starts first reaches the other's start: 32-bit, nothing can wrap. */
bool ota__overlaps(const ota_partition_t *a, const ota_partition_t *b)
{
    if (!a || !b || !a->size || !b->size) {
        return false;
    }
    return a->offset >= b->offset ? a->offset - b->offset < b->size : b->offset - a->offset < a->size;
}

/* ---- Images ----------------------------------------------------------------- */

static ota_err_t verify_as(const ota_ctx_t *ctx, const ota_partition_t *p, ota_image_kind_t kind,
                           const uint32_t *data_len, ota_image_info_t *info)
{
    const ota_config_t *cfg = &ctx->cfg;
    ota_image_verify_opts_t opts = {.kind = kind, .device = cfg->device};
    if (data_len) {
        opts.data_len_known = true;
        opts.data_len = *data_len;
    }
    return ota_image_verify(cfg->flash, p->offset, p->size, &opts, cfg->sha256, cfg->scratch,
                            cfg->scratch_len, info);
}

ota_err_t ota__accept_image(ota_ctx_t *ctx, const ota_partition_t *p, ota_image_kind_t kind,
                            const uint32_t *data_len, ota_image_info_t *info)
{
    info = info ? info : &ctx->image;
    ota_err_t err = verify_as(ctx, p, kind, data_len, info);
    if (!err && ctx->cfg.image_policy) {
        err = ctx->cfg.image_policy(ctx->cfg.image_policy_ctx, ctx->cfg.flash, p, kind, info);
    }
    return err;
}

ota_err_t ota_verify_partition(ota_ctx_t *ctx, const ota_partition_t *p,
                               ota_image_info_t *info)
{
    if (!ctx || !p) {
        return OTA_ERR_INVALID_ARG;
    }
    p = ota_partition_canonical(ctx->cfg.table, p);
    if (!p) {
        return OTA_ERR_NOT_FOUND;
    }
    if (p->type != OTA_PART_TYPE_APP) {
        return OTA_ERR_INVALID_ARG;
    }
    return ota__accept_image(ctx, p, OTA_IMAGE_APP, NULL, info);
}

/* The app's secure_version, if the counter can ever hold it. */
static ota_err_t app_secure_version(const ota_ctx_t *ctx, const ota_partition_t *p,
                                    uint32_t *version)
{
    const ota_config_t *cfg = &ctx->cfg;
    ota_err_t err = ota_image_read_secure_version(cfg->flash, p->offset, p->size, version);
    if (!err && cfg->secure_version_max && *version > cfg->secure_version_max) {
        err = OTA_ERR_OTA_SEC_VER_EXHAUSTED;
    }
    return err;
}

/* Anti-rollback: the app's secure_version must not be below the counter. */
static ota_err_t check_secure_version(const ota_ctx_t *ctx, const ota_partition_t *p)
{
    const ota_config_t *cfg = &ctx->cfg;
    uint32_t version, counter;
    ota_err_t err = app_secure_version(ctx, p, &version);
    if (!err) {
        err = cfg->read_secure_version(cfg->secure_version_ctx, &counter);
    }
    if (!err && version < counter) {
        err = OTA_ERR_OTA_SMALL_SEC_VER;
    }
    return err;
}

/* ota_image_ok_fn: what ESP-IDF's silent esp_image_verify accepts, plus the policy. */
static ota_err_t image_ok(void *arg, const ota_partition_t *p)
{
    return ota__accept_image(arg, p, OTA_IMAGE_APP, NULL, NULL);
}

/* ota_image_ok_fn for rollback targets: with anti-rollback also the version. */
static ota_err_t rollback_target_ok(void *arg, const ota_partition_t *p)
{
    const ota_ctx_t *ctx = arg;
    ota_err_t err = image_ok(arg, p);
    if (!err && ctx->cfg.anti_rollback) {
        err = check_secure_version(ctx, p);
    }
    return err;
}

ota_err_t ota_partition_sha256(ota_ctx_t *ctx, const ota_partition_t *p,
                               uint8_t out[OTA_SHA256_LEN])
{
    if (!ctx || !p || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    p = ota_partition_canonical(ctx->cfg.table, p);
    if (!p) {
        return OTA_ERR_NOT_FOUND;
    }
    if (p->type == OTA_PART_TYPE_APP) {
        ota_err_t err = verify_as(ctx, p, OTA_IMAGE_APP, NULL, &ctx->image);
        if (!err) {
            memcpy(out, ctx->image.hash_calc, OTA_SHA256_LEN);
        }
        return err;
    }
    return ota__hash_range(ctx, p->offset, p->size, out);
}

ota_err_t ota__hash_range(const ota_ctx_t *ctx, uint32_t addr, uint32_t len,
                          uint8_t out[OTA_SHA256_LEN])
{
    const ota_config_t *cfg = &ctx->cfg;
    const ota_hash_t *h = cfg->sha256;
    ota_err_t err = h->start(h->ctx);
    while (!err && len) {
        uint32_t n = len < cfg->scratch_len ? len : (uint32_t)cfg->scratch_len;
        err = ota_flash_read(cfg->flash, addr, cfg->scratch, n);
        if (!err) {
            err = h->update(h->ctx, cfg->scratch, n);
        }
        addr += n;
        len -= n;
    }
    return err ? err : h->finish(h->ctx, out);
}

/* ---- Boot partition ------------------------------------------------------------ */

/* Refusals common to both set_boot variants, before any image is read. */
static ota_err_t boot_target(const ota_ctx_t *ctx, const ota_partition_t **p)
{
    if (!ctx || !*p) {
        return OTA_ERR_INVALID_ARG;
    }
    *p = ota_partition_canonical(ctx->cfg.table, *p);
    if (!*p) {
        return OTA_ERR_NOT_FOUND;
    }
    if ((*p)->type != OTA_PART_TYPE_APP) {
        return OTA_ERR_INVALID_ARG;
    }
    if ((*p)->subtype != OTA_PART_SUBTYPE_FACTORY && !OTA_PART_IS_OTA_SLOT(*p)) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    /* Never point the bootloader at a slot that is still being written. */
    return ota__session_using(ctx, *p) ? OTA_ERR_OTA_ALREADY_IN_PROGRESS : OTA_OK;
}

void ota_forget_verified(ota_ctx_t *ctx, const ota_partition_t *p)
{
    if (ctx && (!p || ota__overlaps(ctx->verified, p))) {
        ctx->verified = NULL;
    }
}

static ota_err_t set_boot(ota_ctx_t *ctx, const ota_partition_t *p, bool validate)
{
    ota_err_t err = boot_target(ctx, &p);
    /* ota_end just verified this image from flash: reading it again would
     * double the cost of an update for nothing the bootloader won't check. */
    if (!err && validate && ctx->verified != p) {
        err = ota__accept_image(ctx, p, OTA_IMAGE_APP, NULL, NULL);
    }
    if (!err && ctx->cfg.anti_rollback && OTA_PART_IS_OTA_SLOT(p)) {
        /* ESP-IDF also erases the refused slot; the bootloader rejects it anyway. */
        err = check_secure_version(ctx, p);
    }
    if (err) {
        return err;
    }
    /* boot_target() made p the table's factory app or an OTA slot, so the
     * otadata call is made directly, not through ota_otadata_set_boot_partition's
     * checks again: one frame less on the deepest path of an update. */
    const ota_config_t *cfg = &ctx->cfg;
    return p->subtype == OTA_PART_SUBTYPE_FACTORY
               ? ota_otadata_set_factory(cfg->flash, cfg->table, cfg->otadata_writes)
               : ota_otadata_set_boot_slot(cfg->flash, cfg->table, p->subtype & 0x0Fu, cfg->rollback,
                                           cfg->otadata_writes);
}

ota_err_t ota_set_boot_partition(ota_ctx_t *ctx, const ota_partition_t *p)
{
    return set_boot(ctx, p, true);
}

ota_err_t ota_set_boot_partition_skip_validate(ota_ctx_t *ctx, const ota_partition_t *p)
{
    return set_boot(ctx, p, false);
}

ota_err_t ota_get_boot_partition(const ota_ctx_t *ctx, const ota_partition_t **out)
{
    if (!ctx || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    return ota_otadata_boot_partition(ctx->cfg.flash, ctx->cfg.table, out);
}

const ota_partition_t *ota_get_running_partition(const ota_ctx_t *ctx)
{
    return ctx ? ctx->cfg.running : NULL;
}

const ota_partition_t *ota_get_next_update_partition(const ota_ctx_t *ctx,
                                                     const ota_partition_t *start)
{
    if (!ctx) {
        return NULL;
    }
    if (!start) {
        start = ctx->cfg.running;
    } else if (!(start = ota_partition_canonical(ctx->cfg.table, start))) {
        return NULL;
    }
    const ota_partition_t *first = NULL;
    bool after_start = false;
    for (unsigned n = 0; n < OTA_OTADATA_MAX_SLOTS; n++) {
        const ota_partition_t *q = ota_partition_ota_slot(ctx->cfg.table, n);
        if (!q) {
            continue;
        }
        if (after_start) {
            return q;
        }
        first = first ? first : q;
        after_start = q == start;
    }
    return first; /* start was the last slot, or not a slot at all */
}

unsigned ota_get_app_partition_count(const ota_ctx_t *ctx)
{
    return ctx ? ota_app_count(ctx->cfg.table) : 0;
}

ota_err_t ota_get_partition_description(const ota_ctx_t *ctx, const ota_partition_t *p,
                                        ota_app_desc_t *out)
{
    if (!ctx || !p || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    p = ota_partition_canonical(ctx->cfg.table, p);
    if (!p) {
        return OTA_ERR_NOT_FOUND;
    }
    if (p->type != OTA_PART_TYPE_APP) {
        return OTA_ERR_NOT_SUPPORTED;
    }
    return ota_image_read_app_desc(ctx->cfg.flash, p->offset, p->size, out);
}

ota_err_t ota_get_bootloader_description(const ota_ctx_t *ctx, const ota_partition_t *p,
                                         ota_boot_desc_t *out)
{
    if (!ctx || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_config_t *cfg = &ctx->cfg;
    if (!p) {
        if (cfg->table_offset <= cfg->bootloader_offset) {
            return OTA_ERR_NOT_FOUND;
        }
        return ota_image_read_boot_desc(cfg->flash, cfg->bootloader_offset,
                                        cfg->table_offset - cfg->bootloader_offset, out);
    }
    p = ota_partition_canonical(cfg->table, p);
    return p ? ota_image_read_boot_desc(cfg->flash, p->offset, p->size, out) : OTA_ERR_NOT_FOUND;
}

/* ---- Rollback ------------------------------------------------------------------- */

ota_err_t ota_get_state_partition(const ota_ctx_t *ctx, const ota_partition_t *p, uint32_t *state)
{
    if (!ctx || !p || !state) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_partition_t *q = ota_partition_canonical(ctx->cfg.table, p);
    if (!q) {
        return OTA_ERR_NOT_FOUND;
    }
    return ota_otadata_state_of(ctx->cfg.flash, ctx->cfg.table, q, state);
}

/* Raise the anti-rollback counter to version (never lower it). */
static ota_err_t raise_counter(const ota_ctx_t *ctx, uint32_t version)
{
    const ota_config_t *cfg = &ctx->cfg;
    uint32_t counter;
    ota_err_t err = cfg->read_secure_version(cfg->secure_version_ctx, &counter);
    if (!err && version > counter) {
        err = cfg->raise_secure_version(cfg->secure_version_ctx, version);
    }
    return err;
}

ota_err_t ota_mark_app_valid(ota_ctx_t *ctx)
{
    if (!ctx) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t version = 0;
    if (ctx->cfg.anti_rollback) {
        /* Everything that can refuse the counter's raise is checked before otadata changes. */
        ota_err_t err = ctx->cfg.running ? app_secure_version(ctx, ctx->cfg.running, &version)
                                         : OTA_ERR_INVALID_STATE;
        if (err) {
            return err;
        }
    }
    ota_err_t err = ota_otadata_mark_valid(ctx->cfg.flash, ctx->cfg.table, ctx->cfg.otadata_writes);
    return !err && ctx->cfg.anti_rollback ? raise_counter(ctx, version) : err;
}

ota_err_t ota_mark_app_invalid(ota_ctx_t *ctx)
{
    if (!ctx) {
        return OTA_ERR_INVALID_ARG;
    }
    return ota_otadata_mark_invalid(ctx->cfg.flash, ctx->cfg.table, rollback_target_ok, ctx,
                                    ctx->cfg.otadata_writes);
}

ota_err_t ota_check_rollback_is_possible(ota_ctx_t *ctx, bool *possible)
{
    if (!ctx || !possible) {
        return OTA_ERR_INVALID_ARG;
    }
    return ota_otadata_rollback_possible(ctx->cfg.flash, ctx->cfg.table, rollback_target_ok,
                                         ctx, possible);
}

ota_err_t ota_get_last_invalid_partition(ota_ctx_t *ctx, const ota_partition_t **out)
{
    if (!ctx || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    return ota_otadata_last_invalid_partition(ctx->cfg.flash, ctx->cfg.table, image_ok, ctx, out);
}

ota_err_t ota_invalidate_inactive_ota_data_slot(ota_ctx_t *ctx)
{
    if (!ctx) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ctx->cfg.running) {
        return OTA_ERR_INVALID_STATE;
    }
    return ota_otadata_invalidate_inactive(ctx->cfg.flash, ctx->cfg.table, ctx->cfg.running,
                                           ctx->cfg.otadata_writes);
}

ota_err_t ota_erase_last_boot_app_partition(ota_ctx_t *ctx)
{
    if (!ctx) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ctx->cfg.running) {
        return OTA_ERR_INVALID_STATE;
    }
    ota_forget_verified(ctx, NULL);
    return ota_otadata_erase_last_boot_app(ctx->cfg.flash, ctx->cfg.table, ctx->cfg.running,
                                           ctx->cfg.otadata_writes);
}
