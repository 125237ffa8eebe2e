/*
 * erase_count and wear: erases of one update cycle and per-sector wear after
 * 100 consecutive A/B cycles (update the other slot, reboot into it, and with
 * rollback confirm it), starting with an image in each slot. The minimum per
 * cycle is the image's sectors plus one otadata sector; over 100 cycles each
 * slot takes 50 updates and each otadata sector 50 of the 100 entry writes.
 */
#include <stdio.h>

#include "benchmarks.h"

#define SLOT_SIZE 0x180000u
#define IMAGE_SIZE BENCH_MIB
#define CYCLES 100u

typedef struct wear {
    uint32_t max;
    double mean;
    uint64_t total;
} wear_t;

/* Wear statistics over the sectors of n partitions. */
static wear_t region_wear(const bench_dev_t *d, const ota_partition_t *const *parts, size_t n)
{
    wear_t w = {0, 0, 0};
    uint32_t sectors = 0;
    for (size_t i = 0; i < n; i++) {
        for (uint32_t s = parts[i]->offset / 0x1000u; s < (parts[i]->offset + parts[i]->size) / 0x1000u; s++) {
            uint32_t e = d->sim.wear[s];
            w.max = e > w.max ? e : w.max;
            w.total += e;
            sectors++;
        }
    }
    w.mean = sectors ? (double)w.total / sectors : 0;
    return w;
}

/* One A/B cycle from the running slot; returns the new running slot. */
static const ota_partition_t *cycle(bench_dev_t *d, const ota_partition_t *running, bool rollback,
                                    const bench_img_t *img)
{
    bench_dev_ctx(d, running, rollback);
    const ota_partition_t *target = ota_get_next_update_partition(&d->ctx, NULL);
    bench_update(&d->ctx, target, OTA_ERASE_SEQUENTIAL, img);
    running = bench_boot(d, rollback, true);
    if (running != target) {
        bench_check(OTA_ERR_IO, "the update did not boot");
    }
    if (rollback) {
        bench_dev_ctx(d, running, rollback);
        bench_check(ota_mark_app_valid(&d->ctx), "ota_mark_app_valid");
    }
    return running;
}

static void report_region(const char *name, wear_t w, double limit)
{
    char details[96];
    snprintf(details, sizeof details, "mean=%.2f total=%llu", w.mean, (unsigned long long)w.total);
    bench_report(name, w.max, limit, "erases", details);
}

static void run(const bench_sha_t *sha, bool rollback, const bench_img_t *imgs)
{
    bench_dev_t d;
    bench_dev_open(&d, BENCH_RAM, SLOT_SIZE, sha->fastest, false);
    bench_dev_put(&d, d.slot[0], &imgs[0]);
    bench_dev_put(&d, d.slot[1], &imgs[1]);
    const ota_partition_t *slots[2] = {d.slot[0], d.slot[1]};
    const char *suffix = rollback ? ".rollback" : "";
    char name[64], details[96];

    const ota_partition_t *running = bench_boot(&d, rollback, true);
    running = cycle(&d, running, rollback, &imgs[1]); /* otadata gets both entries: steady state */
    bench_dev_reset_counts(&d);
    running = cycle(&d, running, rollback, &imgs[0]);
    wear_t s = region_wear(&d, slots, 2), o = region_wear(&d, &d.otadata, 1);
    snprintf(name, sizeof name, "erase_count.update%s", suffix);
    snprintf(details, sizeof details, "slots=%llu otadata=%llu", (unsigned long long)s.total,
             (unsigned long long)o.total);
    bench_report(name, (double)(s.total + o.total), bench_sectors((uint32_t)imgs[1].len) + 1,
                 "erases", details);

    bench_dev_reset_counts(&d);
    for (unsigned i = 0; i < CYCLES; i++) {
        running = cycle(&d, running, rollback, &imgs[i % 2]);
    }
    snprintf(name, sizeof name, "wear.x%u.slots%s", CYCLES, suffix);
    report_region(name, region_wear(&d, slots, 2), CYCLES / 2);
    snprintf(name, sizeof name, "wear.x%u.otadata%s", CYCLES, suffix);
    report_region(name, region_wear(&d, &d.otadata, 1), CYCLES / 2);
    bench_dev_close(&d);
}

void bench_erase_count(const bench_sha_t *sha)
{
    bench_img_t imgs[2] = {bench_image("1.0", IMAGE_SIZE), bench_image("2.0", IMAGE_SIZE)};
    run(sha, false, imgs);
    run(sha, true, imgs);
    bench_image_free(&imgs[0]);
    bench_image_free(&imgs[1]);
}
