/* POSIX file helpers shared by the host sink and store (internal to ota_net). */
#ifndef OTA_NET_FILEIO_H
#define OTA_NET_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"

/* pwrite/pread all len bytes at off, retrying short transfers and EINTR.
 * Errors: OTA_ERR_IO (errno set; a read hitting end of file sets EIO). */
ota_err_t net_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
ota_err_t net_pread_all(int fd, void *buf, size_t len, uint64_t off);

/* fsync the directory holding path, so a rename or unlink in it is durable. */
ota_err_t net_fsync_parent(const char *path);

#endif
