/*
 * Streaming verification of ESP images stored in flash (spec §4.2-§4.5).
 *
 * One pass over the image: a cursor reads header, segment headers, segment
 * data, padding and checksum byte in order and feeds every byte to the
 * SHA-256 (which is exactly what esptool appends); segment data also goes
 * into the XOR checksum. Headers and segment data alike are read through the
 * caller's buffer; the stack holds what was learnt, not what was read.
 */
#include <string.h>

#include "bytes_le.h"
#include "ota/image.h"

#define SEG0_DESC_MMU_PAGE 180u /* offset of mmu_page_size in the app descriptor */

typedef struct verifier {
    const ota_flash_t *flash;
    uint32_t base;      /* partition offset in flash */
    uint32_t avail;     /* image bytes that may be read: data_len when known, else the partition size */
    bool data_len_known;
    /* What reading past the partition is called at this point: a segment out
     * of bounds, or an image (header, footer) longer than its partition. */
    ota_err_t past_partition;
    const ota_hash_t *sha;
    uint8_t *buf;
    size_t buf_len;
    uint32_t pos;       /* image offset of the next byte to hash */
    uint8_t checksum;
} verifier_t;

/*
 * May the image bytes [off, off + len) be read? Past the known data the image
 * is truncated; past the partition it is too big. One bound serves both, as
 * opts_valid() keeps data_len within the partition.
 */
static ota_err_t check_avail(const verifier_t *v, uint32_t off, uint32_t len)
{
    if ((uint64_t)off + len <= v->avail) {
        return OTA_OK;
    }
    return v->data_len_known ? OTA_ERR_IMG_TRUNCATED : v->past_partition;
}

/* Read image bytes without hashing them (a look ahead). */
static ota_err_t peek(const verifier_t *v, uint32_t off, void *dst, uint32_t len)
{
    ota_err_t err = check_avail(v, off, len);
    return err ? err : ota_flash_read(v->flash, v->base + off, dst, len);
}

/* Read len bytes at the cursor into dst, hash them and advance. */
static ota_err_t take(verifier_t *v, void *dst, uint32_t len)
{
    ota_err_t err = peek(v, v->pos, dst, len);
    if (!err) {
        err = v->sha->update(v->sha->ctx, dst, len);
    }
    v->pos += err ? 0 : len;
    return err;
}

/* XOR of n bytes, eight at a time: XOR is bitwise, so folding the 64-bit lanes
 * gives the byte-wise result on any byte order (and ~8x fewer operations). */
static uint8_t xor_bytes(const uint8_t *p, uint32_t n)
{
    uint64_t lanes = 0;
    uint32_t i = 0;
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        lanes ^= w;
    }
    lanes ^= lanes >> 32;
    lanes ^= lanes >> 16;
    lanes ^= lanes >> 8;
    uint8_t x = (uint8_t)lanes;
    for (; i < n; i++) {
        x ^= p[i];
    }
    return x;
}

/* Stream len bytes at the cursor through the work buffer into the hash and,
 * for segment data, the checksum. */
static ota_err_t stream(verifier_t *v, uint32_t len, bool checksummed)
{
    ota_err_t err = check_avail(v, v->pos, len);
    while (!err && len > 0) {
        uint32_t n = len < v->buf_len ? len : (uint32_t)v->buf_len;
        err = take(v, v->buf, n);
        if (checksummed && !err) {
            v->checksum ^= xor_bytes(v->buf, n);
        }
        len -= n;
    }
    return err;
}

ota_err_t ota_image_header_parse(const uint8_t *buf, size_t len, ota_image_header_t *out)
{
    if (!buf || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len >= 1 && buf[0] != OTA_IMAGE_MAGIC) {
        out->magic = buf[0];
        return OTA_ERR_IMG_MAGIC;
    }
    if (len < OTA_IMAGE_HEADER_LEN) {
        return OTA_ERR_IMG_TRUNCATED;
    }
    out->magic = buf[0];
    out->segment_count = buf[1];
    out->spi_mode = buf[2];
    out->spi_speed = buf[3] & 0x0Fu;
    out->spi_size = buf[3] >> 4;
    out->entry_addr = le32_get(buf + 4);
    out->wp_pin = buf[8];
    memcpy(out->spi_pin_drv, buf + 9, 3);
    out->chip_id = le16_get(buf + 12);
    out->min_chip_rev = buf[14];
    out->min_chip_rev_full = le16_get(buf + 15);
    out->max_chip_rev_full = le16_get(buf + 17);
    memcpy(out->reserved, buf + 19, 4);
    out->hash_appended = buf[23];
    return OTA_OK;
}

static ota_err_t read_header(verifier_t *v, ota_image_header_t *hdr)
{
    uint8_t *raw = v->buf;
    /* The magic byte first: a short non-image is "not an image", not "truncated". */
    ota_err_t err = peek(v, 0, raw, 1);
    if (!err && raw[0] != OTA_IMAGE_MAGIC) {
        hdr->magic = raw[0];
        err = OTA_ERR_IMG_MAGIC;
    }
    if (!err) {
        err = take(v, raw, OTA_IMAGE_HEADER_LEN);
    }
    return err ? err : ota_image_header_parse(raw, OTA_IMAGE_HEADER_LEN, hdr);
}

/*
 * On chips with a configurable MMU page, an app's segment 0 must start with
 * the app descriptor, whose mmu_page_size (log2) selects the page; a value
 * the chip does not support falls back to 64 KiB.
 */
static ota_err_t desc_page_size(const verifier_t *v, const ota_chip_t *chip, uint32_t *page)
{
    ota_err_t err = peek(v, v->pos, v->buf, 4);
    if (err) {
        return err;
    }
    if (le32_get(v->buf) != OTA_APP_DESC_MAGIC) {
        return OTA_ERR_IMG_NO_DESC;
    }
    err = peek(v, v->pos + SEG0_DESC_MMU_PAGE, v->buf, 1);
    if (!err) {
        *page = ota_chip_mmu_page(chip, v->buf[0]);
    }
    return err;
}

/* The per-segment rules, checked before the segment's data is read. */
static ota_err_t check_segment(const verifier_t *v, ota_image_kind_t kind, const ota_chip_t *chip,
                               unsigned index, const ota_image_segment_t *seg, uint32_t *page)
{
    if (kind == OTA_IMAGE_FORMAT) {
        return OTA_OK;
    }
    if (seg->data_len % 4u != 0 || seg->data_len >= OTA_IMAGE_SEG_LEN_LIMIT) {
        return OTA_ERR_IMG_SEG_LEN;
    }
    if (kind == OTA_IMAGE_APP && index == 0) {
        if (seg->data_len < OTA_APP_DESC_LEN) {
            return OTA_ERR_IMG_SEG0_SHORT;
        }
        if (chip->mmu_page_min_log2) {
            ota_err_t err = desc_page_size(v, chip, page);
            if (err) {
                return err;
            }
        }
    }
    /* A flash-mapped segment is mapped page by page, so its data must sit at
     * the same offset within a page of flash as its address within a page. */
    uint32_t flash_addr = v->base + seg->data_offset;
    if (ota_chip_addr_is_mapped(chip, seg->load_addr) && flash_addr % *page != seg->load_addr % *page) {
        return OTA_ERR_IMG_MAP_ALIGN;
    }
    return OTA_OK;
}

/*
 * What one pass learns: ota_image_info_t but for the segment list and the
 * hashes, which go straight into the caller's info when there is one (no
 * copying them afterwards). A caller that wants only the verdict then needs
 * no ota_image_info_t (330 bytes) on the stack.
 */
typedef struct outcome {
    ota_image_header_t header;
    ota_image_segment_t *segments; /* info->segments, or NULL */
    uint8_t segments_read;
    uint32_t mmu_page_size;
    bool complete;
    uint32_t checksum_offset;
    uint8_t checksum_stored;
    uint8_t checksum_calc;
    uint32_t image_len;
    uint8_t *hash_calc;   /* OTA_SHA256_LEN bytes */
    uint8_t *hash_stored; /* OTA_SHA256_LEN bytes */
} outcome_t;

static ota_err_t read_segments(verifier_t *v, ota_image_kind_t kind, const ota_chip_t *chip,
                               outcome_t *out)
{
    v->past_partition = OTA_ERR_IMG_SEG_BOUNDS;
    for (unsigned i = 0; i < out->header.segment_count; i++) {
        ota_err_t err = take(v, v->buf, OTA_IMAGE_SEG_HEADER_LEN);
        if (err) {
            return err;
        }
        ota_image_segment_t seg = {.load_addr = le32_get(v->buf), .data_len = le32_get(v->buf + 4),
                                   .data_offset = v->pos};
        if (out->segments) {
            out->segments[i] = seg;
        }
        out->segments_read = (uint8_t)(i + 1);
        err = check_segment(v, kind, chip, i, &seg, &out->mmu_page_size);
        if (!err) {
            err = stream(v, seg.data_len, true);
        }
        if (err) {
            return err;
        }
    }
    return OTA_OK;
}

/* Zero padding up to the checksum, which ends a 16-byte block, then the hash. */
static ota_err_t read_footer(verifier_t *v, outcome_t *out)
{
    uint32_t checksum_offset = v->pos | 15u;
    v->past_partition = OTA_ERR_IMG_TOO_LONG;
    ota_err_t err = stream(v, checksum_offset - v->pos, false);
    if (!err) {
        err = take(v, &out->checksum_stored, 1);
    }
    if (err) {
        return err;
    }
    out->checksum_offset = checksum_offset;
    out->checksum_calc = v->checksum;
    out->image_len = v->pos;
    if (out->header.hash_appended) {
        err = peek(v, v->pos, out->hash_stored, OTA_SHA256_LEN);
        out->image_len += OTA_SHA256_LEN;
    }
    return err;
}

/* Everything but the final comparisons; fills out as far as it gets. */
static ota_err_t read_layout(verifier_t *v, const ota_image_verify_opts_t *opts, outcome_t *out)
{
    ota_err_t err = read_header(v, &out->header);
    if (err) {
        return err;
    }
    if (opts->device) {
        err = ota_image_check_device(opts->kind, &out->header, NULL, opts->device);
        if (err) {
            return err;
        }
    }
    const ota_chip_t *chip = ota_chip_by_id(out->header.chip_id);
    if (!chip && opts->kind != OTA_IMAGE_FORMAT) {
        return OTA_ERR_IMG_CHIP_UNKNOWN;
    }
    if (out->header.segment_count > OTA_IMAGE_MAX_SEGMENTS) {
        return OTA_ERR_IMG_SEG_COUNT;
    }
    out->mmu_page_size = OTA_IMAGE_MMU_PAGE_DEFAULT;
    err = read_segments(v, opts->kind, chip, out);
    if (!err) {
        err = read_footer(v, out);
    }
    out->complete = err == OTA_OK;
    return err;
}

/* Everything learnt, into the caller's info (segments and hashes are there already). */
static void report(const outcome_t *out, ota_image_info_t *info)
{
    info->header = out->header;
    info->segments_read = out->segments_read;
    info->mmu_page_size = out->mmu_page_size;
    info->complete = out->complete;
    info->checksum_offset = out->checksum_offset;
    info->checksum_stored = out->checksum_stored;
    info->checksum_calc = out->checksum_calc;
    info->image_len = out->image_len;
}

static bool opts_valid(const ota_image_verify_opts_t *opts, uint32_t part_size)
{
    if (opts->kind != OTA_IMAGE_APP && opts->kind != OTA_IMAGE_BOOTLOADER && opts->kind != OTA_IMAGE_FORMAT) {
        return false;
    }
    if (opts->device && opts->kind == OTA_IMAGE_FORMAT) {
        return false;
    }
    return !opts->data_len_known || opts->data_len <= part_size;
}

ota_err_t ota_image_verify(const ota_flash_t *flash, uint32_t part_offset, uint32_t part_size,
                           const ota_image_verify_opts_t *opts, const ota_hash_t *sha256,
                           uint8_t *buf, size_t buf_len, ota_image_info_t *info)
{
    if (info) {
        memset(info, 0, sizeof *info);
    }
    if (!flash || !opts || !sha256 || !buf || buf_len < OTA_IMAGE_BUF_MIN || !opts_valid(opts, part_size)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ota_flash_in_range(flash, part_offset, part_size)) {
        return OTA_ERR_FLASH_RANGE;
    }
    verifier_t v = {
        .flash = flash, .base = part_offset,
        .avail = opts->data_len_known ? opts->data_len : part_size, .data_len_known = opts->data_len_known,
        .past_partition = OTA_ERR_IMG_TOO_LONG, /* the header */
        .sha = sha256, .buf = buf, .buf_len = buf_len, .pos = 0, .checksum = OTA_IMAGE_CHECKSUM_SEED,
    };
    ota_err_t err = sha256->start(sha256->ctx);
    if (err) {
        return err;
    }
    uint8_t hashes[2][OTA_SHA256_LEN]; /* calculated, stored: when there is no info */
    outcome_t out = {
        .segments = info ? info->segments : NULL,
        .hash_calc = info ? info->hash_calc : hashes[0],
        .hash_stored = info ? info->hash_stored : hashes[1],
    };
    err = read_layout(&v, opts, &out);
    /* Always finish, so a hardware hash engine is released on every path. */
    ota_err_t hash_err = sha256->finish(sha256->ctx, out.hash_calc);
    if (info) {
        report(&out, info);
    }
    if (err || hash_err) {
        return err ? err : hash_err;
    }
    if (out.checksum_stored != out.checksum_calc) {
        return OTA_ERR_IMG_CHECKSUM;
    }
    if (out.header.hash_appended && opts->kind != OTA_IMAGE_BOOTLOADER &&
        memcmp(out.hash_stored, out.hash_calc, OTA_SHA256_LEN) != 0) {
        return OTA_ERR_IMG_HASH;
    }
    return OTA_OK;
}

/* The descriptor part of ota_image_check_head(), after the segment 0 header. */
static ota_err_t head_desc(const uint8_t *desc, uint32_t seg0_len, ota_image_kind_t kind,
                           ota_app_desc_t *app_desc, ota_boot_desc_t *boot_desc)
{
    if (kind == OTA_IMAGE_APP) {
        if (seg0_len < OTA_APP_DESC_LEN) {
            return OTA_ERR_IMG_SEG0_SHORT;
        }
        return ota_app_desc_parse(desc, OTA_APP_DESC_LEN, app_desc);
    }
    if (seg0_len >= OTA_BOOT_DESC_LEN) {
        (void)ota_boot_desc_parse(desc, OTA_BOOT_DESC_LEN, boot_desc); /* optional: zeroed if absent */
    }
    return OTA_OK;
}

ota_err_t ota_image_check_head(const uint8_t *buf, size_t len, ota_image_kind_t kind,
                               const ota_image_device_t *device, ota_image_header_t *hdr,
                               ota_app_desc_t *app_desc, ota_boot_desc_t *boot_desc)
{
    ota_image_header_t h;
    ota_app_desc_t a;
    ota_boot_desc_t b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (!buf || (kind != OTA_IMAGE_APP && kind != OTA_IMAGE_BOOTLOADER)) {
        return OTA_ERR_INVALID_ARG;
    }
    size_t need = kind == OTA_IMAGE_APP ? OTA_IMAGE_HEAD_LEN : OTA_IMAGE_BOOT_HEAD_LEN;
    ota_err_t err = ota_image_header_parse(buf, len, &h);
    if (!err && len < need) {
        err = OTA_ERR_IMG_TRUNCATED;
    }
    if (!err && h.segment_count > OTA_IMAGE_MAX_SEGMENTS) {
        err = OTA_ERR_IMG_SEG_COUNT;
    }
    if (!err && h.segment_count == 0) {
        err = kind == OTA_IMAGE_APP ? OTA_ERR_IMG_NO_DESC : OTA_OK;
    }
    uint32_t seg0_len = err ? 0 : le32_get(buf + OTA_IMAGE_HEADER_LEN + 4);
    if (!err && h.segment_count > 0 && (seg0_len % 4u != 0 || seg0_len >= OTA_IMAGE_SEG_LEN_LIMIT)) {
        err = OTA_ERR_IMG_SEG_LEN;
    }
    if (!err && h.segment_count > 0) {
        err = head_desc(buf + OTA_APP_DESC_OFFSET, seg0_len, kind, &a, &b);
    }
    if (!err && device) {
        err = ota_image_check_device(kind, &h, kind == OTA_IMAGE_APP ? &a : NULL, device);
    }
    if (hdr) {
        *hdr = h;
    }
    if (app_desc) {
        *app_desc = a;
    }
    if (boot_desc) {
        *boot_desc = b;
    }
    return err;
}
