/*
 * The simulated device of the power-loss runner: a tu_otadev (RAM NOR flash
 * that can lose power at any mutation) with real images, a bootloader
 * (ota_boot_select verifying every image it considers), and an app that
 * confirms or rejects a first trial and carries out the scenario's command,
 * retrying after every power cut from what is on flash.
 *
 * Next to the flash the runner keeps a model of what the device must do: the
 * confirmed image, the pending one and whether its first trial began. Every
 * operation that changes otadata names the model it leads to. A cut inside it
 * leaves two acceptable states, before and after (a cut inside a boot, also
 * each one's boot); the next boot must match one of them:
 *   - a pending image that has not started boots as a first trial (I3);
 *   - otherwise the confirmed image boots, and a pending image that did start
 *     (or was rejected) shows as ABORTED or INVALID: never dropped (I4);
 *   - something that verifies always boots (I1);
 * and a cut inside an update must leave the running partition and the active
 * otadata entry as they were (I2). At the end the scenario's image must run
 * confirmed, and a last boot must agree with the model.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/boot.h"
#include "otadev.h"
#include "pc_internal.h"
#include "testimg.h"

#define BOOT_BUDGET 16u
#define CHUNK 4096u
#define SMALL_IMAGE 4096u
#define MAX_ALLOWED 8u
#define REC_MAGIC 0x52435050u /* "PPCR": the app's resume record */
#define REC_LEN 20u

typedef struct pc_img {
    const ota_partition_t *part; /* NULL: none */
    uint32_t version;            /* the image's secure_version: 0 factory, 1, 2, 3 */
} pc_img_t;

/* What the device must do next. */
typedef struct pc_model {
    pc_img_t confirmed; /* boots when nothing is pending */
    pc_img_t pending;   /* set to boot and not confirmed yet */
    bool trial;         /* the pending image has started its first trial */
    pc_img_t rejected;  /* must show as ABORTED or INVALID at the next boot */
} pc_model_t;

/* What a boot did. */
typedef struct pc_obs {
    const ota_partition_t *part;
    uint32_t version;
    bool trial; /* otadata says PENDING_VERIFY for it */
} pc_obs_t;

typedef enum pc_step { STEP_OK, STEP_REBOOT, STEP_DONE, STEP_CUT, STEP_FAIL } pc_step_t;

struct pc_dev {
    pc_inst_t inst;
    const pc_scenario_t *sc;
    tu_otadev_t od;
    tu_image_t images[4]; /* by version */
    const ota_partition_t *factory, *nvs;
    uint8_t *start_flash;
    pc_model_t start_model;
    const ota_partition_t *start_running;
    bool start_at_boot;

    /* One run. */
    pc_model_t model;
    pc_model_t allowed[MAX_ALLOWED]; /* states the flash may be in at the next boot */
    size_t n_allowed;
    const ota_partition_t *running;
    ota_ctx_t app, verify;
    const char *cut_in; /* operation the last cut interrupted */
    const pc_cut_t *cuts;
    size_t n_cuts, next_cut;
    uint64_t mark;   /* mutations before the last power-on */
    size_t log_mark; /* flash log entries before it */
    bool cmd_done;
    char *why;
    size_t why_len;
    bool failed;
    /* Before an update: what it must not touch (I2). */
    uint8_t *shadow;
    int active_copy;
    uint8_t active_entry[OTA_OTADATA_ENTRY_SIZE];
    char setup_why[256];
};

static const pc_img_t k_none = {NULL, 0};

/* ---- Reporting ---------------------------------------------------------------- */

static pc_step_t fail(pc_dev_t *d, const char *fmt, ...)
{
    if (!d->failed && d->why) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->why, d->why_len, fmt, ap);
        va_end(ap);
    }
    d->failed = true;
    return STEP_FAIL;
}

static const char *label(const ota_partition_t *p)
{
    return p ? p->label : "none";
}

/* "ota_1 v2 first trial", "ota_0 v1 with ota_1 ABORTED/INVALID", ... */
static void describe(const pc_model_t *m, char *out, size_t len)
{
    if (m->pending.part && !m->trial) {
        snprintf(out, len, "%s v%u first trial", label(m->pending.part), (unsigned)m->pending.version);
        return;
    }
    const ota_partition_t *gone = m->pending.part ? m->pending.part : m->rejected.part;
    snprintf(out, len, "%s v%u%s%s%s", label(m->confirmed.part), (unsigned)m->confirmed.version,
             gone ? " with " : "", gone ? gone->label : "", gone ? " ABORTED/INVALID" : "");
}

/* ---- Model ---------------------------------------------------------------------- */

static bool same_img(pc_img_t a, pc_img_t b)
{
    return a.part == b.part && (!a.part || a.version == b.version);
}

static bool same_model(const pc_model_t *a, const pc_model_t *b)
{
    return same_img(a->confirmed, b->confirmed) && same_img(a->pending, b->pending) &&
           a->trial == b->trial && same_img(a->rejected, b->rejected);
}

static void allow(pc_dev_t *d, const pc_model_t *m)
{
    for (size_t i = 0; i < d->n_allowed; i++) {
        if (same_model(&d->allowed[i], m)) {
            return;
        }
    }
    if (d->n_allowed < MAX_ALLOWED) {
        d->allowed[d->n_allowed++] = *m;
    }
}

/* The model after one boot from m (a trial seen again is aborted: the next boot must show it). */
static pc_model_t advance(const pc_model_t *m)
{
    pc_model_t n = *m;
    n.rejected = k_none;
    if (m->pending.part && !m->trial) {
        n.trial = true;
    } else if (m->pending.part) {
        n.rejected = m->pending; /* a second boot of a trial: ABORTED */
        n.pending = k_none;
        n.trial = false;
    }
    return n;
}

static uint32_t otadata_state(const pc_dev_t *d, const ota_partition_t *p)
{
    uint32_t st = OTA_IMG_UNDEFINED;
    if (!OTA_PART_IS_OTA_SLOT(p) ||
        ota_otadata_state_of(d->od.flash, &d->od.table, p, &st) != OTA_OK) {
        return OTA_IMG_UNDEFINED;
    }
    return st;
}

static bool recorded(const pc_dev_t *d, const ota_partition_t *p)
{
    uint32_t st = otadata_state(d, p);
    return st == OTA_IMG_ABORTED || st == OTA_IMG_INVALID;
}

static bool matches(const pc_dev_t *d, const pc_obs_t *o, const pc_model_t *m)
{
    pc_img_t got = {o->part, o->version};
    if (m->pending.part && !m->trial) {
        return same_img(m->pending, got) && o->trial;
    }
    if (!same_img(m->confirmed, got) || o->trial) {
        return false;
    }
    if (m->pending.part && !recorded(d, m->pending.part)) {
        return false;
    }
    return !m->rejected.part || recorded(d, m->rejected.part);
}

/* ---- Flash and images --------------------------------------------------------------- */

static bool powered(const pc_dev_t *d)
{
    return d->od.sim.powered;
}

static uint32_t image_version(const pc_dev_t *d, const ota_partition_t *p)
{
    ota_app_desc_t desc;
    if (ota_image_read_app_desc(d->od.flash, p->offset, p->size, &desc) != OTA_OK) {
        return UINT32_MAX;
    }
    return desc.secure_version;
}

/* ota_boot_check_image_fn: the full image verification, identity from the descriptor. */
static ota_err_t check_image(void *arg, const ota_partition_t *p, uint32_t *secure_version)
{
    pc_dev_t *d = arg;
    ota_err_t err = ota_verify_partition(&d->verify, p, NULL);
    *secure_version = err ? 0 : image_version(d, p);
    return err;
}

/* Does p hold a verified image of this version? */
static bool holds(pc_dev_t *d, const ota_partition_t *p, uint32_t version)
{
    return ota_verify_partition(&d->verify, p, NULL) == OTA_OK && image_version(d, p) == version;
}

/* What the bootloader starts when the active entry is gone: the other copy's slot, or factory. */
static pc_img_t fallback(const pc_dev_t *d)
{
    ota_select_entry_t e[2];
    unsigned n = ota_app_count(&d->od.table);
    pc_img_t img = {d->factory, 0};
    if (ota_otadata_read(d->od.flash, d->od.otadata, e) == OTA_OK && n) {
        int a = ota_otadata_active(e);
        if (a >= 0 && ota_select_entry_is_valid(&e[1 - a])) {
            img.part = ota_partition_ota_slot(&d->od.table, ota_otadata_slot(e[1 - a].seq, n));
            img.version = image_version(d, img.part);
        }
    }
    return img;
}

/* ---- Operations: every one names the model it leads to ------------------------------ */

/* Finish an app operation: OK moves the model; a cut leaves the model or *after. */
static pc_step_t finish(pc_dev_t *d, const char *what, ota_err_t err, const pc_model_t *after)
{
    if (!powered(d)) {
        d->cut_in = what;
        d->n_allowed = 0;
        allow(d, &d->model);
        allow(d, after);
        return STEP_CUT;
    }
    if (err) {
        return fail(d, "%s failed: %s", what, ota_err_name(err));
    }
    d->model = *after;
    d->allowed[0] = d->model;
    d->n_allowed = 1;
    return STEP_OK;
}

static void start_app(pc_dev_t *d)
{
    tu_otadev_ctx(&d->od, &d->app, d->running->label, d->sc->rollback);
}

static pc_step_t boot(pc_dev_t *d)
{
    ota_boot_config_t cfg = {.rollback = d->sc->rollback,
                             .check_image = check_image,
                             .ctx = d,
                             .writes = d->inst.writes};
    ota_boot_result_t res;
    ota_err_t err = ota_boot_select(d->od.flash, &d->od.table, &cfg, &res);
    if (!powered(d)) {
        size_t n = d->n_allowed;
        for (size_t i = 0; i < n; i++) {
            pc_model_t next = advance(&d->allowed[i]);
            allow(d, &next);
        }
        d->cut_in = "boot";
        return STEP_CUT;
    }
    if (err) {
        return fail(d, "I1: nothing boots after a cut in %s: %s", d->cut_in ? d->cut_in : "nothing",
                    ota_err_name(err));
    }
    pc_obs_t o = {res.partition, image_version(d, res.partition),
                  otadata_state(d, res.partition) == OTA_IMG_PENDING_VERIFY};
    for (size_t i = 0; i < d->n_allowed; i++) {
        if (matches(d, &o, &d->allowed[i])) {
            /* A record this boot had to show was checked: later operations may replace it. */
            d->model = advance(&d->allowed[i]);
            d->model.rejected = k_none;
            d->allowed[0] = d->model;
            d->n_allowed = 1;
            d->running = res.partition;
            d->cut_in = NULL;
            start_app(d);
            return STEP_OK;
        }
    }
    char want[MAX_ALLOWED * 96] = "";
    for (size_t i = 0; i < d->n_allowed; i++) {
        char one[96];
        describe(&d->allowed[i], one, sizeof one);
        if (!strstr(want, one)) {
            size_t len = strlen(want);
            snprintf(want + len, sizeof want - len, "%s%s", len ? " or " : "", one);
        }
    }
    return fail(d, "after a cut in %s: booted %s v%u%s; expected %s", d->cut_in ? d->cut_in : "nothing",
                res.partition->label, (unsigned)o.version, o.trial ? " first trial" : "", want);
}

/* ---- The update, with the app's own resume record in nvs --------------------------- */

static uint32_t rec_slot(const pc_dev_t *d)
{
    return d->od.sim.flash.write_size > 32u ? d->od.sim.flash.write_size : 32u;
}

/* Walk the record log: the last valid record, and the first free slot (or count). */
static ota_err_t rec_scan(const pc_dev_t *d, uint8_t last[REC_LEN], uint32_t *free_slot)
{
    uint32_t n = d->od.sim.flash.sector_size / rec_slot(d);
    memset(last, 0, REC_LEN);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t r[REC_LEN], blank[REC_LEN];
        memset(blank, 0xFF, sizeof blank);
        ota_err_t err = ota_flash_read(d->od.flash, d->nvs->offset + i * rec_slot(d), r, sizeof r);
        if (err) {
            return err;
        }
        if (!memcmp(r, blank, sizeof r)) {
            *free_slot = i;
            return OTA_OK;
        }
        uint32_t magic, crc;
        memcpy(&magic, r, 4);
        memcpy(&crc, r + 16, 4);
        if (magic == REC_MAGIC && crc == ota_crc32_le(0, r, 16)) {
            memcpy(last, r, REC_LEN);
        }
    }
    *free_slot = n;
    return OTA_OK;
}

static uint32_t resume_offset(const pc_dev_t *d, const ota_partition_t *p, uint32_t version)
{
    uint8_t r[REC_LEN];
    uint32_t free_slot, rec[3];
    if (rec_scan(d, r, &free_slot) != OTA_OK) {
        return 0;
    }
    memcpy(rec, r + 4, sizeof rec);
    return rec[0] == version && rec[1] == p->subtype ? rec[2] : 0;
}

static ota_err_t save_record(const pc_dev_t *d, const ota_partition_t *p, uint32_t version,
                             uint32_t offset)
{
    uint8_t r[REC_LEN], buf[256];
    uint32_t free_slot;
    ota_err_t err = rec_scan(d, r, &free_slot);
    if (!err && free_slot * rec_slot(d) >= d->od.sim.flash.sector_size) {
        err = ota_flash_erase_range(d->od.flash, d->nvs->offset, d->od.sim.flash.sector_size);
        free_slot = 0;
    }
    uint32_t fields[4] = {REC_MAGIC, version, p->subtype, offset};
    memset(buf, 0xFF, sizeof buf);
    memcpy(buf, fields, sizeof fields);
    uint32_t crc = ota_crc32_le(0, buf, 16);
    memcpy(buf + 16, &crc, 4);
    return err ? err : ota_flash_write(d->od.flash, d->nvs->offset + free_slot * rec_slot(d), buf,
                                       rec_slot(d));
}

/* What an update must leave alone (I2): the running partition and the active entry. */
static void snapshot_update(pc_dev_t *d)
{
    const uint8_t *od = d->od.sim.mem + d->od.otadata->offset;
    uint32_t copy = ota_otadata_copy_size(&d->od.sim.flash);
    ota_select_entry_t e[2];
    ota_select_entry_decode(od, &e[0]);
    ota_select_entry_decode(od + copy, &e[1]);
    d->active_copy = ota_otadata_active(e);
    if (d->active_copy >= 0) {
        memcpy(d->active_entry, od + (uint32_t)d->active_copy * copy, OTA_OTADATA_ENTRY_SIZE);
    }
    memcpy(d->shadow, d->od.sim.mem + d->running->offset, d->running->size);
}

static pc_step_t check_update_kept(pc_dev_t *d)
{
    const uint8_t *od = d->od.sim.mem + d->od.otadata->offset;
    uint32_t copy = ota_otadata_copy_size(&d->od.sim.flash);
    if (memcmp(d->shadow, d->od.sim.mem + d->running->offset, d->running->size) != 0) {
        return fail(d, "I2: a cut in an update changed the running partition %s", d->running->label);
    }
    if (d->active_copy >= 0 &&
        memcmp(d->active_entry, od + (uint32_t)d->active_copy * copy, OTA_OTADATA_ENTRY_SIZE) != 0) {
        return fail(d, "I2: a cut in an update changed the active otadata entry");
    }
    return STEP_CUT;
}

/* Write image `version` into p from `offset` (0: ota_begin, else ota_resume), then ota_end. */
static ota_err_t write_image(pc_dev_t *d, const ota_partition_t *p, uint32_t version,
                             uint32_t offset)
{
    const tu_image_t *img = &d->images[version];
    uint32_t size = (uint32_t)img->len;
    uint32_t every = d->od.sim.flash.sector_size > CHUNK ? d->od.sim.flash.sector_size : CHUNK;
    ota_session_t s;
    ota_err_t err = offset ? ota_resume(&d->app, &s, p, offset)
                           : ota_begin(&d->app, &s, p, d->sc->erase, size);
    if (err) {
        return err;
    }
    while (!err && offset < size) {
        uint32_t n = size - offset < CHUNK ? size - offset : CHUNK;
        err = ota_write(&s, img->data + offset, n);
        offset += n;
        if (!err && d->sc->resume && offset % every == 0 && offset < size) {
            err = save_record(d, p, version, offset);
        }
    }
    if (err) {
        (void)ota_abort(&s);
        return err;
    }
    return ota_end(&s);
}

static pc_step_t install(pc_dev_t *d, const ota_partition_t *p, uint32_t version)
{
    snapshot_update(d);
    uint32_t offset = d->sc->resume ? resume_offset(d, p, version) : 0;
    ota_err_t err = write_image(d, p, version, offset);
    if (err && offset && powered(d)) {
        err = write_image(d, p, version, 0); /* the record did not match the flash: start over */
    }
    if (!powered(d)) {
        d->cut_in = "update";
        d->n_allowed = 1;
        d->allowed[0] = d->model;
        return check_update_kept(d);
    }
    return err ? fail(d, "update of %s failed: %s", p->label, ota_err_name(err)) : STEP_OK;
}

static pc_step_t set_boot(pc_dev_t *d, const ota_partition_t *p, uint32_t version)
{
    pc_model_t after = d->model;
    pc_img_t img = {p, version};
    after.rejected = k_none;
    if (!d->sc->rollback) {
        after.confirmed = img; /* UNDEFINED: no trial, it simply boots */
    } else {
        if (p == after.confirmed.part) {
            after.confirmed = fallback(d); /* the running image becomes a trial again */
        }
        after.pending = img;
        after.trial = false;
    }
    pc_step_t r = finish(d, "set_boot_partition", ota_set_boot_partition(&d->app, p), &after);
    return r == STEP_OK ? STEP_REBOOT : r;
}

/* ---- The app ------------------------------------------------------------------------ */

static pc_step_t first_trial(pc_dev_t *d)
{
    pc_model_t after = d->model;
    switch (d->sc->trial) {
    case PC_CONFIRM:
        after.confirmed = after.pending;
        after.pending = k_none;
        after.trial = false;
        return finish(d, "mark_valid", ota_mark_app_valid(&d->app), &after);
    case PC_REJECT: {
        after.rejected = after.pending;
        after.pending = k_none;
        after.trial = false;
        pc_step_t r = finish(d, "mark_invalid", ota_mark_app_invalid(&d->app), &after);
        return r == STEP_OK ? STEP_REBOOT : r; /* esp_ota_mark_app_invalid_rollback_and_reboot */
    }
    case PC_CRASH:
        break;
    }
    return STEP_REBOOT; /* it dies before confirming */
}

/* Update to `version` unless it already runs confirmed; a staged copy is reused. */
static pc_step_t cmd_update(pc_dev_t *d, uint32_t version)
{
    if (same_img(d->model.confirmed, (pc_img_t){d->running, version})) {
        return STEP_DONE;
    }
    const ota_partition_t *p = ota_get_next_update_partition(&d->app, NULL);
    pc_step_t r = holds(d, p, version) ? STEP_OK : install(d, p, version);
    return r == STEP_OK ? set_boot(d, p, version) : r;
}

/* invalidate_inactive / erase_last_boot_app until the inactive copy holds nothing. */
static pc_step_t cmd_drop_inactive(pc_dev_t *d, bool erase_app)
{
    ota_select_entry_t e[2];
    ota_err_t err = ota_otadata_read(d->od.flash, d->od.otadata, e);
    int a = err ? -1 : ota_otadata_active(e);
    if (a < 0) {
        return fail(d, "no active otadata entry: %s", ota_err_name(err));
    }
    if (ota_select_entry_is_initial(&e[1 - a])) {
        return STEP_DONE;
    }
    err = erase_app ? ota_erase_last_boot_app_partition(&d->app)
                    : ota_invalidate_inactive_ota_data_slot(&d->app);
    pc_step_t r = finish(d, erase_app ? "erase_last_boot_app" : "invalidate_inactive", err, &d->model);
    return r == STEP_OK ? STEP_DONE : r;
}

static pc_step_t cmd_factory(pc_dev_t *d)
{
    if (d->running == d->factory) {
        return STEP_DONE;
    }
    pc_model_t after = {.confirmed = {d->factory, 0}};
    pc_step_t r = finish(d, "set_boot_partition(factory)", ota_set_boot_partition(&d->app, d->factory),
                         &after);
    return r == STEP_OK ? STEP_REBOOT : r;
}

static pc_step_t command(pc_dev_t *d)
{
    switch (d->sc->cmd) {
    case PC_CMD_UPDATE:
        return cmd_update(d, d->sc->final_version);
    case PC_CMD_NONE:
        return STEP_DONE;
    case PC_CMD_SET_BOOT_SAME:
        if (!d->cmd_done) {
            d->cmd_done = true; /* asked once; after a cut it simply updates back */
            return set_boot(d, d->running, d->model.confirmed.version);
        }
        return cmd_update(d, d->sc->final_version);
    case PC_CMD_INVALIDATE:
        return cmd_drop_inactive(d, false);
    case PC_CMD_ERASE_LAST:
        return cmd_drop_inactive(d, true);
    case PC_CMD_FACTORY:
        return cmd_factory(d);
    }
    return fail(d, "unknown command");
}

/* What the app does after a boot, until it reboots, finishes or loses power. */
static pc_step_t app(pc_dev_t *d)
{
    pc_step_t r = STEP_OK;
    if (d->model.pending.part == d->running && d->model.trial) {
        r = first_trial(d);
    } else if (!d->sc->rollback && otadata_state(d, d->running) == OTA_IMG_UNDEFINED &&
               d->running != d->factory) {
        /* Without rollback the app still confirms itself (UNDEFINED -> VALID). */
        r = finish(d, "mark_valid", ota_mark_app_valid(&d->app), &d->model);
    }
    return r == STEP_OK ? command(d) : r;
}

/* ---- Runs ------------------------------------------------------------------------------- */

/* Count mutations from here; arm the next cut, if any. */
static void arm(pc_dev_t *d)
{
    d->mark = d->od.sim.stats.mutations;
    d->log_mark = d->od.log.count;
    d->od.sim.cut = (ota_simflash_cut_t){0};
    if (d->next_cut < d->n_cuts) {
        const pc_cut_t *c = &d->cuts[d->next_cut++];
        d->od.sim.cut = (ota_simflash_cut_t){d->mark + c->k, c->torn, c->garbage, c->seed};
    }
}

static void tail_ops(const pc_dev_t *d, pc_oplist_t *tail)
{
    tail->count = 0;
    for (size_t i = d->log_mark; i < d->od.log.count; i++) {
        if (tail->count == tail->cap) {
            tail->cap = tail->cap ? 2 * tail->cap : 64;
            tail->ops = realloc(tail->ops, tail->cap * sizeof *tail->ops);
            if (!tail->ops) {
                abort();
            }
        }
        const tu_flashlog_op_t *op = &d->od.log.ops[i];
        tail->ops[tail->count++] = (pc_op_t){op->kind == TU_FLASHLOG_ERASE, op->addr, op->len};
    }
}

void pc_oplist_free(pc_oplist_t *l)
{
    free(l->ops);
    *l = (pc_oplist_t){0};
}

/* The scenario has done its job: one more boot, without cuts, must agree. */
static bool finish_run(pc_dev_t *d, pc_oplist_t *tail)
{
    if (tail) {
        tail_ops(d, tail);
    }
    d->od.sim.cut = (ota_simflash_cut_t){0};
    if (boot(d) != STEP_OK) {
        return false;
    }
    if (d->model.pending.part || d->model.confirmed.version != d->sc->final_version ||
        d->running != d->model.confirmed.part) {
        char got[96];
        describe(&d->model, got, sizeof got);
        fail(d, "ended with %s running %s, expected v%u confirmed", got, d->running->label,
             (unsigned)d->sc->final_version);
        return false;
    }
    return true;
}

static bool run_loop(pc_dev_t *d, bool at_boot, pc_oplist_t *tail)
{
    for (unsigned boots = 0; boots <= BOOT_BUDGET; boots++) {
        pc_step_t r = at_boot ? boot(d) : STEP_OK;
        if (r == STEP_OK) {
            r = app(d);
        }
        if (r == STEP_FAIL) {
            return false;
        }
        if (r == STEP_DONE) {
            return finish_run(d, tail);
        }
        if (r == STEP_CUT) {
            ota_simflash_power_on(&d->od.sim);
            arm(d);
        }
        at_boot = true;
    }
    fail(d, "no progress after %u boots", BOOT_BUDGET);
    return false;
}

bool pc_dev_run(pc_dev_t *d, const pc_cut_t *cuts, size_t n, char *why, size_t why_len,
                pc_oplist_t *tail)
{
    memcpy(d->od.sim.mem, d->start_flash, d->od.sim.flash.size);
    ota_simflash_power_on(&d->od.sim);
    tu_flashlog_clear(&d->od.log);
    d->model = d->start_model;
    d->allowed[0] = d->model;
    d->n_allowed = 1;
    d->running = d->start_running;
    d->cut_in = NULL;
    d->cmd_done = false;
    d->failed = false;
    d->why = why;
    d->why_len = why_len;
    d->cuts = cuts;
    d->n_cuts = n;
    d->next_cut = 0;
    if (why_len) {
        why[0] = '\0';
    }
    if (!d->start_at_boot) {
        start_app(d);
    }
    arm(d);
    return run_loop(d, d->start_at_boot, tail);
}

/* ---- Start states --------------------------------------------------------------------- */

/* One step of building the start state: it must succeed. */
static void must(pc_dev_t *d, pc_step_t r, pc_step_t want, const char *what)
{
    if (r != want) {
        fprintf(stderr, "powercut: setting up %s: %s failed: %s\n", d->sc->name, what,
                d->why ? d->why : "");
        abort();
    }
}

/* The app of the start state confirms whatever boots unconfirmed. */
static void setup_confirm(pc_dev_t *d)
{
    pc_model_t after = d->model;
    if (after.pending.part) {
        after.confirmed = after.pending;
        after.pending = k_none;
        after.trial = false;
    }
    must(d, finish(d, "mark_valid", ota_mark_app_valid(&d->app), &after), STEP_OK, "mark_valid");
}

/* Install `version` in p (the next slot if NULL) and go on up to `stop`. */
static void setup_update(pc_dev_t *d, const ota_partition_t *p, uint32_t version, pc_start_t stop)
{
    p = p ? p : ota_get_next_update_partition(&d->app, NULL);
    must(d, install(d, p, version), STEP_OK, "install");
    if (stop == PC_START_STAGED) {
        return;
    }
    must(d, set_boot(d, p, version), STEP_REBOOT, "set_boot");
    if (stop == PC_START_NEW) {
        return;
    }
    must(d, boot(d), STEP_OK, "boot");
    if (stop != PC_START_TRIAL) {
        setup_confirm(d);
    }
}

static void setup(pc_dev_t *d)
{
    d->why = d->setup_why;
    d->why_len = sizeof d->setup_why;
    tu_otadev_put(&d->od, "factory", d->images[0].data, d->images[0].len);
    d->model = (pc_model_t){.confirmed = {d->factory, 0}};
    d->allowed[0] = d->model;
    d->n_allowed = 1;
    must(d, boot(d), STEP_OK, "first boot");
    /* Image 1 goes to the last slot, so the update wraps around to ota_0. */
    setup_update(d, ota_partition_ota_slot(&d->od.table, d->inst.slots - 1), 1, PC_START_RUNNING);
    pc_start_t s = d->sc->start;
    if (s != PC_START_RUNNING) {
        setup_update(d, NULL, 2, s == PC_START_UPDATED2 ? PC_START_UPDATED : s);
    }
    if (s == PC_START_UPDATED2) {
        setup_update(d, NULL, 3, s);
    }
}

pc_dev_t *pc_dev_new(const pc_inst_t *inst)
{
    pc_dev_t *d = calloc(1, sizeof *d);
    if (!d) {
        abort();
    }
    d->inst = *inst;
    d->sc = inst->sc;
    tu_otadev_opts_t opts = {.app_count = inst->slots,
                             .has_factory = true,
                             .write_size = inst->geom->write,
                             .sector_size = inst->geom->sector,
                             .app_size = inst->image_size,
                             .tight_flash = true,
                             .writes = inst->writes};
    tu_otadev_init(&d->od, &opts);
    for (uint32_t v = 0; v < 4; v++) {
        d->images[v] = tu_app_image(OTA_CHIP_ESP32, "powercut", v, v == 2 ? inst->image_size : SMALL_IMAGE);
    }
    d->factory = tu_otadev_part(&d->od, "factory");
    d->nvs = tu_otadev_part(&d->od, "nvs");
    d->shadow = malloc(d->factory->size);
    if (!d->shadow) {
        abort();
    }
    tu_otadev_ctx(&d->od, &d->verify, NULL, d->sc->rollback);
    setup(d);
    d->start_model = d->model;
    d->start_running = d->running;
    d->start_at_boot = inst->sc->start == PC_START_NEW;
    d->start_flash = malloc(d->od.sim.flash.size);
    if (!d->start_flash) {
        abort();
    }
    memcpy(d->start_flash, d->od.sim.mem, d->od.sim.flash.size);
    return d;
}

void pc_dev_free(pc_dev_t *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        tu_image_free(&d->images[i]);
    }
    tu_otadev_free(&d->od);
    free(d->start_flash);
    free(d->shadow);
    free(d);
}

bool pc_dev_in_otadata(const pc_dev_t *d, uint32_t addr)
{
    return addr >= d->od.otadata->offset && addr - d->od.otadata->offset < d->od.otadata->size;
}
