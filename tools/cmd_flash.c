/*
 * ota flash create: a flash image of a simulated device, as `idf.py flash`
 * would leave it: the partition table, blank otadata and the given images.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "devcli.h"
#include "partcsv.h"

static const char k_usage[] =
    "usage: ota flash create -o FLASH --size SIZE --table TABLE [--table-offset N]\n"
    "                        [--chip CHIP] [--secure-version-bits N] [--write LABEL=FILE ...]\n"
    "\n"
    "Make FLASH (SIZE bytes of 0xFF, e.g. 4MB) with the partition table TABLE\n"
    "(gen_esp32part CSV, or a binary table) at the table offset (default 0x8000),\n"
    "blank otadata, and FILE written at the start of partition LABEL. --chip\n"
    "makes the simulated device check images for that chip (default: any chip).\n"
    "--secure-version-bits: the anti-rollback counter's eFuse field, 1..32 (default:\n"
    "the chip's largest, 32 on ESP32, 4 on C2, 9 on C5, else 16).\n"
    "Also writes FLASH.state (a device that never booted). Outputs are atomic.\n";

#define MAX_WRITES 32

struct flash_args {
    const char *out, *table, *chip;
    uint32_t size, table_offset;
    uint32_t counter_bits; /* 0 = the chip's default */
    const char *writes[MAX_WRITES];
    int write_count;
};

/* "4MB", "4M", "512K", "0x400000", "4194304". */
static bool parse_size(const char *text, uint32_t *out)
{
    char buf[32];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf) {
        return false;
    }
    memcpy(buf, text, n + 1);
    if (n >= 2 && (buf[n - 1] == 'B' || buf[n - 1] == 'b') && strchr("kKmM", buf[n - 2])) {
        buf[n - 1] = '\0';
    }
    return cli_parse_u32(buf, out) && *out > 0;
}

static int parse_args(struct flash_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (!strcmp(arg, "-o") || !strcmp(arg, "--table") || !strcmp(arg, "--size") ||
            !strcmp(arg, "--table-offset") || !strcmp(arg, "--chip") || !strcmp(arg, "--write") ||
            !strcmp(arg, "--secure-version-bits")) {
            if (!(v = devcli_value(argc, argv, &i))) {
                return CLI_EXIT_USAGE;
            }
        } else {
            return cli_error("flash create: unexpected argument '%s' (see `ota flash --help`)", arg);
        }
        if (!strcmp(arg, "-o")) {
            a->out = v;
        } else if (!strcmp(arg, "--table")) {
            a->table = v;
        } else if (!strcmp(arg, "--chip")) {
            a->chip = v;
        } else if (!strcmp(arg, "--size") && !parse_size(v, &a->size)) {
            return cli_error("--size: invalid size '%s'", v);
        } else if (!strcmp(arg, "--table-offset") && !cli_parse_u32(v, &a->table_offset)) {
            return cli_error("--table-offset: invalid offset '%s'", v);
        } else if (!strcmp(arg, "--secure-version-bits") &&
                   (!cli_parse_u32(v, &a->counter_bits) || !a->counter_bits)) {
            return cli_error("--secure-version-bits: invalid number '%s'", v);
        } else if (!strcmp(arg, "--write")) {
            if (a->write_count == MAX_WRITES) {
                return cli_error("--write: at most %d files", MAX_WRITES);
            }
            a->writes[a->write_count++] = v;
        }
    }
    if (!a->out || !a->table || !a->size) {
        return cli_error("flash create: -o FLASH, --size SIZE and --table TABLE are required");
    }
    return 0;
}

/* The table as its binary form: a binary table as given, a CSV converted like gen_esp32part. */
static int table_binary(const struct flash_args *a, uint8_t *bin, size_t *len)
{
    uint8_t *data;
    size_t n;
    int rc = cli_read_file(a->table, &data, &n);
    if (rc) {
        return rc;
    }
    if (partcsv_is_binary(data, n)) {
        if (n > 0x1000) {
            free(data);
            return cli_error("'%s': a binary partition table has at most 4096 bytes", a->table);
        }
        memcpy(bin, data, n);
        *len = n;
        free(data);
        return 0;
    }
    partcsv_opts_t opts;
    partcsv_opts_init(&opts);
    opts.table_offset = a->table_offset;
    opts.quiet = true;
    opts.log = stderr;
    partcsv_error_t perr;
    ota_partition_table_t table;
    ota_err_t err = partcsv_parse(data, n, &opts, &table, &perr);
    free(data);
    if (err) {
        /* one line: gen_esp32part's text without its second line (a build hint) */
        return cli_error("'%s': %.*s", a->table, (int)strcspn(perr.message, "\n"), perr.message);
    }
    mbedtls_md5_context md5_ctx;
    ota_hash_t md5;
    ota_port_md5_init(&md5, &md5_ctx);
    err = ota_partition_table_serialize(&table, &md5, bin, OTA_PART_TABLE_MAX_LEN);
    *len = OTA_PART_TABLE_MAX_LEN;
    return err ? cli_error("'%s': %s", a->table, ota_strerror(err)) : 0;
}

/* --write LABEL=FILE */
static int write_file(hostdev_t *d, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        return cli_error("--write: expected LABEL=FILE, got '%s'", spec);
    }
    char label[OTA_PART_LABEL_LEN + 2];
    snprintf(label, sizeof label, "%.*s", (int)(eq - spec), spec);
    uint8_t *data;
    size_t len;
    int rc = cli_read_file(eq + 1, &data, &len);
    if (rc) {
        return rc;
    }
    ota_err_t err = hostdev_write_partition(d, label, data, len);
    free(data);
    return err ? devcli_error(d, "--write", err) : 0;
}

static int create(const struct flash_args *a)
{
    uint8_t bin[0x1000];
    size_t len = 0;
    int rc = table_binary(a, bin, &len);
    hostdev_t *d = rc ? NULL : malloc(sizeof *d);
    if (rc || !d) {
        return rc ? rc : cli_error("out of memory");
    }
    ota_err_t err = hostdev_create(d, a->size, a->table_offset, bin, len, a->chip);
    if (!err && a->counter_bits) {
        err = hostdev_set_counter_bits(d, a->counter_bits);
    }
    rc = err ? devcli_error(d, a->out, err) : 0;
    for (int i = 0; i < a->write_count && !rc; i++) {
        rc = write_file(d, a->writes[i]);
    }
    if (rc) {
        devcli_close(d);
        return rc;
    }
    size_t count = d->table.count;
    rc = devcli_save_close(d, a->out);
    if (!rc) {
        printf("%s: %u bytes, partition table at 0x%x (%zu partitions)\n", a->out,
               (unsigned)a->size, (unsigned)a->table_offset, count);
    }
    return rc;
}

int cmd_flash(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(k_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "create")) {
        return cli_error("flash: unknown subcommand '%s' (see `ota flash --help`)", argv[1]);
    }
    struct flash_args a = {.table_offset = OTA_PART_TABLE_OFFSET_DEFAULT};
    int rc = parse_args(&a, argc - 1, argv + 1);
    return rc ? rc : create(&a);
}
