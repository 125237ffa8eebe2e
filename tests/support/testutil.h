/* Shared helpers for the cmocka tests. */
#ifndef OTA_TESTUTIL_H
#define OTA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Absolute path of a file under ../shared/vectors (static buffer). */
const char *tu_vector_path(const char *rel);

/* True when ../shared/vectors exists; tests that need it call TU_REQUIRE_VECTORS(). */
int tu_have_vectors(void);
#define TU_REQUIRE_VECTORS()                                                   \
    do {                                                                       \
        if (!tu_have_vectors()) {                                              \
            print_message("[  SKIPPED ] ../shared/vectors is absent\n");     \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* Read a whole file into a malloc'd buffer (test-only); NULL on failure. */
uint8_t *tu_read_file(const char *path, size_t *len);

#endif
