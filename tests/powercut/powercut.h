/*
 * The power-loss runner: every OTA state transition of a simulated device,
 * cut at every flash mutation (torn writes and partial erases included), the
 * device rebooted through the real boot decision and continued as a device
 * would, with invariants checked after every cut (docs/DESIGN.md,
 * "Power-loss safety"). Used by build/powercut and tests/test_powercut.c.
 *
 * A case is named by an id that replays it exactly:
 *   SCENARIO/GEOMETRY/SLOTS/IMAGE/MODE:CUTS
 *   e.g. mark_valid/4k-w16/2/4K/faithful:2e32g7+3w16
 * CUTS is a '+' list; each cut counts mutations (writes and erases) from the
 * scenario start or from the power-on after the previous cut:
 *   K      mutation K does not happen (power lost just before it)
 *   KwT    write K programs only its first T bytes
 *   KeT    erase K sets only the first T bytes of the sector to 0xFF
 *   KeTgS  ... and the rest of the sector reads as junk from seed S
 */
#ifndef OTA_TEST_POWERCUT_H
#define OTA_TEST_POWERCUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/otadata.h"

/* What a run did and found. Every number is counted in that run. */
typedef struct pc_totals {
    uint64_t scenarios;     /* instances: scenario x geometry x slots x image size */
    uint64_t cut_points;    /* single cuts between mutations */
    uint64_t torn_variants; /* single cuts inside a mutation (torn write, partial erase) */
    uint64_t double_cuts;   /* a first cut, then a second one while the device recovers */
    uint64_t random_runs;   /* seeded runs with several cuts */
    uint64_t violations;
} pc_totals_t;

/* SAMPLE: every scenario and geometry, every single cut of the smallest
 * image, and the double cuts on 4 KiB sectors with 16-byte writes.
 * FULL: also 3 and 16 slots, 64 KiB and 1 MiB images, all double cuts. */
typedef enum pc_level { PC_SAMPLE, PC_FULL } pc_level_t;

/* Called for every violation: the case id and what went wrong. */
typedef void (*pc_report_fn)(void *ctx, const char *id, const char *what);

/* Run the sweep in one write mode, adding to *t; `only` (NULL: all) keeps the
 * instances whose id starts with it, e.g. "mark_valid/4k-w1". */
void pc_sweep(pc_level_t level, ota_writes_t writes, const char *only, pc_totals_t *t,
              pc_report_fn report, void *ctx);

/* `runs` seeded runs of 1..max_cuts cuts each over random small instances. */
void pc_random(uint64_t seed, unsigned runs, unsigned max_cuts, ota_writes_t writes,
               pc_totals_t *t, pc_report_fn report, void *ctx);

/*
 * Run the case `id`. Returns false if the id does not parse (why says where);
 * else *violated tells whether an invariant broke and why describes it.
 */
bool pc_replay(const char *id, bool *violated, char *why, size_t why_len);

/* ---- Timing the runner (bench/bench_powercut.c) ----------------------------
 * The bench compares what an explored cut costs with a run of the same
 * instance without a cut, on a device built once (pc_replay builds one per
 * call). An instance id is a case id without cuts ("...:"). */

/* Called with the id of every instance pc_sweep(level, writes, only) runs, in its order. */
typedef void (*pc_instance_fn)(void *ctx, const char *id);
void pc_instances(pc_level_t level, ota_writes_t writes, const char *only, pc_instance_fn fn,
                  void *ctx);

/* The device of instance `id`, built once in the scenario's start state.
 * NULL if the id does not parse or has cuts (why says so). */
typedef struct pc_dev pc_dev_t;
pc_dev_t *pc_open(const char *id, char *why, size_t why_len);

/* One run of the scenario without a cut, from the start state through every
 * reboot to its end, invariants checked. false if one broke (why says which). */
bool pc_run_uncut(pc_dev_t *d, char *why, size_t why_len);

void pc_close(pc_dev_t *d);

#endif
