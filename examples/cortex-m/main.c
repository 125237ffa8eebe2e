/*
 * libota on a bare Cortex-M4 (QEMU mps2-an386): a device with two OTA slots,
 * from the factory to a confirmed update, told through the bootloader's
 * decisions. The flash is a NOR flash in RAM (ramflash.c); everything else is
 * the portable core as a device would link it.
 *
 *   1. factory: write a partition table with its MD5 entry, load it back and
 *      validate it as a bootloader does; program app v1 into ota_0 and point
 *      otadata at it, as a production programmer would; boot: ota_0;
 *   2. the running app updates to v2 through an update session (ota_begin,
 *      ota_write in small pieces, ota_end verifies, ota_set_boot_partition),
 *      with rollback; boot: ota_1 on trial (PENDING_VERIFY); the app never
 *      confirms, so the next boot rolls back to ota_0;
 *   3. the same update again; this time the app confirms (ota_mark_app_valid);
 *      boot: ota_1.
 *
 * Every boot verifies the images in full, SHA-256 included: the hash port is
 * port/hash_mbedtls.c over mbedTLS compiled for the target from Debian's
 * source (no test stub). One line per step; startup.c then prints the stack
 * high-water mark and "cortex-m: PASS" or "FAIL", and the exit status says
 * the same (semihosting).
 */
#include <stdbool.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/image.h"
#include "ota/ota.h"
#include "ota/otadata.h"
#include "ota/partition.h"
#include "ota_port/hash_mbedtls.h"
#include "ramflash.h"
#include "semihost.h"

#define FLASH_SIZE 0x30000u
#define TABLE_OFFSET OTA_PART_TABLE_OFFSET_DEFAULT
#define CHUNK 100u /* bytes per ota_write, as they might arrive from a network */

extern const uint8_t app_v1[], app_v1_end[], app_v2[], app_v2_end[];

typedef struct device {
    ota_flash_t flash;
    mbedtls_sha256_context sha256_ctx;
    mbedtls_md5_context md5_ctx;
    ota_hash_t sha256, md5;
    ota_partition_table_t table;
    uint8_t scratch[OTA_PART_TABLE_MAX_LEN];
    const ota_partition_t *running; /* what the last boot started */
    ota_ctx_t ota;                  /* the running app's view, set up by app_init */
    ota_session_t session;
} device_t;

/* Static, not on the stack: the table alone is about 3.4 KiB. */
static uint8_t flash_mem[FLASH_SIZE];
static device_t dev;

static const ota_partition_t k_layout[] = {
    {OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x9000, 0x4000, "nvs", 0},
    {OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, 0xD000, 0x2000, "otadata", 0},
    {OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_OTA_MIN, 0x10000, 0x10000, "ota_0", 0},
    {OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_OTA_MIN + 1, 0x20000, 0x10000, "ota_1", 0},
};

/* Print "cortex-m: WHAT ARG: ok" or the error; true when ok. */
static bool step(const char *what, const char *arg, ota_err_t err)
{
    sh_puts("cortex-m: ");
    sh_puts(what);
    sh_puts(arg);
    sh_puts(err ? ": FAIL " : ": ok\n");
    if (err) {
        sh_puts(ota_err_name(err));
        sh_puts("\n");
    }
    return err == OTA_OK;
}

static bool install_table(device_t *d)
{
    memcpy(d->table.entries, k_layout, sizeof k_layout);
    d->table.count = sizeof k_layout / sizeof k_layout[0];
    ota_err_t err = ota_partition_table_serialize(&d->table, &d->md5, d->scratch, sizeof d->scratch);
    if (!err) {
        err = ota_flash_erase_range(&d->flash, TABLE_OFFSET, RAMFLASH_SECTOR);
    }
    if (!err) {
        err = ota_flash_write(&d->flash, TABLE_OFFSET, d->scratch, OTA_PART_TABLE_MAX_LEN);
    }
    /* From here on the table is what the flash says, checked as a bootloader checks it. */
    const ota_partition_parse_opts_t opts = {.md5 = &d->md5, .require_md5 = true, .check_overlap = true};
    if (!err) {
        err = ota_partition_table_load(&d->flash, TABLE_OFFSET, &opts, d->scratch, &d->table);
    }
    if (!err && d->table.count != sizeof k_layout / sizeof k_layout[0]) {
        err = OTA_ERR_PART_EMPTY;
    }
    return step("partition table written, MD5 and layout checked", "", err);
}

/* The factory programmer: write v1 into ota_0 and make it the next boot. */
static bool factory_install(device_t *d, const uint8_t *img, const uint8_t *end)
{
    const ota_partition_t *p = ota_partition_ota_slot(&d->table, 0);
    ota_err_t err = p ? OTA_OK : OTA_ERR_NOT_FOUND;
    if (!err) {
        err = ota_flash_erase_range(&d->flash, p->offset, p->size);
    }
    if (!err) {
        err = ota_flash_write(&d->flash, p->offset, img, (size_t)(end - img));
    }
    if (!err) {
        err = ota_otadata_set_boot_partition(&d->flash, &d->table, p, false, OTA_WRITES_HARDENED);
    }
    return step("factory programming of ota_0", "", err);
}

/* The running app's libota context: its partition, rollback on. */
static ota_err_t app_init(device_t *d)
{
    const ota_config_t cfg = {
        .flash = &d->flash,
        .table = &d->table,
        .running = d->running,
        .sha256 = &d->sha256,
        .md5 = &d->md5,
        .scratch = d->scratch,
        .scratch_len = sizeof d->scratch,
        .rollback = true,
    };
    return ota_init(&d->ota, &cfg);
}

static ota_err_t write_all(ota_session_t *s, const uint8_t *img, const uint8_t *end)
{
    ota_err_t err = OTA_OK;
    for (const uint8_t *p = img; !err && p < end; p += CHUNK) {
        err = ota_write(s, p, (size_t)(end - p) < CHUNK ? (size_t)(end - p) : CHUNK);
    }
    return err;
}

/* The running app receives an image into the other slot and boots it next, on trial. */
static bool update(device_t *d, const uint8_t *img, const uint8_t *end)
{
    const ota_partition_t *next = NULL;
    ota_err_t err = app_init(d);
    if (!err && !(next = ota_get_next_update_partition(&d->ota, NULL))) {
        err = OTA_ERR_NOT_FOUND;
    }
    if (!err) {
        err = ota_begin(&d->ota, &d->session, next, OTA_ERASE_SEQUENTIAL, 0);
    }
    if (!err) {
        err = write_all(&d->session, img, end);
        /* ota_end verifies the whole image (checksum, SHA-256) and closes the session. */
        ota_err_t closed = err ? ota_abort(&d->session) : ota_end(&d->session);
        err = err ? err : closed;
    }
    if (!err) {
        err = ota_set_boot_partition(&d->ota, next);
    }
    return step("update session from the running app into ", next ? next->label : "?", err);
}

/* The bootloader's image check: the whole image, checksum and SHA-256. */
static ota_err_t check_image(void *ctx, const ota_partition_t *p, uint32_t *secure_version)
{
    device_t *d = ctx;
    const ota_image_verify_opts_t opts = {.kind = OTA_IMAGE_APP};
    uint8_t buf[256];
    (void)secure_version; /* read only with anti-rollback, which this device does not use */
    return ota_image_verify(&d->flash, p->offset, p->size, &opts, &d->sha256, buf, sizeof buf, NULL);
}

/* One boot: what the bootloader picks, the app's version and otadata state. */
static bool boot(device_t *d, const char *want)
{
    const ota_boot_config_t cfg = {.rollback = true, .check_image = check_image, .ctx = d};
    ota_boot_result_t res;
    ota_err_t err = ota_boot_select(&d->flash, &d->table, &cfg, &res);
    if (err) {
        return step("boot", "", err);
    }
    d->running = res.partition;
    ota_app_desc_t desc;
    uint32_t state = OTA_IMG_UNDEFINED;
    err = ota_image_read_app_desc(&d->flash, res.partition->offset, res.partition->size, &desc);
    if (!err) {
        err = ota_otadata_state_of(&d->flash, &d->table, res.partition, &state);
    }
    if (err) {
        return step("app descriptor and otadata state of ", res.partition->label, err);
    }
    sh_puts("cortex-m:   starts ");
    sh_puts(res.partition->label);
    sh_puts(" (app ");
    sh_puts(desc.version);
    sh_puts(", otadata ");
    sh_puts(ota_img_state_name(state));
    sh_puts("): ");
    sh_puts(ota_boot_reason_text(res.reason));
    sh_puts("\n");
    if (strcmp(res.partition->label, want) != 0) {
        sh_puts("cortex-m: FAIL: expected ");
        sh_puts(want);
        sh_puts("\n");
        return false;
    }
    return true;
}

static bool confirm(device_t *d)
{
    ota_err_t err = app_init(d);
    return step("app confirms itself (ota_mark_app_valid)", "", err ? err : ota_mark_app_valid(&d->ota));
}

int main(void)
{
    device_t *d = &dev;
    ramflash_init(&d->flash, flash_mem, FLASH_SIZE);
    ota_port_sha256_init(&d->sha256, &d->sha256_ctx);
    ota_port_md5_init(&d->md5, &d->md5_ctx);
    sh_puts("cortex-m: libota on Cortex-M4, RAM flash of ");
    sh_putu(FLASH_SIZE / 1024u);
    sh_puts(" KiB\n");

    bool ok = install_table(d) && factory_install(d, app_v1, app_v1_end) && boot(d, "ota_0") &&
              update(d, app_v2, app_v2_end) && boot(d, "ota_1") &&
              boot(d, "ota_0") && /* v2 never confirmed: rolled back */
              update(d, app_v2, app_v2_end) && boot(d, "ota_1") && confirm(d) &&
              boot(d, "ota_1");
    return ok ? 0 : 1;
}
