/*
 * make size: the entry points of one configuration, for a link with
 * --gc-sections. main() reads this table, so the linker keeps every function
 * listed here and everything they call, and drops the rest of the core. The
 * functions are referenced, not called: stack depths come from the call
 * graph (scripts/size), not from running anything.
 *
 *   default           boot-only: what a bootloader links (load the partition
 *                     table, decide what to boot, verify images)
 *   -DOTA_SIZE_UPDATE  update: an application that also updates itself
 *   -DOTA_SIZE_SIGV2   boot-only plus Secure Boot v2 signature checks (the
 *                     public-key crypto itself is the ota_sig_engine_t port)
 *
 * Left out of both: diagnostics text (ota_strerror, ota_err_name,
 * ota_boot_reason_text, ota_img_state_name) and what only host tools use
 * (table serialisation, chip lookup by name, otatool's switch).
 */
#include "ota/boot.h"
#include "ota/image.h"
#include "ota/otadata.h"
#include "ota/partition.h"
#include "ota/sigv2.h"

/* Any function pointer converts to void (*)(void) and back without warning. */
typedef void (*entry_fn)(void);

const entry_fn size_entries[] = {
    (entry_fn)ota_partition_table_load,
    (entry_fn)ota_boot_select,
    (entry_fn)ota_image_verify,
    (entry_fn)ota_image_read_app_desc, /* secure_version for anti-rollback */
#ifdef OTA_SIZE_SIGV2
    (entry_fn)ota_sigv2_verify,
#endif
#ifdef OTA_SIZE_UPDATE
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
