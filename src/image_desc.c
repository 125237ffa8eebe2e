/* App and bootloader descriptors (spec §4.4), the device checks of spec §3.3 / §2.7. */
#include <string.h>

#include "bytes_le.h"
#include "ota/image.h"

/* esp_app_desc_t field offsets. */
enum {
    AD_MAGIC = 0,
    AD_SECURE_VERSION = 4,
    AD_VERSION = 16,
    AD_PROJECT = 48,
    AD_TIME = 80,
    AD_DATE = 96,
    AD_IDF_VER = 112,
    AD_ELF_SHA = 144,
    AD_MIN_EFUSE = 176,
    AD_MAX_EFUSE = 178,
    AD_MMU_PAGE = 180,
    AD_SPI_MODE = 181,
};

/* esp_bootloader_desc_t field offsets. */
enum {
    BD_MAGIC = 0,
    BD_SECURE_VERSION = 3,
    BD_VERSION = 4,
    BD_IDF_VER = 8,
    BD_DATE_TIME = 40,
};

/* Copy a NUL-padded field into dst (field_len + 1 bytes), stopping at the first NUL. */
static void field_to_str(char *dst, const uint8_t *field, size_t field_len)
{
    size_t n = 0;
    while (n < field_len && field[n] != 0) {
        n++;
    }
    memcpy(dst, field, n);
    dst[n] = '\0';
}

/* Write s NUL-padded into a field, keeping at most field_len - 1 characters. */
static void str_to_field(uint8_t *field, size_t field_len, const char *s)
{
    size_t n = strlen(s);
    if (n > field_len - 1) {
        n = field_len - 1;
    }
    memset(field, 0, field_len);
    memcpy(field, s, n);
}

ota_err_t ota_app_desc_parse(const uint8_t *buf, size_t len, ota_app_desc_t *out)
{
    if (!buf || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len < OTA_APP_DESC_LEN) {
        return OTA_ERR_IMG_TRUNCATED;
    }
    if (le32_get(buf + AD_MAGIC) != OTA_APP_DESC_MAGIC) {
        return OTA_ERR_IMG_NO_DESC;
    }
    out->magic_word = OTA_APP_DESC_MAGIC;
    out->secure_version = le32_get(buf + AD_SECURE_VERSION);
    field_to_str(out->version, buf + AD_VERSION, 32);
    field_to_str(out->project_name, buf + AD_PROJECT, 32);
    field_to_str(out->time, buf + AD_TIME, 16);
    field_to_str(out->date, buf + AD_DATE, 16);
    field_to_str(out->idf_ver, buf + AD_IDF_VER, 32);
    memcpy(out->app_elf_sha256, buf + AD_ELF_SHA, 32);
    out->min_efuse_blk_rev_full = le16_get(buf + AD_MIN_EFUSE);
    out->max_efuse_blk_rev_full = le16_get(buf + AD_MAX_EFUSE);
    out->mmu_page_size_log2 = buf[AD_MMU_PAGE];
    out->spi_flash_mode = buf[AD_SPI_MODE];
    return OTA_OK;
}

void ota_app_desc_serialize(const ota_app_desc_t *desc, uint8_t out[OTA_APP_DESC_LEN])
{
    memset(out, 0, OTA_APP_DESC_LEN);
    le32_put(out + AD_MAGIC, desc->magic_word);
    le32_put(out + AD_SECURE_VERSION, desc->secure_version);
    str_to_field(out + AD_VERSION, 32, desc->version);
    str_to_field(out + AD_PROJECT, 32, desc->project_name);
    str_to_field(out + AD_TIME, 16, desc->time);
    str_to_field(out + AD_DATE, 16, desc->date);
    str_to_field(out + AD_IDF_VER, 32, desc->idf_ver);
    memcpy(out + AD_ELF_SHA, desc->app_elf_sha256, 32);
    le16_put(out + AD_MIN_EFUSE, desc->min_efuse_blk_rev_full);
    le16_put(out + AD_MAX_EFUSE, desc->max_efuse_blk_rev_full);
    out[AD_MMU_PAGE] = desc->mmu_page_size_log2;
    out[AD_SPI_MODE] = desc->spi_flash_mode;
}

ota_err_t ota_boot_desc_parse(const uint8_t *buf, size_t len, ota_boot_desc_t *out)
{
    if (!buf || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len < OTA_BOOT_DESC_LEN) {
        return OTA_ERR_IMG_TRUNCATED;
    }
    if (buf[BD_MAGIC] != OTA_BOOT_DESC_MAGIC) {
        return OTA_ERR_IMG_NO_DESC;
    }
    out->magic_byte = OTA_BOOT_DESC_MAGIC;
    out->secure_version = buf[BD_SECURE_VERSION];
    out->version = le32_get(buf + BD_VERSION);
    field_to_str(out->idf_ver, buf + BD_IDF_VER, 32);
    field_to_str(out->date_time, buf + BD_DATE_TIME, 24);
    return OTA_OK;
}

/*
 * Read the first raw_len bytes of the desc_len-byte descriptor at image offset
 * 0x20 into raw, after making sure the whole descriptor belongs to segment 0
 * of an image (magic, at least one segment, segment 0 long enough), so a
 * caller never decodes unrelated bytes.
 */
static ota_err_t read_desc_bytes(const ota_flash_t *flash, uint32_t part_offset, uint32_t part_size,
                                 uint32_t desc_len, uint8_t *raw, uint32_t raw_len)
{
    uint8_t head[OTA_IMAGE_HEADER_LEN + OTA_IMAGE_SEG_HEADER_LEN];
    if (!flash) {
        return OTA_ERR_INVALID_ARG;
    }
    if (part_size < OTA_APP_DESC_OFFSET + desc_len) {
        return OTA_ERR_IMG_NO_DESC;
    }
    ota_err_t err = ota_flash_read(flash, part_offset, head, sizeof head);
    if (err) {
        return err;
    }
    uint32_t seg0_len = le32_get(head + OTA_IMAGE_HEADER_LEN + 4);
    if (head[0] != OTA_IMAGE_MAGIC || head[1] == 0 || seg0_len < desc_len) {
        return OTA_ERR_IMG_NO_DESC;
    }
    return ota_flash_read(flash, part_offset + OTA_APP_DESC_OFFSET, raw, raw_len);
}

ota_err_t ota_image_read_app_desc(const ota_flash_t *flash, uint32_t part_offset,
                                  uint32_t part_size, ota_app_desc_t *out)
{
    uint8_t raw[OTA_APP_DESC_LEN];
    if (!out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    ota_err_t err = read_desc_bytes(flash, part_offset, part_size, sizeof raw, raw, sizeof raw);
    return err ? err : ota_app_desc_parse(raw, sizeof raw, out);
}

/* The first len bytes of the app descriptor, its magic checked (a partial read). */
static ota_err_t read_desc_head(const ota_flash_t *flash, uint32_t part_offset, uint32_t part_size,
                                uint8_t *raw, uint32_t len)
{
    ota_err_t err = read_desc_bytes(flash, part_offset, part_size, OTA_APP_DESC_LEN, raw, len);
    return !err && le32_get(raw + AD_MAGIC) != OTA_APP_DESC_MAGIC ? OTA_ERR_IMG_NO_DESC : err;
}

ota_err_t ota_image_read_secure_version(const ota_flash_t *flash, uint32_t part_offset,
                                        uint32_t part_size, uint32_t *secure_version)
{
    uint8_t raw[AD_SECURE_VERSION + 4]; /* magic word, secure_version */
    if (!secure_version) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = read_desc_head(flash, part_offset, part_size, raw, sizeof raw);
    *secure_version = err ? 0 : le32_get(raw + AD_SECURE_VERSION);
    return err;
}

ota_err_t ota_image_read_app_version(const ota_flash_t *flash, uint32_t part_offset,
                                     uint32_t part_size, char version[33])
{
    uint8_t raw[AD_VERSION + 32]; /* magic word ... version */
    if (!version) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(version, 0, 33);
    ota_err_t err = read_desc_head(flash, part_offset, part_size, raw, sizeof raw);
    if (!err) {
        field_to_str(version, raw + AD_VERSION, 32);
    }
    return err;
}

ota_err_t ota_image_read_boot_desc(const ota_flash_t *flash, uint32_t part_offset,
                                   uint32_t part_size, ota_boot_desc_t *out)
{
    uint8_t raw[OTA_BOOT_DESC_LEN];
    if (!out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    ota_err_t err = read_desc_bytes(flash, part_offset, part_size, sizeof raw, raw, sizeof raw);
    return err ? err : ota_boot_desc_parse(raw, sizeof raw, out);
}

/* A maximum revision of 0 or 0xFFFF means "not set" (IS_MAX_REV_SET). */
static bool max_rev_set(uint16_t max_rev)
{
    return max_rev != 0 && max_rev != 0xFFFFu;
}

ota_err_t ota_image_check_device(ota_image_kind_t kind, const ota_image_header_t *hdr,
                                 const ota_app_desc_t *app_desc, const ota_image_device_t *device)
{
    if (!hdr || !device || (kind != OTA_IMAGE_APP && kind != OTA_IMAGE_BOOTLOADER)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (hdr->chip_id != device->chip_id) {
        return OTA_ERR_IMG_CHIP;
    }
    if (device->chip_rev != OTA_CHIP_REV_ANY) {
        if (device->chip_rev < hdr->min_chip_rev_full) {
            return OTA_ERR_IMG_CHIP_REV;
        }
        if (kind == OTA_IMAGE_APP && !device->ignore_max_rev && max_rev_set(hdr->max_chip_rev_full) &&
            device->chip_rev > hdr->max_chip_rev_full) {
            return OTA_ERR_IMG_CHIP_REV;
        }
    }
    if (kind == OTA_IMAGE_APP && app_desc && app_desc->spi_flash_mode != 0 &&
        device->spi_flash_mode != 0 && app_desc->spi_flash_mode != device->spi_flash_mode) {
        return OTA_ERR_IMG_SPI_MODE;
    }
    return OTA_OK;
}

ota_err_t ota_image_check_secure_version(const ota_app_desc_t *app_desc, uint32_t device_counter)
{
    if (!app_desc) {
        return OTA_ERR_INVALID_ARG;
    }
    return app_desc->secure_version >= device_counter ? OTA_OK : OTA_ERR_IMG_SEC_VER;
}
