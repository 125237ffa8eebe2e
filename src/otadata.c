/* otadata entries, selection and flash access: what both the bootloader and the app need (spec §2.1-§2.5). */
#include "ota/otadata.h"

#include "bytes_le.h"
#include "otadata_internal.h"

#include <string.h>

/* ---- Entries --------------------------------------------------------------- */

uint32_t ota_crc32_le(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int bit = 0; bit < 8; bit++) {
            /* Bitwise, no table: small code for a bootloader; only short buffers are hashed
             * (an otadata seq, a 1196-byte signature block). */
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

uint32_t ota_otadata_crc(uint32_t seq)
{
    uint8_t le[4];
    le32_put(le, seq);
    /* esp_rom_crc32_le(UINT32_MAX, ...): the register starts at 0, not at the usual ~0. */
    return ota_crc32_le(0xFFFFFFFFu, le, sizeof le);
}

void ota_select_entry_encode(const ota_select_entry_t *e, uint8_t out[OTA_OTADATA_ENTRY_SIZE])
{
    le32_put(out, e->seq);
    memcpy(out + 4, e->label, OTA_OTADATA_LABEL_LEN);
    le32_put(out + 24, e->state);
    le32_put(out + 28, e->crc);
}

void ota_select_entry_decode(const uint8_t in[OTA_OTADATA_ENTRY_SIZE], ota_select_entry_t *e)
{
    e->seq = le32_get(in);
    memcpy(e->label, in + 4, OTA_OTADATA_LABEL_LEN);
    e->state = le32_get(in + 24);
    e->crc = le32_get(in + 28);
}

void ota_select_entry_make(ota_select_entry_t *e, uint32_t seq, uint32_t state)
{
    e->seq = seq;
    memset(e->label, 0xFF, sizeof e->label);
    e->state = state;
    e->crc = ota_otadata_crc(seq);
}

bool ota_select_entry_crc_ok(const ota_select_entry_t *e)
{
    return e->crc == ota_otadata_crc(e->seq);
}

bool ota_select_entry_is_invalid(const ota_select_entry_t *e)
{
    return e->seq == OTA_OTADATA_SEQ_ERASED || e->state == OTA_IMG_INVALID ||
           e->state == OTA_IMG_ABORTED;
}

bool ota_select_entry_is_valid(const ota_select_entry_t *e)
{
    return !ota_select_entry_is_invalid(e) && ota_select_entry_crc_ok(e);
}

bool ota_select_entry_is_initial(const ota_select_entry_t *e)
{
    return e->seq == OTA_OTADATA_SEQ_ERASED || !ota_select_entry_crc_ok(e);
}

const char *ota_img_state_name(uint32_t state)
{
    switch (state) {
    case OTA_IMG_NEW:
        return "NEW";
    case OTA_IMG_PENDING_VERIFY:
        return "PENDING_VERIFY";
    case OTA_IMG_VALID:
        return "VALID";
    case OTA_IMG_INVALID:
        return "INVALID";
    case OTA_IMG_ABORTED:
        return "ABORTED";
    case OTA_IMG_UNDEFINED:
        return "UNDEFINED";
    default:
        return "UNKNOWN";
    }
}

int ota_otadata_select(const ota_select_entry_t e[2], const bool ok[2], bool use_max)
{
    if (ok[0] && ok[1]) {
        bool second = use_max ? e[1].seq > e[0].seq : e[1].seq < e[0].seq;
        return second ? 1 : 0;
    }
    return ok[0] ? 0 : ok[1] ? 1 : -1;
}

int ota_otadata_active(const ota_select_entry_t e[2])
{
    const bool ok[2] = {ota_select_entry_is_valid(&e[0]), ota_select_entry_is_valid(&e[1])};
    return ota_otadata_select(e, ok, true);
}

unsigned ota_otadata_slot(uint32_t seq, unsigned app_count)
{
    return (unsigned)((seq - 1u) % app_count);
}

ota_err_t ota_otadata_next_seq(uint32_t active_seq, unsigned slot, unsigned app_count,
                               uint32_t *seq)
{
    if (!seq || app_count == 0 || slot >= app_count) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t base = (slot + 1u) % app_count;
    if (base == 0 && ota_otadata_slot(0, app_count) != slot) {
        base = app_count; /* seq 0 wraps to another slot unless app_count is a power of two */
    }
    if (active_seq <= base) {
        *seq = base;
        return OTA_OK;
    }
    /* base + steps * app_count, steps = ceil(gap / app_count), checked against
     * 0xFFFFFFFE before it is formed, so nothing wraps (ESP-IDF's loop can spin
     * forever here). 32-bit only: a 64-bit division costs a 0.7 KiB libgcc
     * routine on 32-bit MCUs. */
    uint32_t gap = active_seq - base;
    uint32_t steps = gap / app_count + (gap % app_count != 0);
    if (steps > (OTA_OTADATA_SEQ_ERASED - 1u - base) / app_count) {
        return OTA_ERR_BOOT_SEQ_OVERFLOW;
    }
    *seq = base + steps * app_count;
    return OTA_OK;
}

/* ---- Flash access ---------------------------------------------------------- */

uint32_t ota_otadata_copy_size(const ota_flash_t *flash)
{
    /* A copy must be its own erase unit: rewriting one never touches the other. */
    return flash->sector_size > OTA_OTADATA_SECTOR_SIZE ? flash->sector_size
                                                        : OTA_OTADATA_SECTOR_SIZE;
}

static ota_err_t check_size(const ota_flash_t *flash, const ota_partition_t *otadata)
{
    return otadata->size / 2u < ota_otadata_copy_size(flash) ? OTA_ERR_OTADATA_SIZE : OTA_OK;
}

ota_err_t ota__otadata_check(const ota_flash_t *flash, const ota_partition_t *otadata,
                             uint32_t *unit)
{
    if (check_size(flash, otadata)) {
        return OTA_ERR_OTADATA_SIZE;
    }
    *unit = flash->write_size > OTA_OTADATA_ENTRY_SIZE ? flash->write_size : OTA_OTADATA_ENTRY_SIZE;
    if (flash->write_size == 0 || flash->write_size > OTA_OTADATA_MAX_WRITE_SIZE ||
        *unit % flash->write_size) {
        return OTA_ERR_OTADATA_WRITE_SIZE;
    }
    return OTA_OK;
}

uint32_t ota__otadata_copy_addr(const ota_flash_t *flash, const ota_partition_t *otadata,
                                unsigned sector)
{
    return otadata->offset + sector * ota_otadata_copy_size(flash);
}

ota_err_t ota_otadata_read(const ota_flash_t *flash, const ota_partition_t *otadata,
                           ota_select_entry_t e[2])
{
    if (!flash || !otadata || !e) {
        return OTA_ERR_INVALID_ARG;
    }
    if (check_size(flash, otadata)) {
        return OTA_ERR_OTADATA_SIZE;
    }
    for (unsigned i = 0; i < 2; i++) {
        uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
        ota_err_t err =
            ota_flash_read(flash, ota__otadata_copy_addr(flash, otadata, i), raw, sizeof raw);
        if (err) {
            return err;
        }
        ota_select_entry_decode(raw, &e[i]);
    }
    return OTA_OK;
}

ota_err_t ota__otadata_write_entry(const ota_flash_t *flash, const ota_partition_t *otadata,
                                   unsigned sector, const ota_select_entry_t *e, uint8_t *buf)
{
    if (!flash || !otadata || sector > 1) {
        return OTA_ERR_INVALID_ARG;
    }
    /* Check the write unit before erasing, so a refused write never leaves a blank copy. */
    uint32_t unit;
    ota_err_t err = ota__otadata_check(flash, otadata, &unit);
    if (err) {
        return err;
    }
    memset(buf + OTA_OTADATA_ENTRY_SIZE, flash->erased_value, unit - OTA_OTADATA_ENTRY_SIZE);
    if (e) {
        ota_select_entry_encode(e, buf);
    }

    uint32_t addr = ota__otadata_copy_addr(flash, otadata, sector);
    err = ota_flash_erase_range(flash, addr, ota_otadata_copy_size(flash));
    return err ? err : ota_flash_write(flash, addr, buf, unit);
}

ota_err_t ota_otadata_write_entry(const ota_flash_t *flash, const ota_partition_t *otadata,
                                  unsigned sector, const ota_select_entry_t *e)
{
    uint8_t buf[OTA__OTADATA_BUF_LEN];
    return e ? ota__otadata_write_entry(flash, otadata, sector, e, buf) : OTA_ERR_INVALID_ARG;
}
