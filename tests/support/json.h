/*
 * A small JSON reader for the tests (host only, uses malloc): parses a whole
 * document into a tree of json_value_t and looks values up by key, index or
 * dotted path. Strict RFC 8259 syntax; strings are decoded to UTF-8 (with
 * their length, so "\u0000" survives); integers that fit int64 are kept exact.
 *
 *   json_value_t *doc = json_parse_file(tu_vector_path("manifest.json"), NULL, 0);
 *   const json_value_t *cases = json_path(doc, "otadata.cases");
 *   for (size_t i = 0; i < json_len(cases); i++)
 *       puts(json_str(json_get(json_at(cases, i), "id")));
 *   json_free(doc);
 *
 * Accessors accept NULL and wrong types and then return NULL / 0 / false, so
 * lookups can be chained; tests assert on the final result.
 */
#ifndef OTA_TEST_JSON_H
#define OTA_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type_t;

typedef struct json_value json_value_t;
struct json_value {
    json_type_t type;
    bool boolean;
    double number;
    bool is_int;    /* number written without fraction/exponent and fits int64 */
    int64_t integer;
    char *string;   /* JSON_STRING: NUL-terminated UTF-8 */
    size_t string_len;
    size_t count;   /* array items / object members */
    json_value_t **items;
    char **keys;    /* JSON_OBJECT: member names, parallel to items */
};

/*
 * Parse text[0..len). Returns NULL on error and, if err is given, writes a
 * message with the byte offset. Trailing non-space data is an error.
 */
json_value_t *json_parse(const char *text, size_t len, char *err, size_t err_len);

/* Read and parse a file; NULL on I/O or syntax error (message in err). */
json_value_t *json_parse_file(const char *path, char *err, size_t err_len);

void json_free(json_value_t *v);

/*
 * Load ../shared/vectors/<rel> into *out: 0 with *out NULL when the vectors
 * are absent (tests then skip), -1 with a message printed when the file does
 * not parse. Made for cmocka group setups.
 */
int json_load_vector(const char *rel, json_value_t **out);

/* Object member by name (first match), or NULL. */
const json_value_t *json_get(const json_value_t *obj, const char *key);

/* Array item, or NULL when out of range. */
const json_value_t *json_at(const json_value_t *arr, size_t index);

/* Dotted path of member names and decimal indices: "otadata.cases.3.id". */
const json_value_t *json_path(const json_value_t *root, const char *path);

/* Items of an array / members of an object; 0 otherwise. */
size_t json_len(const json_value_t *v);

bool json_is(const json_value_t *v, json_type_t type);

/* String value or NULL. */
const char *json_str(const json_value_t *v);

/* Integer value; *ok (optional) tells whether v was an exact integer. */
int64_t json_int(const json_value_t *v, bool *ok);

/* Number value, 0.0 for non-numbers. */
double json_num(const json_value_t *v);

/* Boolean value, false for non-booleans. */
bool json_bool(const json_value_t *v);

#endif
