#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ota_err_t net_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return OTA_ERR_IO;
        }
        p += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return OTA_OK;
}

ota_err_t net_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return OTA_ERR_IO;
        }
        p += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return OTA_OK;
}

ota_err_t net_fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 1;
    char *dir = malloc(n + 2); /* room for "/" or "." and the NUL */
    if (!dir) {
        return OTA_ERR_IO;
    }
    if (!slash) {
        dir[0] = '.';
    } else if (n == 0) {
        dir[n++] = '/'; /* a file in the root directory */
    } else {
        memcpy(dir, path, n);
    }
    dir[n] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) {
        return OTA_ERR_IO;
    }
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? OTA_OK : OTA_ERR_IO;
}
