/* ota_net_file_store_t: the progress record in a file, replaced atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "ota/net.h"

/* Write the temporary file completely and durably before it replaces the record. */
static ota_err_t write_durable(const char *tmp, const uint8_t *rec, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return OTA_ERR_IO;
    }
    ota_err_t err = net_pwrite_all(fd, rec, len, 0);
    if (!err && fsync(fd) != 0) {
        err = OTA_ERR_IO;
    }
    if (close(fd) != 0 && !err) {
        err = OTA_ERR_IO;
    }
    return err;
}

static ota_err_t store_save(void *ctx, const uint8_t *rec, size_t len)
{
    const ota_net_file_store_t *fst = ctx;
    size_t n = strlen(fst->path) + sizeof ".tmp";
    char *tmp = malloc(n);
    if (!tmp) {
        return OTA_ERR_IO;
    }
    snprintf(tmp, n, "%s.tmp", fst->path);
    ota_err_t err = write_durable(tmp, rec, len);
    if (!err && rename(tmp, fst->path) != 0) {
        err = OTA_ERR_IO;
    }
    if (err) {
        unlink(tmp);
    }
    free(tmp);
    return err ? err : net_fsync_parent(fst->path);
}

static ota_err_t store_load(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    const ota_net_file_store_t *fst = ctx;
    int fd = open(fst->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? OTA_ERR_NOT_FOUND : OTA_ERR_IO;
    }
    struct stat st;
    ota_err_t err = OTA_OK;
    if (fstat(fd, &st) != 0) {
        err = OTA_ERR_IO;
    } else if ((uint64_t)st.st_size > cap) {
        err = OTA_ERR_NET_RECORD; /* not one of ours */
    } else {
        *len = (size_t)st.st_size;
        err = net_pread_all(fd, buf, *len, 0);
    }
    close(fd);
    return err;
}

static ota_err_t store_erase(void *ctx)
{
    const ota_net_file_store_t *fst = ctx;
    if (unlink(fst->path) != 0) {
        return errno == ENOENT ? OTA_OK : OTA_ERR_IO;
    }
    return net_fsync_parent(fst->path);
}

void ota_net_file_store_init(ota_net_file_store_t *fst, const char *path)
{
    fst->store = (ota_net_store_t){
        .ctx = fst,
        .save = store_save,
        .load = store_load,
        .erase = store_erase,
    };
    fst->path = path;
}
