/* Image files as partitions of a RAM flash simulator (see imgfile.h). */
#include "imgfile.h"

#include <stdlib.h>

#include "ota_port/hash_mbedtls.h"

ota_err_t imgfile_open(imgfile_t *f, const uint8_t *data, size_t len)
{
    if (!f || (!data && len) || len > UINT32_MAX - IMGFILE_PART_OFFSET - 2u * IMGFILE_SECTOR) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t part = ((uint32_t)len + IMGFILE_SECTOR - 1u) & ~(IMGFILE_SECTOR - 1u);
    f->part_size = part ? part : IMGFILE_SECTOR;
    f->len = (uint32_t)len;
    ota_simflash_geometry_t geo = {IMGFILE_PART_OFFSET + f->part_size, IMGFILE_SECTOR, 1};
    ota_err_t err = ota_simflash_init_ram(&f->sim, &geo);
    if (err) {
        return err;
    }
    err = ota_flash_write(&f->sim.flash, IMGFILE_PART_OFFSET, data, len);
    if (err) {
        ota_simflash_close(&f->sim);
    }
    return err;
}

void imgfile_close(imgfile_t *f)
{
    ota_simflash_close(&f->sim);
}

ota_err_t imgfile_verify(const imgfile_t *f, ota_image_kind_t kind, const ota_image_device_t *device,
                         size_t buf_len, ota_image_info_t *info)
{
    uint8_t *buf = malloc(buf_len ? buf_len : 1);
    if (!buf) {
        return OTA_ERR_IO;
    }
    mbedtls_sha256_context ctx;
    ota_hash_t sha;
    ota_port_sha256_init(&sha, &ctx);
    ota_image_verify_opts_t opts = {kind, device, true, f->len};
    ota_err_t err = ota_image_verify(&f->sim.flash, IMGFILE_PART_OFFSET, f->part_size, &opts, &sha, buf,
                                     buf_len, info);
    free(buf);
    return err;
}
