/* Builds ESP app images on the host (see imgpack.h). */
#include "imgpack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota_port/hash_mbedtls.h"

#define WP_PIN_DISABLED 0xEEu
#define ESP32_SEG_END_MIN 0x24u /* esptool's ESP32 bootloader-mapping workaround */

/* One segment to write; `data` advances when a RAM segment is cut for padding. */
typedef struct piece {
    uint32_t addr;
    uint8_t *owned;
    uint8_t *data;
    uint32_t len;
    size_t order; /* input order, to keep sorting deterministic */
} piece_t;

typedef struct packer {
    uint8_t *out;
    size_t len, cap;
    bool oom;
    unsigned count;
    uint8_t checksum;
} packer_t;

static void put(packer_t *pk, const void *data, size_t n)
{
    if (pk->oom || n == 0) {
        return;
    }
    if (pk->len + n > pk->cap) {
        size_t cap = pk->cap ? pk->cap : 4096;
        while (cap < pk->len + n) {
            cap *= 2;
        }
        uint8_t *p = realloc(pk->out, cap);
        if (!p) {
            pk->oom = true;
            return;
        }
        pk->out = p;
        pk->cap = cap;
    }
    if (data) {
        memcpy(pk->out + pk->len, data, n);
    } else {
        memset(pk->out + pk->len, 0, n);
    }
    pk->len += n;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* Append one segment: header, len bytes of data (NULL = zeros), zero_tail zeros. */
static ota_err_t emit(packer_t *pk, uint32_t addr, const uint8_t *data, uint32_t len, uint32_t zero_tail)
{
    uint8_t hdr[OTA_IMAGE_SEG_HEADER_LEN];
    if (++pk->count > OTA_IMAGE_MAX_SEGMENTS) {
        return OTA_ERR_IMG_SEG_COUNT;
    }
    put32(hdr, addr);
    put32(hdr + 4, len + zero_tail);
    put(pk, hdr, sizeof hdr);
    put(pk, data, len);
    put(pk, NULL, zero_tail);
    for (uint32_t i = 0; data && i < len; i++) {
        pk->checksum ^= data[i];
    }
    return pk->oom ? OTA_ERR_IO : OTA_OK;
}

static void header(packer_t *pk, const imgpack_opts_t *o, const ota_chip_t *chip)
{
    uint8_t h[OTA_IMAGE_HEADER_LEN] = {0};
    h[0] = OTA_IMAGE_MAGIC;
    h[2] = o->spi_mode;
    h[3] = (uint8_t)((o->spi_speed & 0x0Fu) | (o->spi_size << 4));
    put32(h + 4, o->entry_addr ? o->entry_addr : (uint32_t)chip->map_64k[0][0] << 16);
    h[8] = WP_PIN_DISABLED;
    put16(h + 12, o->chip_id);
    h[14] = (uint8_t)(o->min_chip_rev_full / 100u); /* legacy field: the major revision */
    put16(h + 15, o->min_chip_rev_full);
    put16(h + 17, o->max_chip_rev_full);
    h[23] = o->hash_appended ? 1u : 0u;
    put(pk, h, sizeof h);
}

/* Pseudo-random but fixed bytes, so payloads exercise the checksum and hash. */
static void fill_payload(uint8_t *p, uint32_t n)
{
    uint32_t x = 0x6C69626Fu;
    for (uint32_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static ota_err_t piece_init(piece_t *pc, uint32_t addr, const uint8_t *data, uint32_t len, size_t order)
{
    uint32_t padded = (len + 3u) & ~3u;
    if (len >= OTA_IMAGE_SEG_LEN_LIMIT) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t *p = calloc(1, padded ? padded : 1);
    if (!p) {
        return OTA_ERR_IO;
    }
    if (len) {
        memcpy(p, data, len);
    }
    *pc = (piece_t){addr, p, p, padded, order};
    return OTA_OK;
}

/* Segment 0: the descriptor followed by the payload. */
static ota_err_t desc_piece(piece_t *pc, const ota_chip_t *chip, const ota_app_desc_t *desc, uint32_t payload)
{
    uint32_t len = OTA_APP_DESC_LEN + ((payload + 3u) & ~3u);
    if (len >= OTA_IMAGE_SEG_LEN_LIMIT) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t *p = malloc(len);
    if (!p) {
        return OTA_ERR_IO;
    }
    ota_app_desc_serialize(desc, p);
    fill_payload(p + OTA_APP_DESC_LEN, len - OTA_APP_DESC_LEN);
    *pc = (piece_t){ota_chip_desc_addr(chip), p, p, len, 0};
    return OTA_OK;
}

static int piece_cmp(const void *a, const void *b)
{
    const piece_t *x = a, *y = b;
    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    return x->order < y->order ? -1 : (x->order > y->order);
}

static uint32_t page_size(const ota_chip_t *chip, const ota_app_desc_t *desc)
{
    return ota_chip_mmu_page(chip, desc ? desc->mmu_page_size_log2 : 0);
}

/* Data of a segment written now would start at pos + 8. */
static bool aligned_now(size_t pos, uint32_t addr, uint32_t page)
{
    return (pos + OTA_IMAGE_SEG_HEADER_LEN) % page == addr % page;
}

/* Data length of a padding segment after which a segment's data is aligned. */
static uint32_t pad_needed(size_t pos, uint32_t addr, uint32_t page)
{
    uint32_t here = (uint32_t)((pos + 2u * OTA_IMAGE_SEG_HEADER_LEN) % page);
    return (addr % page + page - here) % page;
}

/* esptool: an ESP32 mapped segment ending less than 0x24 bytes past a page
 * boundary is extended with zeros to end exactly 0x24 bytes past it. */
static uint32_t esp32_tail(const ota_chip_t *chip, size_t pos, uint32_t len, uint32_t page)
{
    if (chip->chip_id != OTA_CHIP_ESP32) {
        return 0;
    }
    uint32_t rem = (uint32_t)((pos + OTA_IMAGE_SEG_HEADER_LEN + len) % page);
    return rem < ESP32_SEG_END_MIN ? ESP32_SEG_END_MIN - rem : 0;
}

/* Write mapped segments on their page offsets, padding with cuts of RAM
 * segments (if more than a header's worth is needed) or zero segments. */
static ota_err_t place(packer_t *pk, const ota_chip_t *chip, uint32_t page, piece_t *flash, size_t nflash,
                       piece_t *ram, size_t nram)
{
    size_t fi = 0, ri = 0;
    ota_err_t err = OTA_OK;
    while (!err && fi < nflash) {
        piece_t *f = &flash[fi];
        if (aligned_now(pk->len, f->addr, page)) {
            err = emit(pk, f->addr, f->data, f->len, esp32_tail(chip, pk->len, f->len, page));
            fi++;
            continue;
        }
        uint32_t pad = pad_needed(pk->len, f->addr, page);
        if (ri < nram && pad > OTA_IMAGE_SEG_HEADER_LEN) {
            piece_t *r = &ram[ri];
            uint32_t n = pad < r->len ? pad : r->len;
            err = emit(pk, r->addr, r->data, n, 0);
            r->addr += n, r->data += n, r->len -= n;
            ri += r->len == 0;
        } else {
            err = emit(pk, 0, NULL, 0, pad);
        }
    }
    for (; !err && ri < nram; ri++) {
        err = emit(pk, ram[ri].addr, ram[ri].data, ram[ri].len, 0);
    }
    return err;
}

/* Padding, checksum, segment count, SHA-256. */
static void finish(packer_t *pk, bool hash_appended)
{
    put(pk, NULL, 15u - pk->len % 16u);
    put(pk, &pk->checksum, 1);
    if (pk->oom) {
        return;
    }
    pk->out[1] = (uint8_t)pk->count;
    if (hash_appended) {
        uint8_t digest[OTA_SHA256_LEN];
        ota_port_sha256(pk->out, pk->len, digest);
        put(pk, digest, sizeof digest);
    }
}

static ota_err_t split_segments(const imgpack_opts_t *o, const ota_chip_t *chip, piece_t *flash,
                                size_t *nflash, piece_t *ram, size_t *nram)
{
    for (size_t i = 0; i < o->segment_count; i++) {
        const imgpack_segment_t *s = &o->segments[i];
        bool mapped = ota_chip_addr_is_mapped(chip, s->load_addr);
        if (mapped && s->load_addr % 4u != 0) {
            return OTA_ERR_INVALID_ARG;
        }
        piece_t *pc = mapped ? &flash[(*nflash)++] : &ram[(*nram)++];
        ota_err_t err = piece_init(pc, s->load_addr, s->data, s->len, i + 1);
        if (err) {
            return err;
        }
    }
    return OTA_OK;
}

/* Mapped segments must start in distinct MMU pages (esptool refuses otherwise). */
static ota_err_t check_pages(const piece_t *flash, size_t nflash, uint32_t page)
{
    for (size_t i = 1; i < nflash; i++) {
        if (flash[i].addr / page == flash[i - 1].addr / page) {
            return OTA_ERR_IMG_MAP_ALIGN;
        }
    }
    return OTA_OK;
}

static ota_err_t build_once(const imgpack_opts_t *o, const ota_chip_t *chip, uint32_t payload,
                            packer_t *pk)
{
    size_t n = o->segment_count + 1;
    piece_t *flash = calloc(n, sizeof *flash), *ram = calloc(n, sizeof *ram);
    size_t nflash = 0, nram = 0;
    ota_err_t err = (flash && ram) ? OTA_OK : OTA_ERR_IO;
    if (!err && o->app_desc) {
        err = desc_piece(&flash[nflash++], chip, o->app_desc, payload);
    }
    if (!err) {
        err = split_segments(o, chip, flash, &nflash, ram, &nram);
    }
    uint32_t page = page_size(chip, o->app_desc);
    if (!err) {
        size_t first = o->app_desc ? 1 : 0; /* the descriptor stays first */
        qsort(flash + first, nflash - first, sizeof *flash, piece_cmp);
        qsort(ram, nram, sizeof *ram, piece_cmp);
        err = check_pages(flash, nflash, page);
    }
    if (!err) {
        *pk = (packer_t){.checksum = OTA_IMAGE_CHECKSUM_SEED};
        header(pk, o, chip);
        err = place(pk, chip, page, flash, nflash, ram, nram);
    }
    if (!err) {
        finish(pk, o->hash_appended);
        err = pk->oom ? OTA_ERR_IO : OTA_OK;
    }
    for (size_t i = 0; i < n && flash && ram; i++) {
        free(flash[i].owned);
        free(ram[i].owned);
    }
    free(flash);
    free(ram);
    return err;
}

ota_err_t imgpack_build(const imgpack_opts_t *o, uint8_t **out, size_t *out_len)
{
    const ota_chip_t *chip = o ? ota_chip_by_id(o->chip_id) : NULL;
    if (!chip || !out || !out_len || (!o->app_desc && (o->payload_len || o->target_size))) {
        return OTA_ERR_INVALID_ARG;
    }
    packer_t pk = {0};
    uint32_t payload = o->payload_len;
    ota_err_t err = build_once(o, chip, payload, &pk);
    if (!err && o->target_size > pk.len) {
        /* The payload sits in segment 0: growing it grows the image by as much. */
        payload += (uint32_t)(o->target_size - pk.len) & ~3u;
        free(pk.out);
        pk = (packer_t){0};
        err = build_once(o, chip, payload, &pk);
    }
    if (err) {
        free(pk.out);
        return err;
    }
    *out = pk.out;
    *out_len = pk.len;
    return OTA_OK;
}

void imgpack_defaults(imgpack_opts_t *o, uint16_t chip_id)
{
    *o = (imgpack_opts_t){0};
    o->chip_id = chip_id;
    o->max_chip_rev_full = 0xFFFFu;
    o->hash_appended = true;
}

void imgpack_app_desc(ota_app_desc_t *d, const char *project, const char *version, uint32_t secure_version)
{
    *d = (ota_app_desc_t){0};
    d->magic_word = OTA_APP_DESC_MAGIC;
    d->secure_version = secure_version;
    snprintf(d->project_name, sizeof d->project_name, "%s", project);
    snprintf(d->version, sizeof d->version, "%s", version);
    snprintf(d->idf_ver, sizeof d->idf_ver, "%s", "libota");
}
