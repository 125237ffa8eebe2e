/*
 * A minimal JSON reader for the tests (host only, uses malloc): enough to walk
 * the vectors' manifest.json. Strings are decoded (\uXXXX to UTF-8; a lone
 * surrogate becomes U+FFFD). Accessors accept NULL and wrong types and return
 * NULL / 0 then, so lookups chain and the test asserts the final value.
 */
#ifndef OTA_TEST_TINYJSON_H
#define OTA_TEST_TINYJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { TJ_NULL, TJ_BOOL, TJ_NUMBER, TJ_STRING, TJ_ARRAY, TJ_OBJECT } tj_type_t;

typedef struct tj tj_t;
struct tj {
    tj_type_t type;
    bool boolean;
    double number;
    char *string;  /* TJ_STRING */
    size_t count;  /* TJ_ARRAY items / TJ_OBJECT members */
    tj_t **items;
    char **keys;   /* TJ_OBJECT: member names, parallel to items */
};

/* Parse a whole file; NULL on I/O or syntax error. */
tj_t *tj_parse_file(const char *path);
void tj_free(tj_t *v);

const tj_t *tj_get(const tj_t *obj, const char *key); /* member, or NULL */
const tj_t *tj_at(const tj_t *v, size_t i);          /* array item / object value */
const char *tj_key_at(const tj_t *obj, size_t i);     /* object member name */
size_t tj_len(const tj_t *v);
const char *tj_str(const tj_t *v);                    /* NULL unless a string */
int64_t tj_int(const tj_t *v);                        /* 0 unless a number */
bool tj_is_null(const tj_t *v);

#endif
