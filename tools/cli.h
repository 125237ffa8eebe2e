/* Helpers shared by the CLI commands (host only). */
#ifndef OTA_TOOLS_CLI_H
#define OTA_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes: 0 success, 1 a check answered "no" (e.g. invalid image), 2 error. */
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Print "ota: error: <msg>" as one line on stderr; returns CLI_EXIT_USAGE. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole regular file (malloc'd, caller frees). Prints the error; returns 0 or CLI_EXIT_USAGE. */
int cli_read_file(const char *path, uint8_t **buf, size_t *len);

/*
 * Write a file atomically (temporary file in the same directory, then rename),
 * so a failure never leaves a partial output. path "-" writes to stdout.
 * Prints the error; returns 0 or CLI_EXIT_USAGE.
 */
int cli_write_file(const char *path, const void *buf, size_t len);

/* The same for a path (not "-"), printing nothing: returns 0 or an errno value. */
int cli_write_file_atomic(const char *path, const void *buf, size_t len);

/*
 * gen_esp32part's size suffixes: strip trailing K/k (x1024) and M/m (x1048576)
 * from text[0..*len), repeatedly ("1kk" is 1 MiB). *len becomes the length of
 * what is left, *mult the product. False when the product would exceed
 * CLI_SIZE_MULT_MAX.
 */
#define CLI_SIZE_MULT_MAX (1ull << 62)
bool cli_strip_size_suffixes(const char *text, size_t *len, uint64_t *mult);

/*
 * Parse an unsigned number the way gen_esp32part does: K/M suffixes as above,
 * then Python's int(x, 0) (decimal, 0x hex, 0o octal, 0b binary, '_'
 * separators; "010" is refused). Returns false on syntax error, a negative
 * value or overflow of 32 bits.
 */
bool cli_parse_u32(const char *text, uint32_t *out);

/* Write s as a JSON string literal (with quotes and escapes). */
void cli_json_str(FILE *out, const char *s);

/* Write len bytes as lowercase hex. */
void cli_hex(FILE *out, const uint8_t *buf, size_t len);

#endif
