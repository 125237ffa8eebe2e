/*
 * esp_ota_ops over libota's core (include/ota/ota.h): argument rules and
 * return codes as in ESP-IDF (spec §3.3), the work done by the core.
 */
#include "esp_ota_ops.h"

#include <stdio.h>
#include <string.h>

#include "esp_system.h"
#include "facade.h"

/* ---- Update handles ------------------------------------------------------------- */

static ota_erase_mode_t erase_mode(size_t image_size)
{
    if (image_size == 0 || image_size == OTA_SIZE_UNKNOWN) {
        return OTA_ERASE_WHOLE;
    }
    return image_size == OTA_WITH_SEQUENTIAL_WRITES ? OTA_ERASE_SEQUENTIAL : OTA_ERASE_IMAGE_SIZE;
}

/* begin and resume: one record per handle, released at once if the core refuses. */
static esp_err_t open_record(const esp_partition_t *partition, size_t image_size, bool resume,
                             size_t offset, esp_ota_handle_t *out_handle)
{
    ota_ctx_t *ctx = facade_ctx();
    if (!partition || !out_handle || !ctx) {
        return ESP_ERR_INVALID_ARG;
    }
    if (resume && offset > partition->size) {
        return ESP_ERR_INVALID_ARG;
    }
    const ota_partition_t *p = facade_part(partition);
    if (!p) {
        return ESP_ERR_NOT_FOUND;
    }
    if (image_size > UINT32_MAX) {
        return ESP_ERR_INVALID_SIZE;
    }
    ota_session_t *s = facade_session_new();
    if (!s) {
        return ESP_ERR_NO_MEM;
    }
    ota_err_t err = resume ? ota_resume(ctx, s, p, (uint32_t)offset)
                           : ota_begin(ctx, s, p, erase_mode(image_size), (uint32_t)image_size);
    if (err) {
        facade_session_free(s);
        return esp_idf_host_err(err);
    }
    *out_handle = s->handle;
    return ESP_OK;
}

esp_err_t esp_ota_begin(const esp_partition_t *partition, size_t image_size,
                        esp_ota_handle_t *out_handle)
{
    return open_record(partition, image_size, false, 0, out_handle);
}

esp_err_t esp_ota_resume(const esp_partition_t *partition, const size_t erase_size,
                         const size_t image_offset, esp_ota_handle_t *out_handle)
{
    /* erase_size does not matter: libota checks the flash ahead of the offset itself. */
    (void)erase_size;
    return open_record(partition, 0, true, image_offset, out_handle);
}

static ota_session_t *find(esp_ota_handle_t handle)
{
    return facade_ctx() ? ota_session_find(facade_ctx(), handle) : NULL;
}

esp_err_t esp_ota_set_final_partition(esp_ota_handle_t handle, const esp_partition_t *final,
                                      bool finalize_with_copy)
{
    if (!final) {
        return ESP_ERR_INVALID_ARG;
    }
    ota_session_t *s = find(handle);
    if (!s) {
        return ESP_ERR_NOT_FOUND;
    }
    const ota_partition_t *p = facade_part(final);
    return p ? esp_idf_host_err(ota_set_final_partition(s, p, finalize_with_copy))
             : ESP_ERR_NOT_FOUND;
}

/* A refused first byte (image or partition table magic) is a validation failure in ESP-IDF. */
static esp_err_t write_err(ota_err_t err)
{
    return err == OTA_ERR_PART_MAGIC ? ESP_ERR_OTA_VALIDATE_FAILED : esp_idf_host_err(err);
}

esp_err_t esp_ota_write(esp_ota_handle_t handle, const void *data, size_t size)
{
    if (!data) {
        return ESP_ERR_INVALID_ARG;
    }
    if (size == 0) {
        return ESP_OK;
    }
    ota_session_t *s = find(handle);
    return s ? write_err(ota_write(s, data, size)) : ESP_ERR_INVALID_ARG;
}

esp_err_t esp_ota_write_with_offset(esp_ota_handle_t handle, const void *data, size_t size,
                                    uint32_t offset)
{
    if (!data) {
        return ESP_ERR_INVALID_ARG;
    }
    ota_session_t *s = find(handle);
    return s ? write_err(ota_write_with_offset(s, data, size, offset)) : ESP_ERR_INVALID_ARG;
}

esp_err_t esp_ota_end(esp_ota_handle_t handle)
{
    ota_session_t *s = find(handle);
    if (!s) {
        return ESP_ERR_NOT_FOUND;
    }
    ota_err_t err = ota_end(s);
    facade_session_free(s);
    switch (err) {
    case OTA_OK:
        return ESP_OK;
    case OTA_ERR_OTA_NO_DATA:
        return ESP_ERR_INVALID_ARG;
    case OTA_ERR_OTA_TOO_LARGE:
        return ESP_ERR_INVALID_SIZE; /* the copy to the final partition */
    default:
        return ESP_ERR_OTA_VALIDATE_FAILED; /* every verification failure, flash reads included */
    }
}

esp_err_t esp_ota_abort(esp_ota_handle_t handle)
{
    ota_session_t *s = find(handle);
    if (!s) {
        return ESP_ERR_NOT_FOUND;
    }
    ota_err_t err = ota_abort(s);
    facade_session_free(s);
    return esp_idf_host_err(err);
}

/* ---- Boot partition ----------------------------------------------------------- */

const esp_partition_t *esp_ota_get_running_partition(void)
{
    return facade_esp(ota_get_running_partition(facade_ctx()));
}

static esp_err_t set_boot(const esp_partition_t *partition, bool validate)
{
    if (!partition || !facade_ctx()) {
        return ESP_ERR_INVALID_ARG;
    }
    const ota_partition_t *p = facade_part(partition);
    if (!p) {
        return ESP_ERR_NOT_FOUND;
    }
    ota_err_t err = validate ? ota_set_boot_partition(facade_ctx(), p)
                             : ota_set_boot_partition_skip_validate(facade_ctx(), p);
    return esp_idf_host_err(err);
}

esp_err_t esp_ota_set_boot_partition(const esp_partition_t *partition)
{
    return set_boot(partition, true);
}

esp_err_t esp_ota_set_boot_partition_skip_validate(const esp_partition_t *partition)
{
    return set_boot(partition, false);
}

const esp_partition_t *esp_ota_get_boot_partition(void)
{
    const ota_partition_t *p = NULL;
    if (!facade_ctx() || ota_get_boot_partition(facade_ctx(), &p) != OTA_OK) {
        return NULL;
    }
    return facade_esp(p);
}

const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from)
{
    const ota_partition_t *start = NULL;
    if (start_from && !(start = facade_part(start_from))) {
        return NULL; /* ESP-IDF asserts here */
    }
    return facade_esp(ota_get_next_update_partition(facade_ctx(), start));
}

/*
 * Copy the stored descriptor bytes (the structs are the on-flash layout).
 * The callers then set the numeric fields from the core's little-endian
 * decoding: a raw copy would leave them byte-swapped on a big-endian host.
 * Reserved words stay as stored.
 */
static esp_err_t read_raw(uint32_t addr, void *out, size_t len)
{
    return esp_idf_host_err(ota_flash_read(facade_ctx()->cfg.flash, addr, out, len));
}

esp_err_t esp_ota_get_partition_description(const esp_partition_t *partition,
                                            esp_app_desc_t *app_desc)
{
    if (!partition || !app_desc || !facade_ctx()) {
        return ESP_ERR_INVALID_ARG;
    }
    const ota_partition_t *p = facade_part(partition);
    if (!p) {
        return ESP_ERR_NOT_FOUND;
    }
    ota_app_desc_t desc;
    ota_err_t err = ota_get_partition_description(facade_ctx(), p, &desc);
    if (err == OTA_ERR_IMG_NO_DESC) {
        return ESP_ERR_NOT_FOUND;
    }
    esp_err_t e = err ? esp_idf_host_err(err)
                      : read_raw(p->offset + OTA_APP_DESC_OFFSET, app_desc, sizeof *app_desc);
    if (e == ESP_OK) {
        app_desc->magic_word = desc.magic_word;
        app_desc->secure_version = desc.secure_version;
        app_desc->min_efuse_blk_rev_full = desc.min_efuse_blk_rev_full;
        app_desc->max_efuse_blk_rev_full = desc.max_efuse_blk_rev_full;
    }
    return e;
}

esp_err_t esp_ota_get_bootloader_description(const esp_partition_t *bootloader_partition,
                                             esp_bootloader_desc_t *desc)
{
    ota_ctx_t *ctx = facade_ctx();
    if (!desc || !ctx) {
        return ESP_ERR_INVALID_ARG;
    }
    const ota_partition_t *p = NULL;
    if (bootloader_partition && !(p = facade_part(bootloader_partition))) {
        return ESP_ERR_NOT_FOUND;
    }
    ota_boot_desc_t parsed;
    ota_err_t err = ota_get_bootloader_description(ctx, p, &parsed);
    if (err == OTA_ERR_IMG_NO_DESC) {
        return ESP_ERR_NOT_FOUND;
    }
    uint32_t start = p ? p->offset : ctx->cfg.bootloader_offset;
    esp_err_t e = err ? esp_idf_host_err(err) : read_raw(start + OTA_APP_DESC_OFFSET, desc, sizeof *desc);
    if (e == ESP_OK) {
        desc->version = parsed.version;
    }
    return e;
}

uint8_t esp_ota_get_app_partition_count(void)
{
    return (uint8_t)ota_get_app_partition_count(facade_ctx());
}

/* ---- Rollback ------------------------------------------------------------------ */

esp_err_t esp_ota_mark_app_valid_cancel_rollback(void)
{
    return facade_ctx() ? esp_idf_host_err(ota_mark_app_valid(facade_ctx())) : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_ota_mark_app_invalid_rollback(void)
{
    return facade_ctx() ? esp_idf_host_err(ota_mark_app_invalid(facade_ctx()))
                        : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_ota_mark_app_invalid_rollback_and_reboot(void)
{
    esp_err_t err = esp_ota_mark_app_invalid_rollback();
    if (err == ESP_OK) {
        esp_restart();
    }
    return err;
}

const esp_partition_t *esp_ota_get_last_invalid_partition(void)
{
    const ota_partition_t *p = NULL;
    if (!facade_ctx() || ota_get_last_invalid_partition(facade_ctx(), &p) != OTA_OK) {
        return NULL;
    }
    return facade_esp(p);
}

esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition,
                                      esp_ota_img_states_t *ota_state)
{
    if (!partition || !ota_state || !facade_ctx()) {
        return ESP_ERR_INVALID_ARG;
    }
    const ota_partition_t *p = facade_part(partition);
    uint32_t state;
    ota_err_t err = p ? ota_get_state_partition(facade_ctx(), p, &state) : OTA_ERR_NOT_FOUND;
    if (!err) {
        *ota_state = (esp_ota_img_states_t)state;
    }
    return esp_idf_host_err(err);
}

/* ESP-IDF reports every failure of these two as ESP_FAIL. */
esp_err_t esp_ota_erase_last_boot_app_partition(void)
{
    return facade_ctx() && ota_erase_last_boot_app_partition(facade_ctx()) == OTA_OK ? ESP_OK
                                                                                     : ESP_FAIL;
}

esp_err_t esp_ota_invalidate_inactive_ota_data_slot(void)
{
    return facade_ctx() && ota_invalidate_inactive_ota_data_slot(facade_ctx()) == OTA_OK ? ESP_OK
                                                                                         : ESP_FAIL;
}

bool esp_ota_check_rollback_is_possible(void)
{
    bool possible = false;
    return facade_ctx() && ota_check_rollback_is_possible(facade_ctx(), &possible) == OTA_OK &&
           possible;
}

/* ---- Images ---------------------------------------------------------------------- */

static esp_err_t validity_err(ota_err_t err)
{
    switch (err) {
    case OTA_OK:
        return ESP_OK;
    case OTA_ERR_IMG_CHIP:
    case OTA_ERR_IMG_CHIP_REV:
        return ESP_ERR_INVALID_VERSION;
    case OTA_ERR_IMG_SPI_MODE:
        return ESP_ERR_OTA_SPI_MODE_MISMATCH;
    default:
        return ESP_ERR_INVALID_ARG;
    }
}

esp_err_t esp_ota_check_image_validity(esp_partition_type_t part_type,
                                       const esp_image_header_t *img_hdr,
                                       const esp_app_desc_t *app_desc)
{
    if (!img_hdr || (part_type != ESP_PARTITION_TYPE_APP &&
                     part_type != ESP_PARTITION_TYPE_BOOTLOADER)) {
        return ESP_ERR_INVALID_ARG;
    }
    const ota_image_device_t *device = facade_ctx() ? facade_ctx()->cfg.device : NULL;
    if (!device) {
        return ESP_OK; /* the host program did not say which chip this is */
    }
    ota_image_header_t hdr;
    ota_app_desc_t desc;
    /* ESP-IDF does not look at the magic here: a wrong one is not an error. */
    (void)ota_image_header_parse((const uint8_t *)img_hdr, sizeof *img_hdr, &hdr);
    bool app = part_type == ESP_PARTITION_TYPE_APP;
    bool with_desc = app && app_desc &&
                     ota_app_desc_parse((const uint8_t *)app_desc, sizeof *app_desc, &desc) == OTA_OK;
    return validity_err(ota_image_check_device(app ? OTA_IMAGE_APP : OTA_IMAGE_BOOTLOADER, &hdr,
                                               with_desc ? &desc : NULL, device));
}

esp_err_t esp_ota_revoke_secure_boot_public_key(esp_ota_secure_boot_public_key_index_t index)
{
    (void)index;
    return ESP_ERR_NOT_SUPPORTED;
}

/* ---- esp_app_desc.h ----------------------------------------------------------------- */

const esp_app_desc_t *esp_app_get_description(void)
{
    static esp_app_desc_t desc;
    static unsigned cached_for;
    static bool cached;
    if (!cached || cached_for != facade_generation()) {
        memset(&desc, 0, sizeof desc);
        const esp_partition_t *running = esp_ota_get_running_partition();
        if (running) {
            (void)esp_ota_get_partition_description(running, &desc);
        }
        cached = true;
        cached_for = facade_generation();
    }
    return &desc;
}

int esp_app_get_elf_sha256(char *dst, size_t size)
{
    if (!dst || size == 0) {
        return 0;
    }
    const esp_app_desc_t *desc = esp_app_get_description();
    size_t digits = size - 1 < 64 ? size - 1 : 64;
    for (size_t i = 0; i < digits; i++) {
        uint8_t b = desc->app_elf_sha256[i / 2];
        dst[i] = "0123456789abcdef"[i % 2 ? b & 0xF : b >> 4];
    }
    dst[digits] = '\0';
    return (int)digits + 1;
}
