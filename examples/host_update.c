/*
 * The libota API in one page: what an application does to update itself.
 *
 *   host_update FLASH IMAGE
 *
 * FLASH is a flash image made by `ota flash create` (table at 0x8000). The
 * program asks the bootloader's decision which app runs, writes IMAGE into the
 * next OTA slot through an update session, verifies it from flash and makes it
 * the boot partition. On a device, the same calls run over your flash port.
 * Error handling is shortened to one check per step.
 */
#include <stdio.h>

#include "ota/boot.h"
#include "ota/ota.h"
#include "ota/partition.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"

static ota_hash_t g_sha256; /* the example's SHA-256 engine (mbedTLS) */

/* The bootloader's image check: the whole image must verify from flash. */
static ota_err_t check_image(void *ctx, const ota_partition_t *p, uint32_t *secure_version)
{
    static uint8_t buf[4096];
    ota_image_verify_opts_t opts = {.kind = OTA_IMAGE_APP};
    ota_image_info_t info;
    (void)secure_version;
    return ota_image_verify(ctx, p->offset, p->size, &opts, &g_sha256, buf, sizeof buf, &info);
}

static int fail(const char *step, ota_err_t err)
{
    fprintf(stderr, "host_update: %s: %s\n", step, ota_strerror(err));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: host_update FLASH IMAGE\n");
        return 2;
    }
    mbedtls_sha256_context sha_ctx;
    ota_port_sha256_init(&g_sha256, &sha_ctx);

    /* 1. The port: any ota_flash_t. Here a file-backed NOR simulator. */
    ota_simflash_t sim;
    ota_simflash_geometry_t geo = {.size = 0, .sector_size = 0x1000, .write_size = 1};
    ota_err_t err = ota_simflash_open_file(&sim, argv[1], &geo);
    if (err) {
        return fail("open flash", err);
    }
    const ota_flash_t *flash = &sim.flash;

    /* 2. The partition table, read from flash and validated. */
    static ota_partition_table_t table;
    static uint8_t scratch[OTA_PART_TABLE_MAX_LEN];
    err = ota_partition_table_load(flash, OTA_PART_TABLE_OFFSET_DEFAULT, NULL, scratch, &table);
    if (err) {
        return fail("partition table", err);
    }

    /* 3. Which app runs: the bootloader's decision (it may write otadata). */
    ota_boot_config_t boot_cfg = {.check_image = check_image, .ctx = (void *)flash};
    ota_boot_result_t boot;
    err = ota_boot_select(flash, &table, &boot_cfg, &boot);
    if (err) {
        return fail("boot", err);
    }
    printf("running %s (%s)\n", boot.partition->label, ota_boot_reason_text(boot.reason));

    /* 4. The application's context: flash, table, running partition, hash, scratch. */
    ota_ctx_t ota;
    ota_config_t cfg = {.flash = flash, .table = &table, .running = boot.partition,
                        .sha256 = &g_sha256, .scratch = scratch, .scratch_len = sizeof scratch};
    err = ota_init(&ota, &cfg);
    if (err) {
        return fail("init", err);
    }

    /* 5. An update session into the next OTA slot, fed in chunks as they arrive. */
    const ota_partition_t *next = ota_get_next_update_partition(&ota, NULL);
    ota_session_t session;
    err = ota_begin(&ota, &session, next, OTA_ERASE_SEQUENTIAL, 0);
    if (err) {
        return fail("begin", err);
    }
    FILE *in = fopen(argv[2], "rb");
    uint8_t chunk[4096];
    size_t n;
    while (in && !err && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        err = ota_write(&session, chunk, n);
    }
    if (!in || err) {
        ota_abort(&session);
        return fail("write", in ? err : OTA_ERR_IO);
    }
    fclose(in);

    /* 6. Verify from flash, then switch otadata to the new slot. */
    err = ota_end(&session);
    if (!err) {
        err = ota_set_boot_partition(&ota, next);
    }
    if (err) {
        return fail("end / set boot", err);
    }
    printf("next boot: %s\n", next->label);
    ota_simflash_close(&sim);
    return 0;
}
