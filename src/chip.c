/*
 * The chips an image header can name (spec §4.1), with what image
 * verification needs to know about each: the flash-mapped address ranges
 * (esptool's IROM/DROM map ranges) and the configurable MMU page sizes.
 */
#include <string.h>

#include "ota/image.h"

#define PAGES_8K_TO_64K ((1u << 13) | (1u << 14) | (1u << 15) | (1u << 16))
#define PAGES_16K_TO_64K ((1u << 14) | (1u << 15) | (1u << 16))

/*
 * OTA_CHIP_ONLY=<chip id> (e.g. -DOTA_CHIP_ONLY=OTA_CHIP_ESP32C3) builds the
 * table with that one chip: a device only ever verifies images for itself,
 * and the other rows cost about half a KiB. Images for any other chip are then
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
    {"esp32", OTA_CHIP_ESP32, {{0x400D0000u, 0x40400000u}, {0x3F400000u, 0x3F800000u}}, 0x3F400020u, 0},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32S2)
    {"esp32s2", OTA_CHIP_ESP32S2, {{0x40080000u, 0x40B80000u}, {0x3F000000u, 0x3F3F0000u}}, 0x3F000020u, 0},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C3)
    {"esp32c3", OTA_CHIP_ESP32C3, {{0x42000000u, 0x42800000u}, {0x3C000000u, 0x3C800000u}}, 0x3C000020u, 0},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32S3)
    {"esp32s3", OTA_CHIP_ESP32S3, {{0x42000000u, 0x44000000u}, {0x3C000000u, 0x3E000000u}}, 0x3C000020u, 0},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C2)
    {"esp32c2", OTA_CHIP_ESP32C2, {{0x42000000u, 0x42400000u}, {0x3C000000u, 0x3C400000u}}, 0x3C000020u,
     PAGES_16K_TO_64K},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C6)
    {"esp32c6", OTA_CHIP_ESP32C6, {{0x42000000u, 0x42800000u}, {0x42800000u, 0x43000000u}}, 0x42000020u,
     PAGES_8K_TO_64K},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32H2)
    {"esp32h2", OTA_CHIP_ESP32H2, {{0x42000000u, 0x42800000u}, {0x42800000u, 0x43000000u}}, 0x42000020u,
     PAGES_8K_TO_64K},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32P4)
    {"esp32p4", OTA_CHIP_ESP32P4, {{0x40000000u, 0x4C000000u}, {0x40000000u, 0x4C000000u}}, 0x40000020u, 0},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C61)
    {"esp32c61", OTA_CHIP_ESP32C61, {{0x42000000u, 0x44000000u}, {0x42000000u, 0x44000000u}}, 0x42000020u,
     PAGES_8K_TO_64K},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32C5)
    {"esp32c5", OTA_CHIP_ESP32C5, {{0x42000000u, 0x44000000u}, {0x42000000u, 0x44000000u}}, 0x42000020u,
     PAGES_8K_TO_64K},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32H21)
    {"esp32h21", OTA_CHIP_ESP32H21, {{0x42000000u, 0x42800000u}, {0x42800000u, 0x43000000u}}, 0x42000020u,
     PAGES_8K_TO_64K},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32H4)
    {"esp32h4", OTA_CHIP_ESP32H4, {{0x42000000u, 0x42800000u}, {0x42800000u, 0x43000000u}}, 0x42000020u,
     PAGES_8K_TO_64K},
#endif
#if CHIP_KEPT(OTA_CHIP_ESP32S31)
    {"esp32s31", OTA_CHIP_ESP32S31, {{0x40000000u, 0x54000000u}, {0x40000000u, 0x54000000u}}, 0x40000020u, 0},
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

bool ota_chip_addr_is_mapped(const ota_chip_t *chip, uint32_t load_addr)
{
    for (size_t i = 0; i < 2; i++) {
        if (load_addr >= chip->map[i][0] && load_addr < chip->map[i][1]) {
            return true;
        }
    }
    return false;
}
