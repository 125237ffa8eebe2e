/*
 * Updates and rollback: the application side of ESP-IDF's esp_ota_ops (spec
 * §2.5, §2.7, §3), over a caller-owned context.
 *
 * ota_ctx_t is everything an application needs to know about its device: the
 * flash, the partition table, the partition it runs from, a SHA-256 engine
 * and a scratch buffer for image checks, the rollback options of its build,
 * the anti-rollback counter, the chip images must suit and an optional image
 * policy (e.g. "only signed images"). It also anchors the list of update
 * sessions in progress. Sessions (ota_session_t) are caller-owned too: the
 * library never allocates, keeps no global state and never calls the OS.
 *
 * Partitions are designated by pointers into cfg.table; functions taking a
 * partition also accept an equal copy (same type, subtype, offset, size and
 * label) and then work on the table's entry, like esp_partition_verify().
 *
 * Differences from ESP-IDF, all towards "never brick, never damage the running
 * image or the active otadata" (docs/DESIGN.md, "Update sessions"):
 *   - otadata writes are power-loss safe unless cfg.otadata_writes asks for
 *     ESP-IDF's exact sequence (docs/DESIGN.md, "Power-loss safety");
 *   - begin checks everything before it creates the session or touches flash:
 *     a refused begin leaves no live session (ESP-IDF leaks one, §9.2);
 *   - begin refuses the otadata partition, any partition overlapping the
 *     running app or otadata, and read-only partitions;
 *   - no erase ever happens on a sector that already reads as erased, and
 *     every write lands on erased flash: a write past the erased area (any
 *     erase mode, write_with_offset, resume) erases the sectors it needs
 *     first, so "image size" mode is safe with an image larger than announced;
 *   - the first-byte check happens before anything is erased;
 *   - resume never assumes: the rest of the sector at the resume offset must
 *     read as erased (else OTA_ERR_OTA_RESUME_NOT_ERASED), later sectors are
 *     checked and erased as data arrives;
 *   - an anti-rollback refusal in set_boot_partition erases nothing (ESP-IDF
 *     erases the refused app partition);
 *   - errors are specific (image errors are OTA_ERR_IMG_*, not one
 *     "validation failed"); the ESP-IDF facade maps them back.
 */
#ifndef OTA_OTA_H
#define OTA_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/boot.h"
#include "ota/err.h"
#include "ota/flash.h"
#include "ota/hash.h"
#include "ota/image.h"
#include "ota/otadata.h"
#include "ota/partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Smallest scratch buffer; a partition-table target needs OTA_PART_TABLE_MAX_LEN. */
#define OTA_SCRATCH_MIN 256u
/* Largest flash write unit a session can buffer (ota_flash_t.write_size). */
#define OTA_SESSION_TAIL_MAX 256u

/* Read the anti-rollback counter (the eFuse secure version on ESP chips). */
typedef ota_err_t (*ota_secure_version_read_fn)(void *ctx, uint32_t *version);

/*
 * Image policy: called whenever an image has passed verification and is about
 * to be accepted (ota_end of an app or bootloader, set_boot_partition,
 * rollback targets), with the partition holding it and what the verifier
 * learnt. Return OTA_OK to accept, or the reason to refuse, e.g.
 * OTA_ERR_IMG_SIG for a "require signed" policy (the Secure Boot v2 signature
 * sector starts at part->offset + ALIGN_UP(info->image_len, 0x1000)).
 */
typedef ota_err_t (*ota_image_policy_fn)(void *ctx, const ota_flash_t *flash,
                                         const ota_partition_t *part, ota_image_kind_t kind,
                                         const ota_image_info_t *info);

typedef struct ota_config {
    const ota_flash_t *flash;           /* required */
    const ota_partition_table_t *table; /* required; must outlive the context */
    const ota_partition_t *running;     /* partition the app runs from; NULL = unknown */
    const ota_hash_t *sha256;           /* required: image verification */
    const ota_hash_t *md5;              /* optional: checks a staged table's MD5 entry */
    uint8_t *scratch;                   /* required, scratch_len >= OTA_SCRATCH_MIN */
    size_t scratch_len;
    bool rollback;      /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE of the app build */
    ota_writes_t otadata_writes; /* HARDENED (default) or ESP-IDF's FAITHFUL sequence (ota/otadata.h) */
    bool anti_rollback; /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK (requires rollback) */
    /* Anti-rollback counter accessors, both required with anti_rollback. */
    ota_secure_version_read_fn read_secure_version;
    ota_boot_raise_version_fn raise_secure_version; /* only ever called with a larger value */
    void *secure_version_ctx;
    /* Highest value the counter can hold (bits of its eFuse field); an app with
     * a larger secure_version is refused (OTA_ERR_OTA_SEC_VER_EXHAUSTED).
     * 0 = not known here: the raise accessor must refuse such a value itself. */
    uint32_t secure_version_max;
    const ota_image_device_t *device; /* chip and revision images must suit; NULL = any */
    ota_image_policy_fn image_policy; /* optional */
    void *image_policy_ctx;
    /* Primary bootloader region [bootloader_offset, table_offset), for
     * ota_get_bootloader_description(NULL); table_offset 0 = unknown. */
    uint32_t bootloader_offset;
    uint32_t table_offset;
} ota_config_t;

typedef struct ota_session ota_session_t;

typedef struct ota_ctx {
    ota_config_t cfg;
    ota_session_t *sessions; /* live sessions, newest first */
    uint32_t last_handle;    /* handles are 1, 2, 3, ... like ESP-IDF's */
    /* The app partition whose image the last successful ota_end verified (and
     * the image policy accepted) through this context; ota_set_boot_partition
     * trusts it instead of reading the image a second time. Cleared by a new
     * session on it, by ota_erase_last_boot_app_partition and by
     * ota_forget_verified(). The bootloader verifies again before booting. */
    const ota_partition_t *verified;
    /* What the last image verification through this context learnt, for the
     * image policy when the caller asked for no info. It lives here, in the
     * caller's memory, rather than on the stack (it is larger than the rest of
     * a verification's stack). Overwritten by every verification. */
    ota_image_info_t image;
} ota_ctx_t;

/* How ota_begin prepares the partition. */
typedef enum ota_erase_mode {
    OTA_ERASE_WHOLE,      /* the whole partition now (OTA_SIZE_UNKNOWN) */
    OTA_ERASE_IMAGE_SIZE, /* ALIGN_UP(image_size, sector) now; more as data arrives */
    OTA_ERASE_SEQUENTIAL, /* nothing now; each sector just before data reaches it */
} ota_erase_mode_t;

/* One update in progress. Caller-owned; the fields are private to libota. */
struct ota_session {
    ota_session_t *next;
    ota_ctx_t *ctx;              /* NULL when not live */
    const ota_partition_t *part; /* staging: where data is written */
    const ota_partition_t *final; /* whose type decides the checks (= part by default) */
    uint32_t handle;
    uint32_t pos;       /* stream position of ota_write (tail included) */
    uint32_t erased_to; /* [0, erased_to) of part is known erased or written by us */
    uint32_t data_end;  /* end of the highest byte written */
    bool written;       /* ota_write / ota_write_with_offset accepted data */
    bool resumed;
    bool copy_to_final;
    uint16_t tail_len;  /* bytes of the incomplete write unit at pos - tail_len */
    uint8_t tail[OTA_SESSION_TAIL_MAX];
};

/*
 * Set up a context (cfg is copied; cfg.running is replaced by the table's
 * entry). Errors: OTA_ERR_INVALID_ARG (NULL ctx/cfg, a required field
 * missing, scratch smaller than OTA_SCRATCH_MIN, anti_rollback without
 * rollback or without the counter accessors, running not an app partition of
 * the table, unknown otadata_writes), OTA_ERR_NOT_SUPPORTED (flash sector
 * size 0, write unit 0 or above OTA_SESSION_TAIL_MAX; otadata_writes
 * HARDENED in a build without OTA_CONFIG_HARDENED_WRITES, ota/config.h).
 */
ota_err_t ota_init(ota_ctx_t *ctx, const ota_config_t *cfg);

/* ---- Update sessions ---------------------------------------------------- */

/*
 * esp_ota_begin: open session s on partition p and erase as `mode` says
 * (image_size is only read by OTA_ERASE_IMAGE_SIZE). Sectors that already
 * read as erased are not erased again. Any app or data partition can be a
 * target, and bootloader / partition_table partitions as staging areas.
 * With rollback and an OTA-slot target, the inactive otadata copy is
 * invalidated first (esp_ota_invalidate_inactive_ota_data_slot; its result is
 * ignored, as in ESP-IDF).
 * Errors (nothing is erased and s is not opened): OTA_ERR_INVALID_ARG (NULL
 * argument, s already live, unknown mode), OTA_ERR_NOT_FOUND (p not in the
 * table), OTA_ERR_OTA_NOT_UPDATABLE (factory, test or TEE app, or the otadata
 * partition), OTA_ERR_OTA_PARTITION_CONFLICT (p is or overlaps the running
 * partition or otadata), OTA_ERR_FLASH_READONLY (p is read-only),
 * OTA_ERR_OTA_ALREADY_IN_PROGRESS (a live session writes to or finalizes p),
 * OTA_ERR_OTA_ROLLBACK_INVALID_STATE (rollback on and the running app is still
 * PENDING_VERIFY), OTA_ERR_OTA_TOO_LARGE (image_size > partition), errors
 * reading otadata. Erase errors come after s was opened: s is then closed
 * again and the error returned.
 */
ota_err_t ota_begin(ota_ctx_t *ctx, ota_session_t *s, const ota_partition_t *p,
                    ota_erase_mode_t mode, uint32_t image_size);

/*
 * esp_ota_resume: continue an interrupted update of p at `offset` (bytes
 * already on flash) without erasing what is there. The bytes from offset to
 * the end of its sector must read as erased; later sectors are checked and
 * erased as data arrives. No first-byte check, no otadata change.
 * Errors: those of ota_begin, plus OTA_ERR_INVALID_ARG (offset > p->size),
 * OTA_ERR_OTA_RESUME_NOT_ERASED (restart the update from a sector boundary
 * below offset, or from 0).
 */
ota_err_t ota_resume(ota_ctx_t *ctx, ota_session_t *s, const ota_partition_t *p,
                     uint32_t offset);

/*
 * esp_ota_set_final_partition: s writes to its staging partition, but the
 * image is checked as `final`'s type demands and, with copy, copied to final
 * by ota_end. final == staging: nothing changes.
 * Errors: OTA_ERR_INVALID_ARG (NULL), OTA_ERR_OTA_SESSION_CLOSED,
 * OTA_ERR_INVALID_STATE (data already written, not resumed), OTA_ERR_NOT_FOUND,
 * OTA_ERR_OTA_PARTITION_CONFLICT (final overlaps the running app or otadata),
 * OTA_ERR_FLASH_READONLY (copy into a read-only final),
 * OTA_ERR_OTA_ALREADY_IN_PROGRESS (another session uses final).
 */
ota_err_t ota_set_final_partition(ota_session_t *s, const ota_partition_t *final, bool copy);

/*
 * esp_ota_write: append len bytes (any length, any alignment). Data is
 * programmed in whole flash write units; an incomplete last unit waits in
 * the session until more data or ota_end. The first byte of an app or
 * bootloader image must be 0xE9 (OTA_ERR_IMG_MAGIC), a partition table must
 * start with AA 50 (OTA_ERR_PART_MAGIC); nothing is erased or written then.
 * len 0 is a no-op. Errors: OTA_ERR_INVALID_ARG (NULL data with len > 0, NULL
 * s), OTA_ERR_OTA_SESSION_CLOSED, OTA_ERR_OTA_TOO_LARGE (past the partition
 * end; nothing of this call is written), flash errors.
 */
ota_err_t ota_write(ota_session_t *s, const void *data, size_t len);

/*
 * esp_ota_write_with_offset: program len bytes at `offset` of the partition
 * (no first-byte check, no buffering). offset and len must be multiples of
 * the flash write unit (OTA_ERR_FLASH_ALIGN), which they always are with a
 * byte-programmable flash; the bytes must not have been written before in
 * this session (NOR). Sectors past the erased area are erased first, so it
 * also works in sequential mode (where ESP-IDF asserts).
 * Errors: as ota_write, plus OTA_ERR_FLASH_ALIGN.
 */
ota_err_t ota_write_with_offset(ota_session_t *s, const void *data, size_t len,
                                uint32_t offset);

/*
 * esp_ota_end: flush the incomplete write unit (padded with the erased
 * value), check the result by the final partition's type (app: full image
 * verification as set_boot_partition does, plus the policy; bootloader:
 * bootloader image rules; partition table: the binary table, with its MD5
 * when cfg.md5 is set; data: nothing), copy to final if asked. s is closed
 * whatever the result. otadata is not changed.
 * Errors: OTA_ERR_INVALID_ARG (NULL), OTA_ERR_OTA_SESSION_CLOSED,
 * OTA_ERR_OTA_NO_DATA (nothing written), image errors (OTA_ERR_IMG_*), the
 * policy's error, table errors (OTA_ERR_PART_*), OTA_ERR_NO_SPACE (scratch too
 * small for a table), flash errors.
 */
ota_err_t ota_end(ota_session_t *s);

/* esp_ota_abort: close s; flash stays as it is. Errors: OTA_ERR_INVALID_ARG, OTA_ERR_OTA_SESSION_CLOSED. */
ota_err_t ota_abort(ota_session_t *s);

/* The live session with this handle, or NULL. */
ota_session_t *ota_session_find(ota_ctx_t *ctx, uint32_t handle);

/* ---- Boot partition ----------------------------------------------------- */

/*
 * esp_ota_set_boot_partition: verify the app in p (ota_verify_partition),
 * then make it the next boot: factory erases otadata, ota_N rewrites it
 * (state NEW with rollback, else UNDEFINED). With anti-rollback, an ota_N
 * image whose secure_version is below the counter is refused with
 * OTA_ERR_OTA_SMALL_SEC_VER, one above cfg.secure_version_max with
 * OTA_ERR_OTA_SEC_VER_EXHAUSTED (the counter could never record it), and
 * nothing is written or erased.
 * Errors: OTA_ERR_INVALID_ARG (NULL, or p not an app partition),
 * OTA_ERR_NOT_FOUND, OTA_ERR_NOT_SUPPORTED (test/TEE app), image and policy
 * errors, those of ota_otadata_set_boot_partition().
 */
ota_err_t ota_set_boot_partition(ota_ctx_t *ctx, const ota_partition_t *p);

/*
 * Tell the context that p's contents changed outside its update sessions
 * (a raw flash write or erase), so ota_set_boot_partition verifies p's image
 * again instead of trusting the last ota_end. NULL p forgets any partition.
 */
void ota_forget_verified(ota_ctx_t *ctx, const ota_partition_t *p);

/* The same without the image verification (esp_ota_set_boot_partition_skip_validate). */
ota_err_t ota_set_boot_partition_skip_validate(ota_ctx_t *ctx, const ota_partition_t *p);

/*
 * esp_ota_get_boot_partition: what otadata designates (no image check).
 * Errors: OTA_ERR_OTADATA_NONE (no otadata partition), OTA_ERR_NOT_FOUND,
 * otadata read errors.
 */
ota_err_t ota_get_boot_partition(const ota_ctx_t *ctx, const ota_partition_t **out);

/* esp_ota_get_running_partition: cfg.running (may be NULL). */
const ota_partition_t *ota_get_running_partition(const ota_ctx_t *ctx);

/*
 * esp_ota_get_next_update_partition: the OTA slot after `start` (NULL: the
 * running partition), wrapping to the lowest; the lowest slot when start is
 * not an OTA slot. NULL when there is no OTA slot or start is not in the table.
 * With a single slot that is running, that slot (ota_begin then refuses it).
 */
const ota_partition_t *ota_get_next_update_partition(const ota_ctx_t *ctx,
                                                     const ota_partition_t *start);

/* esp_ota_get_app_partition_count: ota_0, ota_1, ... without a gap. */
unsigned ota_get_app_partition_count(const ota_ctx_t *ctx);

/*
 * esp_ota_get_partition_description. Errors: OTA_ERR_INVALID_ARG,
 * OTA_ERR_NOT_FOUND (not in the table), OTA_ERR_NOT_SUPPORTED (not an app
 * partition), OTA_ERR_IMG_NO_DESC, flash errors.
 */
ota_err_t ota_get_partition_description(const ota_ctx_t *ctx, const ota_partition_t *p,
                                        ota_app_desc_t *out);

/*
 * esp_ota_get_bootloader_description: of bootloader partition p, or with p
 * NULL of the primary bootloader region (cfg.bootloader_offset ..
 * cfg.table_offset). Errors: OTA_ERR_INVALID_ARG, OTA_ERR_NOT_FOUND (p not in
 * the table, or NULL p and no region configured), OTA_ERR_IMG_NO_DESC, flash errors.
 */
ota_err_t ota_get_bootloader_description(const ota_ctx_t *ctx, const ota_partition_t *p,
                                         ota_boot_desc_t *out);

/* ---- Rollback ----------------------------------------------------------- */

/* esp_ota_get_state_partition; errors of ota_otadata_state_of() and OTA_ERR_NOT_FOUND. */
ota_err_t ota_get_state_partition(const ota_ctx_t *ctx, const ota_partition_t *p, uint32_t *state);

/*
 * esp_ota_mark_app_valid_cancel_rollback: the active otadata entry becomes
 * VALID; with anti-rollback the counter is then raised to the running app's
 * secure_version. Errors: those of ota_otadata_mark_valid(), descriptor and
 * counter errors; with anti-rollback OTA_ERR_INVALID_STATE (running app
 * unknown), descriptor errors and OTA_ERR_OTA_SEC_VER_EXHAUSTED (secure_version
 * above cfg.secure_version_max) come before otadata is written.
 */
ota_err_t ota_mark_app_valid(ota_ctx_t *ctx);

/*
 * esp_ota_mark_app_invalid_rollback: the active entry becomes INVALID if a
 * rollback target exists (its image is accepted as by set_boot_partition).
 * Errors: those of ota_otadata_mark_invalid().
 */
ota_err_t ota_mark_app_invalid(ota_ctx_t *ctx);

/* esp_ota_check_rollback_is_possible. Errors: those of ota_otadata_rollback_possible(). */
ota_err_t ota_check_rollback_is_possible(ota_ctx_t *ctx, bool *possible);

/* esp_ota_get_last_invalid_partition. Errors: those of ota_otadata_last_invalid_partition(). */
ota_err_t ota_get_last_invalid_partition(ota_ctx_t *ctx, const ota_partition_t **out);

/*
 * esp_ota_invalidate_inactive_ota_data_slot / esp_ota_erase_last_boot_app_partition.
 * Errors: OTA_ERR_INVALID_STATE (running partition unknown), those of
 * ota_otadata_invalidate_inactive() / ota_otadata_erase_last_boot_app().
 */
ota_err_t ota_invalidate_inactive_ota_data_slot(ota_ctx_t *ctx);
ota_err_t ota_erase_last_boot_app_partition(ota_ctx_t *ctx);

/*
 * Before an update touches flash: does the app want the image whose first
 * len bytes are head (>= OTA_IMAGE_HEAD_LEN)? The rules of ESP-IDF's
 * native_ota_example, in order: an app image for cfg.device (chip id,
 * revision, SPI mode: ota_image_check_head); not the running app's version;
 * not the version of the app that last failed its first boot
 * (ota_get_last_invalid_partition); with anti_rollback, secure_version not
 * below the counter. desc (required) gets the descriptor, zeroed when the
 * head has none. Reads flash, writes nothing.
 * Errors: OTA_ERR_INVALID_ARG (NULL ctx/head/desc), those of ota_image_check_head()
 * (OTA_ERR_IMG_MAGIC, OTA_ERR_IMG_TRUNCATED, OTA_ERR_IMG_CHIP, ...),
 * OTA_ERR_OTA_SAME_VERSION, OTA_ERR_OTA_KNOWN_INVALID, OTA_ERR_IMG_SEC_VER,
 * counter read errors.
 */
ota_err_t ota_check_update_head(ota_ctx_t *ctx, const uint8_t *head, size_t len,
                                ota_app_desc_t *desc);

/* ---- Images ------------------------------------------------------------- */

/*
 * Is the app in p acceptable as a boot target: ota_image_verify() as an app
 * for cfg.device, then the image policy. info may be NULL: what was learnt
 * then goes to ctx->image. Anti-rollback is not checked here.
 * Errors: OTA_ERR_INVALID_ARG (NULL, p not an app), OTA_ERR_NOT_FOUND,
 * image errors (OTA_ERR_IMG_*), the policy's error.
 */
ota_err_t ota_verify_partition(ota_ctx_t *ctx, const ota_partition_t *p,
                               ota_image_info_t *info);

/*
 * esp_partition_get_sha256: for an app partition the SHA-256 of its verified
 * image (what esptool appends; image errors if it does not verify; the
 * verification's findings go to ctx->image), for any other partition the
 * SHA-256 of all its bytes.
 */
ota_err_t ota_partition_sha256(ota_ctx_t *ctx, const ota_partition_t *p,
                               uint8_t out[OTA_SHA256_LEN]);

/* The table's entry equal to p (esp_partition_verify), or NULL. */
const ota_partition_t *ota_partition_canonical(const ota_partition_table_t *table,
                                               const ota_partition_t *p);

#ifdef __cplusplus
}
#endif

#endif
