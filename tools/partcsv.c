/* Partition CSV -> table and table -> CSV as gen_esp32part.py v1.5 does it (spec §1.7). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "partcsv_rows.h"
#include "pytext.h"

#define LINE_HINT "\nPlease check extra_partition_subtypes.inc file in build/config directory"
/* Larger than any flash; keeps every sum of two values inside int64_t. */
#define VALUE_LIMIT ((uint64_t)1 << 48)
#define HEX_MAX 24
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct keyword {
    int type;
    const char *name;
    int value;
} keyword_t;

/* gen_esp32part's TYPES and SUBTYPES dictionaries, in their order. */
static const keyword_t k_types[] = {
    {-1, "bootloader", PT_TYPE_BOOTLOADER},
    {-1, "partition_table", PT_TYPE_PARTITION_TABLE},
    {-1, "app", PT_TYPE_APP},
    {-1, "data", PT_TYPE_DATA},
};

static const keyword_t k_subtypes[] = {
    {PT_TYPE_BOOTLOADER, "primary", 0x00}, {PT_TYPE_BOOTLOADER, "ota", 0x01},
    {PT_TYPE_BOOTLOADER, "recovery", 0x02}, {PT_TYPE_PARTITION_TABLE, "primary", 0x00},
    {PT_TYPE_PARTITION_TABLE, "ota", 0x01}, {PT_TYPE_APP, "factory", 0x00},
    {PT_TYPE_APP, "test", 0x20}, {PT_TYPE_APP, "ota_0", 0x10},
    {PT_TYPE_APP, "ota_1", 0x11}, {PT_TYPE_APP, "ota_2", 0x12},
    {PT_TYPE_APP, "ota_3", 0x13}, {PT_TYPE_APP, "ota_4", 0x14},
    {PT_TYPE_APP, "ota_5", 0x15}, {PT_TYPE_APP, "ota_6", 0x16},
    {PT_TYPE_APP, "ota_7", 0x17}, {PT_TYPE_APP, "ota_8", 0x18},
    {PT_TYPE_APP, "ota_9", 0x19}, {PT_TYPE_APP, "ota_10", 0x1A},
    {PT_TYPE_APP, "ota_11", 0x1B}, {PT_TYPE_APP, "ota_12", 0x1C},
    {PT_TYPE_APP, "ota_13", 0x1D}, {PT_TYPE_APP, "ota_14", 0x1E},
    {PT_TYPE_APP, "ota_15", 0x1F}, {PT_TYPE_APP, "tee_0", 0x30},
    {PT_TYPE_APP, "tee_1", 0x31}, {PT_TYPE_DATA, "ota", 0x00},
    {PT_TYPE_DATA, "phy", 0x01}, {PT_TYPE_DATA, "nvs", 0x02},
    {PT_TYPE_DATA, "coredump", 0x03}, {PT_TYPE_DATA, "nvs_keys", 0x04},
    {PT_TYPE_DATA, "efuse", 0x05}, {PT_TYPE_DATA, "undefined", 0x06},
    {PT_TYPE_DATA, "esphttpd", 0x80}, {PT_TYPE_DATA, "fat", 0x81},
    {PT_TYPE_DATA, "spiffs", 0x82}, {PT_TYPE_DATA, "littlefs", 0x83},
    {PT_TYPE_DATA, "tee_ota", 0x90},
};

ota_err_t partcsv_fail(partcsv_error_t *err, ota_err_t code, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    err->line = line;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

static ota_err_t out_of_memory(partcsv_error_t *err)
{
    return partcsv_fail(err, OTA_ERR_NO_SPACE, 0, "out of memory");
}

static char *dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* ---- keywords ---- */

static bool same_name(const char *a, size_t alen, const char *b, bool fold)
{
    if (strlen(b) != alen) {
        return false;
    }
    for (size_t i = 0; i < alen; i++) {
        char c = fold ? (char)tolower((unsigned char)a[i]) : a[i];
        if (c != b[i]) {
            return false;
        }
    }
    return true;
}

static bool builtin_subtype(int64_t type, const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(k_subtypes); i++) {
        if (k_subtypes[i].type == type && !strcmp(k_subtypes[i].name, name)) {
            return true;
        }
    }
    return false;
}

static partcsv_extra_subtype_t *extra_find(const partcsv_keywords_t *kw, int64_t type, const char *name)
{
    for (size_t i = 0; kw && i < kw->count; i++) {
        if (kw->extra[i].type == type && !strcmp(kw->extra[i].name, name)) {
            return &kw->extra[i];
        }
    }
    return NULL;
}

/* Built-in names first (values possibly redefined by an extra), then new extra names. */
bool kw_next(kw_iter_t *it, const char **name, int *value)
{
    const kwset_t *set = it->set;
    size_t builtin = set->types ? ARRAY_LEN(k_types) : ARRAY_LEN(k_subtypes);
    size_t total = builtin + (set->types || !set->extra ? 0 : set->extra->count);
    while (it->i < total) {
        size_t i = it->i++;
        if (i < builtin) {
            const keyword_t *k = set->types ? &k_types[i] : &k_subtypes[i];
            if (set->types || k->type == set->type) {
                const partcsv_extra_subtype_t *o = set->types ? NULL : extra_find(set->extra, k->type, k->name);
                *name = k->name;
                *value = o ? o->value : k->value;
                return true;
            }
            continue;
        }
        const partcsv_extra_subtype_t *e = &set->extra->extra[i - builtin];
        if (e->type == set->type && !builtin_subtype(e->type, e->name)) {
            *name = e->name;
            *value = e->value;
            return true;
        }
    }
    return false;
}

bool kw_find(const kwset_t *set, const char *name, size_t len, bool fold, int *value)
{
    kw_iter_t it = {set, 0};
    const char *k;
    int v;
    while (kw_next(&it, &k, &v)) {
        if (same_name(name, len, k, fold)) {
            *value = v;
            return true;
        }
    }
    return false;
}

static bool kw_empty(const kwset_t *set)
{
    kw_iter_t it = {set, 0};
    const char *k;
    int v;
    return !kw_next(&it, &k, &v);
}

/* Upstream's add_extra_subtypes() for one "TYPE,NAME,VALUE". */
ota_err_t partcsv_keywords_add(partcsv_keywords_t *kw, const char *spec, partcsv_error_t *err)
{
    const char *f[3];
    size_t fl[3], n = 0;
    for (const char *p = spec; n < 3; p++) {
        const char *comma = strchr(p, ',');
        f[n] = p;
        fl[n] = comma ? (size_t)(comma - p) : strlen(p);
        py_strip(&f[n], &fl[n]);
        n++;
        if (!comma) {
            break;
        }
        p = comma;
    }
    int type;
    int64_t value;
    kwset_t types = {NULL, true, 0};
    if (n < 3) {
        return partcsv_fail(err, OTA_ERR_CSV_EXTRA_SUBTYPE, 0,
                            "Error parsing custom subtypes: expected TYPE,NAME,VALUE, got '%s'", spec);
    }
    if (!kw_find(&types, f[0], fl[0], false, &type)) {
        return partcsv_fail(err, OTA_ERR_CSV_EXTRA_SUBTYPE, 0,
                            "Error parsing custom subtypes: Invalid partition type");
    }
    if (py_int(f[2], fl[2], 16, &value) != PY_INT_OK || value < 0 || value > 0xFF) {
        return partcsv_fail(err, OTA_ERR_CSV_EXTRA_SUBTYPE, 0,
                            "Error parsing custom subtypes: invalid subtype value '%.*s'", (int)fl[2], f[2]);
    }
    kwset_t subtypes = {kw, false, type};
    kw_iter_t it = {&subtypes, 0};
    const char *k;
    int v;
    while (kw_next(&it, &k, &v)) {
        if (v == value) {
            return partcsv_fail(err, OTA_ERR_CSV_EXTRA_SUBTYPE, 0, "Found duplicate value in partition subtype");
        }
    }
    char *name = dup_text(f[1], fl[1]);
    partcsv_extra_subtype_t *e = name ? extra_find(kw, type, name) : NULL;
    if (name && !e) {
        partcsv_extra_subtype_t *grown = realloc(kw->extra, (kw->count + 1) * sizeof *grown);
        if (grown) {
            kw->extra = grown;
            e = &kw->extra[kw->count++];
            e->type = (uint8_t)type;
            e->name = name;
            name = NULL;
        }
    }
    free(name); /* only kept when a new entry took it */
    if (!e) {
        return out_of_memory(err);
    }
    e->value = (uint8_t)value;
    return OTA_OK;
}

void partcsv_keywords_free(partcsv_keywords_t *kw)
{
    for (size_t i = 0; i < kw->count; i++) {
        free(kw->extra[i].name);
    }
    free(kw->extra);
    kw->extra = NULL;
    kw->count = 0;
}

/* ---- rows ---- */

row_t *rows_add(rows_t *rows)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 16;
        row_t *v = realloc(rows->v, cap * sizeof *v);
        if (!v) {
            return NULL;
        }
        rows->v = v;
        rows->cap = cap;
    }
    row_t *r = &rows->v[rows->n++];
    memset(r, 0, sizeof *r);
    return r;
}

void rows_free(rows_t *rows)
{
    for (size_t i = 0; i < rows->n; i++) {
        free(rows->v[i].name);
    }
    free(rows->v);
    *rows = (rows_t){0};
}

bool row_is_primary_region(const row_t *r)
{
    return (r->type == PT_TYPE_BOOTLOADER || r->type == PT_TYPE_PARTITION_TABLE) &&
           r->subtype == PT_SUBTYPE_PRIMARY;
}

int64_t partcsv_offset_align(int64_t type)
{
    return type == PT_TYPE_APP ? 0x10000 : 0x1000;
}

/* ---- one CSV line ---- */

/* The message of a refused number or keyword, for the part left after the K/M suffixes. */
static ota_err_t bad_value(const kwset_t *set, const char *core, size_t len, partcsv_error_t *err)
{
    if (kw_empty(set)) {
        return partcsv_fail(err, OTA_ERR_CSV_SYNTAX, 0, "Invalid field value %.*s", (int)len, core);
    }
    char known[PARTCSV_MESSAGE_MAX] = "";
    size_t n = 0;
    kw_iter_t it = {set, 0};
    const char *k;
    int v;
    while (kw_next(&it, &k, &v) && n < sizeof known) {
        n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", k);
    }
    return partcsv_fail(err, OTA_ERR_CSV_SYNTAX, 0, "Value '%.*s' is not valid. Known keywords: %s", (int)len,
                        core, known);
}

/* Upstream's parse_int(): K/M suffixes, then int(x, 0), then a keyword of set. */
static ota_err_t parse_value(const char *s, size_t len, const kwset_t *set, int64_t *out, partcsv_error_t *err)
{
    size_t core = len;
    uint64_t mult;
    int64_t v = 0;
    int kv;
    bool suffixes_ok = cli_strip_size_suffixes(s, &core, &mult);
    py_int_status_t st = suffixes_ok ? py_int(s, core, 0, &v) : PY_INT_RANGE;
    if (st == PY_INT_SYNTAX && kw_find(set, s, core, true, &kv)) {
        st = PY_INT_OK;
        v = kv;
    }
    if (st == PY_INT_SYNTAX) {
        return bad_value(set, s, core, err);
    }
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (st == PY_INT_RANGE || mag > VALUE_LIMIT / mult) {
        return partcsv_fail(err, OTA_ERR_CSV_RANGE, 0, "Value '%.*s' is out of range", (int)len, s);
    }
    *out = v * (int64_t)mult;
    return OTA_OK;
}

static const kwset_t k_no_keywords = {NULL, false, -1};

static ota_err_t parse_offset(const char *s, size_t len, const partcsv_opts_t *o, row_t *r, partcsv_error_t *err)
{
    bool bootloader = r->type == PT_TYPE_BOOTLOADER;
    if (bootloader && r->subtype == PT_SUBTYPE_PRIMARY && !o->has_primary_bootloader_offset) {
        return partcsv_fail(err, OTA_ERR_CSV_NO_BOOTLOADER_OFFSET, 0,
                            "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
    }
    if (bootloader && r->subtype == PT_SUBTYPE_RECOVERY && !o->has_recovery_bootloader_offset) {
        return partcsv_fail(err, OTA_ERR_CSV_NO_BOOTLOADER_OFFSET, 0,
                            "Recovery bootloader offset is not defined. Please use --recovery-bootloader-offset");
    }
    r->has_offset = true;
    if (bootloader && r->subtype == PT_SUBTYPE_PRIMARY) {
        r->offset = o->primary_bootloader_offset;
    } else if (bootloader && r->subtype == PT_SUBTYPE_RECOVERY) {
        r->offset = o->recovery_bootloader_offset;
    } else if (r->type == PT_TYPE_PARTITION_TABLE && r->subtype == PT_SUBTYPE_PRIMARY) {
        r->offset = o->table_offset;
    } else if (len == 0) {
        r->has_offset = false;
    } else {
        return parse_value(s, len, &k_no_keywords, &r->offset, err);
    }
    return OTA_OK;
}

static ota_err_t parse_size(const char *s, size_t len, const partcsv_opts_t *o, row_t *r, partcsv_error_t *err)
{
    if (r->type == PT_TYPE_BOOTLOADER) {
        if (!o->has_primary_bootloader_offset) {
            return partcsv_fail(err, OTA_ERR_CSV_NO_BOOTLOADER_OFFSET, 0,
                                "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
        }
        r->size = (int64_t)o->table_offset - o->primary_bootloader_offset;
        return OTA_OK;
    }
    if (r->type == PT_TYPE_PARTITION_TABLE) {
        r->size = PT_TABLE_SECTOR;
        return OTA_OK;
    }
    if (len == 0) {
        return partcsv_fail(err, OTA_ERR_CSV_EMPTY_FIELD, 0, "Size field can't be empty");
    }
    return parse_value(s, len, &k_no_keywords, &r->size, err);
}

/* Colon-separated, case-sensitive, not stripped (as upstream). */
static ota_err_t parse_flags(const char *s, size_t len, row_t *r, partcsv_error_t *err)
{
    for (size_t i = 0; i <= len;) {
        const char *colon = memchr(s + i, ':', len - i);
        size_t n = colon ? (size_t)(colon - (s + i)) : len - i;
        if (same_name(s + i, n, "encrypted", false)) {
            r->flags |= OTA_PART_FLAG_ENCRYPTED;
        } else if (same_name(s + i, n, "readonly", false)) {
            r->flags |= OTA_PART_FLAG_READONLY;
        } else if (n > 0) {
            return partcsv_fail(err, OTA_ERR_CSV_UNKNOWN_FLAG, 0, "CSV flag column contains unknown flag '%.*s'",
                                (int)n, s + i);
        }
        i += n + 1;
    }
    return OTA_OK;
}

enum { F_NAME, F_TYPE, F_SUBTYPE, F_OFFSET, F_SIZE, F_FLAGS, F_COUNT };

/* PartitionDefinition.from_csv(): fields split on ',' (missing ones empty, extra ones ignored), stripped. */
static ota_err_t parse_row(const char *line, size_t len, const partcsv_opts_t *o, row_t *r, partcsv_error_t *err)
{
    const char *f[F_COUNT];
    size_t fl[F_COUNT];
    size_t pos = 0;
    for (int i = 0; i < F_COUNT; i++) {
        const char *comma = pos <= len ? memchr(line + pos, ',', len - pos) : NULL;
        size_t end = comma ? (size_t)(comma - line) : len;
        f[i] = line + (pos < len ? pos : len);
        fl[i] = pos < len ? end - pos : 0;
        py_strip(&f[i], &fl[i]);
        pos = end + 1;
    }
    r->name = dup_text(f[F_NAME], fl[F_NAME]);
    if (!r->name) {
        return out_of_memory(err);
    }
    if (fl[F_TYPE] == 0) {
        return partcsv_fail(err, OTA_ERR_CSV_EMPTY_FIELD, 0, "Field 'type' can't be left empty.");
    }
    kwset_t types = {NULL, true, 0};
    ota_err_t e = parse_value(f[F_TYPE], fl[F_TYPE], &types, &r->type, err);
    if (e) {
        return e;
    }
    kwset_t subtypes = {o->keywords, false, r->type};
    if (fl[F_SUBTYPE] == 0 && r->type == PT_TYPE_APP) {
        return partcsv_fail(err, OTA_ERR_CSV_EMPTY_FIELD, 0, "App partition cannot have an empty subtype");
    }
    r->subtype = OTA_PART_SUBTYPE_DATA_UNDEFINED;
    if (fl[F_SUBTYPE] && (e = parse_value(f[F_SUBTYPE], fl[F_SUBTYPE], &subtypes, &r->subtype, err))) {
        return e;
    }
    if ((e = parse_offset(f[F_OFFSET], fl[F_OFFSET], o, r, err)) ||
        (e = parse_size(f[F_SIZE], fl[F_SIZE], o, r, err))) {
        return e;
    }
    return parse_flags(f[F_FLAGS], fl[F_FLAGS], r, err);
}

/* Upstream refuses a line that still starts with $NAME after expansion. */
static ota_err_t check_unknown_variable(const char *line, unsigned line_no, partcsv_error_t *err)
{
    if (line[0] != '$' || !(isalpha((unsigned char)line[1]) || line[1] == '_')) {
        return OTA_OK;
    }
    size_t n = 1;
    while (isalnum((unsigned char)line[n + 1]) || line[n + 1] == '_') {
        n++;
    }
    return partcsv_fail(err, OTA_ERR_CSV_UNKNOWN_VAR, line_no, "unknown variable '%.*s'", (int)n, line + 1);
}

/* "Error at line N: <message>" plus upstream's hint line. */
static ota_err_t at_line(partcsv_error_t *err, unsigned line_no)
{
    char inner[sizeof err->message];
    memcpy(inner, err->message, sizeof inner);
    err->line = line_no;
    size_t n = (size_t)snprintf(err->message, sizeof err->message, "Error at line %u: ", line_no);
    snprintf(err->message + n, sizeof err->message - n, "%s%s", inner, LINE_HINT);
    return err->code;
}

static ota_err_t parse_lines(const char *text, size_t len, const partcsv_opts_t *o, rows_t *rows,
                             partcsv_error_t *err)
{
    size_t pos = 0;
    unsigned line_no = 0;
    const char *line;
    size_t line_len;
    while (py_next_line(text, len, &pos, &line, &line_len)) {
        line_no++;
        char *expanded = py_expandvars(line, line_len);
        if (!expanded) {
            return out_of_memory(err);
        }
        const char *s = expanded;
        size_t n = strlen(expanded);
        ota_err_t e = check_unknown_variable(expanded, line_no, err);
        py_strip(&s, &n);
        if (!e && n > 0 && s[0] != '#') {
            row_t *r = rows_add(rows);
            e = !r ? out_of_memory(err) : parse_row(s, n, o, r, err);
            if (r) {
                r->line = line_no;
            }
            if (e && e != OTA_ERR_NO_SPACE) {
                at_line(err, line_no);
            }
        }
        free(expanded);
        if (e) {
            return e;
        }
    }
    return OTA_OK;
}

/* PartitionDefinition.__eq__: name, type, subtype, offset and size. */
static bool rows_equal(const row_t *a, const row_t *b)
{
    return !strcmp(a->name, b->name) && a->type == b->type && a->subtype == b->subtype &&
           a->has_offset == b->has_offset && a->offset == b->offset && a->size == b->size;
}

/* Automatic offsets and negative sizes, in CSV order; explicit offsets may not go back. */
static ota_err_t place_rows(rows_t *rows, const partcsv_opts_t *o, partcsv_error_t *err)
{
    int64_t last_end = (int64_t)o->table_offset + PT_TABLE_SECTOR;
    for (size_t i = 0; i < rows->n; i++) {
        row_t *r = &rows->v[i];
        if (row_is_primary_region(r)) {
            continue;
        }
        if (r->has_offset && r->offset < last_end) {
            char off[HEX_MAX], end[HEX_MAX], table[HEX_MAX];
            py_hex(off, sizeof off, r->offset);
            py_hex(end, sizeof end, last_end);
            py_hex(table, sizeof table, o->table_offset);
            if (rows_equal(r, &rows->v[0])) {
                return partcsv_fail(err, OTA_ERR_CSV_OVERLAP, r->line,
                                    "CSV Error at line %u: Partitions overlap. Partition sets offset %s. But "
                                    "partition table occupies the whole sector %s. Use a free offset %s or higher.",
                                    r->line, off, table, end);
            }
            return partcsv_fail(err, OTA_ERR_CSV_OVERLAP, r->line,
                                "CSV Error at line %u: Partitions overlap. Partition sets offset %s. Previous "
                                "partition ends %s",
                                r->line, off, end);
        }
        if (!r->has_offset) {
            int64_t pad = partcsv_offset_align(r->type);
            last_end += py_mod(last_end, pad) ? pad - py_mod(last_end, pad) : 0;
            r->offset = last_end;
            r->has_offset = true;
        }
        if (r->size < 0) {
            r->size = -r->size - r->offset;
        }
        last_end = r->offset + r->size;
    }
    return OTA_OK;
}

static ota_err_t read_csv(const uint8_t *data, size_t len, const partcsv_opts_t *o, rows_t *rows,
                          partcsv_error_t *err)
{
    char *text;
    size_t text_len;
    if (!py_decode_text(data, len, &text, &text_len)) {
        return partcsv_fail(err, OTA_ERR_CSV_ENCODING, 0,
                            "CSV input is not text: expected UTF-8 (or UTF-16/32 with a BOM) without NUL characters");
    }
    if (o->log && !o->quiet) {
        fputs("Parsing CSV input...\n", o->log);
    }
    ota_err_t e = parse_lines(text, text_len, o, rows, err);
    free(text);
    return e ? e : place_rows(rows, o, err);
}

/* What struct.pack("<2sBBLL16sL") accepts. */
static ota_err_t check_binary_fields(const row_t *r, partcsv_error_t *err)
{
    static const char *const k_field[] = {"type", "subtype", "offset", "size"};
    const int64_t value[] = {r->type, r->subtype, r->offset, r->size};
    const int64_t max[] = {0xFF, 0xFF, 0xFFFFFFFF, 0xFFFFFFFF};
    for (size_t i = 0; i < ARRAY_LEN(value); i++) {
        if (value[i] < 0 || value[i] > max[i]) {
            char hex[HEX_MAX];
            py_hex(hex, sizeof hex, value[i]);
            return partcsv_fail(err, OTA_ERR_CSV_RANGE, r->line,
                                "Partition %s invalid: %s %s does not fit in the binary entry", r->name,
                                k_field[i], hex);
        }
    }
    return OTA_OK;
}

static ota_err_t rows_to_table(const rows_t *rows, bool csv_input, const partcsv_opts_t *o,
                               ota_partition_table_t *out, partcsv_error_t *err)
{
    for (size_t i = 0; i < rows->n; i++) {
        ota_err_t e = check_binary_fields(&rows->v[i], err);
        if (e) {
            return e;
        }
    }
    size_t bytes = (rows->n + (o->disable_md5 ? 0 : 1)) * OTA_PART_ENTRY_SIZE;
    if (csv_input && bytes >= OTA_PART_TABLE_MAX_LEN) {
        return partcsv_fail(err, OTA_ERR_CSV_TOO_MANY, 0, "Binary partition table length (%zu) longer than max",
                            bytes);
    }
    if (rows->n > OTA_PART_MAX_ENTRIES) {
        return partcsv_fail(err, OTA_ERR_PART_TOO_MANY, 0, "Partition table has %zu entries, more than the %u libota holds",
                            rows->n, (unsigned)OTA_PART_MAX_ENTRIES);
    }
    for (size_t i = 0; i < rows->n; i++) {
        const row_t *r = &rows->v[i];
        ota_partition_t *p = &out->entries[i];
        memset(p, 0, sizeof *p);
        p->type = (uint8_t)r->type;
        p->subtype = (uint8_t)r->subtype;
        p->offset = (uint32_t)r->offset;
        p->size = (uint32_t)r->size;
        p->flags = r->flags;
        strncpy(p->label, r->name, OTA_PART_LABEL_LEN); /* longer names lose their tail, as upstream */
    }
    out->count = rows->n;
    return OTA_OK;
}

void partcsv_opts_init(partcsv_opts_t *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->table_offset = OTA_PART_TABLE_OFFSET_DEFAULT;
}

bool partcsv_is_binary(const uint8_t *data, size_t len)
{
    return len >= 2 && data[0] == 0xAA && data[1] == 0x50;
}

static ota_err_t check_options(const partcsv_opts_t *o, partcsv_error_t *err)
{
    if (o->has_primary_bootloader_offset && o->primary_bootloader_offset >= o->table_offset) {
        char bl[HEX_MAX], pt[HEX_MAX];
        py_hex(bl, sizeof bl, o->primary_bootloader_offset);
        py_hex(pt, sizeof pt, o->table_offset);
        return partcsv_fail(err, OTA_ERR_INVALID_ARG, 0,
                            "Unsupported configuration. Primary bootloader must be below partition table. "
                            "Check --primary-bootloader-offset=%s and --offset=%s",
                            bl, pt);
    }
    return OTA_OK;
}

ota_err_t partcsv_parse(const uint8_t *data, size_t len, const partcsv_opts_t *opts,
                        ota_partition_table_t *out, partcsv_error_t *err)
{
    rows_t rows = {0};
    bool binary = partcsv_is_binary(data, len);
    memset(err, 0, sizeof *err);
    out->count = 0;
    out->has_md5 = false;
    ota_err_t e = check_options(opts, err);
    if (!e) {
        e = binary ? rows_read_binary(data, len, opts, &rows, err) : read_csv(data, len, opts, &rows, err);
    }
    if (!e && !opts->no_verify) {
        if (opts->log && !opts->quiet) {
            fputs("Verifying table...\n", opts->log);
        }
        e = rows_verify(&rows, opts, err);
    }
    if (!e) {
        e = rows_check_flash_size(&rows, opts->flash_size_mb, err);
    }
    if (!e) {
        e = rows_to_table(&rows, !binary, opts, out, err);
    }
    rows_free(&rows);
    return e;
}

/* ---- CSV output ---- */

static void write_keyword(FILE *out, const kwset_t *set, int64_t value, bool simple)
{
    kw_iter_t it = {set, 0};
    const char *k;
    int v;
    while (!simple && kw_next(&it, &k, &v)) {
        if (v == value) {
            fputs(k, out);
            return;
        }
    }
    fprintf(out, "%lld", (long long)value);
}

static void write_size(FILE *out, int64_t size, bool simple)
{
    char hex[HEX_MAX];
    if (!simple && py_mod(size, 0x100000) == 0) {
        fprintf(out, "%lldM", (long long)(size / 0x100000));
    } else if (!simple && py_mod(size, 0x400) == 0) {
        fprintf(out, "%lldK", (long long)(size / 0x400));
    } else {
        py_hex(hex, sizeof hex, size);
        fputs(hex, out);
    }
}

void row_write_csv(FILE *out, const row_t *r, const partcsv_keywords_t *keywords, bool simple)
{
    kwset_t types = {NULL, true, 0}, subtypes = {keywords, false, r->type};
    char hex[HEX_MAX];
    fprintf(out, "%s,", r->name);
    write_keyword(out, &types, r->type, simple);
    fputc(',', out);
    write_keyword(out, &subtypes, r->subtype, simple);
    py_hex(hex, sizeof hex, r->offset);
    fprintf(out, ",%s,", hex);
    write_size(out, r->size, simple);
    fputc(',', out);
    bool enc = r->flags & OTA_PART_FLAG_ENCRYPTED, ro = r->flags & OTA_PART_FLAG_READONLY;
    fprintf(out, "%s%s%s", enc ? "encrypted" : "", enc && ro ? ":" : "", ro ? "readonly" : "");
}

char *partcsv_table_to_csv(const ota_partition_table_t *table, const partcsv_keywords_t *keywords, bool simple)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        return NULL;
    }
    fputs("# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n", out);
    for (size_t i = 0; i < table->count; i++) {
        const ota_partition_t *p = &table->entries[i];
        row_t r = {(char *)p->label, p->type, p->subtype, p->offset, p->size, true, p->flags, 0};
        row_write_csv(out, &r, keywords, simple);
        fputc('\n', out);
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
