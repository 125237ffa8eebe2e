/* Secure Boot v2 signature sectors (include/ota/sigv2.h, spec §4.8). */
#include "ota/sigv2.h"

#include <stdbool.h>
#include <string.h>

#include "bytes_le.h"
#include "ota/otadata.h"

#define HDR_LEN 4u       /* magic, version, hash layout, reserved */
#define CRC_OFFSET 1196u /* the CRC covers bytes [0, 1196) */

/* Indexed by ota_sig_scheme_t: {version, hash layout, curve id, digest, key, sig, width}. */
static const struct {
    ota_sigv2_layout_t layout;
    const char *name;
} k_schemes[] = {
    [OTA_SIG_RSA3072_PSS] = {{2, 0, 0, 32, 776, 384, 384}, "RSA-3072-PSS"},
    [OTA_SIG_ECDSA_P192] = {{3, 0, 1, 32, 65, 64, 24}, "ECDSA-P-192"},
    [OTA_SIG_ECDSA_P256] = {{3, 0, 2, 32, 65, 64, 32}, "ECDSA-P-256"},
    [OTA_SIG_ECDSA_P384] = {{3, 1, 3, 48, 97, 96, 48}, "ECDSA-P-384"},
};

/* Why a block does not count, in the order the checks run: a later reason got further. */
static const ota_err_t k_outcomes[] = {
    OTA_ERR_IMG_SIG_NONE,    OTA_ERR_IMG_SIG_CRC,    OTA_ERR_IMG_SIG_SCHEME, OTA_ERR_IMG_SIG_KEY,
    OTA_ERR_IMG_SIG_REVOKED, OTA_ERR_IMG_SIG_DIGEST, OTA_ERR_IMG_SIG_INVALID,
};

static bool is_scheme(ota_sig_scheme_t s)
{
    return s >= OTA_SIG_RSA3072_PSS && s <= OTA_SIG_ECDSA_P384;
}

/*
 * The block CRC is the ordinary zlib CRC-32, what the ROM's
 * esp_rom_crc32_le(0, ...) computes: ota_crc32_le with 0. It only tells a
 * written block from junk; the key digest and the signature carry the trust.
 */
static uint32_t block_crc(const uint8_t *block)
{
    return ota_crc32_le(0, block, CRC_OFFSET);
}

const char *ota_sig_scheme_name(ota_sig_scheme_t scheme)
{
    return is_scheme(scheme) ? k_schemes[scheme].name : "unknown";
}

ota_err_t ota_sigv2_layout(ota_sig_scheme_t scheme, ota_sigv2_layout_t *out)
{
    if (!out || !is_scheme(scheme)) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = k_schemes[scheme].layout;
    return OTA_OK;
}

/* The scheme named by the version byte, the hash layout byte and the curve id. */
static ota_err_t block_scheme(const uint8_t *b, ota_sig_scheme_t *out)
{
    for (ota_sig_scheme_t s = OTA_SIG_RSA3072_PSS; s <= OTA_SIG_ECDSA_P384; s++) {
        const ota_sigv2_layout_t *l = &k_schemes[s].layout;
        if (b[1] != l->version) {
            continue;
        }
        /* RSA blocks have one layout; the ROM does not look at byte 2 */
        if (l->version == OTA_SIGV2_VERSION_RSA ||
            (b[2] == l->hash_layout && b[HDR_LEN + l->digest_len] == l->curve_id)) {
            *out = s;
            return OTA_OK;
        }
    }
    return OTA_ERR_IMG_SIG_SCHEME;
}

ota_err_t ota_sigv2_block_parse(const uint8_t *block, ota_sigv2_block_t *out)
{
    if (!block || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    if (block[0] != OTA_SIGV2_MAGIC) {
        return OTA_ERR_IMG_SIG_NONE;
    }
    if (block_crc(block) != le32_get(block + CRC_OFFSET)) {
        return OTA_ERR_IMG_SIG_CRC;
    }
    ota_sig_scheme_t scheme;
    ota_err_t err = block_scheme(block, &scheme);
    if (err) {
        return err;
    }
    out->scheme = scheme;
    out->layout = k_schemes[scheme].layout;
    out->digest = block + HDR_LEN;
    out->key = out->digest + out->layout.digest_len;
    out->sig = out->key + out->layout.key_len;
    return OTA_OK;
}

ota_err_t ota_sigv2_block_build(uint8_t *block, ota_sig_scheme_t scheme, const uint8_t *digest,
                                const uint8_t *key, const uint8_t *sig)
{
    if (!block || !digest || !key || !sig || !is_scheme(scheme)) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_sigv2_layout_t *l = &k_schemes[scheme].layout;
    /* ECDSA key material starts with the curve id: a mismatch would make another scheme */
    if (l->version == OTA_SIGV2_VERSION_ECDSA && key[0] != l->curve_id) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(block, 0, OTA_SIGV2_BLOCK_SIZE);
    block[0] = OTA_SIGV2_MAGIC;
    block[1] = l->version;
    block[2] = l->hash_layout;
    uint8_t *p = block + HDR_LEN;
    memcpy(p, digest, l->digest_len);
    memcpy(p + l->digest_len, key, l->key_len);
    memcpy(p + l->digest_len + l->key_len, sig, l->sig_len);
    le32_put(block + CRC_OFFSET, block_crc(block));
    return OTA_OK;
}

/* One verification: its inputs and the image digests computed so far (each at most once). */
struct walk {
    const ota_sigv2_cfg_t *cfg;
    uint32_t image_addr;    /* partition start */
    uint32_t sector_offset; /* = bytes covered by the digest */
    bool have[2];           /* [0] SHA-256, [1] SHA-384 */
    uint8_t digest[2][OTA_SIGV2_MAX_DIGEST_LEN];
};

static bool cfg_ok(const ota_sigv2_cfg_t *c)
{
    return c && c->flash && c->sha256 && c->sha256->digest_len == OTA_SHA256_LEN &&
           (!c->sha384 || c->sha384->digest_len == OTA_SHA384_LEN) && c->engine &&
           c->engine->verify && c->key_digests && c->key_count >= 1 &&
           c->key_count <= OTA_SIGV2_MAX_TRUSTED && c->buf && c->buf_len >= OTA_SIGV2_BUF_MIN;
}

/* finish runs even after a failed update, to release an engine that start reserved. */
static ota_err_t hash_mem(const ota_hash_t *h, const uint8_t *data, size_t len, uint8_t *out)
{
    ota_err_t err = h->start(h->ctx);
    if (err) {
        return err;
    }
    err = h->update(h->ctx, data, len);
    ota_err_t fin = h->finish(h->ctx, out);
    return err ? err : fin;
}

/* Hash flash [addr, addr + len) through chunk; finish runs after a failed read too. */
static ota_err_t hash_flash(const ota_flash_t *flash, uint32_t addr, uint32_t len,
                            const ota_hash_t *h, uint8_t *chunk, size_t chunk_len, uint8_t *out)
{
    ota_err_t err = h->start(h->ctx);
    if (err) {
        return err;
    }
    while (!err && len > 0) {
        uint32_t n = len < chunk_len ? len : (uint32_t)chunk_len;
        err = ota_flash_read(flash, addr, chunk, n);
        if (!err) {
            err = h->update(h->ctx, chunk, n);
        }
        addr += n;
        len -= n;
    }
    ota_err_t fin = h->finish(h->ctx, out);
    return err ? err : fin;
}

/* The image digest of the given length, hashed through the buffer after the block. */
static ota_err_t image_digest(struct walk *w, size_t digest_len, const uint8_t **out)
{
    const ota_sigv2_cfg_t *cfg = w->cfg;
    int i = digest_len == OTA_SHA384_LEN;
    if (!w->have[i]) {
        ota_err_t err = hash_flash(cfg->flash, w->image_addr, w->sector_offset,
                                   i ? cfg->sha384 : cfg->sha256, cfg->buf + OTA_SIGV2_BLOCK_SIZE,
                                   cfg->buf_len - OTA_SIGV2_BLOCK_SIZE, w->digest[i]);
        if (err) {
            return err;
        }
        w->have[i] = true;
    }
    *out = w->digest[i];
    return OTA_OK;
}

/* Is the block's key one the device trusts? A digest may sit in several slots. */
static ota_err_t match_key(const ota_sigv2_cfg_t *cfg, const ota_sigv2_block_t *blk,
                           size_t *index)
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_err_t err = hash_mem(cfg->sha256, blk->key, blk->layout.key_len, digest);
    if (err) {
        return err;
    }
    ota_err_t verdict = OTA_ERR_IMG_SIG_KEY;
    for (size_t i = 0; i < cfg->key_count; i++) {
        if (memcmp(digest, cfg->key_digests[i], OTA_SHA256_LEN) != 0) {
            continue;
        }
        if (!((cfg->revoked >> i) & 1u)) {
            *index = i;
            return OTA_OK;
        }
        verdict = OTA_ERR_IMG_SIG_REVOKED;
    }
    return verdict;
}

static bool scheme_allowed(const ota_sigv2_cfg_t *cfg, ota_sig_scheme_t s)
{
    if (cfg->schemes && !(cfg->schemes & OTA_SIG_SCHEME_BIT(s))) {
        return false;
    }
    return s != OTA_SIG_ECDSA_P384 || cfg->sha384;
}

/* The engine's view of a parsed block: key and signature fields split into numbers. */
static ota_sig_check_t make_check(const ota_sigv2_block_t *blk, const uint8_t *digest)
{
    size_t w = blk->layout.width;
    ota_sig_check_t c = {
        .scheme = blk->scheme,
        .digest = digest,
        .digest_len = blk->layout.digest_len,
        .width = w,
    };
    if (blk->scheme == OTA_SIG_RSA3072_PSS) {
        /* n[384] | e u32 | rinv[384] | mdash u32 */
        c.rsa_n = blk->key;
        c.rsa_e = le32_get(blk->key + w);
        c.rsa_rinv = blk->key + w + 4;
        c.rsa_mdash = le32_get(blk->key + 2 * w + 4);
        c.rsa_sig = blk->sig;
    } else {
        /* curve id | X | Y (| zero tail for P-192); r | s likewise */
        c.ec_x = blk->key + 1;
        c.ec_y = c.ec_x + w;
        c.ec_r = blk->sig;
        c.ec_s = blk->sig + w;
    }
    return c;
}

/* OTA_OK when the block in cfg->buf counts; else its reason or a hard error. */
static ota_err_t check_block(struct walk *w, ota_sigv2_result_t *res)
{
    const ota_sigv2_cfg_t *cfg = w->cfg;
    ota_sigv2_block_t blk;
    ota_err_t err = ota_sigv2_block_parse(cfg->buf, &blk);
    if (err) {
        return err;
    }
    if (!scheme_allowed(cfg, blk.scheme)) {
        return OTA_ERR_IMG_SIG_SCHEME;
    }
    size_t key_index;
    err = match_key(cfg, &blk, &key_index);
    if (err) {
        return err;
    }
    const uint8_t *digest;
    err = image_digest(w, blk.layout.digest_len, &digest);
    if (err) {
        return err;
    }
    if (memcmp(digest, blk.digest, blk.layout.digest_len) != 0) {
        return OTA_ERR_IMG_SIG_DIGEST;
    }
    ota_sig_check_t check = make_check(&blk, digest);
    err = cfg->engine->verify(cfg->engine->ctx, &check);
    if (!err) {
        res->scheme = blk.scheme;
        res->key_index = key_index;
    }
    return err;
}

/* Position of a block outcome in k_outcomes, or -1 for a hard error. */
static int outcome_rank(ota_err_t err)
{
    for (size_t i = 0; i < sizeof k_outcomes / sizeof k_outcomes[0]; i++) {
        if (k_outcomes[i] == err) {
            return (int)i;
        }
    }
    return -1;
}

ota_err_t ota_sigv2_verify(const ota_sigv2_cfg_t *cfg, uint32_t part_offset, uint32_t part_size,
                           uint32_t image_len, ota_sigv2_result_t *res)
{
    if (!cfg_ok(cfg) || !res || image_len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    uint64_t sector = ((uint64_t)image_len + OTA_SIGV2_SECTOR_SIZE - 1) &
                      ~(uint64_t)(OTA_SIGV2_SECTOR_SIZE - 1);
    *res = (ota_sigv2_result_t){.block = -1};
    /* the second test keeps every address below 4 GiB, so uint32_t sums cannot wrap */
    if (sector + OTA_SIGV2_SECTOR_SIZE > part_size ||
        (uint64_t)part_offset + part_size > (uint64_t)UINT32_MAX + 1) {
        return OTA_ERR_IMG_SIG_RANGE;
    }
    res->sector_offset = (uint32_t)sector;
    struct walk w = {.cfg = cfg, .image_addr = part_offset, .sector_offset = (uint32_t)sector};
    ota_err_t verdict = OTA_ERR_IMG_SIG_NONE;
    int furthest = -1;
    for (unsigned i = 0; i < OTA_SIGV2_MAX_BLOCKS; i++) {
        uint32_t addr = part_offset + (uint32_t)sector + i * OTA_SIGV2_BLOCK_SIZE;
        ota_err_t err = ota_flash_read(cfg->flash, addr, cfg->buf, OTA_SIGV2_BLOCK_SIZE);
        if (!err) {
            err = check_block(&w, res);
        }
        int rank = outcome_rank(err);
        if (err && rank < 0) {
            return err;
        }
        res->block_err[i] = err;
        res->checked = i + 1;
        if (!err) {
            res->block = (int)i;
            return OTA_OK;
        }
        if (rank > furthest) {
            furthest = rank;
            verdict = err;
        }
    }
    return verdict;
}
