/*
 * libota's ESP-IDF facade: the application descriptor (spec §4.4), 256 bytes
 * at offset 0x20 of an app image.
 */
#ifndef ESP_APP_DESC_H
#define ESP_APP_DESC_H

#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_APP_DESC_MAGIC_WORD 0xABCD5432

typedef struct {
    uint32_t magic_word;      /* ESP_APP_DESC_MAGIC_WORD */
    uint32_t secure_version;  /* anti-rollback version */
    uint32_t reserv1[2];
    char version[32];
    char project_name[32];
    char time[16];
    char date[16];
    char idf_ver[32];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full;
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size;    /* log2; 0 in old images */
    uint8_t spi_flash_mode;   /* 1 QIO, 2 QOUT, 3 DIO, 4 DOUT, 5 OPI; 0 unknown */
    uint8_t reserv3[2];
    uint32_t reserv2[18];
} esp_app_desc_t;

_Static_assert(sizeof(esp_app_desc_t) == 256, "esp_app_desc_t is 256 bytes on flash");

/* The descriptor of the running app (read from its partition once, then cached). */
const esp_app_desc_t *esp_app_get_description(void);

/*
 * Write the first hex digits of the running app's ELF SHA-256 to dst
 * (size - 1 digits, at most 64, NUL-terminated); returns the number of bytes
 * written including the NUL, 0 when size is 0 or dst NULL.
 */
int esp_app_get_elf_sha256(char *dst, size_t size);

#ifdef __cplusplus
}
#endif

#endif
