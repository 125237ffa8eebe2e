/*
 * device_time: the SPI NOR timing model (spimodel.c) applied to the flash
 * operations of one update of a 1 MiB image into a 1.5 MiB slot, per erase
 * mode, against the physical minimum: erase the image's sectors and one
 * otadata sector, program the image and one otadata entry, read nothing.
 * ESP-IDF's behaviour is replayed with raw port calls: esp_ota_begin erases
 * (OTA_SIZE_UNKNOWN: the whole slot; a size: that many bytes; sequential:
 * each sector when data reaches it) with esp_flash_erase_region's 64 KiB
 * block erases where aligned, then the writes, the verification of
 * esp_ota_end and esp_ota_set_boot_partition (done by libota: same reads).
 */
#include <stdio.h>

#include "benchmarks.h"

#define SLOT_SIZE 0x180000u
#define IMAGE_SIZE BENCH_MIB

typedef enum variant {
    LIBOTA_WHOLE,
    LIBOTA_SIZED,
    LIBOTA_SEQUENTIAL,
    ESPIDF_WHOLE,
    ESPIDF_SIZED,
    ESPIDF_SEQUENTIAL,
} variant_t;

static const char *const k_names[] = {"whole", "sized", "sequential",
                                      "espidf_whole", "espidf_sized", "espidf_sequential"};

/* esp_ota_begin + esp_ota_write, replayed on the port through the model. */
static void espidf_write(bench_dev_t *d, variant_t v, const bench_img_t *img)
{
    const ota_partition_t *p = d->slot[0];
    uint32_t sized = bench_sectors((uint32_t)img->len) * 0x1000u;
    if (v != ESPIDF_SEQUENTIAL) {
        bench_check(spimodel_erase_region(&d->model, p->offset, v == ESPIDF_WHOLE ? p->size : sized,
                                          true), "esp erase");
    }
    for (size_t off = 0; off < img->len; off += BENCH_CHUNK) {
        size_t n = bench_chunk_len(img, off);
        if (v == ESPIDF_SEQUENTIAL) {
            bench_check(spimodel_erase_region(&d->model, p->offset + (uint32_t)off, 0x1000u, false),
                        "esp erase");
        }
        bench_check(ota_flash_write(d->flash, p->offset + (uint32_t)off, img->data + off, n),
                    "esp write");
    }
    bench_check(ota_verify_partition(&d->ctx, p, NULL), "esp_ota_end verify");
    bench_check(ota_set_boot_partition(&d->ctx, p), "esp_ota_set_boot_partition");
}

static void run_variant(bench_dev_t *d, variant_t v, const bench_img_t *img)
{
    static const ota_erase_mode_t modes[] = {OTA_ERASE_WHOLE, OTA_ERASE_IMAGE_SIZE,
                                             OTA_ERASE_SEQUENTIAL};
    if (v <= LIBOTA_SEQUENTIAL) {
        bench_update(&d->ctx, d->slot[0], modes[v], img);
    } else {
        espidf_write(d, v, img);
    }
}

/* The model must have seen exactly what the simulator counted. */
static void check_counts(const bench_dev_t *d)
{
    const ota_simflash_stats_t *s = &d->sim.stats;
    const spimodel_tally_t *t = &d->model.tally;
    uint64_t erased_sectors = t->erases + t->blocks * (d->model.params->block_size / 0x1000u);
    if (s->reads != t->reads || s->bytes_read != t->read_bytes || s->writes != t->writes ||
        s->bytes_written != t->write_bytes || s->erases != erased_sectors) {
        bench_check(OTA_ERR_IO, "model and simulator counts differ");
    }
}

/* Erase and program only what must change: the image's sectors and one otadata entry. */
static void physical_minimum(const bench_dev_t *d, uint32_t len, bool blocks, spimodel_tally_t *t)
{
    const spimodel_params_t *p = d->model.params;
    *t = (spimodel_tally_t){0};
    spimodel_account_erase_region(p, t, d->slot[0]->offset, bench_sectors(len) * 0x1000u, blocks);
    spimodel_account_program(p, t, d->slot[0]->offset, len);
    spimodel_account_erase(p, t, false);
    spimodel_account_program(p, t, d->otadata->offset, OTA_OTADATA_ENTRY_SIZE);
}

static void run(const bench_sha_t *sha, bool steady, variant_t v, const bench_img_t *old,
                const bench_img_t *img)
{
    bench_dev_t d;
    bench_dev_open(&d, BENCH_RAM, SLOT_SIZE, sha->fastest, true);
    bench_dev_ctx(&d, d.slot[1], false);
    if (steady) {
        bench_dev_put(&d, d.slot[0], old);
    }
    bench_dev_reset_counts(&d);
    run_variant(&d, v, img);
    check_counts(&d);

    spimodel_tally_t min4k, min64k;
    physical_minimum(&d, (uint32_t)img->len, false, &min4k);
    physical_minimum(&d, (uint32_t)img->len, true, &min64k);
    const spimodel_tally_t *t = &d.model.tally;
    char name[64], details[256];
    snprintf(name, sizeof name, "device_time.%s.%s", steady ? "steady" : "fresh", k_names[v]);
    snprintf(details, sizeof details,
             "erase_ms=%.0f program_ms=%.0f read_ms=%.1f erases=%llu blocks=%llu reads=%llu "
             "read_kib=%llu limit_blk64_ms=%.0f",
             t->erase_us / 1e3, t->program_us / 1e3, t->read_us / 1e3,
             (unsigned long long)t->erases, (unsigned long long)t->blocks,
             (unsigned long long)t->reads, (unsigned long long)(t->read_bytes / BENCH_KIB),
             spimodel_total_us(&min64k) / 1e3);
    bench_report(name, spimodel_total_us(t) / 1e3, spimodel_total_us(&min4k) / 1e3, "ms", details);
    bench_dev_close(&d);
}

void bench_device_time(const bench_sha_t *sha)
{
    bench_img_t old = bench_image("1.0", IMAGE_SIZE), img = bench_image("2.0", IMAGE_SIZE);
    printf("# device_time: %s; %u KiB image into a %u KiB slot\n", spimodel_w25q64jv.part,
           (unsigned)(img.len / BENCH_KIB), SLOT_SIZE / BENCH_KIB);
    for (variant_t v = LIBOTA_WHOLE; v <= ESPIDF_SEQUENTIAL; v++) {
        run(sha, true, v, &old, &img);
    }
    run(sha, false, LIBOTA_WHOLE, &old, &img);
    run(sha, false, LIBOTA_SEQUENTIAL, &old, &img);
    bench_image_free(&old);
    bench_image_free(&img);
}
