/*
 * ota data read|switch|erase: the otadata partition of a simulated device,
 * as otatool.py read_otadata / switch_ota_partition / erase_otadata see it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "devcli.h"

static const char k_usage[] =
    "usage: ota data read --flash FLASH [--json]\n"
    "       ota data switch --flash FLASH (--slot N | --name LABEL)\n"
    "       ota data erase --flash FLASH\n"
    "\n"
    "read    both otadata entries (seq, state, CRC check), the active one and the\n"
    "        OTA slot it selects\n"
    "switch  otatool.py switch_ota_partition: the next sequence number for slot N\n"
    "        into the other entry (the state bytes are kept, as otatool does)\n"
    "erase   erase otadata (the factory app, or ota_0, boots next)\n";

struct data_args {
    const char *flash, *name;
    bool json, has_slot;
    uint32_t slot;
};

static int parse_args(struct data_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        if (!strcmp(arg, "--json")) {
            a->json = true;
            continue;
        }
        if (strcmp(arg, "--flash") && strcmp(arg, "--slot") && strcmp(arg, "--name")) {
            return cli_error("data %s: unexpected argument '%s' (see `ota data --help`)", argv[0], arg);
        }
        if (!(v = devcli_value(argc, argv, &i))) {
            return CLI_EXIT_USAGE;
        }
        if (!strcmp(arg, "--flash")) {
            a->flash = v;
        } else if (!strcmp(arg, "--name")) {
            a->name = v;
        } else if (!(a->has_slot = cli_parse_u32(v, &a->slot))) {
            return cli_error("--slot: invalid number '%s'", v);
        }
    }
    return 0;
}

/* ---- read --------------------------------------------------------------------- */

static const char *slot_label(const hostdev_t *d, int entry, const ota_select_entry_t e[2])
{
    unsigned n = ota_app_count(&d->table);
    if (entry < 0 || n == 0) {
        return NULL;
    }
    const ota_partition_t *p = ota_partition_ota_slot(&d->table, ota_otadata_slot(e[entry].seq, n));
    return p ? p->label : NULL;
}

static void print_json_entry(const ota_select_entry_t *e)
{
    printf("{\"seq\": %" PRIu32 ", \"state\": ", e->seq);
    cli_json_str(stdout, ota_img_state_name(e->state));
    printf(", \"state_value\": %" PRIu32 ", \"crc\": %" PRIu32 ", \"crc_ok\": %s, \"valid\": %s, \"label\": \"",
           e->state, e->crc, ota_select_entry_crc_ok(e) ? "true" : "false",
           ota_select_entry_is_valid(e) ? "true" : "false");
    cli_hex(stdout, e->label, sizeof e->label);
    printf("\"}");
}

static void print_json(const hostdev_t *d, const ota_partition_t *od, const ota_select_entry_t e[2],
                       int active, const char *boot)
{
    const char *label = slot_label(d, active, e);
    printf("{\"offset\": %" PRIu32 ", \"size\": %" PRIu32 ", \"app_count\": %u, \"entries\": [", od->offset,
           od->size, ota_app_count(&d->table));
    for (int i = 0; i < 2; i++) {
        printf(i ? ", " : "");
        print_json_entry(&e[i]);
    }
    if (active < 0) {
        printf("], \"active\": null, \"slot\": null, \"partition\": null");
    } else {
        printf("], \"active\": %d, \"slot\": %u, \"partition\": ", active,
               ota_otadata_slot(e[active].seq, ota_app_count(&d->table)));
        cli_json_str(stdout, label ? label : "");
    }
    printf(", \"boot_partition\": ");
    if (boot) {
        cli_json_str(stdout, boot);
    } else {
        printf("null");
    }
    printf("}\n");
}

static void print_text(const hostdev_t *d, const ota_partition_t *od, const ota_select_entry_t e[2],
                       int active, const char *boot)
{
    printf("otadata '%s' at 0x%" PRIx32 " (%" PRIu32 " bytes), %u OTA slots\n", od->label, od->offset,
           od->size, ota_app_count(&d->table));
    for (int i = 0; i < 2; i++) {
        printf("entry %d: seq 0x%08" PRIx32 "  crc 0x%08" PRIx32 " (%s)  state %s%s\n", i, e[i].seq,
               e[i].crc, ota_select_entry_crc_ok(&e[i]) ? "ok" : "bad", ota_img_state_name(e[i].state),
               e[i].seq == OTA_OTADATA_SEQ_ERASED ? "  [empty]" : "");
    }
    const char *label = slot_label(d, active, e);
    if (active < 0) {
        printf("active: none\n");
    } else {
        printf("active: entry %d -> slot %u (%s)\n", active,
               ota_otadata_slot(e[active].seq, ota_app_count(&d->table)), label ? label : "missing");
    }
    printf("boot partition (app view): %s\n", boot ? boot : "none");
}

static int data_read(hostdev_t *d, bool json)
{
    const ota_partition_t *od = ota_otadata_partition(&d->table);
    ota_select_entry_t e[2];
    ota_err_t err = od ? ota_otadata_read(&d->sim.flash, od, e) : OTA_ERR_OTADATA_NONE;
    if (err) {
        return cli_error("data read: %s", ota_strerror(err));
    }
    int active = ota_app_count(&d->table) ? ota_otadata_active(e) : -1;
    const ota_partition_t *boot = NULL;
    (void)ota_otadata_boot_partition(&d->sim.flash, &d->table, &boot);
    if (json) {
        print_json(d, od, e, active, boot ? boot->label : NULL);
    } else {
        print_text(d, od, e, active, boot ? boot->label : NULL);
    }
    return 0;
}

/* ---- switch / erase ------------------------------------------------------------------ */

static int data_switch(hostdev_t *d, const struct data_args *a)
{
    if (a->has_slot == (a->name != NULL)) {
        return cli_error("data switch: give exactly one of --slot N and --name LABEL");
    }
    uint32_t slot = a->slot;
    if (a->name) {
        const ota_partition_t *p = hostdev_part(d, a->name);
        if (!p || !OTA_PART_IS_OTA_SLOT(p)) {
            return cli_error("data switch: '%s' is not an OTA app partition", a->name);
        }
        slot = p->subtype & 0x0Fu;
    }
    ota_err_t err = slot < OTA_OTADATA_MAX_SLOTS
                        ? ota_otadata_otatool_switch(&d->sim.flash, &d->table, slot)
                        : OTA_ERR_OTADATA_SLOT;
    if (err) {
        return cli_error("data switch: slot %" PRIu32 ": %s", slot, ota_strerror(err));
    }
    return 0;
}

static int data_erase(hostdev_t *d)
{
    /* otatool erase_otadata: the whole partition in one go, as the tool does. */
    ota_err_t err = ota_otadata_set_factory(&d->sim.flash, &d->table, OTA_WRITES_FAITHFUL);
    return err ? cli_error("data erase: %s", ota_strerror(err)) : 0;
}

int cmd_data(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(k_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "read") && strcmp(sub, "switch") && strcmp(sub, "erase")) {
        return cli_error("data: unknown subcommand '%s' (see `ota data --help`)", sub);
    }
    struct data_args a = {0};
    hostdev_t *d = NULL;
    int rc = parse_args(&a, argc - 1, argv + 1);
    if (!rc) {
        rc = devcli_load(a.flash, &d);
    }
    if (rc) {
        return rc;
    }
    if (!strcmp(sub, "read")) {
        rc = data_read(d, a.json);
        devcli_close(d);
        return rc;
    }
    rc = !strcmp(sub, "switch") ? data_switch(d, &a) : data_erase(d);
    if (rc) {
        devcli_close(d);
        return rc;
    }
    return devcli_save_close(d, a.flash);
}
