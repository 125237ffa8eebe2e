/* esp_partition_* over the attached device (spec §1.8 bounds rules). */
#include "esp_partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_flash_partitions.h"
#include "esp_image_format.h"
#include "esp_log.h"
#include "facade.h"

struct esp_partition_iterator_opaque_ {
    uint8_t type;
    uint8_t subtype;
    bool has_label;
    char label[OTA_PART_LABEL_LEN + 1];
    const ota_partition_t *current;
};

static const ota_partition_t *next_match(const struct esp_partition_iterator_opaque_ *it)
{
    return ota_partition_next(facade_ctx()->cfg.table, it->current, it->type, it->subtype,
                              it->has_label ? it->label : NULL);
}

esp_partition_iterator_t esp_partition_find(esp_partition_type_t type,
                                             esp_partition_subtype_t subtype, const char *label)
{
    if (!facade_ctx()) {
        return NULL;
    }
    struct esp_partition_iterator_opaque_ probe = {.type = (uint8_t)type,
                                                   .subtype = (uint8_t)subtype,
                                                   .has_label = label != NULL};
    if (label) {
        snprintf(probe.label, sizeof probe.label, "%s", label);
        if (strlen(label) > OTA_PART_LABEL_LEN) {
            return NULL; /* no stored label is that long */
        }
    }
    probe.current = next_match(&probe);
    if (!probe.current) {
        return NULL;
    }
    esp_partition_iterator_t it = malloc(sizeof *it);
    if (it) {
        *it = probe;
    }
    return it;
}

const esp_partition_t *esp_partition_get(esp_partition_iterator_t iterator)
{
    return iterator ? facade_esp(iterator->current) : NULL;
}

esp_partition_iterator_t esp_partition_next(esp_partition_iterator_t iterator)
{
    if (!iterator) {
        return NULL;
    }
    iterator->current = next_match(iterator);
    if (!iterator->current) {
        free(iterator);
        return NULL;
    }
    return iterator;
}

void esp_partition_iterator_release(esp_partition_iterator_t iterator)
{
    free(iterator);
}

const esp_partition_t *esp_partition_find_first(esp_partition_type_t type,
                                                esp_partition_subtype_t subtype, const char *label)
{
    esp_partition_iterator_t it = esp_partition_find(type, subtype, label);
    const esp_partition_t *p = esp_partition_get(it);
    esp_partition_iterator_release(it);
    return p;
}

/* ---- Access ------------------------------------------------------------------- */

static esp_err_t check_range(const esp_partition_t *p, size_t offset, size_t size)
{
    if (offset > p->size) {
        return ESP_ERR_INVALID_ARG;
    }
    return size > p->size - offset ? ESP_ERR_INVALID_SIZE : ESP_OK;
}

/* Common checks; *out gets the table entry. */
static esp_err_t access_checks(const esp_partition_t *p, const void *buf, size_t offset,
                               size_t size, bool writing, const ota_partition_t **out)
{
    if (!p || !buf || !facade_ctx()) {
        return ESP_ERR_INVALID_ARG;
    }
    *out = facade_part(p);
    if (!*out) {
        return ESP_ERR_NOT_FOUND;
    }
    if (writing && p->readonly) {
        return ESP_ERR_NOT_ALLOWED;
    }
    if (writing) {
        ota_forget_verified(facade_ctx(), *out); /* set_boot must read it again */
    }
    if (p->encrypted) {
        return ESP_ERR_NOT_SUPPORTED; /* no flash encryption on the host */
    }
    return check_range(p, offset, size);
}

esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst,
                             size_t size)
{
    const ota_partition_t *p;
    esp_err_t err = access_checks(partition, dst, src_offset, size, false, &p);
    return err ? err
               : esp_idf_host_err(ota_flash_read(facade_ctx()->cfg.flash,
                                                 p->offset + (uint32_t)src_offset, dst, size));
}

esp_err_t esp_partition_write(const esp_partition_t *partition, size_t dst_offset,
                              const void *src, size_t size)
{
    const ota_partition_t *p;
    esp_err_t err = access_checks(partition, src, dst_offset, size, true, &p);
    return err ? err
               : esp_idf_host_err(ota_flash_write(facade_ctx()->cfg.flash,
                                                  p->offset + (uint32_t)dst_offset, src, size));
}

esp_err_t esp_partition_read_raw(const esp_partition_t *partition, size_t src_offset, void *dst,
                                 size_t size)
{
    return esp_partition_read(partition, src_offset, dst, size);
}

esp_err_t esp_partition_write_raw(const esp_partition_t *partition, size_t dst_offset,
                                  const void *src, size_t size)
{
    return esp_partition_write(partition, dst_offset, src, size);
}

esp_err_t esp_partition_erase_range(const esp_partition_t *partition, size_t offset, size_t size)
{
    static const uint8_t any = 0;
    const ota_partition_t *p;
    esp_err_t err = access_checks(partition, &any, offset, size, true, &p);
    if (err) {
        return err;
    }
    if (size % partition->erase_size) {
        return ESP_ERR_INVALID_SIZE;
    }
    if (offset % partition->erase_size) {
        return ESP_ERR_INVALID_ARG;
    }
    return esp_idf_host_err(ota_flash_erase_range(facade_ctx()->cfg.flash,
                                                  p->offset + (uint32_t)offset, (uint32_t)size));
}

esp_err_t esp_partition_get_sha256(const esp_partition_t *partition, uint8_t *sha_256)
{
    if (!partition || !sha_256 || !facade_ctx()) {
        return ESP_ERR_INVALID_ARG;
    }
    const ota_partition_t *p = facade_part(partition);
    if (!p) {
        return ESP_ERR_NOT_FOUND;
    }
    ota_err_t err = ota_partition_sha256(facade_ctx(), p, sha_256);
    if ((int)err / 100 == 5) {
        return ESP_ERR_IMAGE_INVALID;
    }
    return (int)err / 100 == 2 ? ESP_ERR_IMAGE_FLASH_FAIL : esp_idf_host_err(err);
}

bool esp_partition_check_identity(const esp_partition_t *partition_1,
                                  const esp_partition_t *partition_2)
{
    uint8_t a[OTA_SHA256_LEN], b[OTA_SHA256_LEN];
    if (!partition_1 || !partition_2 || partition_1->type != partition_2->type ||
        partition_1->subtype != partition_2->subtype || partition_1->size != partition_2->size) {
        return false;
    }
    return esp_partition_get_sha256(partition_1, a) == ESP_OK &&
           esp_partition_get_sha256(partition_2, b) == ESP_OK && memcmp(a, b, sizeof a) == 0;
}

esp_err_t esp_partition_table_verify(const esp_partition_info_t *partition_table, bool log_errors,
                                     int *num_partitions)
{
    ota_ctx_t *ctx = facade_ctx();
    if (!partition_table || !num_partitions || !ctx) {
        return ESP_ERR_INVALID_ARG;
    }
    ota_partition_parse_opts_t opts = {.flash_size = ctx->cfg.flash->size, .md5 = ctx->cfg.md5};
    ota_partition_table_t table;
    ota_err_t err = ota_partition_table_parse((const uint8_t *)partition_table,
                                              ESP_PARTITION_TABLE_MAX_LEN, &opts, &table);
    if (err) {
        if (log_errors) {
            ESP_LOGE("flash_parts", "partition table invalid: %s", ota_strerror(err));
        }
        return err == OTA_ERR_PART_OUT_OF_FLASH ? ESP_ERR_INVALID_SIZE : ESP_ERR_INVALID_STATE;
    }
    *num_partitions = (int)table.count;
    return ESP_OK;
}
