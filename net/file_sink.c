/* ota_net_file_sink_t: the image goes into a file with positional writes. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fileio.h"
#include "ota/net.h"

/* Open the file once; create it only when begin asks (never before decide). */
static ota_err_t open_file(ota_net_file_sink_t *fs, bool create)
{
    if (fs->fd >= 0) {
        return OTA_OK;
    }
    fs->fd = open(fs->path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    return fs->fd >= 0 ? OTA_OK : OTA_ERR_IO;
}

/* Drop anything past `len`, so the file never holds bytes of another image. */
static ota_err_t truncate_to(ota_net_file_sink_t *fs, uint64_t len)
{
    return ftruncate(fs->fd, (off_t)len) == 0 ? OTA_OK : OTA_ERR_IO;
}

static ota_err_t sink_begin(void *ctx, uint64_t total, uint64_t offset)
{
    ota_net_file_sink_t *fs = ctx;
    (void)total;
    ota_err_t err = open_file(fs, true);
    return err ? err : truncate_to(fs, offset);
}

static ota_err_t sink_write(void *ctx, uint64_t offset, const void *data, size_t len)
{
    ota_net_file_sink_t *fs = ctx;
    if (fs->fd < 0) {
        return OTA_ERR_INVALID_STATE;
    }
    return net_pwrite_all(fs->fd, data, len, offset);
}

static ota_err_t sink_flush(void *ctx)
{
    ota_net_file_sink_t *fs = ctx;
    if (fs->fd < 0) {
        return OTA_OK; /* nothing written */
    }
    return fsync(fs->fd) == 0 ? OTA_OK : OTA_ERR_IO;
}

static ota_err_t sink_restart(void *ctx)
{
    ota_net_file_sink_t *fs = ctx;
    return fs->fd < 0 ? OTA_OK : truncate_to(fs, 0);
}

static ota_err_t sink_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
    ota_net_file_sink_t *fs = ctx;
    ota_err_t err = open_file(fs, false);
    return err ? err : net_pread_all(fs->fd, buf, len, offset);
}

void ota_net_file_sink_init(ota_net_file_sink_t *fs, const char *path, uint64_t capacity)
{
    fs->sink = (ota_net_sink_t){
        .ctx = fs,
        .capacity = capacity,
        .begin = sink_begin,
        .write = sink_write,
        .flush = sink_flush,
        .restart = sink_restart,
        .read = sink_read,
    };
    fs->path = path;
    fs->fd = -1;
}

void ota_net_file_sink_close(ota_net_file_sink_t *fs)
{
    if (fs->fd >= 0) {
        close(fs->fd);
        fs->fd = -1;
    }
}
