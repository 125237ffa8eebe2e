/*
 * ota update: what an application does with a new image (esp_ota_ops): write
 * it to the next update partition, verify it, make it the boot partition.
 * Any failure leaves FLASH and FLASH.state exactly as they were.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "devcli.h"

static const char k_usage[] =
    "usage: ota update --flash FLASH [--rollback] [--anti-rollback] [--esp-idf-writes]\n"
    "                  [--require-signed --pubkey PUB.pem ...] IMAGE_FILE\n"
    "\n"
    "As the running app (from FLASH.state; run `ota boot` first): write IMAGE_FILE\n"
    "to the next OTA slot with sequential erase, verify it, set it as the boot\n"
    "partition (state NEW with --rollback). The next `ota boot` starts it.\n"
    "With --anti-rollback a secure_version below the counter, or beyond its eFuse\n"
    "bits, is refused. " DEVCLI_TRUST_USAGE
    "Exit 0 updated, 1 image refused, 2 other error; on failure nothing changes.\n";

#define CHUNK 4096u

/* One line; exit 1 when the image itself was refused. */
static int refuse(const char *what, ota_err_t err)
{
    bool image = (err >= 500 && err < 600) || err == OTA_ERR_OTA_SMALL_SEC_VER ||
                 err == OTA_ERR_OTA_SEC_VER_EXHAUSTED || err == OTA_ERR_OTA_TOO_LARGE;
    cli_error("update: %s: %s (nothing changed)", what, ota_strerror(err));
    return image ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
}

/* begin / write / end / set_boot on the device's app context. */
static int install(hostdev_t *d, const ota_partition_t *target, const uint8_t *data, size_t len,
                   const char *path)
{
    ota_session_t s;
    ota_err_t err = ota_begin(&d->ota, &s, target, OTA_ERASE_SEQUENTIAL, 0);
    if (err) {
        return refuse(target->label, err);
    }
    for (size_t off = 0; off < len && !err; off += CHUNK) {
        err = ota_write(&s, data + off, len - off < CHUNK ? len - off : CHUNK);
    }
    if (err) {
        (void)ota_abort(&s);
        return refuse(path, err);
    }
    err = ota_end(&s);
    if (!err) {
        err = ota_set_boot_partition(&d->ota, target);
    }
    return err ? refuse(path, err) : 0;
}

int cmd_update(int argc, char **argv)
{
    const char *flash = NULL, *image = NULL;
    hostdev_build_t build = {0};
    devcli_trust_t trust = {0};
    int rc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(k_usage, stdout);
            return 0;
        } else if (!strcmp(arg, "--flash")) {
            if (!(flash = devcli_value(argc, argv, &i))) {
                return CLI_EXIT_USAGE;
            }
        } else if (devcli_build_option(arg, &build)) {
            continue;
        } else if ((rc = devcli_trust_option(argc, argv, &i, &trust)) >= 0) {
            if (rc) {
                return rc;
            }
        } else if (arg[0] == '-' || image) {
            return cli_error("update: unexpected argument '%s' (see `ota update --help`)", arg);
        } else {
            image = arg;
        }
    }
    if (!image) {
        return cli_error("update: missing IMAGE_FILE (see `ota update --help`)");
    }
    if ((rc = devcli_trust_apply(&trust, &build))) {
        return rc;
    }
    uint8_t *data;
    size_t len;
    hostdev_t *d = NULL;
    rc = cli_read_file(image, &data, &len);
    if (rc) {
        return rc;
    }
    rc = devcli_load(flash, &d);
    ota_err_t err = rc ? OTA_OK : hostdev_app(d, &build);
    const ota_partition_t *target = NULL;
    if (!rc && err) {
        rc = devcli_error(d, flash, err);
    } else if (!rc && !d->running) {
        rc = cli_error("%s: the device has not booted yet (run `ota boot --flash %s` first)", flash, flash);
    } else if (!rc && !(target = ota_get_next_update_partition(&d->ota, NULL))) {
        rc = cli_error("%s: the partition table has no OTA slot", flash);
    }
    if (!rc) {
        rc = install(d, target, data, len, image);
    }
    if (!rc) {
        rc = devcli_save(d, flash);
    }
    if (!rc) {
        printf("updated %s (0x%" PRIx32 ") with %s (%zu bytes); it boots next\n", target->label,
               target->offset, image, len);
    }
    free(data);
    devcli_close(d);
    return rc;
}
