/*
 * The OTA data partition ("otadata", spec §2): two 32-byte selection
 * entries, one at the start of each 4 KiB sector of a data/ota partition, that
 * tell the bootloader which OTA slot to boot and in which rollback state.
 *
 * This module has three layers:
 *   - the entry itself: encoding, the ESP-IDF CRC, the selection predicates
 *     (§2.2-§2.4), all pure functions;
 *   - reading and writing the two sectors through the flash port (§2.5);
 *   - the application-side operations of esp_ota_ops (§2.5, §2.7, §3.3) and
 *     otatool's `switch_ota_partition` (§6.2), over (flash, partition table).
 * The first two are src/otadata.c (what a bootloader links), the third is
 * src/otadata_app.c. The bootloader's decision lives in ota/boot.h.
 *
 * Where ESP-IDF misbehaves near the end of the sequence space (it loops
 * forever or writes the "erased" sequence 0xFFFFFFFF, spec §9 / vectors note
 * 6), these functions return OTA_ERR_BOOT_SEQ_OVERFLOW and write nothing.
 *
 * Flash requirements: copy i lives at partition offset i * copy size, where
 * the copy size is max(0x1000, flash sector size) (ota_otadata_copy_size),
 * so each copy is erased on its own; the partition must hold two copies.
 * With 4 KiB (or smaller) sectors that is ESP-IDF's layout exactly (copies
 * at 0 and 0x1000, partition >= 0x2000); larger sectors are a libota
 * generalisation (docs/DESIGN.md). The write granularity must be at most
 * OTA_OTADATA_MAX_WRITE_SIZE (an entry is padded with the erased value up to
 * one write unit).
 */
#ifndef OTA_OTADATA_H
#define OTA_OTADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/config.h"
#include "ota/err.h"
#include "ota/flash.h"
#include "ota/partition.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_OTADATA_SIZE 0x2000u         /* minimum partition size on 4 KiB sectors: two copies */
#define OTA_OTADATA_SECTOR_SIZE 0x1000u  /* ESP-IDF's copy size: copy i at partition offset i * this */
#define OTA_OTADATA_ENTRY_SIZE 32u
#define OTA_OTADATA_LABEL_LEN 20u
#define OTA_OTADATA_SEQ_ERASED 0xFFFFFFFFu
/*
 * Largest flash write unit supported (a larger one gets
 * OTA_ERR_OTADATA_WRITE_SIZE). Every otadata writer keeps one scratch buffer
 * on its stack: a 44-byte journal record padded to this many bytes, at least
 * one write unit. The default, 64, covers NOR flash (1) and the program units
 * of most MCU flash (4-32); a flash with larger units (e.g. 128 or 256 bytes)
 * needs -DOTA_OTADATA_MAX_WRITE_SIZE=<its unit>, at that many bytes of stack.
 * The host build (CMake) defines 256, so the simulator takes such geometries.
 */
#ifndef OTA_OTADATA_MAX_WRITE_SIZE
#define OTA_OTADATA_MAX_WRITE_SIZE 64u
#endif
#define OTA_OTADATA_MAX_SLOTS 16u        /* ota_0 .. ota_15 */

/* ota_state values (esp_ota_img_states_t, spec §2.3). */
#define OTA_IMG_NEW 0x0u
#define OTA_IMG_PENDING_VERIFY 0x1u
#define OTA_IMG_VALID 0x2u
#define OTA_IMG_INVALID 0x3u
#define OTA_IMG_ABORTED 0x4u
#define OTA_IMG_UNDEFINED 0xFFFFFFFFu

/* One decoded entry (esp_ota_select_entry_t). Fields hold the raw stored values. */
typedef struct ota_select_entry {
    uint32_t seq;
    uint8_t label[OTA_OTADATA_LABEL_LEN];
    uint32_t state;
    uint32_t crc;
} ota_select_entry_t;

/*
 * Is the image in partition p good? Return OTA_OK if it verifies (the caller
 * may add its own policy, e.g. an anti-rollback version check), any error
 * otherwise. Used where ESP-IDF verifies images "silently".
 */
typedef ota_err_t (*ota_image_ok_fn)(void *ctx, const ota_partition_t *p);

/* ---- Entries (pure) ---------------------------------------------------- */

/*
 * CRC-32 with the ESP ROM convention (esp_rom_crc32_le): reflected polynomial
 * 0xEDB88320, the running value is inverted on entry and on exit, so chaining
 * calls works and ota_crc32_le(0, ...) is the common zlib CRC-32.
 */
uint32_t ota_crc32_le(uint32_t crc, const void *buf, size_t len);

/* The CRC stored in an entry: over the 4 little-endian bytes of seq only (§2.2). */
uint32_t ota_otadata_crc(uint32_t seq);

/* Little-endian (de)serialisation of the 32 stored bytes. */
void ota_select_entry_encode(const ota_select_entry_t *e, uint8_t out[OTA_OTADATA_ENTRY_SIZE]);
void ota_select_entry_decode(const uint8_t in[OTA_OTADATA_ENTRY_SIZE], ota_select_entry_t *e);

/* An entry as the bootloader creates it: label all 0xFF, crc of seq. */
void ota_select_entry_make(ota_select_entry_t *e, uint32_t seq, uint32_t state);

bool ota_select_entry_crc_ok(const ota_select_entry_t *e);
/* Not selectable: seq erased, or state INVALID / ABORTED (CRC not considered). */
bool ota_select_entry_is_invalid(const ota_select_entry_t *e);
/* Selectable: not invalid and the CRC matches. */
bool ota_select_entry_is_valid(const ota_select_entry_t *e);
/* "Initial" in the bootloader's sense: seq erased or CRC wrong. */
bool ota_select_entry_is_initial(const ota_select_entry_t *e);

/* "NEW", "PENDING_VERIFY", ..., "UNDEFINED"; "UNKNOWN" for other values. */
const char *ota_img_state_name(uint32_t state);

/*
 * Choose between the two entries: of those with ok[i], the one with the
 * larger (use_max) or smaller seq; a tie picks index 0. -1 when none is ok.
 */
int ota_otadata_select(const ota_select_entry_t e[2], const bool ok[2], bool use_max);

/* The active entry: select() over is_valid(), largest seq. -1 when none. */
int ota_otadata_active(const ota_select_entry_t e[2]);

/* The OTA slot an entry designates: (seq - 1) mod app_count, unsigned 32-bit. app_count > 0. */
unsigned ota_otadata_slot(uint32_t seq, unsigned app_count);

/*
 * The sequence number to write for target `slot` when the active entry holds
 * `active_seq`: the smallest ((slot + 1) mod n) + k*n, k >= 0, that is
 * >= active_seq (spec §2.5), except that 0 is only used when it designates
 * `slot` ((0 - 1) mod n in 32 bits is n - 1 only when n is a power of two;
 * for other n ESP-IDF writes 0 and so points otadata at another slot, here
 * the result is n). Errors: OTA_ERR_INVALID_ARG (app_count 0 or
 * slot >= app_count), OTA_ERR_BOOT_SEQ_OVERFLOW (the result would be
 * 0xFFFFFFFF or beyond, where ESP-IDF writes an unusable entry or never
 * returns).
 */
ota_err_t ota_otadata_next_seq(uint32_t active_seq, unsigned slot, unsigned app_count,
                               uint32_t *seq);

/* ---- The partition table as seen by OTA ---------------------------------- */

/* First data/ota partition, or NULL. */
const ota_partition_t *ota_otadata_partition(const ota_partition_table_t *table);

/* Bootloader's app_count: app entries with subtype ota_0..ota_15, counted in table order. */
unsigned ota_app_count_boot(const ota_partition_table_t *table);

/* Application's app_count: ota_0, ota_1, ... present without a gap (spec §9.6). */
unsigned ota_app_count(const ota_partition_table_t *table);

/* ---- Flash access ------------------------------------------------------ */

/* Bytes per copy on this flash: max(OTA_OTADATA_SECTOR_SIZE, sector size). */
uint32_t ota_otadata_copy_size(const ota_flash_t *flash);

/*
 * Read both entries of the otadata partition. Errors: OTA_ERR_INVALID_ARG,
 * OTA_ERR_OTADATA_SIZE (partition smaller than two copies), flash errors.
 */
ota_err_t ota_otadata_read(const ota_flash_t *flash, const ota_partition_t *otadata,
                           ota_select_entry_t e[2]);

/*
 * Store e as copy `sector` (0 or 1) exactly as given (the caller sets crc):
 * erase that copy, then program the 32 bytes, padded with the erased value up
 * to the flash write unit. The other copy is not touched.
 * Errors: OTA_ERR_INVALID_ARG (sector > 1), OTA_ERR_OTADATA_SIZE,
 * OTA_ERR_OTADATA_WRITE_SIZE (write unit > OTA_OTADATA_MAX_WRITE_SIZE, or one
 * below 32 that does not divide 32),
 * flash errors (OTA_ERR_FLASH_ALIGN when the partition is not sector-aligned).
 */
ota_err_t ota_otadata_write_entry(const ota_flash_t *flash, const ota_partition_t *otadata,
                                  unsigned sector, const ota_select_entry_t *e);

/* ---- How otadata is written (power-loss safety) ----------------------------- */

/*
 * ESP-IDF rewrites a copy by erasing it, then programming the entry: a power
 * cut in between leaves that copy blank (spec §2.9). When the copy held the
 * active entry (mark valid/invalid, a "same slot" set_boot, the bootloader's
 * NEW -> PENDING_VERIFY and PENDING_VERIFY -> ABORTED), the device then boots
 * an older slot or factory, and a pending image disappears without a trace.
 *
 * OTA_WRITES_HARDENED (the default): before a copy that holds an entry (right
 * CRC) is rewritten, its 32 bytes are journaled in the erased spare area of
 * the other copy (after that copy's entry), and the record is marked done
 * once the new entry is programmed. ota_otadata_recover() puts the previous
 * entry back if the rewrite was cut, so every cut leaves the old or the new
 * entry. Erasing all of otadata takes the inactive copy first. The entries
 * themselves are exactly ESP-IDF's: a stock bootloader or app reads every
 * state correctly (it does not see the journal, so with a stock bootloader a
 * cut inside such a rewrite still behaves as in ESP-IDF).
 *
 * OTA_WRITES_FAITHFUL: ESP-IDF's exact write sequence, for comparison and
 * for the vectors. docs/DESIGN.md, "Power-loss safety", has the details.
 *
 * A build with OTA_CONFIG_HARDENED_WRITES 0 (ota/config.h) links no journal:
 * every function that takes a mode then refuses HARDENED with
 * OTA_ERR_NOT_SUPPORTED, and ota_otadata_recover() always does.
 */
typedef enum ota_writes {
    OTA_WRITES_HARDENED = 0,
    OTA_WRITES_FAITHFUL = 1,
} ota_writes_t;

/*
 * Store e as copy `sector` as `writes` says: FAITHFUL is
 * ota_otadata_write_entry(); HARDENED journals the copy's current entry
 * first when it has a right CRC. Errors: those of ota_otadata_write_entry(),
 * OTA_ERR_INVALID_ARG (unknown mode), OTA_ERR_NOT_SUPPORTED (HARDENED, not built in).
 */
ota_err_t ota_otadata_store(const ota_flash_t *flash, const ota_partition_t *otadata,
                            unsigned sector, const ota_select_entry_t *e, ota_writes_t writes);

/*
 * Resolve journal records of hardened writes that were cut by a power loss.
 * With `restore` (a bootloader, before it reads otadata), a copy whose
 * rewrite was cut and that holds no entry with a right CRC gets its previous
 * entry back; without (an application: the boot already happened on what is
 * on flash) records are only retired. *restored (may be NULL) gets bit i set
 * when copy i was rewritten. Errors: OTA_ERR_INVALID_ARG,
 * OTA_ERR_OTADATA_SIZE, OTA_ERR_OTADATA_WRITE_SIZE, flash errors,
 * OTA_ERR_NOT_SUPPORTED (a build without OTA_CONFIG_HARDENED_WRITES).
 */
ota_err_t ota_otadata_recover(const ota_flash_t *flash, const ota_partition_t *otadata,
                              bool restore, unsigned *restored);

/*
 * Erase the whole otadata partition (the factory app boots next). HARDENED
 * erases the copy that is not active first, so until the active entry is
 * erased it still decides the boot. Errors: OTA_ERR_INVALID_ARG, flash errors,
 * OTA_ERR_NOT_SUPPORTED (HARDENED, not built in).
 */
ota_err_t ota_otadata_erase(const ota_flash_t *flash, const ota_partition_t *otadata,
                            ota_writes_t writes);

/* ---- Application-side operations (esp_ota_ops) --------------------------- */
/*
 * Common errors: OTA_ERR_INVALID_ARG (NULL arguments, unknown `writes`),
 * OTA_ERR_NOT_SUPPORTED (`writes` HARDENED, not built in),
 * OTA_ERR_OTADATA_NONE (the table has no otadata partition),
 * OTA_ERR_OTADATA_SIZE, flash errors. The app_count used is the
 * application's (ota_app_count()). Operations that write take `writes`; in
 * HARDENED mode they first retire journal records a boot left unresolved
 * (ota_otadata_recover without restore).
 */

/*
 * esp_rewrite_ota_data: make OTA slot `slot` the next boot target. If the
 * active entry already designates it, that entry is rewritten in place (same
 * seq); otherwise the other copy gets the next seq (§2.5), or copy 0 gets
 * seq slot+1 when no entry is active. The new state is NEW with `rollback`,
 * else UNDEFINED; the label bytes of the rewritten copy are kept.
 * Errors: OTA_ERR_OTADATA_SLOT (slot >= app count), OTA_ERR_BOOT_SEQ_OVERFLOW
 * (nothing written).
 */
ota_err_t ota_otadata_set_boot_slot(const ota_flash_t *flash, const ota_partition_table_t *table,
                                    unsigned slot, bool rollback, ota_writes_t writes);

/* Boot the factory app next: erase the whole otadata partition (ota_otadata_erase). */
ota_err_t ota_otadata_set_factory(const ota_flash_t *flash, const ota_partition_table_t *table,
                                  ota_writes_t writes);

/*
 * esp_ota_set_boot_partition_skip_validate: factory -> set_factory, ota_N ->
 * set_boot_slot(N). The image is not checked here.
 * Errors: OTA_ERR_NOT_FOUND (p is not an entry of the table),
 * OTA_ERR_INVALID_ARG (p is not an app partition), OTA_ERR_NOT_SUPPORTED
 * (test or other non-OTA app subtype: ESP-IDF would silently point otadata
 * at ota_0, §9.4), and those of the two functions above.
 */
ota_err_t ota_otadata_set_boot_partition(const ota_flash_t *flash,
                                         const ota_partition_table_t *table,
                                         const ota_partition_t *p, bool rollback,
                                         ota_writes_t writes);

/*
 * esp_ota_get_boot_partition: the partition the bootloader will try first
 * according to otadata, without checking images (§2.6 app-side mirror).
 * Errors: OTA_ERR_NOT_FOUND (the designated slot or default app does not exist).
 */
ota_err_t ota_otadata_boot_partition(const ota_flash_t *flash, const ota_partition_table_t *table,
                                     const ota_partition_t **out);

/*
 * esp_ota_get_state_partition: the state of the first copy (0, then 1) whose
 * slot is p's and whose CRC is right. Errors: OTA_ERR_NOT_SUPPORTED (p not an
 * OTA slot), OTA_ERR_NOT_FOUND (no such copy, or no OTA slots).
 */
ota_err_t ota_otadata_state_of(const ota_flash_t *flash, const ota_partition_table_t *table,
                               const ota_partition_t *p, uint32_t *state);

/*
 * esp_ota_get_last_invalid_partition: of the copies with seq != 0xFFFFFFFF,
 * right CRC and state INVALID or ABORTED, the one with the lower seq; its
 * slot's partition if image_ok accepts it. Errors: OTA_ERR_NOT_FOUND (no such
 * copy, no partition for its slot, or its image is rejected).
 */
ota_err_t ota_otadata_last_invalid_partition(const ota_flash_t *flash,
                                             const ota_partition_table_t *table,
                                             ota_image_ok_fn image_ok, void *ctx,
                                             const ota_partition_t **out);

/*
 * esp_ota_check_rollback_is_possible (§2.7, without anti-rollback): *possible
 * is true when, besides the active entry, there is a valid previous entry
 * whose slot's image is accepted, or (previous entry not valid) a factory app
 * whose image is accepted.
 */
ota_err_t ota_otadata_rollback_possible(const ota_flash_t *flash,
                                        const ota_partition_table_t *table,
                                        ota_image_ok_fn image_ok, void *ctx, bool *possible);

/*
 * esp_ota_mark_app_valid_cancel_rollback: set the ACTIVE entry (not
 * necessarily the running app, §9.10) to VALID; nothing is written when it
 * already is. Errors: OTA_ERR_OTA_NO_ACTIVE (no active entry or no OTA slots).
 */
ota_err_t ota_otadata_mark_valid(const ota_flash_t *flash, const ota_partition_table_t *table,
                                 ota_writes_t writes);

/*
 * esp_ota_mark_app_invalid_rollback: if a rollback is possible, set the
 * active entry to INVALID. Errors: OTA_ERR_OTA_NO_ACTIVE,
 * OTA_ERR_OTA_ROLLBACK_FAILED (nothing to roll back to; nothing written).
 */
ota_err_t ota_otadata_mark_invalid(const ota_flash_t *flash, const ota_partition_table_t *table,
                                   ota_image_ok_fn image_ok, void *ctx, ota_writes_t writes);

/*
 * esp_ota_invalidate_inactive_ota_data_slot: erase the copy that is not
 * active, so a half-written slot can never be selected by falling back to it.
 * Errors: OTA_ERR_OTA_NO_ACTIVE, OTA_ERR_OTADATA_NO_INACTIVE (that copy is
 * erased or has a bad CRC), OTA_ERR_NOT_FOUND (its slot has no partition),
 * OTA_ERR_OTA_PARTITION_CONFLICT (its slot is `running`, the partition the
 * caller runs from; required).
 */
ota_err_t ota_otadata_invalidate_inactive(const ota_flash_t *flash,
                                          const ota_partition_table_t *table,
                                          const ota_partition_t *running, ota_writes_t writes);

/*
 * esp_ota_erase_last_boot_app_partition: like invalidate_inactive, but first
 * erase the whole app partition of the inactive copy's slot. Same errors.
 */
ota_err_t ota_otadata_erase_last_boot_app(const ota_flash_t *flash,
                                          const ota_partition_table_t *table,
                                          const ota_partition_t *running, ota_writes_t writes);

/*
 * otatool.py switch_ota_partition --slot N (§6.2), bit-compatible: validity is
 * seq < 0xFFFFFFFF with right CRC (state ignored); the copy other than the
 * valid one with the larger seq (copy 0 when none is valid) gets the new seq
 * and its CRC, keeping its label and state bytes (so an INVALID copy stays
 * INVALID, §9.14). Unlike otatool, only that copy's sector is rewritten, and
 * bytes after its 32-byte entry are not kept.
 * Errors: OTA_ERR_OTADATA_SLOT (no partition ota_N among ota_0.. without a
 * gap), OTA_ERR_BOOT_SEQ_OVERFLOW (otatool would write 0xFFFFFFFF or crash).
 */
ota_err_t ota_otadata_otatool_switch(const ota_flash_t *flash, const ota_partition_table_t *table,
                                     unsigned slot);

#ifdef __cplusplus
}
#endif

#endif
