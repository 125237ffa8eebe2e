#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ota: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_read_file(const char *path, uint8_t **buf, size_t *len)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return cli_error("cannot open '%s': %s", path, strerror(errno));
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return cli_error("'%s' is not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (!data) {
        fclose(f);
        return cli_error("'%s': out of memory (%zu bytes)", path, size);
    }
    size_t got = fread(data, 1, size, f);
    int failed = ferror(f) || got != size;
    fclose(f);
    if (failed) {
        free(data);
        return cli_error("cannot read '%s'", path);
    }
    *buf = data;
    *len = size;
    return 0;
}

int cli_write_file(const char *path, const void *buf, size_t len)
{
    if (!strcmp(path, "-")) {
        if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
            return cli_error("cannot write to standard output");
        }
        return 0;
    }
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        return cli_error("out of memory");
    }
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return cli_error("cannot write '%s': %s", path, strerror(e));
    }
    FILE *f = fdopen(fd, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    ok = f && fclose(f) == 0 && ok;
    if (!f) {
        close(fd);
    }
    if (ok) {
        fchmodat(AT_FDCWD, tmp, 0644, 0);
        ok = rename(tmp, path) == 0;
    }
    int e = errno;
    if (!ok) {
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : cli_error("cannot write '%s': %s", path, strerror(e));
}

static bool parse_plain(const char *s, uint64_t *out)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16, s += 2;
    } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        base = 8, s += 2;
    } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2, s += 2;
    } else if (s[0] == '0' && s[1] != '\0') {
        return false; /* Python's int(x, 0) refuses "010" */
    }
    if (!*s) {
        return false;
    }
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s == '_') {
            continue;
        }
        int d = isdigit((unsigned char)*s) ? *s - '0'
                : isxdigit((unsigned char)*s) ? tolower((unsigned char)*s) - 'a' + 10
                                              : 99;
        if (d >= base) {
            return false;
        }
        v = v * (uint64_t)base + (uint64_t)d;
        if (v > 0xFFFFFFFFull) {
            return false;
        }
    }
    *out = v;
    return true;
}

bool cli_parse_u32(const char *text, uint32_t *out)
{
    char buf[64];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf) {
        return false;
    }
    memcpy(buf, text, n + 1);
    uint64_t mult = 1;
    while (n > 0 && strchr("kKmM", buf[n - 1])) {
        mult *= (buf[n - 1] == 'k' || buf[n - 1] == 'K') ? 1024u : 1048576u;
        buf[--n] = '\0';
        if (mult > 0xFFFFFFFFull) {
            return false;
        }
    }
    uint64_t v;
    if (!parse_plain(buf, &v) || v * mult > 0xFFFFFFFFull) {
        return false;
    }
    *out = (uint32_t)(v * mult);
    return true;
}

void cli_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fprintf(out, "\\%c", c);
        } else if (c < 0x20) {
            fprintf(out, "\\u%04x", c);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

void cli_hex(FILE *out, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        fprintf(out, "%02x", buf[i]);
    }
}
