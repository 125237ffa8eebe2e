/*
 * The power-loss runner's enumeration: for an instance, one run without cuts
 * lists its mutations; then a cut at every one of them (nothing of it
 * happens), every torn variant (a prefix of a write at write-unit boundaries,
 * a partially erased sector with and without junk), and for otadata
 * transitions every second cut during what the device does after the first.
 * Case ids and their parser live here too (format in powercut.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_internal.h"

#define MAX_VARIANTS 512u /* a 256-byte otadata write at 1-byte granularity has 255 */
#define SMALLEST_IMAGE 0x1000u

typedef struct runner {
    pc_totals_t *t;
    pc_report_fn report;
    void *ctx;
} runner_t;

/* ---- Ids ------------------------------------------------------------------------ */

static const char *mode_name(ota_writes_t w)
{
    return w == OTA_WRITES_FAITHFUL ? "faithful" : "hardened";
}

static void format_size(uint32_t v, char *out, size_t len)
{
    if (v % 0x100000u == 0) {
        snprintf(out, len, "%" PRIu32 "M", v / 0x100000u);
    } else if (v % 0x400u == 0) {
        snprintf(out, len, "%" PRIu32 "K", v / 0x400u);
    } else {
        snprintf(out, len, "%" PRIu32, v);
    }
}

void pc_format_id(const pc_inst_t *inst, const pc_cut_t *cuts, size_t n, char *out, size_t len)
{
    char size[16];
    format_size(inst->image_size, size, sizeof size);
    int w = snprintf(out, len, "%s/%s/%u/%s/%s:", inst->sc->name, inst->geom->name, inst->slots,
                     size, mode_name(inst->writes));
    for (size_t i = 0; i < n && w > 0 && (size_t)w < len; i++) {
        const pc_cut_t *c = &cuts[i];
        w += snprintf(out + w, len - (size_t)w, "%s%" PRIu32, i ? "+" : "", c->k);
        if (c->kind && (size_t)w < len) {
            w += snprintf(out + w, len - (size_t)w, "%c%" PRIu32, c->kind, c->torn);
        }
        if (c->garbage && (size_t)w < len) {
            w += snprintf(out + w, len - (size_t)w, "g%" PRIu32, c->seed);
        }
    }
}

static bool parse_u32(const char **p, uint32_t *v)
{
    char *end;
    unsigned long x = strtoul(*p, &end, 10);
    if (end == *p || x > UINT32_MAX) {
        return false;
    }
    *v = (uint32_t)x;
    *p = end;
    return true;
}

/* One field of the id up to `stop`, copied into out. */
static bool field(const char **p, char stop, char *out, size_t len)
{
    const char *end = strchr(*p, stop);
    if (!end || (size_t)(end - *p) >= len) {
        return false;
    }
    memcpy(out, *p, (size_t)(end - *p));
    out[end - *p] = '\0';
    *p = end + 1;
    return true;
}

static bool parse_cut(const char **p, pc_cut_t *c)
{
    *c = (pc_cut_t){0};
    if (!parse_u32(p, &c->k) || c->k == 0) {
        return false;
    }
    if (**p == 'w' || **p == 'e') {
        c->kind = *(*p)++;
        if (!parse_u32(p, &c->torn)) {
            return false;
        }
    }
    if (c->kind == 'e' && **p == 'g') {
        (*p)++;
        c->garbage = true;
        return parse_u32(p, &c->seed);
    }
    return true;
}

static const pc_scenario_t *find_scenario(const char *name)
{
    for (size_t i = 0; i < pc_scenario_count; i++) {
        if (!strcmp(pc_scenarios[i].name, name)) {
            return &pc_scenarios[i];
        }
    }
    return NULL;
}

static const pc_geom_t *find_geom(const char *name)
{
    for (size_t i = 0; i < pc_geom_count; i++) {
        if (!strcmp(pc_geoms[i].name, name)) {
            return &pc_geoms[i];
        }
    }
    return NULL;
}

static bool parse_size(const char *s, uint32_t *v)
{
    if (!parse_u32(&s, v)) {
        return false;
    }
    *v *= *s == 'M' ? 0x100000u : *s == 'K' ? 0x400u : 1u;
    return *v && (*s == '\0' || s[1] == '\0');
}

bool pc_parse_id(const char *id, pc_inst_t *inst, pc_cut_t *cuts, size_t *n, char *why,
                 size_t why_len)
{
    char name[64], geom[16], slots[8], size[16], mode[16];
    const char *p = id;
    uint32_t nslots = 0;
    const char *sp = slots;
    bool ok = field(&p, '/', name, sizeof name) && field(&p, '/', geom, sizeof geom) &&
              field(&p, '/', slots, sizeof slots) && field(&p, '/', size, sizeof size) &&
              field(&p, ':', mode, sizeof mode);
    *inst = (pc_inst_t){0};
    if (!ok || !(inst->sc = find_scenario(name)) || !(inst->geom = find_geom(geom)) ||
        !parse_u32(&sp, &nslots) || nslots < 2 || nslots > 16 ||
        !parse_size(size, &inst->image_size) ||
        (strcmp(mode, "faithful") && strcmp(mode, "hardened"))) {
        snprintf(why, why_len, "expected SCENARIO/GEOMETRY/SLOTS/IMAGE/MODE:CUTS");
        return false;
    }
    inst->slots = nslots;
    inst->writes = strcmp(mode, "faithful") ? OTA_WRITES_HARDENED : OTA_WRITES_FAITHFUL;
    for (*n = 0; *p && *n < PC_MAX_CUTS; (*n)++) {
        if (!parse_cut(&p, &cuts[*n]) || (*p && *p++ != '+')) {
            snprintf(why, why_len, "bad cut list at '%s'", p);
            return false;
        }
    }
    if (*p) {
        snprintf(why, why_len, "more than %u cuts", PC_MAX_CUTS);
        return false;
    }
    return true;
}

/* ---- Cut variants --------------------------------------------------------------------- */

static uint32_t seed_of(uint32_t k, uint32_t torn)
{
    return k * 2654435761u ^ torn;
}

static size_t add_cut(pc_cut_t *out, size_t n, uint32_t k, char kind, uint32_t torn, bool garbage)
{
    if (n < MAX_VARIANTS) {
        out[n] = (pc_cut_t){k, kind, torn, garbage, garbage ? seed_of(k, torn) : 0};
        n++;
    }
    return n;
}

/*
 * Cuts inside mutation k. Otadata (and the app's records, any write of at
 * most 16 units): a prefix at every write-unit boundary. Otadata erases: six
 * partial erases (junk with nothing erased, the entry half erased, only the
 * entry erased then junk, half the sector with and without junk, all but the
 * end). Image data, where every torn variant leaves the same kind of
 * incomplete image: half the write, half the sector erased then junk.
 */
static size_t variants(const pc_dev_t *d, const pc_inst_t *inst, const pc_op_t *op, uint32_t k,
                       pc_cut_t *out)
{
    size_t n = 0;
    uint32_t w = inst->geom->write, len = op->len, units = op->len / w;
    bool otadata = pc_dev_in_otadata(d, op->addr);
    if (!op->erase && (otadata || units <= 16)) {
        for (uint32_t t = w; t < len; t += w) {
            n = add_cut(out, n, k, 'w', t, false);
        }
    } else if (!op->erase) {
        n = add_cut(out, n, k, 'w', units / 2 * w, false);
    } else if (otadata) {
        n = add_cut(out, n, k, 'e', 0, true);
        n = add_cut(out, n, k, 'e', 16, false);
        n = add_cut(out, n, k, 'e', 32, true);
        n = add_cut(out, n, k, 'e', len / 2, false);
        n = add_cut(out, n, k, 'e', len / 2, true);
        n = add_cut(out, n, k, 'e', len - 16, false);
    } else {
        n = add_cut(out, n, k, 'e', len / 2, true);
    }
    return n;
}

/* Every cut of a run whose mutations are `ops`: linear ones first, then the variants. */
static size_t all_cuts(const pc_dev_t *d, const pc_inst_t *inst, const pc_oplist_t *ops,
                       pc_cut_t **out, size_t *linear)
{
    size_t cap = ops->count * (MAX_VARIANTS + 1), n = 0;
    pc_cut_t *cuts = malloc((cap ? cap : 1) * sizeof *cuts);
    if (!cuts) {
        abort();
    }
    for (uint32_t k = 1; k <= ops->count; k++) {
        cuts[n++] = (pc_cut_t){.k = k};
    }
    *linear = n;
    for (uint32_t k = 1; k <= ops->count; k++) {
        n += variants(d, inst, &ops->ops[k - 1], k, cuts + n);
    }
    *out = cuts;
    return n;
}

/* ---- Running --------------------------------------------------------------------------- */

static bool run_case(runner_t *r, pc_dev_t *d, const pc_inst_t *inst, const pc_cut_t *cuts,
                     size_t n, pc_oplist_t *tail)
{
    char why[512];
    if (pc_dev_run(d, cuts, n, why, sizeof why, tail)) {
        return true;
    }
    char id[256];
    pc_format_id(inst, cuts, n, id, sizeof id);
    r->t->violations++;
    if (r->report) {
        r->report(r->ctx, id, why);
    }
    return false;
}

/* Every second cut after the first cut c1. */
static void double_cuts(runner_t *r, pc_dev_t *d, const pc_inst_t *inst, const pc_cut_t *c1)
{
    pc_oplist_t tail = {0};
    if (!run_case(r, d, inst, c1, 1, &tail)) {
        pc_oplist_free(&tail);
        return; /* already reported as a single cut */
    }
    pc_cut_t *second;
    size_t linear, n = all_cuts(d, inst, &tail, &second, &linear);
    for (size_t i = 0; i < n; i++) {
        pc_cut_t pair[2] = {*c1, second[i]};
        run_case(r, d, inst, pair, 2, NULL);
        r->t->double_cuts++;
    }
    free(second);
    pc_oplist_free(&tail);
}

static void run_instance(runner_t *r, const pc_inst_t *inst, bool pairs)
{
    pc_dev_t *d = pc_dev_new(inst);
    pc_oplist_t ops = {0};
    r->t->scenarios++;
    if (run_case(r, d, inst, NULL, 0, &ops)) {
        pc_cut_t *cuts;
        size_t linear, n = all_cuts(d, inst, &ops, &cuts, &linear);
        for (size_t i = 0; i < n; i++) {
            if (pairs) {
                double_cuts(r, d, inst, &cuts[i]);
            } else {
                run_case(r, d, inst, &cuts[i], 1, NULL);
            }
        }
        r->t->cut_points += linear;
        r->t->torn_variants += n - linear;
        free(cuts);
    }
    pc_oplist_free(&ops);
    pc_dev_free(d);
}


/*
 * 1 MiB images (a few hashes of the whole image per cut) on two geometries and
 * in the whole-erase, sequential and resume updates; "sized" erases like
 * "whole" up to the image size and stops at 64 KiB.
 */
static bool size_in(pc_level_t level, const pc_inst_t *inst)
{
    if (inst->image_size == SMALLEST_IMAGE) {
        return true;
    }
    return level == PC_FULL &&
           (inst->image_size < 0x100000u ||
            ((!strcmp(inst->geom->name, "4k-w16") || !strcmp(inst->geom->name, "64k-w4")) &&
             inst->sc->erase != OTA_ERASE_IMAGE_SIZE));
}

static bool selected(const pc_inst_t *inst, const char *only)
{
    char id[256];
    pc_format_id(inst, NULL, 0, id, sizeof id);
    return !only || !strncmp(id, only, strlen(only));
}

/* Double cuts for the otadata transitions, smallest image, two slots (the sample: one geometry). */
static bool pairs_in(pc_level_t level, const pc_inst_t *inst)
{
    return inst->sc->double_cuts && inst->image_size == SMALLEST_IMAGE && inst->slots == 2 &&
           (level == PC_FULL || !strcmp(inst->geom->name, "4k-w16"));
}

typedef void (*inst_fn)(void *ctx, const pc_inst_t *inst);

/* Every instance of a sweep, in order: pc_sweep runs them, pc_instances names them. */
static void for_each_instance(pc_level_t level, ota_writes_t writes, const char *only, inst_fn fn,
                              void *ctx)
{
    static const unsigned slot_counts[] = {2, 3, 16};
    static const uint32_t sizes[] = {SMALLEST_IMAGE, 0x10000, 0x100000};
    for (size_t s = 0; s < pc_scenario_count; s++) {
        const pc_scenario_t *sc = &pc_scenarios[s];
        for (size_t g = 0; g < pc_geom_count; g++) {
            for (size_t n = 0; n < (sc->vary_slots && level == PC_FULL ? 3u : 1u); n++) {
                for (size_t z = 0; z < (sc->vary_image ? 3u : 1u); z++) {
                    pc_inst_t inst = {sc, &pc_geoms[g], slot_counts[n], sizes[z], writes};
                    if (size_in(level, &inst) && selected(&inst, only)) {
                        fn(ctx, &inst);
                    }
                }
            }
        }
    }
}

typedef struct sweep {
    runner_t r;
    pc_level_t level;
} sweep_t;

static void sweep_one(void *ctx, const pc_inst_t *inst)
{
    sweep_t *s = ctx;
    run_instance(&s->r, inst, pairs_in(s->level, inst));
}

void pc_sweep(pc_level_t level, ota_writes_t writes, const char *only, pc_totals_t *t,
              pc_report_fn report, void *ctx)
{
    sweep_t s = {{t, report, ctx}, level};
    for_each_instance(level, writes, only, sweep_one, &s);
}

typedef struct naming {
    pc_instance_fn fn;
    void *ctx;
} naming_t;

static void name_one(void *ctx, const pc_inst_t *inst)
{
    naming_t *n = ctx;
    char id[256];
    pc_format_id(inst, NULL, 0, id, sizeof id);
    n->fn(n->ctx, id);
}

void pc_instances(pc_level_t level, ota_writes_t writes, const char *only, pc_instance_fn fn,
                  void *ctx)
{
    naming_t n = {fn, ctx};
    for_each_instance(level, writes, only, name_one, &n);
}

/* ---- Seeded random runs ------------------------------------------------------------------ */

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64: a seed gives the same runs on every machine */
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Pick up to max_cuts cuts one after the other among the mutations each run still makes. */
static void random_run(runner_t *r, uint64_t *seed, unsigned max_cuts, ota_writes_t writes)
{
    const pc_scenario_t *sc = &pc_scenarios[next_rand(seed) % pc_scenario_count];
    pc_inst_t inst = {sc, &pc_geoms[next_rand(seed) % pc_geom_count], 2, SMALLEST_IMAGE, writes};
    pc_dev_t *d = pc_dev_new(&inst);
    pc_cut_t cuts[PC_MAX_CUTS];
    pc_oplist_t tail = {0};
    size_t want = 1 + next_rand(seed) % (max_cuts < PC_MAX_CUTS ? max_cuts : PC_MAX_CUTS), n = 0;
    char why[512];
    bool ok = pc_dev_run(d, cuts, 0, why, sizeof why, &tail);
    while (ok && n < want && tail.count) {
        pc_cut_t *all;
        size_t linear, count = all_cuts(d, &inst, &tail, &all, &linear);
        cuts[n++] = all[next_rand(seed) % count];
        free(all);
        ok = pc_dev_run(d, cuts, n, why, sizeof why, &tail);
    }
    if (!ok) {
        char id[256];
        pc_format_id(&inst, cuts, n, id, sizeof id);
        r->t->violations++;
        if (r->report) {
            r->report(r->ctx, id, why);
        }
    }
    r->t->random_runs++;
    pc_oplist_free(&tail);
    pc_dev_free(d);
}

void pc_random(uint64_t seed, unsigned runs, unsigned max_cuts, ota_writes_t writes,
               pc_totals_t *t, pc_report_fn report, void *ctx)
{
    runner_t r = {t, report, ctx};
    for (unsigned i = 0; i < runs; i++) {
        random_run(&r, &seed, max_cuts ? max_cuts : 1, writes);
    }
}

bool pc_replay(const char *id, bool *violated, char *why, size_t why_len)
{
    pc_inst_t inst;
    pc_cut_t cuts[PC_MAX_CUTS];
    size_t n;
    if (!pc_parse_id(id, &inst, cuts, &n, why, why_len)) {
        return false;
    }
    pc_dev_t *d = pc_dev_new(&inst);
    *violated = !pc_dev_run(d, cuts, n, why, why_len, NULL);
    pc_dev_free(d);
    return true;
}

/* ---- Uncut runs, for timing ------------------------------------------------------------- */

pc_dev_t *pc_open(const char *id, char *why, size_t why_len)
{
    pc_inst_t inst;
    pc_cut_t cuts[PC_MAX_CUTS];
    size_t n;
    if (!pc_parse_id(id, &inst, cuts, &n, why, why_len)) {
        return NULL;
    }
    if (n) {
        snprintf(why, why_len, "an instance id has no cuts");
        return NULL;
    }
    return pc_dev_new(&inst);
}

bool pc_run_uncut(pc_dev_t *d, char *why, size_t why_len)
{
    return pc_dev_run(d, NULL, 0, why, why_len, NULL);
}

void pc_close(pc_dev_t *d)
{
    pc_dev_free(d);
}
