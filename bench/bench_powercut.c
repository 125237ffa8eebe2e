/*
 * powercut_rate.{hardened,faithful}: how fast the power-loss runner
 * (tests/powercut) explores power cuts, over the sample `make test` runs
 * (PC_SAMPLE), in libota's default otadata writes (hardened) and in ESP-IDF's
 * sequence (faithful).
 *
 * value: explored cuts per CPU second of the whole sweep. An explored cut is
 *   one simulated power loss, then the reboots, the rest of the scenario and
 *   the invariant checks: cut_points + torn_variants + double_cuts +
 *   random_runs (the sample has no random runs). The sweep's time includes
 *   what the runner spends besides cuts: building each instance's device and
 *   the uncut run that lists where cuts go.
 * limit: the rate if every explored cut cost exactly one uncut run of its
 *   instance (the scenario from its start state to the end, every reboot and
 *   check, no cut), that run timed on a device built once:
 *   explored / sum over instances of (explored_i x uncut_i).
 * ratio = value / limit: 1 means a cut costs one clean run of its scenario.
 *
 * Every instance is swept alone (pc_sweep with its id as `only`) and its
 * uncut run timed right after, so both see the same caches and machine load.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "benchmarks.h"
#include "powercut.h"

#define UNCUT_ROUNDS 15u

typedef struct violations {
    uint64_t count;
    char first_id[256], first_why[512];
} violations_t;

typedef struct mode_run {
    ota_writes_t writes;
    pc_totals_t t;
    double sweep_ns;       /* CPU time of the sweeps */
    double uncut_equiv_ns; /* sum of explored_i x uncut_i */
    violations_t v;
} mode_run_t;

static void die(const char *what, const char *id, const char *why)
{
    fprintf(stderr, "bench: powercut_rate: %s %s: %s\n", what, id, why);
    exit(1);
}

static void on_violation(void *ctx, const char *id, const char *why)
{
    violations_t *v = ctx;
    if (!v->count++) {
        snprintf(v->first_id, sizeof v->first_id, "%s", id);
        snprintf(v->first_why, sizeof v->first_why, "%s", why);
    }
}

static uint64_t explored(const pc_totals_t *t)
{
    return t->cut_points + t->torn_variants + t->double_cuts + t->random_runs;
}

static void add_totals(pc_totals_t *sum, const pc_totals_t *t)
{
    sum->scenarios += t->scenarios;
    sum->cut_points += t->cut_points;
    sum->torn_variants += t->torn_variants;
    sum->double_cuts += t->double_cuts;
    sum->random_runs += t->random_runs;
    sum->violations += t->violations;
}

typedef struct uncut {
    pc_dev_t *d;
    const char *id;
} uncut_t;

/* A clean run explored cuts are compared with: it must hold every invariant. */
static void uncut_task(void *arg)
{
    const uncut_t *u = arg;
    char why[512];
    if (!pc_run_uncut(u->d, why, sizeof why)) {
        die("uncut run failed", u->id, why);
    }
}

/* Median CPU ns of one uncut run of instance id, on a device built once (untimed). */
static double uncut_ns(const char *id)
{
    char why[512];
    uncut_t u = {pc_open(id, why, sizeof why), id};
    if (!u.d) {
        die("cannot open instance", id, why);
    }
    bench_task_t task = {uncut_task, &u};
    double ns;
    bench_interleave(&task, 1, UNCUT_ROUNDS, &ns, NULL);
    pc_close(u.d);
    return ns;
}

/* pc_instance_fn: sweep one instance, then time its uncut run. */
static void measure_instance(void *ctx, const char *id)
{
    mode_run_t *m = ctx;
    pc_totals_t t = {0};
    uint64_t t0 = bench_now_ns();
    pc_sweep(PC_SAMPLE, m->writes, id, &t, on_violation, &m->v);
    m->sweep_ns += (double)(bench_now_ns() - t0);
    if (explored(&t)) { /* none when its uncut run already broke an invariant */
        m->uncut_equiv_ns += (double)explored(&t) * uncut_ns(id);
    }
    add_totals(&m->t, &t);
}

static void report_mode(const char *name, const mode_run_t *m)
{
    const pc_totals_t *t = &m->t;
    double n = (double)explored(t);
    char details[768];
    int w = snprintf(details, sizeof details,
                     "instances=%" PRIu64 " cut_points=%" PRIu64 " torn_variants=%" PRIu64
                     " double_cuts=%" PRIu64 " random_runs=%" PRIu64 " violations=%" PRIu64
                     " sweep_cpu_s=%.2f",
                     t->scenarios, t->cut_points, t->torn_variants, t->double_cuts,
                     t->random_runs, t->violations, m->sweep_ns / 1e9);
    if (m->writes == OTA_WRITES_HARDENED && t->violations && w > 0 && (size_t)w < sizeof details) {
        snprintf(details + w, sizeof details - (size_t)w,
                 " FAILED: libota's writes broke an invariant, e.g. %s", m->v.first_id);
    }
    bench_report(name, n / (m->sweep_ns / 1e9), n / (m->uncut_equiv_ns / 1e9), "cuts/s", details);
}

static void run_mode(const char *name, ota_writes_t writes)
{
    mode_run_t m = {.writes = writes};
    pc_instances(PC_SAMPLE, writes, NULL, measure_instance, &m);
    report_mode(name, &m);
    /* A power-loss bug in libota's own writes is a failure, not a figure. */
    if (writes == OTA_WRITES_HARDENED && m.t.violations) {
        die("violation (build/powercut --replay ID)", m.v.first_id, m.v.first_why);
    }
}

void bench_powercut_rate(const bench_sha_t *sha)
{
    (void)sha; /* the runner's devices hash with mbedTLS, like the tests */
    /* As `make powercut`: ESP-IDF's sequence, then libota's (whose violations end the run). */
    run_mode("powercut_rate.faithful", OTA_WRITES_FAITHFUL);
    run_mode("powercut_rate.hardened", OTA_WRITES_HARDENED);
}
