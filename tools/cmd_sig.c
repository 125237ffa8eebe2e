/*
 * `ota sig sign|verify`: Secure Boot v2 signatures on image files
 * (tools/cmd_sig.h). Files are checked by the core verifier over a RAM flash
 * simulator holding the file, exactly as a device would check its partition.
 */
#include "cmd_sig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ota/sigv2.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/sig_mbedtls.h"
#include "ota_port/simflash.h"

#define SECTOR OTA_SIGV2_SECTOR_SIZE
#define MAX_PUBKEYS OTA_SIGV2_MAX_TRUSTED
#define HASH_CHUNK 16384u
/* largest file whose size rounds up to a sector within 32 bits */
#define MAX_FILE ((size_t)UINT32_MAX - SECTOR + 1)

static const char k_usage[] =
    "usage: ota sig sign --key KEY.pem [--key KEY.pem ...] IN -o OUT\n"
    "       ota sig verify FILE --pubkey PUB.pem [--pubkey PUB.pem ...] [--image-len N]\n"
    "\n"
    "Secure Boot v2 signatures (RSA-3072-PSS, ECDSA P-192/P-256/P-384).\n"
    "sign    pad IN with 0xFF to a multiple of 4 KiB and append a signature sector with\n"
    "        one block per key (private PEM); if IN is already signed, add the blocks\n"
    "        to its sector (3 at most). OUT is written atomically.\n"
    "verify  trust the public-key digests of the given keys (as eFuse does) and check\n"
    "        the sector that ends FILE, or the one at ALIGN_UP(N, 4096) with\n"
    "        --image-len N (FILE may then be a whole partition). Exit 0 valid,\n"
    "        1 not valid, 2 usage or I/O error.\n";

static size_t align_up(size_t v)
{
    return (v + SECTOR - 1) / SECTOR * SECTOR;
}

int sig_load_key(const char *path, ota_port_sigkey_t *key)
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

/* Public-key digests of PEM files. */
static int load_digests(const char *const *paths, size_t n, uint8_t (*digests)[OTA_SHA256_LEN])
{
    for (size_t i = 0; i < n; i++) {
        ota_port_sigkey_t key;
        if (sig_load_key(paths[i], &key)) {
            return CLI_EXIT_USAGE;
        }
        ota_port_sigkey_digest(&key, digests[i]);
        ota_port_sigkey_free(&key);
    }
    return 0;
}

/* The core verifier over data[0..len) placed at address 0 of a RAM flash. */
static ota_err_t verify_data(const uint8_t *data, size_t len, uint32_t image_len,
                             const uint8_t (*digests)[OTA_SHA256_LEN], size_t n,
                             ota_sigv2_result_t *res)
{
    ota_simflash_t sim;
    ota_simflash_geometry_t geo = {(uint32_t)(len ? align_up(len) : SECTOR), SECTOR, 1};
    ota_err_t err = ota_simflash_init_ram(&sim, &geo);
    if (err) {
        return err;
    }
    memcpy(sim.mem, data, len);
    uint8_t buf[OTA_SIGV2_BLOCK_SIZE + HASH_CHUNK];
    mbedtls_sha256_context c256;
    mbedtls_sha512_context c384;
    ota_hash_t sha256, sha384;
    ota_sig_engine_t engine;
    ota_port_sha256_init(&sha256, &c256);
    ota_port_sha384_init(&sha384, &c384);
    ota_port_sig_engine_init(&engine);
    ota_sigv2_cfg_t cfg = {
        .flash = &sim.flash,
        .sha256 = &sha256,
        .sha384 = &sha384,
        .engine = &engine,
        .key_digests = digests,
        .key_count = n,
        .buf = buf,
        .buf_len = sizeof buf,
    };
    err = ota_sigv2_verify(&cfg, 0, (uint32_t)len, image_len, res);
    ota_simflash_close(&sim);
    return err;
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

int sig_check_image(const char *name, const uint8_t *data, size_t len, uint32_t image_len,
                    const char *const *pubkeys, size_t n)
{
    uint8_t digests[MAX_PUBKEYS][OTA_SHA256_LEN];
    if (n == 0 || n > MAX_PUBKEYS) {
        return cli_error("give 1 to %u public keys", MAX_PUBKEYS);
    }
    if (len > MAX_FILE) {
        return cli_error("'%s' is too large", name);
    }
    int rc = load_digests(pubkeys, n, digests);
    if (rc) {
        return rc;
    }
    ota_sigv2_result_t res;
    ota_err_t err = verify_data(data, len, image_len, (const uint8_t(*)[OTA_SHA256_LEN])digests,
                                n, &res);
    if (err == OTA_OK) {
        printf("%s: signature valid: block %d, %s, key %s\n", name, res.block,
               ota_sig_scheme_name(res.scheme), pubkeys[res.key_index]);
        return 0;
    }
    char blocks[256];
    describe_blocks(&res, blocks, sizeof blocks);
    cli_error("%s: signature not valid: %s%s%s%s", name, ota_strerror(err), *blocks ? " (" : "",
              blocks, *blocks ? ")" : "");
    return res.checked || err == OTA_ERR_IMG_SIG_RANGE ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
}

int sig_cmd_verify(int argc, char **argv)
{
    const char *file = NULL, *pubkeys[MAX_PUBKEYS];
    size_t n = 0;
    uint32_t image_len = 0;
    bool have_len = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(k_usage, stdout);
            return 0;
        }
        if ((!strcmp(a, "--pubkey") || !strcmp(a, "--image-len")) && i + 1 == argc) {
            return cli_error("%s needs a value", a);
        }
        if (!strcmp(a, "--pubkey")) {
            if (n == MAX_PUBKEYS) {
                return cli_error("at most %u --pubkey", MAX_PUBKEYS);
            }
            pubkeys[n++] = argv[++i];
        } else if (!strcmp(a, "--image-len")) {
            have_len = cli_parse_u32(argv[++i], &image_len) && image_len > 0;
            if (!have_len) {
                return cli_error("invalid --image-len '%s'", argv[i]);
            }
        } else if (a[0] == '-' || file) {
            return cli_error("unexpected argument '%s' (try `ota sig --help`)", a);
        } else {
            file = a;
        }
    }
    if (!file || n == 0) {
        return cli_error("usage: ota sig verify FILE --pubkey PUB.pem [--pubkey ...] "
                         "[--image-len N]");
    }
    uint8_t *data;
    size_t len;
    int rc = cli_read_file(file, &data, &len);
    if (rc) {
        return rc;
    }
    if (!have_len && (len % SECTOR != 0 || len < 2 * SECTOR)) {
        free(data);
        cli_error("%s: signature not valid: length %zu is not a multiple of 4096 with an image "
                  "and a signature sector (give --image-len for a partition dump)", file, len);
        return CLI_EXIT_FAIL;
    }
    if (!have_len) {
        image_len = (uint32_t)(len - SECTOR); /* a sector offset is its own ALIGN_UP */
    }
    rc = sig_check_image(file, data, len, image_len, pubkeys, n);
    free(data);
    return rc;
}

/* ---- signing ------------------------------------------------------------ */

/* An output image being built: data [0, sector), then the signature sector. */
struct signed_image {
    uint8_t *buf;
    size_t len;       /* sector + 4096 */
    size_t sector;    /* offset of the signature sector = bytes signed */
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
                return cli_error("%s: signature block %u signs other data than the image "
                                 "holds; refusing to add to it", name, i);
            }
            s->blocks++;
        } else if (!erased(slot(s, i), OTA_SIGV2_BLOCK_SIZE)) {
            return cli_error("%s: signature block %u is damaged or out of place (%s); "
                             "refusing to add to the sector", name, i, ota_strerror(err));
        }
    }
    return 0;
}

/* True when the last sector of data holds at least one well-formed block. */
static bool is_signed(const uint8_t *data, size_t len)
{
    if (len % SECTOR != 0 || len < 2 * SECTOR) {
        return false;
    }
    for (unsigned i = 0; i < OTA_SIGV2_MAX_BLOCKS; i++) {
        ota_sigv2_block_t blk;
        if (ota_sigv2_block_parse(data + len - SECTOR + i * OTA_SIGV2_BLOCK_SIZE, &blk) == OTA_OK) {
            return true;
        }
    }
    return false;
}

/* The output layout for IN: its own sector if signed, else IN + 0xFF padding + an erased sector. */
static int prepare(const char *name, const uint8_t *data, size_t len, struct signed_image *s)
{
    if (len == 0 || len > MAX_FILE - SECTOR) {
        return cli_error("%s: %s", name, len ? "too large" : "empty file");
    }
    bool has_sector = is_signed(data, len);
    s->sector = has_sector ? len - SECTOR : align_up(len);
    s->len = s->sector + SECTOR;
    s->blocks = 0;
    s->buf = malloc(s->len);
    if (!s->buf) {
        return cli_error("out of memory");
    }
    memset(s->buf, 0xFF, s->len);
    memcpy(s->buf, data, len);
    int rc = has_sector ? count_blocks(name, s) : 0;
    s->old = s->blocks;
    return rc;
}

/* What was written, unless the image itself went to standard output. */
static void report(const char *out, const struct signed_image *s, const char *const *keys)
{
    if (!strcmp(out, "-")) {
        return;
    }
    printf("%s: signature sector at 0x%zx, %u block(s)\n", out, s->sector, s->blocks);
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

/*
 * Add one block, then check it with the core verifier: never hand out a
 * signature the device would reject.
 */
static int add_block(struct signed_image *s, const char *path)
{
    ota_port_sigkey_t key;
    if (sig_load_key(path, &key)) {
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
    ota_sigv2_result_t res;
    ota_err_t err = verify_data(s->buf, s->len, (uint32_t)s->sector,
                                (const uint8_t(*)[OTA_SHA256_LEN])digest, 1, &res);
    if (err) {
        return cli_error("the new signature by '%s' does not verify: %s", path,
                         ota_strerror(err));
    }
    s->scheme[s->blocks++] = scheme;
    return 0;
}

int sig_cmd_sign(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *keys[OTA_SIGV2_MAX_BLOCKS];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(k_usage, stdout);
            return 0;
        }
        bool is_key = !strcmp(a, "--key"), is_out = !strcmp(a, "-o") || !strcmp(a, "--output");
        if ((is_key || is_out) && i + 1 == argc) {
            return cli_error("%s needs a value", a);
        }
        if (is_key) {
            if (n == OTA_SIGV2_MAX_BLOCKS) {
                return cli_error("at most %u --key: a sector holds 3 blocks", OTA_SIGV2_MAX_BLOCKS);
            }
            keys[n++] = argv[++i];
        } else if (is_out) {
            out = argv[++i];
        } else if (a[0] == '-' || in) {
            return cli_error("unexpected argument '%s' (try `ota sig --help`)", a);
        } else {
            in = a;
        }
    }
    if (!in || !out || n == 0) {
        return cli_error("usage: ota sig sign --key KEY.pem [--key ...] IN -o OUT");
    }
    uint8_t *data;
    size_t len;
    int rc = cli_read_file(in, &data, &len);
    if (rc) {
        return rc;
    }
    struct signed_image s = {0};
    rc = prepare(in, data, len, &s);
    free(data);
    if (!rc && s.blocks + n > OTA_SIGV2_MAX_BLOCKS) {
        rc = cli_error("%s: the signature sector already holds %u block(s); %zu more would "
                       "exceed 3", in, s.blocks, n);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        rc = add_block(&s, keys[i]);
    }
    if (!rc) {
        rc = cli_write_file(out, s.buf, s.len);
    }
    if (!rc) {
        report(out, &s, keys);
    }
    free(s.buf);
    return rc;
}

int cmd_sig(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "sign")) {
        return sig_cmd_sign(argc - 1, argv + 1);
    }
    if (argc >= 2 && !strcmp(argv[1], "verify")) {
        return sig_cmd_verify(argc - 1, argv + 1);
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(k_usage, stdout);
        return 0;
    }
    return cli_error("usage: ota sig sign|verify ... (try `ota sig --help`)");
}
