/*
 * write_throughput: an application's update (begin / 4 KiB writes / end /
 * set_boot_partition) against the raw port writing the same bytes (erase +
 * program of the same sectors, same simulator backend) plus one SHA-256 pass
 * with the fastest engine. The slot holds the previous image (steady state).
 */
#include <stdio.h>

#include "benchmarks.h"

#define SLOT_SIZE (6u * BENCH_MIB)

typedef struct job {
    bench_dev_t *dev;
    const bench_img_t *img;
    const ota_hash_t *sha;
} job_t;

static void update_job(void *arg)
{
    job_t *j = arg;
    bench_update(&j->dev->ctx, j->dev->slot[0], OTA_ERASE_SEQUENTIAL, j->img);
}

/* The limit: erase and program the image's sectors, hash the image once. */
static void limit_job(void *arg)
{
    job_t *j = arg;
    const ota_flash_t *flash = j->dev->flash;
    uint32_t base = j->dev->slot[0]->offset;
    for (size_t off = 0; off < j->img->len; off += BENCH_CHUNK) {
        size_t n = bench_chunk_len(j->img, off);
        bench_check(ota_flash_erase_range(flash, base + (uint32_t)off, BENCH_CHUNK), "raw erase");
        bench_check(ota_flash_write(flash, base + (uint32_t)off, j->img->data + off, n), "raw write");
    }
    bench_sha_pass(j->sha, j->img->data, j->img->len);
}

/* One verification pass from flash (what ota_end and set_boot_partition each do). */
static void verify_job(void *arg)
{
    job_t *j = arg;
    bench_check(ota_verify_partition(&j->dev->ctx, j->dev->slot[0], NULL), "verify");
}

static void run(const bench_sha_t *sha, bench_backend_t backend, uint32_t size,
                const ota_hash_t *engine, const char *engine_name)
{
    bench_dev_t dev;
    bench_dev_open(&dev, backend, SLOT_SIZE, engine, false);
    bench_dev_ctx(&dev, dev.slot[1], false);
    bench_img_t img = bench_image("2.0", size);
    bench_dev_put(&dev, dev.slot[0], &img);

    job_t limit = {&dev, &img, sha->fastest}, update = {&dev, &img, engine};
    bench_task_t tasks[3] = {{update_job, &update}, {limit_job, &limit}, {verify_job, &update}};
    double ns[3], min[3];
    unsigned rounds = size > BENCH_MIB ? 15 : 31;
    bench_interleave(tasks, 3, rounds, ns, min);

    double mib = (double)img.len / BENCH_MIB;
    char name[64], details[160];
    snprintf(name, sizeof name, "write_throughput.%s.%uMiB%s%s",
             backend == BENCH_FILE ? "file" : "ram", size / BENCH_MIB,
             engine == sha->fastest ? "" : ".", engine == sha->fastest ? "" : engine_name);
    snprintf(details, sizeof details,
             "update_ms=%.2f limit_ms=%.2f verify_ms=%.2f min_ratio=%.3f sha=%s",
             ns[0] / 1e6, ns[1] / 1e6, ns[2] / 1e6, min[1] / min[0], engine_name);
    bench_report(name, mib / (ns[0] / 1e9), mib / (ns[1] / 1e9), "MiB/s", details);
    bench_image_free(&img);
    bench_dev_close(&dev);
}

void bench_write_throughput(const bench_sha_t *sha)
{
    static const uint32_t sizes[2] = {1 * BENCH_MIB, 4 * BENCH_MIB};
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < 2; i++) {
            run(sha, b ? BENCH_FILE : BENCH_RAM, sizes[i], sha->fastest, sha->fastest_name);
        }
    }
    /* The repository's own port (mbedTLS) for comparison, when it is not the fastest. */
    if (sha->fastest != &sha->mbedtls) {
        run(sha, BENCH_RAM, 1 * BENCH_MIB, &sha->mbedtls, "mbedtls");
    }
}
