/*
 * The pieces of Python's text and integer behaviour that gen_esp32part.py
 * relies on, so the CSV tools accept exactly what it accepts (host only).
 *
 * Text is UTF-8 throughout; "whitespace" and "line break" mean what Python's
 * str.isspace() / str.splitlines() mean, including the non-ASCII ones.
 */
#ifndef OTA_TOOLS_PYTEXT_H
#define OTA_TOOLS_PYTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode a file the way gen_esp32part does: a UTF-8 BOM is stripped, UTF-16
 * and UTF-32 BOMs select that encoding (checked in gen_esp32part's order, so
 * FF FE 00 00 reads as UTF-16), anything else must be strict UTF-8.
 * *text is malloc'd UTF-8, NUL-terminated. Returns false when the bytes do not
 * decode, or when the text holds a NUL character (not representable here).
 */
bool py_decode_text(const uint8_t *data, size_t len, char **text, size_t *text_len);

/* True when s[0..len) is strict UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool py_utf8_valid(const uint8_t *s, size_t len);

/*
 * str.splitlines(): the next line of text[0..len) at *pos (line breaks are
 * \n \r \r\n \v \f \x1c \x1d \x1e U+0085 U+2028 U+2029, not included).
 * Returns false when no line is left.
 */
bool py_next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len);

/* str.strip(): narrow *s / *len to the text without surrounding whitespace. */
void py_strip(const char **s, size_t *len);

/*
 * os.path.expandvars(): replace $NAME and ${NAME} (NAME from [A-Za-z0-9_], or
 * anything but '}' inside braces) by the environment value; unknown variables
 * stay as written. Returns a malloc'd NUL-terminated string, NULL if out of memory.
 */
char *py_expandvars(const char *s, size_t len);

typedef enum {
    PY_INT_OK,
    PY_INT_SYNTAX, /* int() would raise ValueError */
    PY_INT_RANGE,  /* valid, but does not fit in int64_t */
} py_int_status_t;

/*
 * int(s, base) for base 0 (prefix 0x/0o/0b selects, decimal may not have
 * leading zeros) or base 2/8/10/16 (the matching prefix is optional):
 * surrounding whitespace, a sign, single '_' between digits.
 */
py_int_status_t py_int(const char *s, size_t len, int base, int64_t *out);

/* Python's a % b for b > 0: never negative. */
int64_t py_mod(int64_t a, int64_t b);

/* '0x%x' % v: "0x1f", and "0x-1f" for negative v (Python's quirk). */
void py_hex(char *buf, size_t size, int64_t v);

/* repr(bytes): b'\xaaQ', with Python's choice of quotes and escapes. */
void py_bytes_repr(char *buf, size_t size, const uint8_t *b, size_t len);

#endif
