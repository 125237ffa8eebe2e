/*
 * ota app: what the running app of a simulated device decides about itself
 * after an update (esp_ota_mark_app_valid_cancel_rollback /
 * esp_ota_mark_app_invalid_rollback), and what it can ask (its state).
 */
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "devcli.h"

static const char k_usage[] =
    "usage: ota app (mark-valid | mark-invalid | state) --flash FLASH [--rollback] [--anti-rollback]\n"
    "               [--require-signed --pubkey PUB.pem ...] [--esp-idf-writes]\n"
    "\n"
    "mark-valid    confirm the running app (with --anti-rollback the counter is\n"
    "              raised to its secure_version; exit 1 when its eFuse bits cannot\n"
    "              hold it, and nothing changes)\n"
    "mark-invalid  reject it if there is something to roll back to (the next\n"
    "              `ota boot` starts that); exit 1 when there is not\n"
    "state         print the running partition and its otadata state\n"
    "\n" DEVCLI_TRUST_USAGE;

static int run(hostdev_t *d, const char *sub)
{
    ota_err_t err;
    if (!strcmp(sub, "state")) {
        uint32_t state = 0;
        err = ota_get_state_partition(&d->ota, d->running, &state);
        if (err == OTA_OK || err == OTA_ERR_NOT_SUPPORTED || err == OTA_ERR_NOT_FOUND) {
            printf("%s %s\n", d->running->label, err ? "-" : ota_img_state_name(state));
            return 0;
        }
    } else {
        err = !strcmp(sub, "mark-valid") ? ota_mark_app_valid(&d->ota) : ota_mark_app_invalid(&d->ota);
    }
    if (err) {
        cli_error("app %s: %s", sub, ota_strerror(err));
        return err == OTA_ERR_OTA_ROLLBACK_FAILED || err == OTA_ERR_OTA_SEC_VER_EXHAUSTED
                   ? CLI_EXIT_FAIL
                   : CLI_EXIT_USAGE;
    }
    return 0;
}

int cmd_app(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(k_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    const char *sub = argv[1], *flash = NULL;
    if (strcmp(sub, "mark-valid") && strcmp(sub, "mark-invalid") && strcmp(sub, "state")) {
        return cli_error("app: unknown subcommand '%s' (see `ota app --help`)", sub);
    }
    hostdev_build_t build = {0};
    devcli_trust_t trust = {0};
    int rc;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--flash")) {
            if (!(flash = devcli_value(argc, argv, &i))) {
                return CLI_EXIT_USAGE;
            }
        } else if ((rc = devcli_trust_option(argc, argv, &i, &trust)) >= 0) {
            if (rc) {
                return rc;
            }
        } else if (!devcli_build_option(argv[i], &build)) {
            return cli_error("app %s: unexpected argument '%s'", sub, argv[i]);
        }
    }
    hostdev_t *d;
    rc = devcli_trust_apply(&trust, &build);
    rc = rc ? rc : devcli_load(flash, &d);
    if (rc) {
        return rc;
    }
    ota_err_t err = hostdev_app(d, &build);
    if (err || !d->running) {
        rc = err ? devcli_error(d, flash, err)
                 : cli_error("%s: the device has not booted yet (run `ota boot --flash %s` first)", flash,
                             flash);
    }
    if (!rc) {
        rc = run(d, sub);
    }
    if (!rc && strcmp(sub, "state")) {
        rc = devcli_save(d, flash);
    }
    devcli_close(d);
    return rc;
}
