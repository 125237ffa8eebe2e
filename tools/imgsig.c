/* Secure Boot v2 signatures of image files (tools/imgsig.h). */
#include "imgsig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ota_port/hash_mbedtls.h"

#define SECTOR OTA_SIGV2_SECTOR_SIZE
#define HASH_CHUNK 16384u

static uint32_t align_up(uint32_t v)
{
    return (v + SECTOR - 1u) / SECTOR * SECTOR;
}

int imgsig_load_key(const char *path, ota_port_sigkey_t *key)
{
    switch (ota_port_sigkey_load(key, path)) {
    case OTA_OK:
        return 0;
    case OTA_ERR_IO:
        return cli_error("cannot read key '%s': %s", path, strerror(errno));
    case OTA_ERR_IMG_SIG_SCHEME:
        return cli_error("'%s': unsupported key: Secure Boot v2 needs RSA-3072 or ECDSA "
                         "P-192, P-256 or P-384", path);
    default:
        return cli_error("'%s' is not a PEM public or private key (encrypted keys are not "
                         "supported)", path);
    }
}

int imgsig_trust_add(imgsig_trust_t *trust, const char *path)
{
    if (trust->n == OTA_SIGV2_MAX_TRUSTED) {
        return cli_error("at most %u public keys", OTA_SIGV2_MAX_TRUSTED);
    }
    ota_port_sigkey_t key;
    if (imgsig_load_key(path, &key)) {
        return CLI_EXIT_USAGE;
    }
    ota_port_sigkey_digest(&key, trust->digests[trust->n]);
    ota_port_sigkey_free(&key);
    trust->paths[trust->n++] = path;
    return 0;
}

/* The core verifier on the file in f, which is the whole partition. */
static ota_err_t verify_sector(const imgfile_t *f, uint32_t image_len,
                               const uint8_t (*digests)[OTA_SHA256_LEN], size_t n,
                               ota_sigv2_result_t *res)
{
    uint8_t buf[OTA_SIGV2_BLOCK_SIZE + HASH_CHUNK];
    mbedtls_sha256_context c256;
    mbedtls_sha512_context c384;
    ota_hash_t sha256, sha384;
    ota_sig_engine_t engine;
    ota_port_sha256_init(&sha256, &c256);
    ota_port_sha384_init(&sha384, &c384);
    ota_port_sig_engine_init(&engine);
    ota_sigv2_cfg_t cfg = {
        .flash = &f->sim.flash,
        .sha256 = &sha256,
        .sha384 = &sha384,
        .engine = &engine,
        .key_digests = digests,
        .key_count = n,
        .buf = buf,
        .buf_len = sizeof buf,
    };
    return ota_sigv2_verify(&cfg, IMGFILE_PART_OFFSET, f->len, image_len, res);
}

/* "block 0: OTA_ERR_IMG_SIG_KEY, block 1: ..." for the blocks examined. */
static void describe_blocks(const ota_sigv2_result_t *res, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < res->checked && used < size; i++) {
        int n = snprintf(out + used, size - used, "%sblock %u: %s", i ? ", " : "", i,
                         ota_err_name(res->block_err[i]));
        used += n > 0 ? (size_t)n : 0;
    }
}

int imgsig_check(const char *name, const imgfile_t *f, uint32_t image_len,
                 const imgsig_trust_t *trust)
{
    ota_sigv2_result_t res;
    ota_err_t err = verify_sector(f, image_len, (const uint8_t(*)[OTA_SHA256_LEN])trust->digests,
                                  trust->n, &res);
    if (err == OTA_OK) {
        printf("%s: signature valid: block %d, %s, key %s\n", name, res.block,
               ota_sig_scheme_name(res.scheme), trust->paths[res.key_index]);
        return 0;
    }
    char blocks[256];
    describe_blocks(&res, blocks, sizeof blocks);
    cli_error("'%s': signature not valid: %s (sector at 0x%x%s%s)", name, ota_strerror(err),
              (unsigned)align_up(image_len), *blocks ? ": " : "", blocks);
    return res.checked || err == OTA_ERR_IMG_SIG_RANGE ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
}

/* ---- signing ------------------------------------------------------------ */

/* An output image being built: data [0, sector), then the signature sector. */
struct signed_image {
    uint8_t *buf;
    uint32_t len;     /* sector + 4096 */
    uint32_t sector;  /* offset of the signature sector = bytes signed */
    unsigned blocks;  /* blocks in the sector */
    unsigned old;     /* of which were there before */
    ota_sig_scheme_t scheme[OTA_SIGV2_MAX_BLOCKS]; /* of the new blocks */
};

static uint8_t *slot(const struct signed_image *s, unsigned i)
{
    return s->buf + s->sector + i * OTA_SIGV2_BLOCK_SIZE;
}

static bool erased(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0xFF) {
            return false;
        }
    }
    return true;
}

/* The image digest a scheme signs. */
static void image_digest(const struct signed_image *s, const ota_sigv2_layout_t *l,
                         uint8_t *digest)
{
    if (l->digest_len == OTA_SHA384_LEN) {
        ota_port_sha384(s->buf, s->sector, digest);
    } else {
        ota_port_sha256(s->buf, s->sector, digest);
    }
}

/*
 * Count the blocks of an already signed image: valid blocks first, the rest
 * of the slots erased. Anything else is refused rather than dropped; so is a
 * block that signs other bytes than the image holds.
 */
static int count_blocks(const char *name, struct signed_image *s)
{
    for (unsigned i = 0; i < OTA_SIGV2_MAX_BLOCKS; i++) {
        ota_sigv2_block_t blk;
        ota_err_t err = ota_sigv2_block_parse(slot(s, i), &blk);
        if (err == OTA_OK && s->blocks == i) {
            uint8_t digest[OTA_SIGV2_MAX_DIGEST_LEN];
            image_digest(s, &blk.layout, digest);
            if (memcmp(digest, blk.digest, blk.layout.digest_len) != 0) {
                return cli_error("'%s': signature block %u signs other data than the image "
                                 "holds; refusing to add to it", name, i);
            }
            s->blocks++;
        } else if (!erased(slot(s, i), OTA_SIGV2_BLOCK_SIZE)) {
            return cli_error("'%s': signature block %u is damaged or out of place (%s); "
                             "refusing to add to the sector", name, i, ota_strerror(err));
        }
    }
    return 0;
}

/*
 * The output layout: the file's bytes, 0xFF up to the signature sector at
 * ALIGN_UP(image_len, 4096), then that sector: erased, or the file's own when
 * the file ends with it. Any other length is refused.
 */
static int prepare(const char *name, const imgfile_t *f, uint32_t image_len, struct signed_image *s)
{
    s->sector = align_up(image_len);
    s->len = s->sector + SECTOR;
    if (f->len > s->sector && f->len != s->len) {
        return cli_error("'%s': %u bytes long, but its image of %u bytes may only be followed by "
                         "padding to 0x%x and one 4096-byte signature sector", name,
                         (unsigned)f->len, (unsigned)image_len, (unsigned)s->sector);
    }
    s->buf = malloc(s->len);
    if (!s->buf) {
        return cli_error("out of memory");
    }
    memset(s->buf, 0xFF, s->len);
    ota_err_t err = ota_flash_read(&f->sim.flash, IMGFILE_PART_OFFSET, s->buf, f->len);
    if (err) {
        return cli_error("'%s': %s", name, ota_strerror(err));
    }
    int rc = f->len == s->len ? count_blocks(name, s) : 0;
    s->old = s->blocks;
    return rc;
}

/* What was written, unless the image itself went to standard output. */
static void report(const char *out, const struct signed_image *s, const char *const *keys)
{
    if (!strcmp(out, "-")) {
        return;
    }
    printf("%s: signature sector at 0x%x, %u block(s)\n", out, (unsigned)s->sector, s->blocks);
    for (unsigned i = s->old; i < s->blocks; i++) {
        printf("  block %u: %s, key %s\n", i, ota_sig_scheme_name(s->scheme[i]), keys[i - s->old]);
    }
}

/* Sign the data with a private key into the next slot. */
static int sign_block(struct signed_image *s, const ota_port_sigkey_t *key, const char *path)
{
    ota_sigv2_layout_t l;
    uint8_t digest[OTA_SIGV2_MAX_DIGEST_LEN], sig[OTA_SIGV2_MAX_SIG_LEN];
    ota_err_t err = ota_sigv2_layout(key->scheme, &l);
    if (!err) {
        image_digest(s, &l, digest);
        err = ota_port_sigkey_sign(key, digest, l.digest_len, sig);
    }
    if (!err) {
        err = ota_sigv2_block_build(slot(s, s->blocks), key->scheme, digest, key->material, sig);
    }
    return err ? cli_error("signing with '%s' failed: %s", path, ota_strerror(err)) : 0;
}

/* The core verifier on the output so far, trusting one key digest. */
static ota_err_t verify_output(const struct signed_image *s,
                               const uint8_t (*key_digest)[OTA_SHA256_LEN])
{
    imgfile_t out;
    ota_err_t err = imgfile_open(&out, s->buf, s->len);
    if (err) {
        return err;
    }
    ota_sigv2_result_t res;
    err = verify_sector(&out, s->sector, key_digest, 1, &res);
    imgfile_close(&out);
    return err;
}

/*
 * Add one block, then check it with the core verifier: never hand out a
 * signature the device would reject.
 */
static int add_block(struct signed_image *s, const char *path)
{
    ota_port_sigkey_t key;
    if (imgsig_load_key(path, &key)) {
        return CLI_EXIT_USAGE;
    }
    int rc = key.has_private
                 ? sign_block(s, &key, path)
                 : cli_error("'%s' is a public key; signing needs the private key", path);
    uint8_t digest[1][OTA_SHA256_LEN];
    ota_port_sigkey_digest(&key, digest[0]);
    ota_sig_scheme_t scheme = key.scheme;
    ota_port_sigkey_free(&key);
    if (rc) {
        return rc;
    }
    ota_err_t err = verify_output(s, (const uint8_t(*)[OTA_SHA256_LEN])digest);
    if (err) {
        return cli_error("the new signature by '%s' does not verify: %s", path,
                         ota_strerror(err));
    }
    s->scheme[s->blocks++] = scheme;
    return 0;
}

/* The signed image in s->buf (the caller frees it, also on error). */
static int sign_image(const char *name, const imgfile_t *f, uint32_t image_len,
                      const char *const *keys, size_t n, struct signed_image *s)
{
    int rc = prepare(name, f, image_len, s);
    if (!rc && s->blocks + n > OTA_SIGV2_MAX_BLOCKS) {
        rc = cli_error("'%s': the signature sector already holds %u block(s); %zu more would "
                       "exceed 3", name, s->blocks, n);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        rc = add_block(s, keys[i]);
    }
    return rc;
}

int imgsig_sign(const char *name, const imgfile_t *f, uint32_t image_len, const char *const *keys,
                size_t n, const char *out)
{
    struct signed_image s = {0};
    int rc = sign_image(name, f, image_len, keys, n, &s);
    if (!rc) {
        rc = cli_write_file(out, s.buf, s.len);
    }
    if (!rc) {
        report(out, &s, keys);
    }
    free(s.buf);
    return rc;
}

int imgsig_sign_mem(const char *name, const imgfile_t *f, uint32_t image_len,
                    const char *const *keys, size_t n, uint8_t **out, size_t *out_len)
{
    struct signed_image s = {0};
    int rc = sign_image(name, f, image_len, keys, n, &s);
    if (rc) {
        free(s.buf);
        return rc;
    }
    *out = s.buf;
    *out_len = s.len;
    return 0;
}
