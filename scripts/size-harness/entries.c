/*
 * make size: the entry points of one configuration, for a link with
 * --gc-sections. main() reads this table, so the linker keeps every function
 * listed here and everything they call, and drops the rest of the core. The
 * functions are referenced, not called: stack depths come from the call
 * graph (scripts/size), not from running anything.
 *
 *   default           boot-only: what a bootloader links (load the partition
 *                     table, decide what to boot, verify images)
 *   -DOTA_SIZE_UPDATE  update: an application that updates itself: all of
 *                     ota/ota.h (sessions, boot partition, rollback) and the
 *                     app-side otadata operations underneath
 *   -DOTA_SIZE_SIGV2   boot-only plus Secure Boot v2 signature checks (the
 *                     public-key crypto itself is the ota_sig_engine_t port)
 *
 * Built with features compiled out (ota/config.h), the same entry points
 * link less; without anti-rollback a bootloader reads no secure version.
 *
 * Left out of both: diagnostics text (ota_strerror, ota_err_name,
 * ota_boot_reason_text, ota_img_state_name) and what only host tools use
 * (table serialisation, chip lookup by name, otatool's switch).
 */
#include "ota/boot.h"
#include "ota/image.h"
#include "ota/ota.h"
#include "ota/otadata.h"
#include "ota/partition.h"
#include "ota/sigv2.h"

/* Any function pointer converts to void (*)(void) and back without warning. */
typedef void (*entry_fn)(void);

const entry_fn size_entries[] = {
    (entry_fn)ota_partition_table_load,
    (entry_fn)ota_boot_select,
    (entry_fn)ota_image_verify,
#if OTA_CONFIG_BOOT_ANTI_ROLLBACK
    (entry_fn)ota_image_read_secure_version, /* for anti-rollback */
#endif
#ifdef OTA_SIZE_SIGV2
    (entry_fn)ota_sigv2_verify,
#endif
#ifdef OTA_SIZE_UPDATE
    (entry_fn)ota_init,
    (entry_fn)ota_begin,
    (entry_fn)ota_resume,
    (entry_fn)ota_set_final_partition,
    (entry_fn)ota_write,
    (entry_fn)ota_write_with_offset,
    (entry_fn)ota_end,
    (entry_fn)ota_abort,
    (entry_fn)ota_session_find,
    (entry_fn)ota_set_boot_partition,
    (entry_fn)ota_set_boot_partition_skip_validate,
    (entry_fn)ota_get_boot_partition,
    (entry_fn)ota_get_running_partition,
    (entry_fn)ota_get_next_update_partition,
    (entry_fn)ota_get_app_partition_count,
    (entry_fn)ota_get_partition_description,
    (entry_fn)ota_get_bootloader_description,
    (entry_fn)ota_get_state_partition,
    (entry_fn)ota_mark_app_valid,
    (entry_fn)ota_mark_app_invalid,
    (entry_fn)ota_check_rollback_is_possible,
    (entry_fn)ota_get_last_invalid_partition,
    (entry_fn)ota_invalidate_inactive_ota_data_slot,
    (entry_fn)ota_erase_last_boot_app_partition,
    (entry_fn)ota_check_update_head,
    (entry_fn)ota_verify_partition,
    (entry_fn)ota_partition_sha256,
    (entry_fn)ota_partition_canonical,
    (entry_fn)ota_partition_find_first,
    (entry_fn)ota_partition_next,
    (entry_fn)ota_partition_ota_slot,
    (entry_fn)ota_image_check_head,
    (entry_fn)ota_image_check_secure_version,
    (entry_fn)ota_otadata_set_boot_partition,
    (entry_fn)ota_otadata_boot_partition,
    (entry_fn)ota_otadata_state_of,
    (entry_fn)ota_otadata_last_invalid_partition,
    (entry_fn)ota_otadata_rollback_possible,
    (entry_fn)ota_otadata_mark_valid,
    (entry_fn)ota_otadata_mark_invalid,
    (entry_fn)ota_otadata_invalidate_inactive,
    (entry_fn)ota_otadata_erase_last_boot_app,
#endif
};

int main(void);

int main(void)
{
    const entry_fn *volatile table = size_entries;
    return table[0] != 0;
}
