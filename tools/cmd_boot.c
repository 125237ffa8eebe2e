/*
 * ota boot: power on a simulated device. The bootloader's decision runs on
 * the flash (with the given build options and pins), its otadata writes are
 * applied, and the partition that boots becomes the running app in FLASH.state.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "devcli.h"

static const char k_usage[] =
    "usage: ota boot --flash FLASH [--rollback] [--anti-rollback] [--factory-reset]\n"
    "                [--test-app] [--require-signed --pubkey PUB.pem ...] [--esp-idf-writes]\n"
    "                [--json]\n"
    "\n"
    "Run the ESP-IDF bootloader's choice on FLASH and apply its otadata writes;\n"
    "print the partition that boots, its app descriptor, why it was chosen, the\n"
    "images refused on the way and the anti-rollback counter with its budget.\n"
    "--rollback / --anti-rollback: CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE /\n"
    "_ANTI_ROLLBACK (the counter and its eFuse bits live in FLASH.state).\n"
    DEVCLI_TRUST_USAGE
    "--factory-reset and --test-app: the GPIOs held at this power-on.\n"
    "--esp-idf-writes: ESP-IDF's exact otadata writes instead of libota's\n"
    "power-loss safe ones. Exit 0\n"
    "booted, 1 nothing bootable (FLASH is then left as it was), 2 error.\n";

static const char *reason_code(ota_boot_reason_t r)
{
    switch (r) {
    case OTA_BOOT_REASON_NO_OTADATA:
        return "no_otadata";
    case OTA_BOOT_REASON_NOTHING_SELECTABLE:
        return "nothing_selectable";
    case OTA_BOOT_REASON_INITIAL_OTADATA:
        return "initial_otadata";
    case OTA_BOOT_REASON_ACTIVE_ENTRY:
        return "active_entry";
    case OTA_BOOT_REASON_NO_ACTIVE_ENTRY:
        return "no_active_entry";
    case OTA_BOOT_REASON_TEST_REQUEST:
        return "test_request";
    }
    return "unknown";
}

static void json_field(const char *name, const char *value, bool last)
{
    printf("\"%s\": ", name);
    cli_json_str(stdout, value);
    printf(last ? "" : ", ");
}

static const char *op_name(ota_boot_op_kind_t kind)
{
    switch (kind) {
    case OTA_BOOT_OP_WRITE_ENTRY:
        return "write";
    case OTA_BOOT_OP_RESTORE_ENTRY:
        return "restore";
    default:
        return "erase";
    }
}

/* "anti_rollback_counter": {value, bits, remaining, raise_error}, "rejected": [...], */
static void print_json_trust(const hostdev_t *d, const ota_boot_result_t *res)
{
    hostdev_counter_t c = hostdev_counter(d);
    printf("\"anti_rollback_counter\": {\"value\": %" PRIu32 ", \"bits\": %" PRIu32
           ", \"remaining\": %" PRIu32 ", \"raise_error\": ",
           c.value, c.bits, c.remaining);
    if (res->raise_err) {
        cli_json_str(stdout, ota_err_name(res->raise_err));
    } else {
        printf("null");
    }
    printf("}, \"rejected\": [");
    for (size_t i = 0; i < d->rejected_count; i++) {
        printf("%s{", i ? ", " : "");
        json_field("partition", d->rejected[i].partition->label, false);
        json_field("error", ota_err_name(d->rejected[i].err), false);
        json_field("text", ota_strerror(d->rejected[i].err), true);
        printf("}");
    }
    printf("], ");
}

static void print_json(const hostdev_t *d, const ota_boot_result_t *res, const ota_app_desc_t *desc)
{
    const ota_partition_t *p = res->partition;
    printf("{");
    json_field("partition", p->label, false);
    printf("\"offset\": %" PRIu32 ", \"size\": %" PRIu32 ", ", p->offset, p->size);
    json_field("reason", reason_code(res->reason), false);
    json_field("reason_text", ota_boot_reason_text(res->reason), false);
    printf("\"active_entry\": %d, \"fell_back\": %s, \"secure_version\": %" PRIu32 ", \"boots\": %" PRIu32
           ", ",
           res->active_entry, res->fell_back ? "true" : "false", d->state.secure_version, d->state.boots);
    print_json_trust(d, res);
    printf("\"app\": ");
    if (desc) {
        printf("{");
        json_field("project_name", desc->project_name, false);
        json_field("version", desc->version, false);
        json_field("idf_ver", desc->idf_ver, false);
        json_field("date", desc->date, false);
        json_field("time", desc->time, false);
        printf("\"secure_version\": %" PRIu32 "}", desc->secure_version);
    } else {
        printf("null");
    }
    printf(", \"otadata_writes\": [");
    for (size_t i = 0; i < res->op_count; i++) {
        const ota_boot_op_t *op = &res->ops[i];
        printf("%s{\"op\": \"%s\", \"sector\": %u, \"seq\": %" PRIu32 ", \"state\": ", i ? ", " : "",
               op_name(op->kind), op->sector, op->entry.seq);
        cli_json_str(stdout, ota_img_state_name(op->entry.state));
        printf(", \"ok\": %s}", op->err ? "false" : "true");
    }
    printf("]}\n");
}

static void print_text(const hostdev_t *d, const ota_boot_result_t *res, const ota_app_desc_t *desc)
{
    const ota_partition_t *p = res->partition;
    printf("boots: %s (0x%" PRIx32 ", %" PRIu32 " bytes)%s\n", p->label, p->offset, p->size,
           res->fell_back ? " after rejecting an image" : "");
    printf("reason: %s\n", ota_boot_reason_text(res->reason));
    if (desc) {
        printf("app: %s %s (secure_version %" PRIu32 ", %s)\n", desc->project_name, desc->version,
               desc->secure_version, desc->idf_ver);
    }
    for (size_t i = 0; i < res->op_count; i++) {
        const ota_boot_op_t *op = &res->ops[i];
        if (op->kind == OTA_BOOT_OP_ERASE_OTADATA) {
            printf("otadata: erased (factory reset)\n");
        } else if (op->kind == OTA_BOOT_OP_RESTORE_ENTRY) {
            printf("otadata: entry %u restored to seq %" PRIu32 " %s (a power cut interrupted its rewrite)\n",
                   op->sector, op->entry.seq, ota_img_state_name(op->entry.state));
        } else {
            printf("otadata: entry %u <- seq %" PRIu32 " %s%s\n", op->sector, op->entry.seq,
                   ota_img_state_name(op->entry.state), op->err ? " (write failed)" : "");
        }
    }
    for (size_t i = 0; i < d->rejected_count; i++) {
        printf("rejected: %s: %s\n", d->rejected[i].partition->label, ota_strerror(d->rejected[i].err));
    }
    hostdev_counter_t c = hostdev_counter(d);
    printf("anti-rollback counter: %" PRIu32 " of %" PRIu32 " eFuse bits, %" PRIu32 " left\n", c.value,
           c.bits, c.remaining);
    if (res->raise_err) {
        printf("anti-rollback counter: not raised: %s\n", ota_strerror(res->raise_err));
    }
}

int cmd_boot(int argc, char **argv)
{
    const char *flash = NULL;
    bool json = false;
    hostdev_build_t build = {0};
    hostdev_pins_t pins = {0};
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
        } else if (!strcmp(arg, "--json")) {
            json = true;
        } else if (!strcmp(arg, "--factory-reset")) {
            pins.factory_reset = true;
        } else if (!strcmp(arg, "--test-app")) {
            pins.test_app = true;
        } else if ((rc = devcli_trust_option(argc, argv, &i, &trust)) >= 0) {
            if (rc) {
                return rc;
            }
        } else if (!devcli_build_option(arg, &build)) {
            return cli_error("boot: unexpected argument '%s' (see `ota boot --help`)", arg);
        }
    }
    hostdev_t *d;
    rc = devcli_trust_apply(&trust, &build);
    rc = rc ? rc : devcli_load(flash, &d);
    if (rc) {
        return rc;
    }
    ota_boot_result_t res;
    ota_err_t err = hostdev_boot(d, &build, &pins, &res);
    if (err) {
        devcli_error(d, flash, err);
        devcli_close(d);
        return err == OTA_ERR_BOOT_NO_IMAGE ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    }
    ota_app_desc_t desc;
    bool has_desc = ota_image_read_app_desc(&d->sim.flash, res.partition->offset, res.partition->size,
                                            &desc) == OTA_OK;
    rc = devcli_save(d, flash);
    if (!rc) {
        (json ? print_json : print_text)(d, &res, has_desc ? &desc : NULL);
    }
    devcli_close(d);
    return rc;
}
