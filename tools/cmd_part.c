/*
 * ota part: partition table CSV <-> binary, a drop-in for ESP-IDF's
 * gen_esp32part.py (same options, same output bytes, same stderr text).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ota_port/hash_mbedtls.h"
#include "partcsv.h"

static const char k_usage[] =
    "usage: ota part [OPTIONS] IN [OUT]\n"
    "\n"
    "Convert an ESP-IDF partition table, as gen_esp32part.py does: CSV input gives\n"
    "the binary table (0xC00 bytes), a binary table (first bytes AA 50) gives CSV.\n"
    "OUT omitted or '-' writes to standard output. The table is verified first.\n"
    "\n"
    "options:\n"
    "  --flash-size SIZE        check the table fits: 1MB 2MB 4MB 8MB 16MB 32MB 64MB 128MB\n"
    "  -o, --offset N           partition table offset (default 0x8000)\n"
    "  --primary-bootloader-offset N   needed by 'bootloader' rows\n"
    "  --recovery-bootloader-offset N  needed by 'bootloader, recovery' rows\n"
    "  --secure [v1|v2]         app sizes suitable for secure boot (bare flag: v1)\n"
    "  --extra-partition-subtypes TYPE,NAME,VALUE...  more subtype names (VALUE in hex)\n"
    "  --disable-md5sum         no MD5 entry in the binary table (nor expected in one)\n"
    "  --no-verify              skip the table checks\n"
    "  -q, --quiet              no status lines on stderr\n"
    "  -v, --verify             accepted for compatibility; verification is the default\n"
    "  --json                   print the table as JSON on stdout (OUT, if given, is\n"
    "                           still written)\n"
    "  -h, --help               this text\n"
    "\n"
    "Errors are printed as gen_esp32part prints them; exit status 2.\n";

static const char *const k_flash_sizes[] = {"1MB", "2MB", "4MB", "8MB", "16MB", "32MB", "64MB", "128MB"};

struct part_args {
    partcsv_opts_t opts;
    partcsv_keywords_t keywords;
    const char *in, *out;
    bool json;
};

static int parse_flash_size(const char *v, unsigned *mb)
{
    for (size_t i = 0; i < sizeof k_flash_sizes / sizeof k_flash_sizes[0]; i++) {
        if (!strcmp(v, k_flash_sizes[i])) {
            *mb = (unsigned)atoi(v);
            return 0;
        }
    }
    return cli_error("--flash-size: invalid choice '%s' (choose from 1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB, 128MB)",
                     v);
}

/* given (may be NULL) records that the option was used. */
static int parse_offset(const char *opt, const char *v, uint32_t *out, bool *given)
{
    if (!cli_parse_u32(v, out)) {
        return cli_error("%s: invalid offset '%s'", opt, v);
    }
    if (given) {
        *given = true;
    }
    return 0;
}

/* Upstream's error text goes to stderr as is; returns the exit status. */
static int report(const partcsv_error_t *err)
{
    fprintf(stderr, "%s\n", err->message);
    return CLI_EXIT_USAGE;
}

static int add_extra_subtype(struct part_args *a, const char *spec)
{
    partcsv_error_t err;
    return partcsv_keywords_add(&a->keywords, spec, &err) ? report(&err) : 0;
}

/* "--name", "--name=VALUE" or the short alias. */
static bool is_option(const char *arg, const char *name, const char *alias)
{
    size_t n = strcspn(arg, "=");
    return (strlen(name) == n && !strncmp(arg, name, n)) || (alias && !strcmp(arg, alias));
}

enum { OPT_FLASH_SIZE, OPT_OFFSET, OPT_PRIMARY_BL, OPT_RECOVERY_BL, OPT_VALUED_COUNT };

static const struct {
    const char *name, *alias;
} k_valued[OPT_VALUED_COUNT] = {
    {"--flash-size", NULL},
    {"--offset", "-o"},
    {"--primary-bootloader-offset", NULL},
    {"--recovery-bootloader-offset", NULL},
};

/* Options with a value ("--opt=V" or "--opt V"). Returns -1 when arg is none of them. */
static int parse_valued_option(struct part_args *a, int argc, char **argv, int *i)
{
    partcsv_opts_t *o = &a->opts;
    const char *eq = strchr(argv[*i], '=');
    for (int k = 0; k < OPT_VALUED_COUNT; k++) {
        if (!is_option(argv[*i], k_valued[k].name, k_valued[k].alias)) {
            continue;
        }
        const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
        if (!v) {
            return cli_error("%s needs a value", k_valued[k].name);
        }
        switch (k) {
        case OPT_FLASH_SIZE:
            return parse_flash_size(v, &o->flash_size_mb);
        case OPT_OFFSET:
            return parse_offset(k_valued[k].name, v, &o->table_offset, NULL);
        case OPT_PRIMARY_BL:
            return parse_offset(k_valued[k].name, v, &o->primary_bootloader_offset,
                                &o->has_primary_bootloader_offset);
        default:
            return parse_offset(k_valued[k].name, v, &o->recovery_bootloader_offset,
                                &o->has_recovery_bootloader_offset);
        }
    }
    return -1;
}

/* --secure [v1|v2]: the value is optional, as upstream (bare flag = v1). */
static int parse_secure(struct part_args *a, int argc, char **argv, int *i)
{
    const char *eq = strchr(argv[*i], '=');
    const char *v = eq ? eq + 1 : NULL;
    if (!v && *i + 1 < argc && (!strcmp(argv[*i + 1], "v1") || !strcmp(argv[*i + 1], "v2"))) {
        v = argv[++*i];
    }
    if (v && strcmp(v, "v1") && strcmp(v, "v2")) {
        return cli_error("--secure: invalid choice '%s' (choose from v1, v2)", v);
    }
    a->opts.secure = v && !strcmp(v, "v2") ? PARTCSV_SECURE_V2 : PARTCSV_SECURE_V1;
    return 0;
}

/* --extra-partition-subtypes takes every following TYPE,NAME,VALUE word. */
static int parse_extra_subtypes(struct part_args *a, int argc, char **argv, int *i)
{
    const char *eq = strchr(argv[*i], '=');
    int rc = eq ? add_extra_subtype(a, eq + 1) : 0;
    while (!rc && *i + 1 < argc && argv[*i + 1][0] != '-' && strchr(argv[*i + 1], ',')) {
        rc = add_extra_subtype(a, argv[++*i]);
    }
    return rc;
}

/* Options without a value. Returns -1 when arg is none of them. */
static int parse_flag_option(struct part_args *a, const char *arg)
{
    partcsv_opts_t *o = &a->opts;
    bool *flag = !strcmp(arg, "--disable-md5sum")                  ? &o->disable_md5
                 : !strcmp(arg, "--no-verify")                     ? &o->no_verify
                 : (!strcmp(arg, "--quiet") || !strcmp(arg, "-q")) ? &o->quiet
                 : !strcmp(arg, "--json")                          ? &a->json
                 : NULL;
    if (flag) {
        *flag = true;
        return 0;
    }
    return !strcmp(arg, "--verify") || !strcmp(arg, "-v") ? 0 : -1;
}

static int parse_option(struct part_args *a, int argc, char **argv, int *i)
{
    if (is_option(argv[*i], "--secure", NULL)) {
        return parse_secure(a, argc, argv, i);
    }
    if (is_option(argv[*i], "--extra-partition-subtypes", NULL)) {
        return parse_extra_subtypes(a, argc, argv, i);
    }
    int rc = parse_valued_option(a, argc, argv, i);
    rc = rc < 0 ? parse_flag_option(a, argv[*i]) : rc;
    return rc < 0 ? cli_error("unknown option '%s' (try `ota part --help`)", argv[*i]) : rc;
}

static int parse_args(struct part_args *a, int argc, char **argv)
{
    bool positional_only = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!positional_only && !strcmp(arg, "--")) {
            positional_only = true;
        } else if (positional_only || arg[0] != '-' || !strcmp(arg, "-")) {
            if (a->in && a->out) {
                return cli_error("unexpected argument '%s' (try `ota part --help`)", arg);
            }
            *(a->in ? &a->out : &a->in) = arg;
        } else {
            int rc = parse_option(a, argc, argv, &i);
            if (rc) {
                return rc;
            }
        }
    }
    if (!a->in) {
        return cli_error("missing input file (try `ota part --help`)");
    }
    if (a->json && a->out && !strcmp(a->out, "-")) {
        return cli_error("--json already uses standard output: give OUT as a file");
    }
    return 0;
}

static void print_json(const ota_partition_table_t *t)
{
    printf("{\"entries\": [");
    for (size_t i = 0; i < t->count; i++) {
        const ota_partition_t *p = &t->entries[i];
        printf("%s\n  {\"name\": ", i ? "," : "");
        cli_json_str(stdout, p->label);
        printf(", \"type\": %u, \"subtype\": %u, \"offset\": %lu, \"size\": %lu, \"flags\": %lu, "
               "\"encrypted\": %s, \"readonly\": %s}",
               p->type, p->subtype, (unsigned long)p->offset, (unsigned long)p->size, (unsigned long)p->flags,
               p->flags & OTA_PART_FLAG_ENCRYPTED ? "true" : "false",
               p->flags & OTA_PART_FLAG_READONLY ? "true" : "false");
    }
    printf("%s]}\n", t->count ? "\n" : "");
}

static int write_binary(const struct part_args *a, const ota_partition_table_t *t)
{
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    mbedtls_md5_context ctx;
    ota_hash_t md5;
    ota_port_md5_init(&md5, &ctx);
    ota_err_t e = ota_partition_table_serialize(t, a->opts.disable_md5 ? NULL : &md5, bin, sizeof bin);
    if (e) {
        return cli_error("cannot write the binary table: %s", ota_strerror(e));
    }
    return cli_write_file(a->out ? a->out : "-", bin, sizeof bin);
}

static int write_csv(const struct part_args *a, const ota_partition_table_t *t)
{
    char *text = partcsv_table_to_csv(t, &a->keywords, false);
    if (!text) {
        return cli_error("out of memory");
    }
    int rc = cli_write_file(a->out ? a->out : "-", text, strlen(text));
    free(text);
    return rc;
}

static int convert(struct part_args *a)
{
    uint8_t *data;
    size_t len;
    int rc = cli_read_file(a->in, &data, &len);
    if (rc) {
        return rc;
    }
    ota_partition_table_t table;
    partcsv_error_t err;
    bool binary = partcsv_is_binary(data, len);
    a->opts.keywords = &a->keywords;
    a->opts.log = stderr;
    ota_err_t e = partcsv_parse(data, len, &a->opts, &table, &err);
    free(data);
    if (e) {
        return report(&err);
    }
    if (a->json) {
        print_json(&table);
    }
    if (a->json && !a->out) {
        return 0;
    }
    return binary ? write_csv(a, &table) : write_binary(a, &table);
}

int cmd_part(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(k_usage, stdout);
            return 0;
        }
    }
    struct part_args a = {0};
    partcsv_opts_init(&a.opts);
    int rc = parse_args(&a, argc, argv);
    if (!rc) {
        rc = convert(&a);
    }
    partcsv_keywords_free(&a.keywords);
    return rc;
}
