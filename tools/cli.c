#include "cli.h"

#include "pytext.h"

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

int cli_write_file_atomic(const char *path, const void *buf, size_t len)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        return ENOMEM;
    }
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return e;
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
    int e = ok ? 0 : (errno ? errno : EIO);
    if (!ok) {
        unlink(tmp);
    }
    free(tmp);
    return e;
}

int cli_write_file(const char *path, const void *buf, size_t len)
{
    if (!strcmp(path, "-")) {
        if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
            return cli_error("cannot write to standard output");
        }
        return 0;
    }
    int e = cli_write_file_atomic(path, buf, len);
    return e ? cli_error("cannot write '%s': %s", path, strerror(e)) : 0;
}

bool cli_strip_size_suffixes(const char *text, size_t *len, uint64_t *mult)
{
    *mult = 1;
    while (*len > 0 && memchr("kKmM", text[*len - 1], 4)) {
        uint64_t factor = (text[*len - 1] == 'k' || text[*len - 1] == 'K') ? 1024u : 1048576u;
        if (*mult > CLI_SIZE_MULT_MAX / factor) {
            return false;
        }
        *mult *= factor;
        --*len;
    }
    return true;
}

bool cli_parse_u32(const char *text, uint32_t *out)
{
    size_t len = strlen(text);
    uint64_t mult;
    int64_t v;
    if (!cli_strip_size_suffixes(text, &len, &mult) || py_int(text, len, 0, &v) != PY_INT_OK ||
        v < 0 || (uint64_t)v > 0xFFFFFFFFu / mult) {
        return false;
    }
    *out = (uint32_t)((uint64_t)v * mult);
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
