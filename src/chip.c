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

/* The map bounds, all multiples of 64 KiB, in 64 KiB units (ota_chip_t). */
#define K64(addr) ((uint16_t)((addr) >> 16))

/*
 * OTA_CHIP_ONLY=<chip id> (e.g. -DOTA_CHIP_ONLY=OTA_CHIP_ESP32C3) builds the
 * table with that one chip: a device only ever verifies images for itself,
 * and the other rows cost about 150 bytes. Images for any other chip are then
 * OTA_ERR_IMG_CHIP_UNKNOWN, and lookups by name or index see only that chip.
 * Default: every chip (host tools need them all).
 */
#ifdef OTA_CHIP_ONLY
#define CHIP_KEPT(id) ((OTA_CHIP_ONLY) == (id))
#else
#define CHIP_KEPT(id) 1
#endif

static const ota_chip_t k_chips[] = {
#define CHIP(name, id, irom_start, irom_end, drom_start, drom_end, desc_addr, pages) \
    {(id), {{K64(irom_start), K64(irom_end)}, {K64(drom_start), K64(drom_end)}}, (pages)},
#include "chip_rows.def"
#undef CHIP
};

/* What only host tools ask for (names, where a packer puts the descriptor),
 * in an array of its own: a bootloader looks chips up by id and does not link it. */
static const struct {
    char name[9]; /* at most 8 characters */
    uint32_t desc_addr;
} k_host[] = {
#define CHIP(name, id, irom_start, irom_end, drom_start, drom_end, desc_addr, pages) {name, (desc_addr)},
#include "chip_rows.def"
#undef CHIP
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
        if (name_equal(k_host[i].name, name)) {
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
    return chip ? k_host[chip - k_chips].name : NULL;
}

uint32_t ota_chip_desc_addr(const ota_chip_t *chip)
{
    return k_host[chip - k_chips].desc_addr;
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
