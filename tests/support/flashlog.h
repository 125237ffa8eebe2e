/*
 * A recording flash port for tests: wraps any ota_flash_t (usually a
 * simflash) and logs every successful erase and write, with a copy of the
 * written bytes, so a test can compare the exact sequence of flash mutations
 * with an expected one. Reads are forwarded and not logged.
 */
#ifndef OTA_TEST_FLASHLOG_H
#define OTA_TEST_FLASHLOG_H

#include <stddef.h>
#include <stdint.h>

#include "ota/flash.h"

typedef enum tu_flashlog_kind { TU_FLASHLOG_ERASE, TU_FLASHLOG_WRITE } tu_flashlog_kind_t;

typedef struct tu_flashlog_op {
    tu_flashlog_kind_t kind;
    uint32_t addr;
    uint32_t len;  /* erase: one sector */
    uint8_t *data; /* write: copy of the bytes (malloc'd) */
} tu_flashlog_op_t;

typedef struct tu_flashlog {
    ota_flash_t flash;         /* hand &log->flash to the library */
    const ota_flash_t *inner;
    tu_flashlog_op_t *ops;
    size_t count, cap;
} tu_flashlog_t;

/* Wrap inner (same geometry). The log must not move while in use. */
void tu_flashlog_init(tu_flashlog_t *log, const ota_flash_t *inner);

/* Forget the recorded operations. */
void tu_flashlog_clear(tu_flashlog_t *log);

void tu_flashlog_free(tu_flashlog_t *log);

#endif
