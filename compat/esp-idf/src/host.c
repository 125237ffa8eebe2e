/*
 * The facade's process-wide state, as ESP-IDF keeps it: the attached device,
 * one canonical esp_partition_t per table entry, the update records and the
 * restart hook. Host programs drive it through esp_idf_host.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_image_format.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "facade.h"

typedef struct facade_session {
    ota_session_t s; /* first: the core's record is the allocation */
    struct facade_session *next;
} facade_session_t;

static ota_ctx_t *g_ctx;
static unsigned g_generation;
static esp_partition_t g_parts[OTA_PART_MAX_ENTRIES];
static size_t g_part_count;
static facade_session_t *g_sessions;
static void (*g_restart)(void *arg);
static void *g_restart_arg;

static void mirror(const ota_partition_t *p, esp_partition_t *out, uint32_t erase_size)
{
    *out = (esp_partition_t){
        .flash_chip = NULL,
        .type = (esp_partition_type_t)p->type,
        .subtype = (esp_partition_subtype_t)p->subtype,
        .address = p->offset,
        .size = p->size,
        .erase_size = erase_size,
        .encrypted = (p->flags & OTA_PART_FLAG_ENCRYPTED) != 0,
        .readonly = (p->flags & OTA_PART_FLAG_READONLY) != 0,
    };
    snprintf(out->label, sizeof out->label, "%s", p->label);
}

int esp_idf_host_attach(ota_ctx_t *ctx)
{
    esp_idf_host_detach();
    if (!ctx || ctx->cfg.table->count > OTA_PART_MAX_ENTRIES) {
        return -1;
    }
    for (size_t i = 0; i < ctx->cfg.table->count; i++) {
        mirror(&ctx->cfg.table->entries[i], &g_parts[i], ctx->cfg.flash->sector_size);
    }
    g_part_count = ctx->cfg.table->count;
    g_ctx = ctx;
    g_generation++;
    return 0;
}

void esp_idf_host_detach(void)
{
    while (g_sessions) {
        facade_session_t *f = g_sessions;
        g_sessions = f->next;
        (void)ota_abort(&f->s); /* unlinks it from the context if still live */
        free(f);
    }
    g_ctx = NULL;
    g_part_count = 0;
    g_generation++;
}

ota_ctx_t *esp_idf_host_ctx(void)
{
    return g_ctx;
}

ota_ctx_t *facade_ctx(void)
{
    return g_ctx;
}

unsigned facade_generation(void)
{
    return g_generation;
}

void esp_idf_host_set_restart(void (*hook)(void *arg), void *arg)
{
    g_restart = hook;
    g_restart_arg = arg;
}

void esp_restart(void)
{
    if (g_restart) {
        g_restart(g_restart_arg);
    }
    fprintf(stderr, "esp_restart(): the host program installed no restart hook\n");
    abort();
}

/* ---- Partitions ---------------------------------------------------------------- */

const esp_partition_t *facade_esp(const ota_partition_t *p)
{
    if (!g_ctx || !p) {
        return NULL;
    }
    const ota_partition_t *base = g_ctx->cfg.table->entries;
    return p >= base && p < base + g_part_count ? &g_parts[p - base] : NULL;
}

const esp_partition_t *esp_partition_verify(const esp_partition_t *p)
{
    if (!p) {
        return NULL;
    }
    for (size_t i = 0; i < g_part_count; i++) {
        const esp_partition_t *q = &g_parts[i];
        if (q == p || (q->type == p->type && q->subtype == p->subtype &&
                       q->address == p->address && q->size == p->size &&
                       q->encrypted == p->encrypted && q->flash_chip == p->flash_chip &&
                       (p->label[0] == '\0' || strncmp(q->label, p->label, sizeof q->label) == 0))) {
            return q;
        }
    }
    return NULL;
}

const ota_partition_t *facade_part(const esp_partition_t *p)
{
    const esp_partition_t *q = esp_partition_verify(p);
    return q ? &g_ctx->cfg.table->entries[q - g_parts] : NULL;
}

/* ---- Update records ----------------------------------------------------------------- */

ota_session_t *facade_session_new(void)
{
    facade_session_t *f = calloc(1, sizeof *f);
    if (!f) {
        return NULL;
    }
    f->next = g_sessions;
    g_sessions = f;
    return &f->s;
}

void facade_session_free(ota_session_t *s)
{
    for (facade_session_t **pp = &g_sessions; *pp; pp = &(*pp)->next) {
        if (&(*pp)->s == s) {
            facade_session_t *f = *pp;
            *pp = f->next;
            free(f);
            return;
        }
    }
}

/* ---- Errors ------------------------------------------------------------------------- */

static int err_by_module(ota_err_t err)
{
    switch ((int)err / 100) {
    case 2:
        return ESP_ERR_FLASH_OP_FAIL;
    case 3:
        return ESP_ERR_INVALID_STATE; /* what esp_partition_table_verify reports */
    case 4:
        return ESP_ERR_INVALID_ARG;
    case 5:
        return ESP_ERR_OTA_VALIDATE_FAILED;
    default:
        return ESP_FAIL;
    }
}

int esp_idf_host_err(ota_err_t err)
{
    switch (err) {
    case OTA_OK: return ESP_OK;
    case OTA_ERR_INVALID_ARG: return ESP_ERR_INVALID_ARG;
    case OTA_ERR_NO_SPACE: return ESP_ERR_NO_MEM;
    case OTA_ERR_NOT_FOUND: return ESP_ERR_NOT_FOUND;
    case OTA_ERR_NOT_SUPPORTED: return ESP_ERR_NOT_SUPPORTED;
    case OTA_ERR_INVALID_STATE: return ESP_ERR_INVALID_STATE;
    case OTA_ERR_FLASH_RANGE: return ESP_ERR_INVALID_SIZE;
    case OTA_ERR_FLASH_ALIGN: return ESP_ERR_INVALID_ARG;
    case OTA_ERR_FLASH_READONLY: return ESP_ERR_NOT_ALLOWED;
    case OTA_ERR_IMG_SEC_VER: return ESP_ERR_OTA_SMALL_SEC_VER;
    case OTA_ERR_OTADATA_NONE: return ESP_ERR_NOT_FOUND;
    case OTA_ERR_OTADATA_SLOT: return ESP_ERR_INVALID_ARG;
    case OTA_ERR_OTADATA_WRITE_SIZE: return ESP_ERR_NOT_SUPPORTED;
    case OTA_ERR_BOOT_NO_TEST_APP: return ESP_ERR_NOT_FOUND;
    case OTA_ERR_OTA_PARTITION_CONFLICT: return ESP_ERR_OTA_PARTITION_CONFLICT;
    case OTA_ERR_OTA_ALREADY_IN_PROGRESS: return ESP_ERR_OTA_ALREADY_IN_PROGRESS;
    case OTA_ERR_OTA_VALIDATE_FAILED: return ESP_ERR_OTA_VALIDATE_FAILED;
    case OTA_ERR_OTA_ROLLBACK_INVALID_STATE: return ESP_ERR_OTA_ROLLBACK_INVALID_STATE;
    case OTA_ERR_OTA_ROLLBACK_FAILED: return ESP_ERR_OTA_ROLLBACK_FAILED;
    case OTA_ERR_OTA_SMALL_SEC_VER: return ESP_ERR_OTA_SMALL_SEC_VER;
    /* esp_efuse_update_secure_version's answer to a version beyond the field */
    case OTA_ERR_OTA_SEC_VER_EXHAUSTED: return ESP_ERR_INVALID_ARG;
    case OTA_ERR_OTA_TOO_LARGE: return ESP_ERR_INVALID_SIZE;
    case OTA_ERR_OTA_NOT_UPDATABLE: return ESP_ERR_INVALID_ARG;
    case OTA_ERR_OTA_NO_DATA: return ESP_ERR_INVALID_ARG;
    case OTA_ERR_OTA_RESUME_NOT_ERASED: return ESP_ERR_INVALID_STATE;
    case OTA_ERR_OTA_SESSION_CLOSED: return ESP_ERR_NOT_FOUND;
    default: return err_by_module(err);
    }
}
