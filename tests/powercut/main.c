/*
 * build/powercut: the power-loss sweep (docs/DESIGN.md, "Power-loss safety").
 *
 *   powercut [--sample | --full] [--only ID_PREFIX] [--random N [--seed S] [--max-cuts C]]
 *            [--log FILE]
 *   powercut --replay ID
 *
 * Both write modes run: ESP-IDF's exact sequence (faithful) first, its
 * violations summarised, then libota's default (hardened). The last line is
 *   powercut: scenarios=S cut_points=N torn_variants=T double_cuts=D violations=V
 * for the hardened mode; exit status 0 when V is 0. Every violation has an id
 * that `--replay ID` runs again; --log FILE lists them all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "powercut.h"

#define MAX_GROUPS 64u

/* Faithful-mode violations, grouped by scenario and what broke. */
typedef struct group {
    char key[160];
    char example[256];
    char why[512];
    unsigned count;
} group_t;

typedef struct report {
    bool hardened;
    FILE *log;
    group_t groups[MAX_GROUPS];
    size_t n_groups;
} report_t;

static void add_to_group(report_t *r, const char *id, const char *why)
{
    char key[160];
    const char *colon = strchr(why, ':');
    int scen = (int)strcspn(id, "/");
    snprintf(key, sizeof key, "%.*s: %.*s", scen, id, colon ? (int)(colon - why) : (int)strlen(why),
             why);
    for (size_t i = 0; i < r->n_groups; i++) {
        if (!strcmp(r->groups[i].key, key)) {
            r->groups[i].count++;
            return;
        }
    }
    if (r->n_groups < MAX_GROUPS) {
        group_t *g = &r->groups[r->n_groups++];
        snprintf(g->key, sizeof g->key, "%s", key);
        snprintf(g->example, sizeof g->example, "%s", id);
        snprintf(g->why, sizeof g->why, "%s", why);
        g->count = 1;
    }
}

static void on_violation(void *ctx, const char *id, const char *why)
{
    report_t *r = ctx;
    if (r->log) {
        fprintf(r->log, "%s %s: %s\n", r->hardened ? "hardened" : "faithful", id, why);
    }
    if (r->hardened) {
        printf("VIOLATION %s: %s\n", id, why);
        fflush(stdout);
    } else {
        add_to_group(r, id, why);
    }
}

static int replay(const char *id)
{
    char why[512];
    bool violated;
    if (!pc_replay(id, &violated, why, sizeof why)) {
        fprintf(stderr, "powercut: bad id '%s': %s\n", id, why);
        return 2;
    }
    printf("%s: %s\n", id, violated ? why : "no violation");
    return violated ? 1 : 0;
}

typedef struct options {
    pc_level_t level;
    unsigned random_runs, max_cuts;
    uint64_t seed;
    const char *log, *only;
} options_t;

static void run_mode(const options_t *o, report_t *r, ota_writes_t writes, pc_totals_t *t)
{
    r->hardened = writes == OTA_WRITES_HARDENED;
    pc_sweep(o->level, writes, o->only, t, on_violation, r);
    if (o->random_runs) {
        pc_random(o->seed, o->random_runs, o->max_cuts, writes, t, on_violation, r);
    }
}

static void print_faithful(const report_t *r, const pc_totals_t *t)
{
    for (size_t i = 0; i < r->n_groups; i++) {
        const group_t *g = &r->groups[i];
        printf("faithful: %u x %s\n    e.g. %s\n    %s\n", g->count, g->key, g->example, g->why);
    }
    printf("faithful (ESP-IDF's write sequence): scenarios=%" PRIu64 " cut_points=%" PRIu64
           " torn_variants=%" PRIu64 " double_cuts=%" PRIu64 " random_runs=%" PRIu64
           " violations=%" PRIu64 "\n",
           t->scenarios, t->cut_points, t->torn_variants, t->double_cuts, t->random_runs,
           t->violations);
}

static bool parse_args(int argc, char **argv, options_t *o, const char **replay_id)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(a, "--sample")) {
            o->level = PC_SAMPLE;
        } else if (!strcmp(a, "--full")) {
            o->level = PC_FULL;
        } else if (!strcmp(a, "--random") && has_value) {
            o->random_runs = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--seed") && has_value) {
            o->seed = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--max-cuts") && has_value) {
            o->max_cuts = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--only") && has_value) {
            o->only = argv[++i];
        } else if (!strcmp(a, "--log") && has_value) {
            o->log = argv[++i];
        } else if (!strcmp(a, "--replay") && has_value) {
            *replay_id = argv[++i];
        } else {
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    options_t o = {.level = PC_SAMPLE, .max_cuts = 4, .seed = 1};
    const char *replay_id = NULL;
    if (!parse_args(argc, argv, &o, &replay_id)) {
        fprintf(stderr, "usage: powercut [--sample | --full] [--only ID_PREFIX]"
                        " [--random N [--seed S] [--max-cuts C]] [--log FILE]\n"
                        "       powercut --replay ID\n");
        return 2;
    }
    if (replay_id) {
        return replay(replay_id);
    }
    static report_t r;
    r.log = o.log ? fopen(o.log, "w") : NULL;
    if (o.log && !r.log) {
        perror(o.log);
        return 2;
    }
    time_t start = time(NULL);
    pc_totals_t faithful = {0}, hardened = {0};
    run_mode(&o, &r, OTA_WRITES_FAITHFUL, &faithful);
    print_faithful(&r, &faithful);
    run_mode(&o, &r, OTA_WRITES_HARDENED, &hardened);
    if (r.log) {
        fclose(r.log);
    }
    if (o.random_runs) {
        printf("random: seed=%" PRIu64 " runs=%" PRIu64 " (up to %u cuts each) violations counted below\n",
               o.seed, hardened.random_runs, o.max_cuts);
    }
    printf("time: %.0f s\n", difftime(time(NULL), start));
    printf("powercut: scenarios=%" PRIu64 " cut_points=%" PRIu64 " torn_variants=%" PRIu64
           " double_cuts=%" PRIu64 " violations=%" PRIu64 "\n",
           hardened.scenarios, hardened.cut_points, hardened.torn_variants, hardened.double_cuts,
           hardened.violations);
    return hardened.violations ? 1 : 0;
}
