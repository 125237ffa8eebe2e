/*
 * ESP application and bootloader images (spec §4): header, segments, XOR
 * checksum, appended SHA-256, app descriptor and bootloader descriptor.
 *
 * Verification streams the image out of flash through a caller-provided
 * buffer, so RAM use does not depend on the image size, and hashes through an
 * ota_hash_t (SHA-256). It applies ESP-IDF's esp_image_verify() rules in
 * ESP-IDF's order; every failure has its own OTA_ERR_IMG_* code.
 *
 * Chips are identified by the image header's chip_id (spec §4.1); the table
 * behind ota_chip_*() also knows each chip's flash-mapped address ranges and
 * which MMU page sizes it supports.
 */
#ifndef OTA_IMAGE_H
#define OTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"
#include "ota/flash.h"
#include "ota/hash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_IMAGE_MAGIC 0xE9u
#define OTA_IMAGE_HEADER_LEN 24u
#define OTA_IMAGE_SEG_HEADER_LEN 8u
#define OTA_IMAGE_MAX_SEGMENTS 16u
#define OTA_IMAGE_SEG_LEN_LIMIT 0x1000000u /* a segment must be shorter than 16 MiB */
#define OTA_IMAGE_CHECKSUM_SEED 0xEFu
#define OTA_IMAGE_MMU_PAGE_DEFAULT 0x10000u /* 64 KiB */

#define OTA_APP_DESC_MAGIC 0xABCD5432u
#define OTA_APP_DESC_OFFSET 0x20u /* image offset = first byte of segment 0 data */
#define OTA_APP_DESC_LEN 256u
#define OTA_BOOT_DESC_MAGIC 80u
#define OTA_BOOT_DESC_LEN 80u

/* Bytes an app stream must have delivered before ota_image_check_head() can
 * judge it: header, first segment header, app descriptor. */
#define OTA_IMAGE_HEAD_LEN (OTA_IMAGE_HEADER_LEN + OTA_IMAGE_SEG_HEADER_LEN + OTA_APP_DESC_LEN)
/* The same for a bootloader stream (bootloader descriptor). */
#define OTA_IMAGE_BOOT_HEAD_LEN (OTA_IMAGE_HEADER_LEN + OTA_IMAGE_SEG_HEADER_LEN + OTA_BOOT_DESC_LEN)

/* Smallest work buffer ota_image_verify() accepts: segment data and padding
 * are streamed through it, so it only bounds the size of each flash read
 * (32 bytes keeps reads from degenerating to a few bytes each). Results do not
 * depend on it; a few KiB means few flash reads. */
#define OTA_IMAGE_BUF_MIN 32u

/* chip_id values (esp_chip_id_t). */
#define OTA_CHIP_ESP32 0x0000u
#define OTA_CHIP_ESP32S2 0x0002u
#define OTA_CHIP_ESP32C3 0x0005u
#define OTA_CHIP_ESP32S3 0x0009u
#define OTA_CHIP_ESP32C2 0x000Cu
#define OTA_CHIP_ESP32C6 0x000Du
#define OTA_CHIP_ESP32H2 0x0010u
#define OTA_CHIP_ESP32P4 0x0012u
#define OTA_CHIP_ESP32C61 0x0014u
#define OTA_CHIP_ESP32C5 0x0017u
#define OTA_CHIP_ESP32H21 0x0019u
#define OTA_CHIP_ESP32H4 0x001Cu
#define OTA_CHIP_ESP32S31 0x0020u

/* Revision values meaning "not set" / "do not check". */
#define OTA_CHIP_REV_ANY 0xFFFFu

/* What an image is verified as. */
typedef enum ota_image_kind {
    /* An application (esp_image_verify on an app partition): segment 0 holds
     * the app descriptor, mapped segments obey the MMU-page rule, the chip
     * revision must be within [min, max], an appended SHA-256 must match. */
    OTA_IMAGE_APP = 0,
    /* A second-stage bootloader: no descriptor rule, only the minimum chip
     * revision, and the appended SHA-256 is computed but not required to
     * match (esptool may rewrite header bytes 2-3 when flashing). */
    OTA_IMAGE_BOOTLOADER = 1,
    /* Only the file format, as esptool image-info reads it: magic, segment
     * count, segments inside the data, checksum, SHA-256. No loader rules
     * (segment length multiple of 4 and < 16 MiB, descriptor, MMU pages). */
    OTA_IMAGE_FORMAT = 2,
} ota_image_kind_t;

/* esp_image_header_t, decoded. */
typedef struct ota_image_header {
    uint8_t magic;
    uint8_t segment_count;
    uint8_t spi_mode;  /* 0 QIO, 1 QOUT, 2 DIO, 3 DOUT, 4 FAST_READ, 5 SLOW_READ */
    uint8_t spi_speed; /* low nibble of byte 3 */
    uint8_t spi_size;  /* high nibble of byte 3: 0 = 1 MB ... 7 = 128 MB */
    uint32_t entry_addr;
    uint8_t wp_pin;
    uint8_t spi_pin_drv[3];
    uint16_t chip_id;
    uint8_t min_chip_rev; /* legacy */
    uint16_t min_chip_rev_full; /* major * 100 + minor */
    uint16_t max_chip_rev_full; /* 0 or 0xFFFF = not set */
    uint8_t reserved[4];
    uint8_t hash_appended; /* nonzero: a SHA-256 follows the checksum */
} ota_image_header_t;

typedef struct ota_image_segment {
    uint32_t load_addr;
    uint32_t data_len;
    uint32_t data_offset; /* from the image start; the header is 8 bytes before */
} ota_image_segment_t;

/* What ota_image_verify() learnt about an image. */
typedef struct ota_image_info {
    ota_image_header_t header;
    ota_image_segment_t segments[OTA_IMAGE_MAX_SEGMENTS];
    uint8_t segments_read; /* entries of segments[] filled in */
    uint32_t mmu_page_size; /* page used for the mapped-segment rule */
    /* The fields below are valid only when `complete` is true: the whole
     * layout was read (every segment, the checksum and, if appended, the hash). */
    bool complete;
    uint32_t checksum_offset;
    uint8_t checksum_stored;
    uint8_t checksum_calc;
    uint32_t image_len; /* up to the checksum byte, plus 32 if a hash is appended */
    /* SHA-256 of bytes [0, checksum_offset]: what esptool appends. Always computed. */
    uint8_t hash_calc[OTA_SHA256_LEN];
    uint8_t hash_stored[OTA_SHA256_LEN]; /* zero when no hash is appended */
} ota_image_info_t;

/* The device an image must suit (esp_ota_check_image_validity). */
typedef struct ota_image_device {
    uint16_t chip_id;
    uint16_t chip_rev;      /* full revision (major * 100 + minor); OTA_CHIP_REV_ANY = do not check */
    uint8_t spi_flash_mode; /* app-descriptor numbering (1 QIO .. 5 OPI); 0 = unknown, no check */
    bool ignore_max_rev;    /* the "disable wafer major version check" eFuse is burnt */
} ota_image_device_t;

typedef struct ota_image_verify_opts {
    ota_image_kind_t kind;
    /* NULL: any chip (the header's chip_id still selects the chip rules).
     * Otherwise chip id and revision must suit this device (APP and
     * BOOTLOADER kinds only). */
    const ota_image_device_t *device;
    /* When data_len_known: the image data is the first data_len bytes of the
     * partition (e.g. the bytes an update wrote, or a file's size) and reading
     * past them is reported as OTA_ERR_IMG_TRUNCATED. Otherwise the whole
     * partition may be read. */
    bool data_len_known;
    uint32_t data_len;
} ota_image_verify_opts_t;

/* esp_app_desc_t, decoded. Strings are NUL-terminated copies of the fields
 * (up to the field's first NUL); reserved fields are not kept. */
typedef struct ota_app_desc {
    uint32_t magic_word;
    uint32_t secure_version;
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full;
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size_log2; /* 0 in old images */
    uint8_t spi_flash_mode;     /* 1 QIO, 2 QOUT, 3 DIO, 4 DOUT, 5 OPI; 0 unknown */
} ota_app_desc_t;

/* esp_bootloader_desc_t, decoded. */
typedef struct ota_boot_desc {
    uint8_t magic_byte;
    uint8_t secure_version;
    uint32_t version;
    char idf_ver[33];
    char date_time[25];
} ota_boot_desc_t;

/*
 * Verify the image at flash [part_offset, part_offset + part_size).
 *
 * Checks, in ESP-IDF's order: magic; chip id and revision (if opts->device);
 * chip known (APP/BOOTLOADER kinds); segment count <= 16; per segment: length
 * a multiple of 4 and < 16 MiB (not for FORMAT), app segment 0 >= 256 bytes, app descriptor
 * magic at the start of segment 0 on chips with a configurable MMU page (its
 * mmu_page_size then sets the page; invalid -> 64 KiB), flash-mapped segments
 * with (flash address of data) % page == load_addr % page, data inside the
 * available bytes; checksum byte; appended SHA-256 (APP/FORMAT kinds); total
 * length <= partition.
 *
 * buf/buf_len: work buffer of at least OTA_IMAGE_BUF_MIN bytes; results do not
 * depend on its size. sha256: a SHA-256 ota_hash_t (required).
 * info: may be NULL; otherwise filled as far as parsing got (see `complete`),
 * also on error, so a caller can show why an image was refused.
 *
 * Errors: OTA_ERR_INVALID_ARG (NULL flash/opts/sha256/buf, buf_len too small,
 * data_len > part_size, a device with kind FORMAT, unknown kind),
 * OTA_ERR_FLASH_RANGE (partition outside the flash), OTA_ERR_IMG_MAGIC,
 * OTA_ERR_IMG_CHIP, OTA_ERR_IMG_CHIP_REV, OTA_ERR_IMG_CHIP_UNKNOWN,
 * OTA_ERR_IMG_SEG_COUNT, OTA_ERR_IMG_SEG_LEN, OTA_ERR_IMG_SEG0_SHORT,
 * OTA_ERR_IMG_NO_DESC, OTA_ERR_IMG_MAP_ALIGN, OTA_ERR_IMG_TRUNCATED (past
 * data_len), OTA_ERR_IMG_SEG_BOUNDS (a segment past the partition end),
 * OTA_ERR_IMG_TOO_LONG (header, checksum or hash past the partition end),
 * OTA_ERR_IMG_CHECKSUM, OTA_ERR_IMG_HASH, or a flash/hash port error.
 */
ota_err_t ota_image_verify(const ota_flash_t *flash, uint32_t part_offset, uint32_t part_size,
                           const ota_image_verify_opts_t *opts, const ota_hash_t *sha256,
                           uint8_t *buf, size_t buf_len, ota_image_info_t *info);

/*
 * Decode the 24-byte header at buf. Errors: OTA_ERR_INVALID_ARG (NULL),
 * OTA_ERR_IMG_TRUNCATED (len < 24), OTA_ERR_IMG_MAGIC. *out is filled even
 * when the magic is wrong.
 */
ota_err_t ota_image_header_parse(const uint8_t *buf, size_t len, ota_image_header_t *out);

/*
 * Check the first bytes of an update stream before any flash is touched:
 * header, first segment header and descriptor (len >= OTA_IMAGE_HEAD_LEN for
 * apps, OTA_IMAGE_BOOT_HEAD_LEN for bootloaders), then, if device is given,
 * ota_image_check_device(). kind must be APP or BOOTLOADER. An app must carry
 * its descriptor; for a bootloader it is optional (older bootloaders have
 * none): *boot_desc is then zeroed (magic_byte 0).
 * hdr / app_desc / boot_desc may be NULL; the descriptor matching kind is filled.
 * Errors: OTA_ERR_INVALID_ARG, OTA_ERR_IMG_TRUNCATED (len too short),
 * OTA_ERR_IMG_MAGIC, OTA_ERR_IMG_SEG_COUNT, OTA_ERR_IMG_SEG_LEN,
 * OTA_ERR_IMG_SEG0_SHORT (app), OTA_ERR_IMG_NO_DESC (descriptor magic), and
 * those of ota_image_check_device().
 */
ota_err_t ota_image_check_head(const uint8_t *buf, size_t len, ota_image_kind_t kind,
                               const ota_image_device_t *device, ota_image_header_t *hdr,
                               ota_app_desc_t *app_desc, ota_boot_desc_t *boot_desc);

/*
 * esp_ota_check_image_validity(): chip id equal; device revision >= the
 * header's min_chip_rev_full and, for apps unless ignore_max_rev or max is 0 /
 * 0xFFFF, <= max_chip_rev_full; for apps with app_desc: SPI flash modes equal
 * unless either is 0. A device chip_rev of OTA_CHIP_REV_ANY skips the revision.
 * Errors: OTA_ERR_INVALID_ARG (NULL hdr/device, kind FORMAT),
 * OTA_ERR_IMG_CHIP, OTA_ERR_IMG_CHIP_REV, OTA_ERR_IMG_SPI_MODE.
 */
ota_err_t ota_image_check_device(ota_image_kind_t kind, const ota_image_header_t *hdr,
                                 const ota_app_desc_t *app_desc, const ota_image_device_t *device);

/*
 * Anti-rollback (spec §2.7): an image is acceptable iff its secure_version
 * >= the device's counter. Errors: OTA_ERR_INVALID_ARG, OTA_ERR_IMG_SEC_VER.
 */
ota_err_t ota_image_check_secure_version(const ota_app_desc_t *app_desc, uint32_t device_counter);

/*
 * Decode / encode the 256-byte app descriptor. parse: OTA_ERR_INVALID_ARG,
 * OTA_ERR_IMG_TRUNCATED (len < 256), OTA_ERR_IMG_NO_DESC (magic); on error
 * *out is zeroed. serialize writes exactly 256 bytes (strings truncated to 31
 * characters, reserved bytes zero; magic_word written as given).
 */
ota_err_t ota_app_desc_parse(const uint8_t *buf, size_t len, ota_app_desc_t *out);
void ota_app_desc_serialize(const ota_app_desc_t *desc, uint8_t out[OTA_APP_DESC_LEN]);

/* Decode the 80-byte bootloader descriptor. Errors as ota_app_desc_parse (magic byte 80). */
ota_err_t ota_boot_desc_parse(const uint8_t *buf, size_t len, ota_boot_desc_t *out);

/*
 * Read the app descriptor of the image at part_offset (esp_ota_get_partition_description).
 * Never returns garbage: the partition must hold 0x120 bytes, the image magic
 * must be 0xE9, segment 0 must hold at least 256 bytes and the descriptor magic
 * must match, else OTA_ERR_IMG_NO_DESC (and *out is zeroed).
 * Errors: OTA_ERR_INVALID_ARG, OTA_ERR_IMG_NO_DESC, flash errors.
 */
ota_err_t ota_image_read_app_desc(const ota_flash_t *flash, uint32_t part_offset,
                                  uint32_t part_size, ota_app_desc_t *out);

/*
 * Only the app descriptor's secure_version (anti-rollback), with the checks
 * and errors of ota_image_read_app_desc(); *secure_version is 0 on error.
 * Reads 8 bytes of the descriptor instead of decoding all 256.
 */
ota_err_t ota_image_read_secure_version(const ota_flash_t *flash, uint32_t part_offset,
                                        uint32_t part_size, uint32_t *secure_version);

/*
 * Only the app descriptor's version string (NUL-padded to 33 bytes), with
 * the checks and errors of ota_image_read_app_desc(); "" on error. Reads 48
 * bytes of the descriptor: what an app compares before an update.
 */
ota_err_t ota_image_read_app_version(const ota_flash_t *flash, uint32_t part_offset,
                                     uint32_t part_size, char version[33]);

/* The same for a bootloader descriptor (segment 0 >= 80 bytes, magic byte 80). */
ota_err_t ota_image_read_boot_desc(const ota_flash_t *flash, uint32_t part_offset,
                                   uint32_t part_size, ota_boot_desc_t *out);

/* Chip table (spec §4.1). Built with -DOTA_CHIP_ONLY=<chip id> (src/chip.c),
 * it holds that chip alone and every lookup of another one fails.
 * A bootloader links the whole table, so a row holds only what verification
 * needs, in 12 bytes: every flash-mapped bound is a multiple of 64 KiB (an MMU
 * page) and is kept as address >> 16. Names and descriptor addresses, which
 * only host tools use, come from ota_chip_name() and ota_chip_desc_addr(). */
typedef struct ota_chip {
    uint16_t chip_id;
    uint16_t map_64k[2][2];    /* flash-mapped [start, end) ranges (IROM, DROM), in 64 KiB units */
    uint8_t mmu_page_min_log2; /* MMU pages 2^n, n in [this, 16], are configurable; 0 = fixed 64 KiB */
} ota_chip_t;

/* The chip with this id / name (case-insensitive), or NULL. */
const ota_chip_t *ota_chip_by_id(uint16_t chip_id);
const ota_chip_t *ota_chip_by_name(const char *name);

/* Chip id for a name. Errors: OTA_ERR_INVALID_ARG (NULL), OTA_ERR_NOT_FOUND. */
ota_err_t ota_chip_id_from_name(const char *name, uint16_t *chip_id);

/* Name ("esp32", "esp32s3", ...) for a chip id, or NULL if unknown. */
const char *ota_chip_name(uint16_t chip_id);

/* Load address the app descriptor gets: the first mapped data page + 0x20
 * (where an image packer puts segment 0). chip: a row of this table. */
uint32_t ota_chip_desc_addr(const ota_chip_t *chip);

/* The i-th chip of the table (NULL past the end), to list them. */
const ota_chip_t *ota_chip_at(size_t i);

/* The MMU page an app descriptor's mmu_page_size (log2) selects: 2^log2 when
 * the chip can be configured so, else the 64 KiB default. */
uint32_t ota_chip_mmu_page(const ota_chip_t *chip, uint8_t log2);

/* True when load_addr is in one of the chip's flash-mapped ranges. */
bool ota_chip_addr_is_mapped(const ota_chip_t *chip, uint32_t load_addr);

#ifdef __cplusplus
}
#endif

#endif
