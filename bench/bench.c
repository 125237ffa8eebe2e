#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imgpack.h"
#include "ota_port/hash_mbedtls.h"

/* ---- Timing and reporting ------------------------------------------------ */

/* CPU time of this thread (user + kernel on its behalf): time other processes
 * take from it on a shared machine is not counted, page faults and the file
 * backend's page-cache work are. */
uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_interleave(const bench_task_t *tasks, size_t n, unsigned rounds, double *median_ns,
                      double *min_ns)
{
    double *t = calloc(n * rounds, sizeof *t);
    if (!t) {
        bench_check(OTA_ERR_IO, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        tasks[i].fn(tasks[i].arg); /* warm-up: page faults, caches */
    }
    for (unsigned r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            uint64_t t0 = bench_now_ns();
            tasks[i].fn(tasks[i].arg);
            t[i * rounds + r] = (double)(bench_now_ns() - t0);
        }
    }
    for (size_t i = 0; i < n; i++) {
        median_ns[i] = median(t + i * rounds, rounds); /* sorts: [0] is the minimum */
        if (min_ns) {
            min_ns[i] = t[i * rounds];
        }
    }
    free(t);
}

/* Integers stay integers; small figures keep three significant digits. */
static void fmt_num(char *out, size_t len, double v)
{
    snprintf(out, len, v >= 100 || v == (double)(long long)v ? "%.0f" : "%.3g", v);
}

void bench_report(const char *name, double value, double limit, const char *unit,
                  const char *details)
{
    char v[32], l[32];
    fmt_num(v, sizeof v, value);
    fmt_num(l, sizeof l, limit);
    printf("bench: %s value=%s limit=%s ratio=%.3f unit=%s%s%s\n", name, v, l,
           limit != 0 ? value / limit : 0.0, unit, details ? " " : "", details ? details : "");
    fflush(stdout);
}

void bench_check(ota_err_t err, const char *what)
{
    if (err) {
        fprintf(stderr, "bench: %s: %s\n", what, ota_strerror(err));
        exit(1);
    }
}

/* ---- SHA-256 engines ------------------------------------------------------- */

void bench_sha_pass(const ota_hash_t *h, const void *data, size_t len)
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_err_t err = h->start(h->ctx);
    if (!err) {
        err = h->update(h->ctx, data, len);
    }
    ota_err_t fin = h->finish(h->ctx, digest);
    bench_check(err ? err : fin, "sha256");
}

typedef struct sha_job {
    const ota_hash_t *h;
    const uint8_t *data;
    size_t len;
} sha_job_t;

static void sha_job(void *arg)
{
    const sha_job_t *j = arg;
    bench_sha_pass(j->h, j->data, j->len);
}

/* Both engines must agree before either is timed. */
static void check_same_digest(bench_sha_t *sha, const uint8_t *data, size_t len)
{
    uint8_t a[OTA_SHA256_LEN], b[OTA_SHA256_LEN];
    const ota_hash_t *h[2] = {&sha->mbedtls, &sha->openssl};
    uint8_t *out[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        ota_err_t err = h[i]->start(h[i]->ctx);
        err = err ? err : h[i]->update(h[i]->ctx, data, len);
        bench_check(err ? err : h[i]->finish(h[i]->ctx, out[i]), "sha256 digest");
    }
    if (memcmp(a, b, sizeof a) != 0) {
        bench_check(OTA_ERR_IO, "mbedTLS and OpenSSL SHA-256 disagree");
    }
}

void bench_sha_init(bench_sha_t *sha)
{
    memset(sha, 0, sizeof *sha);
    ota_port_sha256_init(&sha->mbedtls, &sha->mbedtls_ctx);
    bench_check(ota_port_openssl_sha256_init(&sha->openssl, &sha->openssl_state), "OpenSSL SHA-256");

    size_t len = 4 * BENCH_MIB;
    uint8_t *data = malloc(len);
    if (!data) {
        bench_check(OTA_ERR_IO, "out of memory");
    }
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)(i * 2654435761u >> 24);
    }
    check_same_digest(sha, data, len);
    sha_job_t jobs[2] = {{&sha->mbedtls, data, len}, {&sha->openssl, data, len}};
    bench_task_t tasks[2] = {{sha_job, &jobs[0]}, {sha_job, &jobs[1]}};
    double ns[2];
    bench_interleave(tasks, 2, 15, ns, NULL);
    free(data);

    double mibs[2] = {len / (ns[0] / 1e9) / BENCH_MIB, len / (ns[1] / 1e9) / BENCH_MIB};
    int best = mibs[1] > mibs[0];
    sha->fastest = best ? &sha->openssl : &sha->mbedtls;
    sha->fastest_name = best ? "openssl" : "mbedtls";
    char details[64];
    snprintf(details, sizeof details, "fastest=%s", sha->fastest_name);
    bench_report("sha256.mbedtls", mibs[0], mibs[best], "MiB/s", details);
    bench_report("sha256.openssl", mibs[1], mibs[best], "MiB/s", details);
}

void bench_sha_free(bench_sha_t *sha)
{
    ota_port_openssl_sha256_free(&sha->openssl_state);
}

/* ---- Images and devices ------------------------------------------------------ */

bench_img_t bench_image(const char *version, uint32_t size)
{
    ota_app_desc_t desc;
    imgpack_opts_t o;
    imgpack_app_desc(&desc, "libota-bench", version, 0);
    imgpack_defaults(&o, OTA_CHIP_ESP32);
    o.app_desc = &desc;
    o.target_size = size;
    bench_img_t img = {NULL, 0};
    bench_check(imgpack_build(&o, &img.data, &img.len), "imgpack");
    return img;
}

void bench_image_free(bench_img_t *img)
{
    free(img->data);
    *img = (bench_img_t){NULL, 0};
}

size_t bench_chunk_len(const bench_img_t *img, size_t off)
{
    return img->len - off < BENCH_CHUNK ? img->len - off : BENCH_CHUNK;
}

static const ota_partition_t *add_part(bench_dev_t *d, const char *label, uint8_t type,
                                       uint8_t subtype, uint32_t offset, uint32_t size)
{
    ota_partition_t *p = &d->table.entries[d->table.count++];
    *p = (ota_partition_t){.type = type, .subtype = subtype, .offset = offset, .size = size};
    snprintf(p->label, sizeof p->label, "%s", label);
    return p;
}

static void build_table(bench_dev_t *d, uint32_t slot_size)
{
    add_part(d, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x9000, 0x4000);
    d->otadata = add_part(d, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, 0xD000,
                          OTA_OTADATA_SIZE);
    add_part(d, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0xF000, 0x1000);
    d->slot[0] = add_part(d, "ota_0", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_OTA_MIN, 0x10000, slot_size);
    d->slot[1] = add_part(d, "ota_1", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_OTA_MIN + 1,
                          0x10000 + slot_size, slot_size);
}

void bench_dev_open(bench_dev_t *d, bench_backend_t backend, uint32_t slot_size,
                    const ota_hash_t *sha, bool model)
{
    memset(d, 0, sizeof *d);
    ota_simflash_geometry_t geo = {0x10000 + 2 * slot_size, 0x1000, 1};
    if (backend == BENCH_FILE) {
        /* In the working directory (make bench: build-bench/), not a tmpfs. */
        snprintf(d->path, sizeof d->path, "ota-bench-%ld.flash", (long)getpid());
        unlink(d->path);
        bench_check(ota_simflash_open_file(&d->sim, d->path, &geo), "file flash");
    } else {
        bench_check(ota_simflash_init_ram(&d->sim, &geo), "RAM flash");
    }
    spimodel_init(&d->model, &d->sim.flash, &spimodel_w25q64jv);
    d->flash = model ? &d->model.flash : &d->sim.flash;
    d->sha = sha;
    build_table(d, slot_size);
    bench_dev_ctx(d, NULL, false);
}

void bench_dev_close(bench_dev_t *d)
{
    ota_simflash_close(&d->sim);
    if (d->path[0]) {
        unlink(d->path);
    }
}

void bench_dev_ctx(bench_dev_t *d, const ota_partition_t *running, bool rollback)
{
    ota_config_t cfg = {
        .flash = d->flash,
        .table = &d->table,
        .running = running,
        .sha256 = d->sha,
        .scratch = d->scratch,
        .scratch_len = sizeof d->scratch,
        .rollback = rollback,
    };
    bench_check(ota_init(&d->ctx, &cfg), "ota_init");
}

void bench_dev_reset_counts(bench_dev_t *d)
{
    ota_simflash_reset_stats(&d->sim);
    d->model.tally = (spimodel_tally_t){0};
}

void bench_dev_put(bench_dev_t *d, const ota_partition_t *p, const bench_img_t *img)
{
    memset(d->sim.mem + p->offset, 0xFF, p->size);
    memcpy(d->sim.mem + p->offset, img->data, img->len);
}

void bench_update(ota_ctx_t *ctx, const ota_partition_t *p, ota_erase_mode_t mode,
                  const bench_img_t *img)
{
    ota_session_t s;
    bench_check(ota_begin(ctx, &s, p, mode, (uint32_t)img->len), "ota_begin");
    for (size_t off = 0; off < img->len; off += BENCH_CHUNK) {
        bench_check(ota_write(&s, img->data + off, bench_chunk_len(img, off)), "ota_write");
    }
    bench_check(ota_end(&s), "ota_end");
    bench_check(ota_set_boot_partition(ctx, p), "ota_set_boot_partition");
}

/* ota_boot_check_image_fn: the whole image, as the ESP-IDF bootloader does by default. */
static ota_err_t check_full(void *arg, const ota_partition_t *p, uint32_t *secure_version)
{
    bench_dev_t *d = arg;
    ota_image_verify_opts_t opts = {.kind = OTA_IMAGE_APP};
    ota_image_info_t info;
    *secure_version = 0;
    return ota_image_verify(d->flash, p->offset, p->size, &opts, d->sha, d->scratch,
                            sizeof d->scratch, &info);
}

/* ota_boot_check_image_fn: only the header and descriptor (validation skipped on power-on). */
static ota_err_t check_desc(void *arg, const ota_partition_t *p, uint32_t *secure_version)
{
    bench_dev_t *d = arg;
    ota_app_desc_t desc;
    ota_err_t err = ota_image_read_app_desc(d->flash, p->offset, p->size, &desc);
    *secure_version = desc.secure_version;
    return err;
}

const ota_partition_t *bench_boot(bench_dev_t *d, bool rollback, bool verify)
{
    ota_boot_config_t cfg = {
        .rollback = rollback,
        .check_image = verify ? check_full : check_desc,
        .ctx = d,
    };
    ota_boot_result_t res;
    bench_check(ota_boot_select(d->flash, &d->table, &cfg, &res), "ota_boot_select");
    return res.partition;
}

uint32_t bench_sectors(uint32_t len)
{
    return (len + 0xFFFu) / 0x1000u;
}
