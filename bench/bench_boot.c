/*
 * boot_decision: ota_boot_select (otadata + image check) on a device whose
 * otadata designates a 1 MiB image in ota_0, with full image verification and
 * with only the descriptor read (validation skipped on power-on). The limit
 * reads the bytes the decision cannot do without, each in one flash read: the
 * two otadata entries and the image (verify: hashed once with the fastest
 * SHA-256) or its header + descriptor.
 */
#include <stdio.h>
#include <stdlib.h>

#include "benchmarks.h"

#define SLOT_SIZE 0x180000u
#define IMAGE_SIZE BENCH_MIB

typedef struct job {
    bench_dev_t *dev;
    bool verify;
    unsigned loops; /* decisions per timed round (short ones are batched) */
    uint32_t image_len;
    uint8_t *buf;
    const ota_hash_t *sha;
} job_t;

static void boot_job(void *arg)
{
    job_t *j = arg;
    for (unsigned i = 0; i < j->loops; i++) {
        if (bench_boot(j->dev, false, j->verify) != j->dev->slot[0]) {
            bench_check(OTA_ERR_IO, "boot picked another slot");
        }
    }
}

static void limit_job(void *arg)
{
    job_t *j = arg;
    const bench_dev_t *d = j->dev;
    uint32_t len = j->verify ? j->image_len : OTA_IMAGE_HEAD_LEN;
    for (unsigned n = 0; n < j->loops; n++) {
        for (uint32_t i = 0; i < 2; i++) {
            bench_check(ota_flash_read(d->flash, d->otadata->offset + i * OTA_OTADATA_SECTOR_SIZE,
                                       j->buf, OTA_OTADATA_ENTRY_SIZE), "read otadata");
        }
        bench_check(ota_flash_read(d->flash, d->slot[0]->offset, j->buf, len), "read image");
        if (j->verify) {
            bench_sha_pass(j->sha, j->buf, len);
        }
    }
}

typedef struct counts {
    uint64_t bytes, reads;
    double device_ms;
} counts_t;

/* Flash reads and modelled device time of one run of a task. */
static counts_t count_one(bench_dev_t *d, const bench_task_t *task)
{
    bench_dev_reset_counts(d);
    task->fn(task->arg);
    return (counts_t){d->sim.stats.bytes_read, d->sim.stats.reads,
                      spimodel_total_us(&d->model.tally) / 1e3};
}

static void run(bench_dev_t *d, const bench_sha_t *sha, bool verify, uint32_t image_len)
{
    job_t job = {d, verify, verify ? 1 : 1000, image_len, malloc(image_len), sha->fastest};
    if (!job.buf) {
        bench_check(OTA_ERR_IO, "out of memory");
    }
    bench_task_t tasks[2] = {{boot_job, &job}, {limit_job, &job}};
    double ns[2], min[2];
    bench_interleave(tasks, 2, 31, ns, min);
    unsigned loops = job.loops;
    job.loops = 1;
    counts_t c = count_one(d, &tasks[0]), lim = count_one(d, &tasks[1]);
    free(job.buf);

    const char *kind = verify ? "verify" : "noverify";
    char name[64], details[160];
    snprintf(name, sizeof name, "boot_decision.%s", kind);
    snprintf(details, sizeof details,
             "min_ratio=%.3f reads=%llu limit_reads=%llu device_ms=%.2f limit_device_ms=%.2f",
             min[0] / min[1], (unsigned long long)c.reads, (unsigned long long)lim.reads,
             c.device_ms, lim.device_ms);
    bench_report(name, ns[0] / 1e3 / loops, ns[1] / 1e3 / loops, "us", details);
    snprintf(name, sizeof name, "boot_decision.%s.bytes", kind);
    bench_report(name, (double)c.bytes, (double)lim.bytes, "bytes", NULL);
}

void bench_boot_decision(const bench_sha_t *sha)
{
    bench_dev_t d;
    bench_dev_open(&d, BENCH_RAM, SLOT_SIZE, sha->fastest, true);
    bench_img_t img = bench_image("2.0", IMAGE_SIZE);
    bench_dev_put(&d, d.slot[0], &img);
    bench_check(ota_set_boot_partition(&d.ctx, d.slot[0]), "set boot");
    run(&d, sha, true, (uint32_t)img.len);
    run(&d, sha, false, (uint32_t)img.len);
    bench_image_free(&img);
    bench_dev_close(&d);
}
