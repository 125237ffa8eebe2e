/*
 * The chips an image header can name (spec §4.1), with what image
 * verification needs to know about each: the flash-mapped address ranges
 * (esptool's IROM/DROM map ranges) and the configurable MMU page sizes.
 */
#include <string.h>

#include "ota/image.h"

/* mmu_page_min_log2: the smallest configurable MMU page, or fixed 64 KiB pages. */
#define FROM_8K 13u
#define FROM_16K 14u
#define FIXED_64K 0u

/* A row with esptool's addresses as they are written there; the bounds, all
 * multiples of 64 KiB, are stored in 64 KiB units (ota_chip_t). */
#define K64(addr) ((uint16_t)((addr) >> 16))
#define CHIP(name, id, irom_start, irom_end, drom_start, drom_end, desc_addr, pages)                   \
    {(desc_addr), {{K64(irom_start), K64(irom_end)}, {K64(drom_start), K64(drom_end)}}, (id), name, (pages)}

/*
 * OTA_CHIP_ONLY=<chip id> (e.g. -DOTA_CHIP_ONLY=OTA_CHIP_ESP32C3) builds the
 * table with that one chip: a device only ever verifies images for itself,
 * and the other rows cost about 300 bytes. Images for any other chip are then
 * OTA_ERR_IMG_CHIP_UNKNOWN, and lookups by name or index see only that chip.
 * Default: every chip (host tools need them all).
 */
#ifdef OTA_CHIP_ONLY
#define CHIP_KEPT(id) ((OTA_CHIP_ONLY) == (id))
#else
#define CHIP_KEPT(id) 1
#endif

static const ota_chip_t k_chips[] = {
#if CHIP_KEPT(OTA_CHIP_ESP32)
    CHIP("esp32", OTA_CHIP_ESP32, 0x400D0000u, 0x40400000u, 0x3F400000u, 0x3F800000u, 0x3F400020u, FIXED_64K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32S2)
    CHIP("esp32s2", OTA_CHIP_ESP32S2, 0x40080000u, 0x40B80000u, 0x3F000000u, 0x3F3F0000u, 0x3F000020u,
         FIXED_64K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C3)
    CHIP("esp32c3", OTA_CHIP_ESP32C3, 0x42000000u, 0x42800000u, 0x3C000000u, 0x3C800000u, 0x3C000020u,
         FIXED_64K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32S3)
    CHIP("esp32s3", OTA_CHIP_ESP32S3, 0x42000000u, 0x44000000u, 0x3C000000u, 0x3E000000u, 0x3C000020u,
         FIXED_64K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C2)
    CHIP("esp32c2", OTA_CHIP_ESP32C2, 0x42000000u, 0x42400000u, 0x3C000000u, 0x3C400000u, 0x3C000020u,
         FROM_16K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C6)
    CHIP("esp32c6", OTA_CHIP_ESP32C6, 0x42000000u, 0x42800000u, 0x42800000u, 0x43000000u, 0x42000020u,
         FROM_8K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32H2)
    CHIP("esp32h2", OTA_CHIP_ESP32H2, 0x42000000u, 0x42800000u, 0x42800000u, 0x43000000u, 0x42000020u,
         FROM_8K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32P4)
    CHIP("esp32p4", OTA_CHIP_ESP32P4, 0x40000000u, 0x4C000000u, 0x40000000u, 0x4C000000u, 0x40000020u,
         FIXED_64K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C61)
    CHIP("esp32c61", OTA_CHIP_ESP32C61, 0x42000000u, 0x44000000u, 0x42000000u, 0x44000000u, 0x42000020u,
         FROM_8K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C5)
    CHIP("esp32c5", OTA_CHIP_ESP32C5, 0x42000000u, 0x44000000u, 0x42000000u, 0x44000000u, 0x42000020u,
         FROM_8K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32H21)
    CHIP("esp32h21", OTA_CHIP_ESP32H21, 0x42000000u, 0x42800000u, 0x42800000u, 0x43000000u, 0x42000020u,
         FROM_8K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32H4)
    CHIP("esp32h4", OTA_CHIP_ESP32H4, 0x42000000u, 0x42800000u, 0x42800000u, 0x43000000u, 0x42000020u,
         FROM_8K),
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32S31)
    CHIP("esp32s31", OTA_CHIP_ESP32S31, 0x40000000u, 0x54000000u, 0x40000000u, 0x54000000u, 0x40000020u,
         FIXED_64K),
#endif
};

#define CHIP_COUNT (sizeof k_chips / sizeof k_chips[0])
#ifdef OTA_CHIP_ONLY
/* Checked again in C: in #if an unknown name (say esp32c3) reads as 0, esp32's id. */
_Static_assert(CHIP_COUNT == 1 && (OTA_CHIP_ONLY) <= 0xFFFFu,
               "OTA_CHIP_ONLY: the id of a chip of this table, e.g. OTA_CHIP_ESP32C3");
#endif

const ota_chip_t *ota_chip_at(size_t i)
{
    return i < CHIP_COUNT ? &k_chips[i] : NULL;
}

const ota_chip_t *ota_chip_by_id(uint16_t chip_id)
{
    for (size_t i = 0; i < CHIP_COUNT; i++) {
        if (k_chips[i].chip_id == chip_id) {
            return &k_chips[i];
        }
    }
    return NULL;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (ascii_lower(*a) != ascii_lower(*b)) {
            return false;
        }
    }
    return *a == *b;
}

const ota_chip_t *ota_chip_by_name(const char *name)
{
    if (!name) {
        return NULL;
    }
    for (size_t i = 0; i < CHIP_COUNT; i++) {
        if (name_equal(k_chips[i].name, name)) {
            return &k_chips[i];
        }
    }
    return NULL;
}

ota_err_t ota_chip_id_from_name(const char *name, uint16_t *chip_id)
{
    if (!name || !chip_id) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_chip_t *chip = ota_chip_by_name(name);
    if (!chip) {
        return OTA_ERR_NOT_FOUND;
    }
    *chip_id = chip->chip_id;
    return OTA_OK;
}

const char *ota_chip_name(uint16_t chip_id)
{
    const ota_chip_t *chip = ota_chip_by_id(chip_id);
    return chip ? chip->name : NULL;
}

uint32_t ota_chip_mmu_page(const ota_chip_t *chip, uint8_t log2)
{
    bool configurable = chip->mmu_page_min_log2 && log2 >= chip->mmu_page_min_log2 && log2 <= 16;
    return configurable ? 1u << log2 : OTA_IMAGE_MMU_PAGE_DEFAULT;
}

bool ota_chip_addr_is_mapped(const ota_chip_t *chip, uint32_t load_addr)
{
    /* The bounds are 64 KiB aligned, so comparing 64 KiB units is exact. */
    uint32_t unit = load_addr >> 16;
    for (size_t i = 0; i < 2; i++) {
        if (unit >= chip->map_64k[i][0] && unit < chip->map_64k[i][1]) {
            return true;
        }
    }
    return false;
}
