#include "hostdev.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ota_port/sig_mbedtls.h"

static ota_err_t fail(hostdev_t *d, ota_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ota_err_t fail(hostdev_t *d, ota_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
    return err;
}

/* Hashes, a blank state and a RAM flash of `size` bytes. */
static ota_err_t init_common(hostdev_t *d, uint32_t size)
{
    memset(d, 0, sizeof *d);
    ota_port_sha256_init(&d->sha256, &d->sha256_ctx);
    ota_port_sha384_init(&d->sha384, &d->sha384_ctx);
    ota_port_md5_init(&d->md5, &d->md5_ctx);
    ota_port_sig_engine_init(&d->sig_engine);
    d->state.table_offset = OTA_PART_TABLE_OFFSET_DEFAULT;
    d->state.chip_rev = OTA_CHIP_REV_ANY;
    ota_simflash_geometry_t geo = {size, HOSTDEV_SECTOR, 1};
    ota_err_t err = ota_simflash_init_ram(&d->sim, &geo);
    if (err) {
        return fail(d, err, "cannot make a %" PRIu32 "-byte flash (size must be a non-zero multiple of 4 KiB)",
                    size);
    }
    return OTA_OK;
}

static ota_err_t set_chip(hostdev_t *d, const char *chip)
{
    if (!chip || !*chip) {
        d->state.chip[0] = '\0';
        return OTA_OK;
    }
    const ota_chip_t *c = ota_chip_by_name(chip);
    if (!c || strlen(chip) >= sizeof d->state.chip) {
        return fail(d, OTA_ERR_INVALID_ARG, "unknown chip '%s'", chip);
    }
    snprintf(d->state.chip, sizeof d->state.chip, "%s", ota_chip_name(c->chip_id));
    d->device = (ota_image_device_t){.chip_id = c->chip_id, .chip_rev = d->state.chip_rev};
    return OTA_OK;
}

static ota_err_t load_table(hostdev_t *d)
{
    ota_partition_parse_opts_t opts = {.md5 = &d->md5, .check_overlap = true};
    ota_err_t err = ota_partition_table_load(&d->sim.flash, d->state.table_offset, &opts,
                                             d->scratch, &d->table);
    if (err) {
        return fail(d, err, "partition table at 0x%" PRIx32 ": %s", d->state.table_offset,
                    ota_strerror(err));
    }
    return OTA_OK;
}

ota_err_t hostdev_create(hostdev_t *d, uint32_t flash_size, uint32_t table_offset,
                         const uint8_t *table_bin, size_t table_len, const char *chip)
{
    ota_err_t err = init_common(d, flash_size);
    if (err) {
        return err;
    }
    d->state.table_offset = table_offset;
    if (table_offset % HOSTDEV_SECTOR || table_len > HOSTDEV_SECTOR ||
        !ota_flash_in_range(&d->sim.flash, table_offset, HOSTDEV_SECTOR)) {
        return fail(d, OTA_ERR_INVALID_ARG,
                    "the partition table must fit in the 4 KiB sector at 0x%" PRIx32 " of the flash",
                    table_offset);
    }
    memcpy(d->sim.mem + table_offset, table_bin, table_len);
    err = set_chip(d, chip);
    d->state.secure_version_bits = hostdev_counter_bits_default(d);
    return err ? err : load_table(d);
}

/* ---- Files ------------------------------------------------------------------- */

static char *state_path(const char *flash_path)
{
    size_t n = strlen(flash_path) + sizeof HOSTDEV_STATE_SUFFIX;
    char *p = malloc(n);
    if (p) {
        snprintf(p, n, "%s%s", flash_path, HOSTDEV_STATE_SUFFIX);
    }
    return p;
}

/* Copy a string value if it fits. */
static bool copy_value(char *dst, size_t size, const char *v)
{
    if (strlen(v) >= size) {
        return false;
    }
    memcpy(dst, v, strlen(v) + 1);
    return true;
}

/* One "key=value" line of the state file; chip is kept aside until chip_rev is known. */
static bool state_line(hostdev_t *d, char *line, char *chip)
{
    char *eq = strchr(line, '=');
    if (!eq) {
        return line[0] == '\0' || line[0] == '#';
    }
    *eq = '\0';
    const char *k = line, *v = eq + 1;
    if (!strcmp(k, "running")) {
        return copy_value(d->state.running, sizeof d->state.running, v);
    }
    if (!strcmp(k, "chip")) {
        return copy_value(chip, HOSTDEV_CHIP_NAME_MAX, v);
    }
    uint32_t n = 0;
    bool ok = cli_parse_u32(v, &n);
    if (!strcmp(k, "secure_version")) {
        d->state.secure_version = n;
    } else if (!strcmp(k, "secure_version_bits")) {
        ok = ok && n >= 1 && n <= HOSTDEV_COUNTER_BITS_MAX;
        d->state.secure_version_bits = n;
    } else if (!strcmp(k, "table_offset")) {
        d->state.table_offset = n;
    } else if (!strcmp(k, "chip_rev")) {
        ok = ok && n <= 0xFFFF;
        d->state.chip_rev = (uint16_t)n;
    } else if (!strcmp(k, "boots")) {
        d->state.boots = n;
    }
    return ok; /* unknown keys are ignored when their value is a number */
}

static ota_err_t read_state(hostdev_t *d, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return errno == ENOENT ? OTA_OK
                               : fail(d, OTA_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    }
    char line[128], chip[HOSTDEV_CHIP_NAME_MAX] = "";
    unsigned no = 0;
    ota_err_t err = OTA_OK;
    while (!err && fgets(line, sizeof line, f)) {
        no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!state_line(d, line, chip)) {
            err = fail(d, OTA_ERR_INVALID_ARG, "'%s' line %u: invalid value", path, no);
        }
    }
    fclose(f);
    return err ? err : set_chip(d, chip);
}

/* A counter beyond its field cannot exist; older state files name no field size. */
static ota_err_t check_counter(hostdev_t *d, const char *path)
{
    if (!d->state.secure_version_bits) {
        d->state.secure_version_bits = hostdev_counter_bits_default(d);
    }
    if (d->state.secure_version > d->state.secure_version_bits) {
        return fail(d, OTA_ERR_INVALID_ARG,
                    "'%s': secure_version %" PRIu32 " does not fit in %" PRIu32 " eFuse bits", path,
                    d->state.secure_version, d->state.secure_version_bits);
    }
    return OTA_OK;
}

static ota_err_t find_running(hostdev_t *d)
{
    d->running = NULL;
    if (!d->state.running[0]) {
        return OTA_OK;
    }
    d->running = ota_partition_find_first(&d->table, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY,
                                          d->state.running);
    return d->running ? OTA_OK
                      : fail(d, OTA_ERR_INVALID_ARG, "state names running app '%s', not in the table",
                             d->state.running);
}

/* FLASH into the RAM simulator. */
static ota_err_t read_flash(hostdev_t *d, const char *flash_path)
{
    FILE *f = fopen(flash_path, "rb");
    if (!f) {
        memset(d, 0, sizeof *d);
        return fail(d, OTA_ERR_IO, "cannot open '%s': %s", flash_path, strerror(errno));
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    rewind(f);
    ota_err_t err = OTA_OK;
    if (size <= 0 || size > (long)UINT32_MAX) {
        memset(d, 0, sizeof *d);
        err = fail(d, OTA_ERR_IO, "'%s' is empty or too large for a flash", flash_path);
    } else if (!(err = init_common(d, (uint32_t)size)) &&
               fread(d->sim.mem, 1, (size_t)size, f) != (size_t)size) {
        err = fail(d, OTA_ERR_IO, "cannot read '%s'", flash_path);
    }
    fclose(f);
    return err;
}

ota_err_t hostdev_load(hostdev_t *d, const char *flash_path)
{
    ota_err_t err = read_flash(d, flash_path);
    char *sp = err ? NULL : state_path(flash_path);
    if (!err) {
        err = sp ? read_state(d, sp) : fail(d, OTA_ERR_IO, "out of memory");
    }
    if (!err) {
        err = check_counter(d, sp);
    }
    free(sp);
    if (!err) {
        err = load_table(d);
    }
    return err ? err : find_running(d);
}

static void format_state(const hostdev_state_t *s, char *buf, size_t len)
{
    snprintf(buf, len,
             "# libota simulated device (see tools/hostdev.h)\n"
             "running=%s\nsecure_version=%" PRIu32 "\nsecure_version_bits=%" PRIu32
             "\ntable_offset=0x%" PRIx32 "\nchip=%s\nchip_rev=%u\nboots=%" PRIu32 "\n",
             s->running, s->secure_version, s->secure_version_bits, s->table_offset, s->chip,
             (unsigned)s->chip_rev, s->boots);
}

ota_err_t hostdev_save(hostdev_t *d, const char *flash_path)
{
    char text[512];
    format_state(&d->state, text, sizeof text);
    char *sp = state_path(flash_path);
    int e = sp ? cli_write_file_atomic(flash_path, d->sim.mem, d->sim.flash.size) : ENOMEM;
    const char *which = flash_path;
    if (!e) {
        e = cli_write_file_atomic(sp, text, strlen(text));
        which = sp;
    }
    ota_err_t err = e ? fail(d, OTA_ERR_IO, "cannot write '%s': %s", which, strerror(e)) : OTA_OK;
    free(sp);
    return err;
}

void hostdev_close(hostdev_t *d)
{
    ota_simflash_close(&d->sim);
}

/* ---- Device ---------------------------------------------------------------------- */

uint32_t hostdev_counter_bits_default(const hostdev_t *d)
{
    if (!d->state.chip[0]) {
        return 16;
    }
    switch (d->device.chip_id) {
    case OTA_CHIP_ESP32:
        return 32;
    case OTA_CHIP_ESP32C2:
        return 4;
    case OTA_CHIP_ESP32C5:
        return 9;
    default:
        return 16;
    }
}

ota_err_t hostdev_set_counter_bits(hostdev_t *d, uint32_t bits)
{
    if (bits < 1 || bits > HOSTDEV_COUNTER_BITS_MAX || bits < d->state.secure_version) {
        return fail(d, OTA_ERR_INVALID_ARG,
                    "the counter needs 1 to %u eFuse bits, and at least its value %" PRIu32,
                    HOSTDEV_COUNTER_BITS_MAX, d->state.secure_version);
    }
    d->state.secure_version_bits = bits;
    return OTA_OK;
}

hostdev_counter_t hostdev_counter(const hostdev_t *d)
{
    const hostdev_state_t *s = &d->state;
    return (hostdev_counter_t){s->secure_version, s->secure_version_bits,
                               s->secure_version_bits - s->secure_version};
}

const ota_partition_t *hostdev_part(const hostdev_t *d, const char *label)
{
    return ota_partition_find_first(&d->table, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, label);
}

ota_err_t hostdev_write_partition(hostdev_t *d, const char *label, const uint8_t *data, size_t len)
{
    const ota_partition_t *p = hostdev_part(d, label);
    if (!p) {
        return fail(d, OTA_ERR_NOT_FOUND, "no partition '%s' in the table", label);
    }
    if (len > p->size) {
        return fail(d, OTA_ERR_OTA_TOO_LARGE, "%zu bytes do not fit in partition '%s' (%" PRIu32 " bytes)",
                    len, label, p->size);
    }
    ota_err_t err = ota_flash_erase_range(&d->sim.flash, p->offset, p->size);
    if (!err) {
        err = ota_flash_write(&d->sim.flash, p->offset, data, len);
    }
    return err ? fail(d, err, "writing '%s': %s", label, ota_strerror(err)) : OTA_OK;
}

/* The signature policy of this build, or NULL when signatures are not required. */
static ota_err_t sig_policy(hostdev_t *d, const hostdev_build_t *build, ota_sig_policy_t **out)
{
    const hostdev_keys_t *keys = &build->require_signed;
    *out = NULL;
    if (!keys->count) {
        return OTA_OK;
    }
    if (keys->count > OTA_SIGV2_MAX_TRUSTED || !keys->digests) {
        return fail(d, OTA_ERR_INVALID_ARG, "1 to %u trusted keys", OTA_SIGV2_MAX_TRUSTED);
    }
    d->sig_policy = (ota_sig_policy_t){.sig = {
                                           .sha256 = &d->sha256,
                                           .sha384 = &d->sha384,
                                           .engine = &d->sig_engine,
                                           .key_digests = keys->digests,
                                           .key_count = keys->count,
                                           .revoked = keys->revoked,
                                           .buf = d->sig_buf,
                                           .buf_len = sizeof d->sig_buf,
                                       }};
    *out = &d->sig_policy;
    return OTA_OK;
}

/* The bootloader may check an image twice (selection, loading): noted once. */
static void note_rejection(hostdev_t *d, const ota_partition_t *p, ota_err_t err)
{
    for (size_t i = 0; i < d->rejected_count; i++) {
        if (d->rejected[i].partition == p) {
            return;
        }
    }
    if (d->rejected_count < HOSTDEV_REJECTIONS_MAX) {
        d->rejected[d->rejected_count++] = (hostdev_rejection_t){p, err};
    }
}

/* ota_boot_check_image_fn: the core's check, noting what it refuses. */
static ota_err_t boot_check_image(void *arg, const ota_partition_t *p, uint32_t *secure_version)
{
    hostdev_t *d = arg;
    ota_err_t err = ota_boot_image_check(&d->boot_check, p, secure_version);
    if (err) {
        note_rejection(d, p, err);
    }
    return err;
}

/* ota_boot_raise_version_fn and the app's counter accessors: the eFuse is the state file.
 * Bits are only ever burnt, so a lower value changes nothing. */
static ota_err_t raise_counter(void *arg, uint32_t version)
{
    hostdev_t *d = arg;
    if (version > d->state.secure_version_bits) {
        return OTA_ERR_OTA_SEC_VER_EXHAUSTED;
    }
    if (version > d->state.secure_version) {
        d->state.secure_version = version;
    }
    return OTA_OK;
}

static ota_err_t read_counter(void *arg, uint32_t *version)
{
    *version = ((hostdev_t *)arg)->state.secure_version;
    return OTA_OK;
}

/* " (refused factory: OTA_ERR_..., ota_0: ...)", or "" when nothing was refused. */
static void describe_rejections(const hostdev_t *d, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < d->rejected_count && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s: %s%s", i ? ", " : " (refused ",
                         d->rejected[i].partition->label, ota_err_name(d->rejected[i].err),
                         i + 1 == d->rejected_count ? ")" : "");
        used += n > 0 ? (size_t)n : 0;
    }
}

/* The bootloader's image check of this build: chip, and signatures if required. */
static ota_err_t setup_boot_check(hostdev_t *d, const hostdev_build_t *build)
{
    ota_sig_policy_t *policy;
    ota_err_t err = sig_policy(d, build, &policy);
    d->boot_check = (ota_boot_image_check_t){
        .flash = &d->sim.flash,
        .sha256 = &d->sha256,
        .device = d->state.chip[0] ? &d->device : NULL,
        .scratch = d->scratch,
        .scratch_len = sizeof d->scratch,
        .policy = policy ? ota_sig_policy_check : NULL,
        .policy_ctx = policy,
    };
    d->rejected_count = 0;
    return err;
}

ota_err_t hostdev_boot(hostdev_t *d, const hostdev_build_t *build, const hostdev_pins_t *pins,
                       ota_boot_result_t *res)
{
    static const hostdev_pins_t none = {0};
    pins = pins ? pins : &none;
    ota_err_t err = setup_boot_check(d, build);
    if (err) {
        return err;
    }
    ota_boot_config_t cfg = {
        .rollback = build->rollback || build->anti_rollback,
        .anti_rollback = build->anti_rollback,
        .secure_version = d->state.secure_version,
        .raise_version = raise_counter,
        .check_image = boot_check_image,
        .ctx = d,
        .test_app_request = pins->test_app,
        .factory_reset_request = pins->factory_reset,
        .factory_reset_labels = pins->factory_reset_labels,
        .factory_reset_erase_otadata = pins->factory_reset,
        .writes = build->writes,
    };
    err = ota_boot_select(&d->sim.flash, &d->table, &cfg, res);
    d->state.boots++;
    d->state.running[0] = '\0';
    d->running = err ? NULL : res->partition;
    if (err) {
        char why[192];
        describe_rejections(d, why, sizeof why);
        return fail(d, err, "boot failed: %s%s", ota_strerror(err), why);
    }
    snprintf(d->state.running, sizeof d->state.running, "%s", res->partition->label);
    return OTA_OK;
}

/* Where the ROM loads the second-stage bootloader from (spec §1.1). */
static uint32_t bootloader_offset(uint16_t chip_id)
{
    switch (chip_id) {
    case OTA_CHIP_ESP32:
    case OTA_CHIP_ESP32S2:
        return 0x1000;
    case OTA_CHIP_ESP32P4:
    case OTA_CHIP_ESP32C5:
    case OTA_CHIP_ESP32S31:
        return 0x2000;
    default:
        return 0;
    }
}

ota_err_t hostdev_app(hostdev_t *d, const hostdev_build_t *build)
{
    ota_sig_policy_t *policy;
    ota_err_t err = sig_policy(d, build, &policy);
    if (err) {
        return err;
    }
    ota_config_t cfg = {
        .flash = &d->sim.flash,
        .table = &d->table,
        .running = d->running,
        .sha256 = &d->sha256,
        .md5 = &d->md5,
        .scratch = d->scratch,
        .scratch_len = sizeof d->scratch,
        .rollback = build->rollback || build->anti_rollback,
        .otadata_writes = build->writes,
        .anti_rollback = build->anti_rollback,
        .read_secure_version = read_counter,
        .raise_secure_version = raise_counter,
        .secure_version_ctx = d,
        .secure_version_max = d->state.secure_version_bits,
        .device = d->state.chip[0] ? &d->device : NULL,
        .image_policy = policy ? ota_sig_policy_check : NULL,
        .image_policy_ctx = policy,
        /* The primary bootloader region is known only for a known chip. */
        .bootloader_offset = d->state.chip[0] ? bootloader_offset(d->device.chip_id) : 0,
        .table_offset = d->state.chip[0] ? d->state.table_offset : 0,
    };
    err = ota_init(&d->ota, &cfg);
    return err ? fail(d, err, "cannot set up the app context: %s", ota_strerror(err)) : OTA_OK;
}
