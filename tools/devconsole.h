/*
 * The serial console of a simulated device (`ota device`): lines as an ESP
 * chip prints them, "I (ms) tag: text", with the time since power-on, and
 * the reports the bootloader and app startup print.
 */
#ifndef OTA_TOOLS_DEVCONSOLE_H
#define OTA_TOOLS_DEVCONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "hostdev.h"

typedef struct devcon {
    uint64_t t0_ms;      /* power-on */
    bool tty;            /* stdout is a terminal: the progress bar redraws one line */
    unsigned last_step;  /* progress: last quarter printed (not a tty) */
    uint64_t last_draw_ms;
} devcon_t;

void devcon_init(devcon_t *c);

/* Power-on: the clock starts again at 0. */
void devcon_power_on(devcon_t *c);

/* One console line; level 'I', 'W' or 'E'. */
void devcon_log(devcon_t *c, char level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What the bootloader prints before it starts the app: the table, the
 * otadata entries and writes, the choice, the image's segments, the counter. */
void devcon_boot_report(devcon_t *c, hostdev_t *d, const ota_boot_result_t *res);

/* What app startup prints: project, version, secure_version, build time. */
void devcon_app_report(devcon_t *c, const ota_app_desc_t *desc);

/* Download progress (an ota_net_progress_fn; ctx = the console). */
void devcon_progress(void *ctx, uint64_t done, uint64_t total, uint64_t bytes_per_s);

#endif
