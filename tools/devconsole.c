#include "devconsole.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24u
#define REDRAW_MS 100u

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void devcon_init(devcon_t *c)
{
    *c = (devcon_t){.tty = isatty(STDOUT_FILENO) != 0};
    devcon_power_on(c);
}

void devcon_power_on(devcon_t *c)
{
    c->t0_ms = mono_ms();
}

void devcon_log(devcon_t *c, char level, const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%c (%" PRIu64 ") %s: ", level, mono_ms() - c->t0_ms, tag);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* ---- bootloader --------------------------------------------------------------- */

/* The "Usage" column of ESP-IDF's partition table printout. */
static const char *usage_of(const ota_partition_t *p)
{
    if (p->type == OTA_PART_TYPE_APP) {
        return p->subtype == OTA_PART_SUBTYPE_FACTORY ? "factory app"
               : p->subtype == OTA_PART_SUBTYPE_TEST  ? "test app"
               : OTA_PART_IS_OTA_SLOT(p)              ? "OTA app"
                                                      : "Unknown app";
    }
    if (p->type == OTA_PART_TYPE_DATA) {
        return p->subtype == OTA_PART_SUBTYPE_DATA_OTA   ? "OTA data"
               : p->subtype == OTA_PART_SUBTYPE_DATA_PHY ? "RF data"
               : p->subtype == OTA_PART_SUBTYPE_DATA_NVS ? "WiFi data"
                                                         : "Unknown data";
    }
    return "Unknown";
}

static void report_table(devcon_t *c, const ota_partition_table_t *t)
{
    devcon_log(c, 'I', "boot", "Partition Table:");
    devcon_log(c, 'I', "boot", "## Label            Usage          Type ST Offset   Length");
    for (size_t i = 0; i < t->count; i++) {
        const ota_partition_t *p = &t->entries[i];
        devcon_log(c, 'I', "boot", "%2zu %-16s %-16s %02x %02x %08" PRIx32 " %08" PRIx32, i, p->label,
                   usage_of(p), p->type, p->subtype, p->offset, p->size);
    }
    devcon_log(c, 'I', "boot", "End of partition table");
}

static void report_entry(devcon_t *c, const char *what, unsigned i, const ota_select_entry_t *e)
{
    if (e->seq == OTA_OTADATA_SEQ_ERASED) {
        devcon_log(c, 'I', "boot", "otadata %s %u: empty", what, i);
    } else {
        devcon_log(c, 'I', "boot", "otadata %s %u: seq %" PRIu32 ", %s%s", what, i, e->seq,
                   ota_img_state_name(e->state), ota_select_entry_crc_ok(e) ? "" : " (bad CRC)");
    }
}

static void report_otadata(devcon_t *c, hostdev_t *d, const ota_boot_result_t *res)
{
    for (size_t i = 0; i < res->op_count; i++) {
        const ota_boot_op_t *op = &res->ops[i];
        if (op->kind == OTA_BOOT_OP_ERASE_OTADATA) {
            devcon_log(c, 'I', "boot", "otadata erased (factory reset)");
        } else {
            report_entry(c, op->kind == OTA_BOOT_OP_RESTORE_ENTRY ? "restore" : "write", op->sector,
                         &op->entry);
        }
    }
    const ota_partition_t *od = ota_otadata_partition(&d->table);
    ota_select_entry_t e[2];
    if (od && ota_otadata_read(&d->sim.flash, od, e) == OTA_OK) {
        report_entry(c, "entry", 0, &e[0]);
        report_entry(c, "entry", 1, &e[1]);
    }
}

static void report_segments(devcon_t *c, hostdev_t *d, const ota_partition_t *p)
{
    ota_image_info_t info;
    ota_image_verify_opts_t opts = {.kind = OTA_IMAGE_APP};
    if (ota_image_verify(&d->sim.flash, p->offset, p->size, &opts, &d->sha256, d->scratch,
                         sizeof d->scratch, &info) != OTA_OK) {
        return;
    }
    for (unsigned i = 0; i < info.segments_read; i++) {
        const ota_image_segment_t *s = &info.segments[i];
        devcon_log(c, 'I', "esp_image", "segment %u: paddr=%08" PRIx32 " vaddr=%08" PRIx32
                   " size=%05" PRIx32 "h (%6" PRIu32 ")", i, p->offset + s->data_offset,
                   s->load_addr, s->data_len, s->data_len);
    }
}

void devcon_boot_report(devcon_t *c, hostdev_t *d, const ota_boot_result_t *res)
{
    const ota_partition_t *p = res->partition;
    devcon_log(c, 'I', "boot", "libota simulated bootloader, power-on #%" PRIu32, d->state.boots);
    devcon_log(c, 'I', "boot", "chip: %s", d->state.chip[0] ? d->state.chip : "any");
    report_table(c, &d->table);
    report_otadata(c, d, res);
    for (size_t i = 0; i < d->rejected_count; i++) {
        devcon_log(c, 'E', "boot", "%s rejected: %s", d->rejected[i].partition->label,
                   ota_strerror(d->rejected[i].err));
    }
    devcon_log(c, 'I', "boot", "chose %s: %s", p->label, ota_boot_reason_text(res->reason));
    report_segments(c, d, p);
    devcon_log(c, 'I', "boot", "Loaded app from partition at offset 0x%" PRIx32, p->offset);
    hostdev_counter_t k = hostdev_counter(d);
    devcon_log(c, 'I', "boot", "anti-rollback counter: %" PRIu32 " of %" PRIu32 " eFuse bits, %" PRIu32
               " left%s%s", k.value, k.bits, k.remaining, res->raise_err ? "; not raised: " : "",
               res->raise_err ? ota_strerror(res->raise_err) : "");
}

void devcon_app_report(devcon_t *c, const ota_app_desc_t *desc)
{
    devcon_log(c, 'I', "app_init", "Application information:");
    devcon_log(c, 'I', "app_init", "Project name:     %s", desc->project_name);
    devcon_log(c, 'I', "app_init", "App version:      %s", desc->version);
    devcon_log(c, 'I', "app_init", "Secure version:   %" PRIu32, desc->secure_version);
    devcon_log(c, 'I', "app_init", "Compile time:     %s %s", desc->date, desc->time);
    devcon_log(c, 'I', "app_init", "ESP-IDF:          %s", desc->idf_ver);
}

/* ---- progress bar --------------------------------------------------------------- */

static void draw_bar(devcon_t *c, uint64_t done, uint64_t total, uint64_t rate, bool final)
{
    char bar[BAR_WIDTH + 1];
    unsigned filled = (unsigned)(total ? done * BAR_WIDTH / total : BAR_WIDTH);
    memset(bar, '#', filled);
    memset(bar + filled, '.', BAR_WIDTH - filled);
    bar[BAR_WIDTH] = '\0';
    printf("%sI (%" PRIu64 ") app: [%s] %3u%% %" PRIu64 "/%" PRIu64 " bytes, %" PRIu64 " KiB/s%s",
           c->tty ? "\r" : "", mono_ms() - c->t0_ms, bar,
           (unsigned)(total ? done * 100 / total : 100), done, total, rate / 1024,
           c->tty && !final ? "" : "\n");
    fflush(stdout);
}

void devcon_progress(void *ctx, uint64_t done, uint64_t total, uint64_t bytes_per_s)
{
    devcon_t *c = ctx;
    bool final = done == total;
    unsigned step = (unsigned)(total ? done * 4 / total : 4); /* quarters */
    uint64_t now = mono_ms();
    if (c->tty ? (final || now - c->last_draw_ms >= REDRAW_MS) : step > c->last_step) {
        draw_bar(c, done, total, bytes_per_s, final);
        c->last_draw_ms = now;
        c->last_step = step;
    }
}
