/* Partition label comparison (private to src/). */
#ifndef OTA_SRC_LABEL_H
#define OTA_SRC_LABEL_H

#include <stdbool.h>
#include <stddef.h>

#include "ota/partition.h"

/*
 * strcmp(a, b) == 0 for labels, bounded: a table entry's label ends within
 * OTA_PART_LABEL_LEN + 1 bytes, so nothing past that can decide. Also keeps
 * newlib's strcmp (0.7 KiB on Cortex-M) out of the link.
 */
static inline bool label_equal(const char *a, const char *b)
{
    for (size_t i = 0; i <= OTA_PART_LABEL_LEN; i++) {
        if (a[i] != b[i]) {
            return false;
        }
        if (a[i] == '\0') {
            return true;
        }
    }
    return true;
}

#endif
