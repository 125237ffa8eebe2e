/* Text and JSON reports of an image, and one-line failure reasons (see image_report.h). */
#include "image_report.h"

#include <string.h>

#include "cli.h"

static const char *spi_mode_name(uint8_t mode)
{
    static const char *const k_names[] = {"QIO", "QOUT", "DIO", "DOUT", "FAST_READ", "SLOW_READ"};
    return mode < sizeof k_names / sizeof k_names[0] ? k_names[mode] : "unknown";
}

static const char *desc_spi_mode_name(uint8_t mode)
{
    static const char *const k_names[] = {"unknown", "QIO", "QOUT", "DIO", "DOUT", "OPI"};
    return mode < sizeof k_names / sizeof k_names[0] ? k_names[mode] : "invalid";
}

static const char *spi_speed_name(uint8_t speed)
{
    switch (speed) {
    case 0x0:
        return "DIV_2";
    case 0x1:
        return "DIV_3";
    case 0x2:
        return "DIV_4";
    case 0xF:
        return "DIV_1";
    default:
        return "unknown";
    }
}

static const char *chip_name(uint16_t chip_id)
{
    const char *name = ota_chip_name(chip_id);
    return name ? name : "unknown";
}

/* A revision stored as major * 100 + minor, printed "<prefix><major>.<minor>". */
static void print_rev(FILE *out, const char *label, const char *prefix, uint16_t rev)
{
    fprintf(out, "%s: %s%u.%u\n", label, prefix, rev / 100u, rev % 100u);
}

static bool segment_mapped(uint16_t chip_id, uint32_t load_addr)
{
    const ota_chip_t *chip = ota_chip_by_id(chip_id);
    return chip && ota_chip_addr_is_mapped(chip, load_addr);
}

static void text_header(FILE *out, const ota_image_header_t *h)
{
    fprintf(out, "\nImage header\n============\n");
    fprintf(out, "Magic: 0x%02x\nSegments: %u\nEntry point: 0x%08x\n", h->magic, h->segment_count,
            h->entry_addr);
    fprintf(out, "Flash mode: %s (%u)\n", spi_mode_name(h->spi_mode), h->spi_mode);
    fprintf(out, "Flash size: %uMB (%u)\n", 1u << h->spi_size, h->spi_size);
    fprintf(out, "Flash speed: %s (0x%x)\n", spi_speed_name(h->spi_speed), h->spi_speed);
    fprintf(out, "\nExtended header\n===============\n");
    fprintf(out, "WP pin: 0x%02x%s\n", h->wp_pin, h->wp_pin == 0xEE ? " (disabled)" : "");
    fprintf(out, "Flash pins drive settings: clk 0x%x, q 0x%x, d 0x%x, cs0 0x%x, hd 0x%x, wp 0x%x\n",
            h->spi_pin_drv[0] & 0xF, h->spi_pin_drv[0] >> 4, h->spi_pin_drv[1] & 0xF, h->spi_pin_drv[1] >> 4,
            h->spi_pin_drv[2] & 0xF, h->spi_pin_drv[2] >> 4);
    fprintf(out, "Chip ID: %u (%s)\n", h->chip_id, chip_name(h->chip_id));
    print_rev(out, "Minimal chip revision", "v", h->min_chip_rev_full);
    fprintf(out, "Legacy minimal chip revision: %u\n", h->min_chip_rev);
    print_rev(out, "Maximal chip revision", "v", h->max_chip_rev_full);
    fprintf(out, "Hash appended: %u\n", h->hash_appended);
}

static void text_segments(FILE *out, const ota_image_info_t *info)
{
    fprintf(out, "\nSegments\n========\n");
    fprintf(out, "Segment   Length   Load addr   Hdr offs  Data offs  Mapping\n");
    for (unsigned i = 0; i < info->segments_read; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        fprintf(out, "%7u  0x%05x  0x%08x  0x%08x  0x%08x  %s\n", i, s->data_len, s->load_addr,
                s->data_offset - OTA_IMAGE_SEG_HEADER_LEN, s->data_offset,
                segment_mapped(info->header.chip_id, s->load_addr) ? "flash-mapped" : "RAM");
    }
}

static void text_footer(FILE *out, const ota_image_info_t *info)
{
    fprintf(out, "\nFooter\n======\n");
    fprintf(out, "Checksum: 0x%02x ", info->checksum_stored);
    if (info->checksum_stored == info->checksum_calc) {
        fprintf(out, "(valid)\n");
    } else {
        fprintf(out, "(invalid - calculated 0x%02x)\n", info->checksum_calc);
    }
    if (!info->header.hash_appended) {
        fprintf(out, "Validation hash: none appended\n");
        return;
    }
    /* Like esptool: the calculated hash, and whether the stored one matches. */
    fprintf(out, "Validation hash: ");
    cli_hex(out, info->hash_calc, OTA_SHA256_LEN);
    if (memcmp(info->hash_stored, info->hash_calc, OTA_SHA256_LEN) == 0) {
        fprintf(out, " (valid)\n");
    } else {
        fprintf(out, " (invalid, stored ");
        cli_hex(out, info->hash_stored, OTA_SHA256_LEN);
        fprintf(out, ")\n");
    }
}

static void text_app_desc(FILE *out, const ota_app_desc_t *d)
{
    fprintf(out, "\nApplication information\n=======================\n");
    fprintf(out, "Project name: %s\nApp version: %s\n", d->project_name, d->version);
    if (d->date[0] || d->time[0]) {
        fprintf(out, "Compile time: %s%s%s\n", d->date, d->date[0] && d->time[0] ? " " : "", d->time);
    } else {
        fprintf(out, "Compile time: not recorded\n");
    }
    fprintf(out, "ELF file SHA256: ");
    cli_hex(out, d->app_elf_sha256, sizeof d->app_elf_sha256);
    fprintf(out, "\nESP-IDF: %s\n", d->idf_ver);
    print_rev(out, "Minimal eFuse block revision", "", d->min_efuse_blk_rev_full);
    print_rev(out, "Maximal eFuse block revision", "", d->max_efuse_blk_rev_full);
    if (d->mmu_page_size_log2 >= 10 && d->mmu_page_size_log2 < 32) {
        fprintf(out, "MMU page size: %u KB\n", (1u << d->mmu_page_size_log2) / 1024u);
    }
    fprintf(out, "SPI flash mode: %s (%u)\n", desc_spi_mode_name(d->spi_flash_mode), d->spi_flash_mode);
    fprintf(out, "Secure version: %u\n", d->secure_version);
}

static void text_boot_desc(FILE *out, const ota_boot_desc_t *d)
{
    fprintf(out, "\nBootloader information\n======================\n");
    fprintf(out, "Bootloader version: %u\nESP-IDF: %s\nCompile time: %s\nSecure version: %u\n", d->version,
            d->idf_ver, d->date_time, d->secure_version);
}

void image_report_text(FILE *out, const image_report_t *r)
{
    const ota_image_info_t *info = r->info;
    fprintf(out, "File: %s (%u bytes)\nImage length: %u bytes\n", r->path, r->file_len, info->image_len);
    text_header(out, &info->header);
    text_segments(out, info);
    text_footer(out, info);
    if (r->app_desc) {
        text_app_desc(out, r->app_desc);
    }
    if (r->boot_desc) {
        text_boot_desc(out, r->boot_desc);
    }
}

static void json_hex(FILE *out, const uint8_t *buf, size_t len)
{
    fputc('"', out);
    cli_hex(out, buf, len);
    fputc('"', out);
}

static void json_header(FILE *out, const ota_image_header_t *h)
{
    fprintf(out, "\"header\": {\"magic\": %u, \"segment_count\": %u, \"spi_mode\": %u, \"spi_speed\": %u, "
                 "\"spi_size\": %u, \"entry_addr\": %u, \"wp_pin\": %u, \"spi_pin_drv\": ",
            h->magic, h->segment_count, h->spi_mode, h->spi_speed, h->spi_size, h->entry_addr, h->wp_pin);
    json_hex(out, h->spi_pin_drv, sizeof h->spi_pin_drv);
    fprintf(out, ", \"chip_id\": %u, \"chip\": ", h->chip_id);
    cli_json_str(out, chip_name(h->chip_id));
    fprintf(out, ", \"min_chip_rev\": %u, \"min_chip_rev_full\": %u, \"max_chip_rev_full\": %u, \"reserved\": ",
            h->min_chip_rev, h->min_chip_rev_full, h->max_chip_rev_full);
    json_hex(out, h->reserved, sizeof h->reserved);
    fprintf(out, ", \"hash_appended\": %u}", h->hash_appended);
}

static void json_segments(FILE *out, const ota_image_info_t *info)
{
    fprintf(out, "\"segments\": [");
    for (unsigned i = 0; i < info->segments_read; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        fprintf(out, "%s{\"index\": %u, \"load_addr\": %u, \"data_len\": %u, \"header_offset\": %u, "
                     "\"data_offset\": %u, \"mapped\": %s}",
                i ? ", " : "", i, s->load_addr, s->data_len, s->data_offset - OTA_IMAGE_SEG_HEADER_LEN,
                s->data_offset, segment_mapped(info->header.chip_id, s->load_addr) ? "true" : "false");
    }
    fprintf(out, "]");
}

static void json_footer(FILE *out, const ota_image_info_t *info)
{
    fprintf(out, "\"checksum\": {\"offset\": %u, \"stored\": %u, \"calculated\": %u, \"valid\": %s}, ",
            info->checksum_offset, info->checksum_stored, info->checksum_calc,
            info->checksum_stored == info->checksum_calc ? "true" : "false");
    fprintf(out, "\"sha256\": {\"offset\": ");
    if (info->header.hash_appended) {
        fprintf(out, "%u, \"stored\": ", info->checksum_offset + 1u);
        json_hex(out, info->hash_stored, OTA_SHA256_LEN);
    } else {
        fprintf(out, "null, \"stored\": null");
    }
    fprintf(out, ", \"calculated\": ");
    json_hex(out, info->hash_calc, OTA_SHA256_LEN);
    fprintf(out, ", \"valid\": %s}",
            !info->header.hash_appended ? "null"
            : memcmp(info->hash_stored, info->hash_calc, OTA_SHA256_LEN) == 0 ? "true"
                                                                              : "false");
}

static void json_app_desc(FILE *out, const ota_app_desc_t *d)
{
    fprintf(out, "\"app_desc\": {\"magic_word\": %u, \"secure_version\": %u, \"version\": ", d->magic_word,
            d->secure_version);
    cli_json_str(out, d->version);
    fprintf(out, ", \"project_name\": ");
    cli_json_str(out, d->project_name);
    fprintf(out, ", \"time\": ");
    cli_json_str(out, d->time);
    fprintf(out, ", \"date\": ");
    cli_json_str(out, d->date);
    fprintf(out, ", \"idf_ver\": ");
    cli_json_str(out, d->idf_ver);
    fprintf(out, ", \"app_elf_sha256\": ");
    json_hex(out, d->app_elf_sha256, sizeof d->app_elf_sha256);
    fprintf(out, ", \"min_efuse_blk_rev_full\": %u, \"max_efuse_blk_rev_full\": %u, \"mmu_page_size_log2\": %u, "
                 "\"spi_flash_mode\": %u}",
            d->min_efuse_blk_rev_full, d->max_efuse_blk_rev_full, d->mmu_page_size_log2, d->spi_flash_mode);
}

static void json_boot_desc(FILE *out, const ota_boot_desc_t *d)
{
    fprintf(out, "\"bootloader_desc\": {\"magic_byte\": %u, \"secure_version\": %u, \"version\": %u, \"idf_ver\": ",
            d->magic_byte, d->secure_version, d->version);
    cli_json_str(out, d->idf_ver);
    fprintf(out, ", \"date_time\": ");
    cli_json_str(out, d->date_time);
    fprintf(out, "}");
}

void image_report_json(FILE *out, const image_report_t *r)
{
    const ota_image_info_t *info = r->info;
    fprintf(out, "{\"file\": ");
    cli_json_str(out, r->path);
    fprintf(out, ", \"file_len\": %u, \"image_len\": %u, \"result\": ", r->file_len, info->image_len);
    cli_json_str(out, ota_err_name(r->result));
    fprintf(out, ", ");
    json_header(out, &info->header);
    fprintf(out, ", ");
    json_segments(out, info);
    fprintf(out, ", ");
    json_footer(out, info);
    fprintf(out, ", ");
    if (r->app_desc) {
        json_app_desc(out, r->app_desc);
    } else {
        fprintf(out, "\"app_desc\": null");
    }
    fprintf(out, ", ");
    if (r->boot_desc) {
        json_boot_desc(out, r->boot_desc);
    } else {
        fprintf(out, "\"bootloader_desc\": null");
    }
    fprintf(out, "}\n");
}

/* Where the image runs past the file: a segment header, its data, the checksum or the hash. */
static void describe_truncation(char *out, size_t n, const ota_image_info_t *info, uint32_t file_len)
{
    uint32_t end = OTA_IMAGE_HEADER_LEN;
    if (file_len < OTA_IMAGE_HEADER_LEN) {
        snprintf(out, n, "header (24 bytes) extends beyond end of file (0x%x)", file_len);
        return;
    }
    for (unsigned i = 0; i < info->segments_read; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        if ((uint64_t)s->data_offset + s->data_len > file_len) {
            snprintf(out, n, "segment %u data (0x%x bytes at file offset 0x%x) extends beyond end of file (0x%x)",
                     i, s->data_len, s->data_offset, file_len);
            return;
        }
        end = s->data_offset + s->data_len;
    }
    if (info->segments_read < info->header.segment_count) {
        snprintf(out, n, "segment %u header at file offset 0x%x extends beyond end of file (0x%x)",
                 info->segments_read, end, file_len);
    } else if ((end | 15u) >= file_len) {
        snprintf(out, n, "checksum at file offset 0x%x beyond end of file (0x%x)", end | 15u, file_len);
    } else {
        snprintf(out, n, "appended SHA-256 at file offset 0x%x beyond end of file (0x%x)", (end | 15u) + 1u,
                 file_len);
    }
}

static void describe_detail(char *out, size_t n, ota_err_t err, const ota_image_info_t *info, uint32_t file_len,
                            const ota_image_device_t *device)
{
    const ota_image_header_t *h = &info->header;
    const ota_image_segment_t *last = info->segments_read ? &info->segments[info->segments_read - 1] : NULL;
    switch (err) {
    case OTA_ERR_IMG_MAGIC:
        snprintf(out, n, "first byte 0x%02x, expected 0xe9 (nothing flashed here?)", h->magic);
        break;
    case OTA_ERR_IMG_CHIP:
        snprintf(out, n, "image is for chip id %u (%s), expected %u (%s)", h->chip_id, chip_name(h->chip_id),
                 device ? device->chip_id : 0u, chip_name(device ? device->chip_id : 0u));
        break;
    case OTA_ERR_IMG_CHIP_UNKNOWN:
        snprintf(out, n, "chip id %u", h->chip_id);
        break;
    case OTA_ERR_IMG_SEG_COUNT:
        snprintf(out, n, "segment count %u exceeds max %u", h->segment_count, OTA_IMAGE_MAX_SEGMENTS);
        break;
    case OTA_ERR_IMG_SEG_LEN:
    case OTA_ERR_IMG_SEG0_SHORT:
    case OTA_ERR_IMG_SEG_BOUNDS:
        snprintf(out, n, "segment %u length 0x%x at file offset 0x%x", info->segments_read - 1u,
                 last ? last->data_len : 0u, last ? last->data_offset : 0u);
        break;
    case OTA_ERR_IMG_MAP_ALIGN:
        snprintf(out, n, "segment %u load address 0x%08x, data at image offset 0x%x, MMU page 0x%x",
                 info->segments_read - 1u, last ? last->load_addr : 0u, last ? last->data_offset : 0u,
                 info->mmu_page_size);
        break;
    case OTA_ERR_IMG_TRUNCATED:
        describe_truncation(out, n, info, file_len);
        break;
    case OTA_ERR_IMG_CHECKSUM:
        snprintf(out, n, "calculated 0x%02x, read 0x%02x", info->checksum_calc, info->checksum_stored);
        break;
    default:
        out[0] = '\0';
        break;
    }
}

void image_describe_failure(char *out, size_t n, ota_err_t err, const ota_image_info_t *info,
                            uint32_t file_len, const ota_image_device_t *device)
{
    char detail[256];
    describe_detail(detail, sizeof detail, err, info, file_len, device);
    snprintf(out, n, "%s%s%s", ota_strerror(err), detail[0] ? ": " : "", detail);
}
