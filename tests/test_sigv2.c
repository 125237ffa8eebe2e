/*
 * Secure Boot v2 signature sectors (src/sigv2.c with the mbedTLS ports).
 *
 * The vector tests take every expectation from ../shared/vectors/signed/
 * manifest.json (made with upstream espsecure and an independent checker):
 * the verdict and block per case and key, the reason per block, the trusted
 * key digests. Synthetic tests use a fake engine and hand-made blocks to
 * cover malformed sectors and the API contract without vectors.
 */
#include <stdlib.h>
#include <string.h>

#include "ota/sigv2.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/sig_mbedtls.h"
#include "ota_port/simflash.h"
#include "testutil.h"
#include "json.h"

#define SECTOR OTA_SIGV2_SECTOR_SIZE
#define BLOCK OTA_SIGV2_BLOCK_SIZE
#define CRC_AT 1196u
#define MAX_KEYS 16

/* ---- an image in the RAM flash simulator ------------------------------- */

struct image {
    ota_simflash_t sim;
    uint32_t len; /* bytes of the file: the partition */
};

static void image_load(struct image *im, const uint8_t *data, size_t len)
{
    uint32_t size = (uint32_t)((len + SECTOR - 1) / SECTOR * SECTOR);
    ota_simflash_geometry_t geo = {size ? size : SECTOR, SECTOR, 1};
    assert_int_equal(ota_simflash_init_ram(&im->sim, &geo), OTA_OK);
    memcpy(im->sim.mem, data, len);
    im->len = (uint32_t)len;
}

static void image_load_vector(struct image *im, const char *rel)
{
    size_t len;
    uint8_t *data = tu_read_file(tu_vector_path(rel), &len);
    assert_non_null(data);
    image_load(im, data, len);
    free(data);
}

/* ---- the verifier with the host ports ---------------------------------- */

struct verifier {
    mbedtls_sha256_context c256;
    mbedtls_sha512_context c384;
    ota_hash_t sha256, sha384;
    ota_sig_engine_t engine;
    uint8_t buf[OTA_SIGV2_BUF_MIN + 3000];
    uint8_t digests[MAX_KEYS][OTA_SHA256_LEN];
    ota_sigv2_cfg_t cfg;
};

static void verifier_init(struct verifier *v, const struct image *im)
{
    ota_port_sha256_init(&v->sha256, &v->c256);
    ota_port_sha384_init(&v->sha384, &v->c384);
    ota_port_sig_engine_init(&v->engine);
    v->cfg = (ota_sigv2_cfg_t){
        .flash = &im->sim.flash,
        .sha256 = &v->sha256,
        .sha384 = &v->sha384,
        .engine = &v->engine,
        .key_digests = (const uint8_t(*)[OTA_SHA256_LEN])v->digests,
        .key_count = 1,
        .buf = v->buf,
        .buf_len = sizeof v->buf,
    };
}

/* Trust exactly one key digest. */
static void trust(struct verifier *v, const uint8_t *digest)
{
    memcpy(v->digests[0], digest, OTA_SHA256_LEN);
    v->cfg.key_count = 1;
}

/* The image is the whole file but its last sector. */
static ota_err_t verify_file(struct verifier *v, const struct image *im, ota_sigv2_result_t *res)
{
    return ota_sigv2_verify(&v->cfg, 0, im->len, im->len - SECTOR, res);
}

/* ---- the manifest ------------------------------------------------------ */

static json_value_t *g_manifest;

static int load_manifest(void **state)
{
    (void)state;
    return json_load_vector("signed/manifest.json", &g_manifest);
}

static int free_manifest(void **state)
{
    (void)state;
    json_free(g_manifest);
    return 0;
}

static void hex_decode(const char *hex, uint8_t *out, size_t len)
{
    assert_non_null(hex);
    assert_int_equal(strlen(hex), 2 * len);
    for (size_t i = 0; i < len; i++) {
        unsigned b;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
        out[i] = (uint8_t)b;
    }
}

/* The manifest's public-key digest of a key (what eFuse would hold). */
static void key_digest(const char *name, uint8_t out[OTA_SHA256_LEN])
{
    const json_value_t *key = json_get(json_get(g_manifest, "keys"), name);
    hex_decode(json_str(json_get(key, "pubkey_digest")), out, OTA_SHA256_LEN);
}

static const char *key_path(const char *name, const char *field)
{
    const char *rel = json_str(json_get(json_get(json_get(g_manifest, "keys"), name), field));
    assert_non_null(rel);
    static char path[4096];
    snprintf(path, sizeof path, "signed/%s", rel);
    return tu_vector_path(path);
}

/* The reference rule's per-block reasons, in the order the verifier checks them. */
static const struct {
    const char *phrase;
    ota_err_t err;
} k_reasons[] = {
    {"no magic 0xE7", OTA_ERR_IMG_SIG_NONE},
    {"CRC mismatch", OTA_ERR_IMG_SIG_CRC},
    {"unknown version/scheme", OTA_ERR_IMG_SIG_SCHEME},
    {"embedded key is not this key", OTA_ERR_IMG_SIG_KEY},
    {"stored image digest != computed digest", OTA_ERR_IMG_SIG_DIGEST},
    {"signature does not verify", OTA_ERR_IMG_SIG_INVALID},
};

struct expect {
    bool valid;
    int block;                          /* valid: the block */
    bool length_rule;                   /* "file length is not a non-zero multiple of 4096" */
    ota_err_t reason[OTA_SIGV2_MAX_BLOCKS]; /* per block, OTA_OK = "block N verifies" */
    bool has_reason[OTA_SIGV2_MAX_BLOCKS];
    ota_err_t overall;                  /* invalid: the reason that got furthest */
};

static ota_err_t reason_code(const char *phrase, size_t len, int *rank)
{
    for (size_t i = 0; i < sizeof k_reasons / sizeof k_reasons[0]; i++) {
        if (strlen(k_reasons[i].phrase) == len && !strncmp(k_reasons[i].phrase, phrase, len)) {
            *rank = (int)i;
            return k_reasons[i].err;
        }
    }
    fail_msg("unknown reason '%.*s'", (int)len, phrase);
    return OTA_OK;
}

/* {"result", "block", "reason": "block 0: CRC mismatch; block 1 verifies"} */
static struct expect parse_expect(const json_value_t *e)
{
    struct expect x = {.valid = !strcmp(json_str(json_get(e, "result")), "valid"), .block = -1};
    if (x.valid) {
        x.block = (int)json_int(json_get(e, "block"), NULL);
    }
    const char *r = json_str(json_get(e, "reason"));
    assert_non_null(r);
    if (!strcmp(r, "file length is not a non-zero multiple of 4096")) {
        x.length_rule = true;
        x.overall = OTA_ERR_IMG_SIG_RANGE;
        return x;
    }
    int furthest = -1;
    while (*r) {
        unsigned b;
        int n = 0;
        assert_int_equal(sscanf(r, "block %u%n", &b, &n), 1);
        assert_true(b < OTA_SIGV2_MAX_BLOCKS);
        r += n;
        const char *end = strstr(r, "; ");
        size_t len = end ? (size_t)(end - r) : strlen(r);
        x.has_reason[b] = true;
        if (!strncmp(r, " verifies", len)) {
            x.reason[b] = OTA_OK;
        } else {
            assert_true(len > 2 && r[0] == ':' && r[1] == ' ');
            int rank = -1;
            x.reason[b] = reason_code(r + 2, len - 2, &rank);
            if (rank > furthest) {
                furthest = rank;
                x.overall = x.reason[b];
            }
        }
        r += len + (end ? 2 : 0);
    }
    return x;
}

static void assert_expect(ota_err_t err, const ota_sigv2_result_t *res, const struct expect *x,
                          const char *what)
{
    if (x->valid) {
        if (err != OTA_OK || res->block != x->block) {
            fail_msg("%s: expected block %d, got %s block %d", what, x->block, ota_err_name(err),
                     res->block);
        }
    } else if (err != x->overall) {
        fail_msg("%s: expected %s, got %s", what, ota_err_name(x->overall), ota_err_name(err));
    }
    for (unsigned i = 0; i < OTA_SIGV2_MAX_BLOCKS; i++) {
        if (x->has_reason[i] && (i >= res->checked || res->block_err[i] != x->reason[i])) {
            fail_msg("%s: block %u expected %s, got %s", what, i, ota_err_name(x->reason[i]),
                     i < res->checked ? ota_err_name(res->block_err[i]) : "not checked");
        }
    }
}

/*
 * One (file, key, expectation): where the file is a whole number of sectors,
 * with its last sector as the signature sector (the reference rule); where the
 * manifest gives the image length before signing, from that length too.
 */
static unsigned check_case(const json_value_t *c, const char *file, const char *key, const json_value_t *exp)
{
    char rel[4096], what[4096];
    snprintf(rel, sizeof rel, "signed/%s", file);
    snprintf(what, sizeof what, "%s with %s", file, key);
    struct expect x = parse_expect(exp);
    struct image im;
    image_load_vector(&im, rel);
    struct verifier v;
    verifier_init(&v, &im);
    uint8_t d[OTA_SHA256_LEN];
    key_digest(key, d);
    trust(&v, d);
    ota_sigv2_result_t res;
    unsigned checks = 0;
    if (im.len % SECTOR == 0 && im.len >= 2 * SECTOR) {
        assert_false(x.length_rule);
        assert_expect(verify_file(&v, &im, &res), &res, &x, what);
        checks++;
    }
    if (json_is(json_get(c, "sig_sector_offset"), JSON_NUMBER)) {
        uint32_t image_len = (uint32_t)json_int(json_get(c, "image_length_before_signing"), NULL);
        assert_expect(ota_sigv2_verify(&v.cfg, 0, im.len, image_len, &res), &res, &x, what);
        checks++;
    }
    ota_simflash_close(&im.sim);
    assert_true(checks > 0);
    return checks;
}

/* A case's expectation per key name: an object with one member for each of the ten keys. */
static const json_value_t *expected_by_key(const json_value_t *c)
{
    const json_value_t *by_key = json_get(c, "expected_by_key");
    assert_true(json_is(by_key, JSON_OBJECT));
    assert_int_equal(by_key->count, 10);
    return by_key;
}

static void test_manifest_cases_per_key(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const json_value_t *cases = json_get(g_manifest, "cases");
    assert_true(json_len(cases) >= 40);
    unsigned checks = 0;
    for (size_t i = 0; i < json_len(cases); i++) {
        const json_value_t *c = json_at(cases, i);
        const json_value_t *by_key = expected_by_key(c);
        for (size_t k = 0; k < by_key->count; k++) {
            checks += check_case(c, json_str(json_get(c, "file")), by_key->keys[k],
                                 by_key->items[k]);
        }
    }
    print_message("[          ] %u verifications as the manifest expects\n", checks);
}

static void test_manifest_wrong_keys(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const json_value_t *cases = json_get(g_manifest, "wrong_key_cases");
    assert_int_equal(json_len(cases), 11);
    for (size_t i = 0; i < json_len(cases); i++) {
        const json_value_t *c = json_at(cases, i);
        check_case(c, json_str(json_get(c, "file")), json_str(json_get(c, "key")),
                   json_get(c, "expected"));
    }
}

/* With all ten digests trusted, the first block valid for any key decides. */
static void test_manifest_any_of_all_keys(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const json_value_t *cases = json_get(g_manifest, "cases");
    for (size_t i = 0; i < json_len(cases); i++) {
        const json_value_t *c = json_at(cases, i);
        const json_value_t *by_key = expected_by_key(c);
        char rel[4096];
        snprintf(rel, sizeof rel, "signed/%s", json_str(json_get(c, "file")));
        struct image im;
        image_load_vector(&im, rel);
        if (im.len % SECTOR != 0 || im.len < 2 * SECTOR) {
            ota_simflash_close(&im.sim);
            continue;
        }
        struct verifier v;
        verifier_init(&v, &im);
        int first = -1;
        for (size_t k = 0; k < by_key->count; k++) {
            key_digest(by_key->keys[k], v.digests[k]);
            struct expect x = parse_expect(by_key->items[k]);
            if (x.valid && (first < 0 || x.block < first)) {
                first = x.block;
            }
        }
        v.cfg.key_count = by_key->count;
        ota_sigv2_result_t res;
        ota_err_t err = verify_file(&v, &im, &res);
        if (first >= 0) {
            assert_int_equal(err, OTA_OK);
            assert_int_equal(res.block, first);
        } else {
            assert_int_not_equal(err, OTA_OK);
            assert_int_equal(res.block, -1);
        }
        ota_simflash_close(&im.sim);
    }
}

#define MIXED "signed/multi/esp32c6_appdesc_securepadv2.mixed_rsa3072a_ecdsa256a_ecdsa384a.signed.bin"

/* The mixed sector: RSA (rsa3072_a), P-256 (ecdsa256_a), P-384 (ecdsa384_a). */
static void mixed_setup(struct image *im, struct verifier *v)
{
    image_load_vector(im, MIXED);
    verifier_init(v, im);
    key_digest("rsa3072_a", v->digests[0]);
    key_digest("ecdsa256_a", v->digests[1]);
    key_digest("ecdsa384_a", v->digests[2]);
    v->cfg.key_count = 3;
}

static void test_revoked_keys(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    struct image im;
    struct verifier v;
    mixed_setup(&im, &v);
    ota_sigv2_result_t res;
    assert_int_equal(verify_file(&v, &im, &res), OTA_OK);
    assert_int_equal(res.block, 0);
    assert_int_equal(res.key_index, 0);
    assert_int_equal(res.scheme, OTA_SIG_RSA3072_PSS);
    assert_int_equal(res.checked, 1);

    v.cfg.revoked = 1u << 0;
    assert_int_equal(verify_file(&v, &im, &res), OTA_OK);
    assert_int_equal(res.block, 1);
    assert_int_equal(res.key_index, 1);
    assert_int_equal(res.scheme, OTA_SIG_ECDSA_P256);
    assert_int_equal(res.block_err[0], OTA_ERR_IMG_SIG_REVOKED);

    v.cfg.revoked = (1u << 0) | (1u << 1);
    assert_int_equal(verify_file(&v, &im, &res), OTA_OK);
    assert_int_equal(res.block, 2);
    assert_int_equal(res.scheme, OTA_SIG_ECDSA_P384);

    v.cfg.revoked = 7u;
    assert_int_equal(verify_file(&v, &im, &res), OTA_ERR_IMG_SIG_REVOKED);
    assert_int_equal(res.block, -1);
    assert_int_equal(res.checked, 3);

    /* the same digest again in a slot that is not revoked still counts */
    key_digest("ecdsa384_a", v.digests[3]);
    v.cfg.key_count = 4;
    assert_int_equal(verify_file(&v, &im, &res), OTA_OK);
    assert_int_equal(res.block, 2);
    assert_int_equal(res.key_index, 3);
    ota_simflash_close(&im.sim);
}

static void test_scheme_restrictions(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    struct image im;
    struct verifier v;
    mixed_setup(&im, &v);
    ota_sigv2_result_t res;
    v.cfg.schemes = OTA_SIG_SCHEME_BIT(OTA_SIG_ECDSA_P384);
    assert_int_equal(verify_file(&v, &im, &res), OTA_OK);
    assert_int_equal(res.block, 2);
    assert_int_equal(res.block_err[0], OTA_ERR_IMG_SIG_SCHEME);
    assert_int_equal(res.block_err[1], OTA_ERR_IMG_SIG_SCHEME);

    v.cfg.schemes = OTA_SIG_SCHEME_BIT(OTA_SIG_ECDSA_P192);
    assert_int_equal(verify_file(&v, &im, &res), OTA_ERR_IMG_SIG_SCHEME);

    /* no SHA-384 engine: the P-384 block cannot be checked */
    v.cfg.schemes = 0;
    v.cfg.sha384 = NULL;
    key_digest("ecdsa384_a", v.digests[0]);
    v.cfg.key_count = 1;
    assert_int_equal(verify_file(&v, &im, &res), OTA_ERR_IMG_SIG_KEY); /* got furthest */
    assert_int_equal(res.block_err[0], OTA_ERR_IMG_SIG_KEY);
    assert_int_equal(res.block_err[2], OTA_ERR_IMG_SIG_SCHEME);
    ota_simflash_close(&im.sim);
}

/* ---- single-byte changes to valid images ------------------------------- */

/* An independent CRC-32 (zlib) to re-seal a changed block, as the vectors' n06..n17 do. */
static uint32_t test_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            crc = crc & 1u ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
    }
    return ~crc;
}

static void reseal(uint8_t *block)
{
    uint32_t crc = test_crc32(block, CRC_AT);
    for (int i = 0; i < 4; i++) {
        block[CRC_AT + i] = (uint8_t)(crc >> (8 * i));
    }
}

static void test_crc_reference(void **state)
{
    (void)state;
    assert_int_equal(test_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
}

/* Flip byte `at`, optionally re-seal block 0, verify, undo. */
static ota_err_t flipped(struct verifier *v, struct image *im, uint32_t at, bool fix_crc)
{
    uint8_t *blk = im->sim.mem + im->len - SECTOR;
    uint8_t saved[BLOCK];
    memcpy(saved, blk, BLOCK);
    im->sim.mem[at] ^= 0x01;
    if (fix_crc) {
        reseal(blk);
    }
    ota_sigv2_result_t res;
    ota_err_t err = verify_file(v, im, &res);
    im->sim.mem[at] ^= 0x01;
    memcpy(blk, saved, BLOCK);
    return err;
}

static void flip_scheme(const char *key, uint32_t digest_len, uint32_t key_len, uint32_t sig_len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "signed/valid/esp32_helloworld.%s.signed.bin", key);
    struct image im;
    image_load_vector(&im, rel);
    struct verifier v;
    verifier_init(&v, &im);
    uint8_t d[OTA_SHA256_LEN];
    key_digest(key, d);
    trust(&v, d);
    ota_sigv2_result_t res;
    assert_int_equal(verify_file(&v, &im, &res), OTA_OK);

    uint32_t sector = im.len - SECTOR;
    /* the signed region: image and padding (every 13th byte and the last) */
    for (uint32_t at = 0; at < sector; at += 13) {
        assert_int_equal(flipped(&v, &im, at, false), OTA_ERR_IMG_SIG_DIGEST);
    }
    assert_int_equal(flipped(&v, &im, sector - 1, false), OTA_ERR_IMG_SIG_DIGEST);
    /* block 0 without re-sealing: the magic, then every other covered byte and the CRC */
    assert_int_equal(flipped(&v, &im, sector, false), OTA_ERR_IMG_SIG_NONE);
    for (uint32_t at = 1; at < CRC_AT + 4; at++) {
        assert_int_equal(flipped(&v, &im, sector + at, false), OTA_ERR_IMG_SIG_CRC);
    }
    /* re-sealed: digest field, key material, signature */
    uint32_t field = sector + 4;
    for (uint32_t at = field; at < field + digest_len; at++) {
        assert_int_equal(flipped(&v, &im, at, true), OTA_ERR_IMG_SIG_DIGEST);
    }
    uint32_t key_at = field + digest_len;
    if (key_len != 776) { /* ECDSA material starts with the curve id: another curve */
        assert_int_equal(flipped(&v, &im, key_at++, true), OTA_ERR_IMG_SIG_SCHEME);
        key_len--;
    }
    for (uint32_t at = key_at; at < key_at + key_len; at++) {
        assert_int_equal(flipped(&v, &im, at, true), OTA_ERR_IMG_SIG_KEY);
    }
    uint32_t sig = key_at + key_len;
    for (uint32_t at = sig; at < sig + sig_len; at++) {
        ota_err_t err = flipped(&v, &im, at, true);
        if (err != OTA_ERR_IMG_SIG_INVALID) {
            fail_msg("%s: signature byte %u flipped: %s", key, at - sig, ota_err_name(err));
        }
    }
    ota_simflash_close(&im.sim);
}

static void test_flips_rsa3072(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    flip_scheme("rsa3072_a", 32, 776, 384);
}

static void test_flips_ecdsa(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    /* for P-192 the 16-byte zero tails of r and s are not part of the numbers: flip 48 */
    flip_scheme("ecdsa192_a", 32, 65, 48);
    flip_scheme("ecdsa256_a", 32, 65, 64);
    flip_scheme("ecdsa384_a", 48, 97, 96);
}

/* ---- keys and signing with the mbedTLS port ---------------------------- */

static const char *const k_all_keys[] = {
    "rsa3072_a",  "rsa3072_b",  "rsa3072_c",  "ecdsa256_a", "ecdsa256_b",
    "ecdsa256_c", "ecdsa384_a", "ecdsa384_b", "ecdsa192_a", "ecdsa192_b",
};

static void test_key_material_and_digest(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    for (size_t i = 0; i < sizeof k_all_keys / sizeof k_all_keys[0]; i++) {
        size_t mlen;
        uint8_t *material = tu_read_file(key_path(k_all_keys[i], "key_material_bin"), &mlen);
        assert_non_null(material);
        uint8_t want[OTA_SHA256_LEN], got[OTA_SHA256_LEN];
        key_digest(k_all_keys[i], want);
        const char *fields[] = {"public_pem", "private_pem"};
        for (int f = 0; f < 2; f++) {
            ota_port_sigkey_t key;
            const char *pem = key_path(k_all_keys[i], fields[f]);
            assert_int_equal(ota_port_sigkey_load(&key, pem), OTA_OK);
            assert_int_equal(key.has_private, f == 1);
            assert_int_equal(key.material_len, mlen);
            assert_memory_equal(key.material, material, mlen);
            ota_port_sigkey_digest(&key, got);
            assert_memory_equal(got, want, OTA_SHA256_LEN);
            ota_port_sigkey_free(&key);
        }
        free(material);
    }
}

/* inputs/esp32_helloworld.bin padded to 4 KiB plus an erased signature sector. */
static uint8_t *unsigned_image(size_t *len)
{
    size_t n;
    uint8_t *in = tu_read_file(tu_vector_path("signed/inputs/esp32_helloworld.bin"), &n);
    assert_non_null(in);
    assert_true(n <= SECTOR);
    uint8_t *img = malloc(2 * SECTOR);
    assert_non_null(img);
    memset(img, 0xFF, 2 * SECTOR);
    memcpy(img, in, n);
    free(in);
    *len = 2 * SECTOR;
    return img;
}

/* Sign img's data with the key named, into block slot `slot` of its last sector. */
static void sign_into(uint8_t *img, size_t len, const char *name, unsigned slot)
{
    ota_port_sigkey_t key;
    assert_int_equal(ota_port_sigkey_load(&key, key_path(name, "private_pem")), OTA_OK);
    ota_sigv2_layout_t l;
    assert_int_equal(ota_sigv2_layout(key.scheme, &l), OTA_OK);
    uint8_t digest[OTA_SIGV2_MAX_DIGEST_LEN], sig[OTA_SIGV2_MAX_SIG_LEN];
    if (l.digest_len == OTA_SHA384_LEN) {
        ota_port_sha384(img, len - SECTOR, digest);
    } else {
        ota_port_sha256(img, len - SECTOR, digest);
    }
    assert_int_equal(ota_port_sigkey_sign(&key, digest, l.digest_len, sig), OTA_OK);
    uint8_t *block = img + len - SECTOR + slot * BLOCK;
    assert_int_equal(ota_sigv2_block_build(block, key.scheme, digest, key.material, sig), OTA_OK);
    ota_port_sigkey_free(&key);
}

static void test_our_signatures_verify(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    const char *signers[] = {"rsa3072_a", "ecdsa192_a", "ecdsa256_a", "ecdsa384_a"};
    for (size_t s = 0; s < 4; s++) {
        size_t len;
        uint8_t *img = unsigned_image(&len);
        sign_into(img, len, signers[s], 0);
        struct image im;
        image_load(&im, img, len);
        for (size_t k = 0; k < sizeof k_all_keys / sizeof k_all_keys[0]; k++) {
            struct verifier v;
            verifier_init(&v, &im);
            uint8_t d[OTA_SHA256_LEN];
            key_digest(k_all_keys[k], d);
            trust(&v, d);
            ota_sigv2_result_t res;
            ota_err_t err = verify_file(&v, &im, &res);
            bool mine = !strcmp(k_all_keys[k], signers[s]);
            assert_int_equal(err, mine ? OTA_OK : OTA_ERR_IMG_SIG_KEY);
        }
        ota_simflash_close(&im.sim);
        free(img);
    }
}

static void test_second_block_verifies(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    size_t len;
    uint8_t *img = unsigned_image(&len);
    sign_into(img, len, "ecdsa256_a", 0);
    sign_into(img, len, "rsa3072_b", 1);
    struct image im;
    image_load(&im, img, len);
    struct verifier v;
    verifier_init(&v, &im);
    uint8_t d[OTA_SHA256_LEN];
    key_digest("rsa3072_b", d);
    trust(&v, d);
    ota_sigv2_result_t res;
    assert_int_equal(verify_file(&v, &im, &res), OTA_OK);
    assert_int_equal(res.block, 1);
    assert_int_equal(res.block_err[0], OTA_ERR_IMG_SIG_KEY);
    assert_int_equal(res.scheme, OTA_SIG_RSA3072_PSS);
    ota_simflash_close(&im.sim);
    free(img);
}

/* ---- synthetic blocks and a fake engine (no vectors needed) ------------ */

/* Records what the engine was given (copies: the pointers die with the call). */
struct fake_engine {
    ota_err_t answer;
    unsigned calls;
    ota_sig_check_t last;
    uint8_t digest[OTA_SIGV2_MAX_DIGEST_LEN];
    uint8_t num[4][OTA_SIG_RSA_LEN]; /* RSA: n, rinv, sig; ECDSA: x, y, r, s */
};

static void keep(uint8_t *dst, const uint8_t *src, size_t len)
{
    if (src) {
        memcpy(dst, src, len);
    }
}

static ota_err_t fake_verify(void *ctx, const ota_sig_check_t *check)
{
    struct fake_engine *f = ctx;
    f->calls++;
    f->last = *check;
    keep(f->digest, check->digest, check->digest_len);
    keep(f->num[0], check->rsa_n ? check->rsa_n : check->ec_x, check->width);
    keep(f->num[1], check->rsa_rinv ? check->rsa_rinv : check->ec_y, check->width);
    keep(f->num[2], check->rsa_sig ? check->rsa_sig : check->ec_r, check->width);
    keep(f->num[3], check->ec_s, check->width);
    return f->answer;
}

/* Key material for a scheme: curve id first for ECDSA, then a recognizable pattern. */
static void fake_key(ota_sig_scheme_t s, uint8_t *key)
{
    ota_sigv2_layout_t l;
    assert_int_equal(ota_sigv2_layout(s, &l), OTA_OK);
    for (size_t i = 0; i < l.key_len; i++) {
        key[i] = (uint8_t)(i * 3 + 1);
    }
    if (l.curve_id) {
        key[0] = l.curve_id;
    }
}

struct synth {
    struct image im;
    struct verifier v;
    struct fake_engine fake;
    ota_sig_engine_t engine;
    uint8_t key[OTA_SIGV2_MAX_KEY_LEN];
};

/* 8 KiB image: 4 KiB of data and a sector with one block of scheme s, signed (fakely) correctly. */
static void synth_init(struct synth *t, ota_sig_scheme_t s)
{
    uint8_t img[2 * SECTOR];
    memset(img, 0xFF, sizeof img);
    for (size_t i = 0; i < 300; i++) {
        img[i] = (uint8_t)i;
    }
    ota_sigv2_layout_t l;
    assert_int_equal(ota_sigv2_layout(s, &l), OTA_OK);
    uint8_t digest[OTA_SIGV2_MAX_DIGEST_LEN], sig[OTA_SIGV2_MAX_SIG_LEN];
    if (l.digest_len == OTA_SHA384_LEN) {
        ota_port_sha384(img, SECTOR, digest);
    } else {
        ota_port_sha256(img, SECTOR, digest);
    }
    memset(sig, 0x5A, sizeof sig);
    fake_key(s, t->key);
    assert_int_equal(ota_sigv2_block_build(img + SECTOR, s, digest, t->key, sig), OTA_OK);
    image_load(&t->im, img, sizeof img);
    verifier_init(&t->v, &t->im);
    t->fake = (struct fake_engine){.answer = OTA_OK};
    t->engine = (ota_sig_engine_t){&t->fake, fake_verify};
    t->v.cfg.engine = &t->engine;
    uint8_t d[OTA_SHA256_LEN];
    ota_port_sha256(t->key, l.key_len, d);
    trust(&t->v, d);
}

static ota_err_t synth_verify(struct synth *t, ota_sigv2_result_t *res)
{
    return verify_file(&t->v, &t->im, res);
}

static uint8_t *synth_block(struct synth *t, unsigned slot)
{
    return t->im.sim.mem + SECTOR + slot * BLOCK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_engine_gets_block_numbers(void **state)
{
    (void)state;
    struct synth t;
    synth_init(&t, OTA_SIG_RSA3072_PSS);
    ota_sigv2_result_t res;
    assert_int_equal(synth_verify(&t, &res), OTA_OK);
    assert_int_equal(t.fake.calls, 1);
    const ota_sig_check_t *c = &t.fake.last;
    const uint8_t *b = synth_block(&t, 0);
    assert_int_equal(c->scheme, OTA_SIG_RSA3072_PSS);
    assert_int_equal(c->width, 384);
    assert_int_equal(c->digest_len, 32);
    assert_memory_equal(t.fake.digest, b + 4, 32);
    assert_memory_equal(t.fake.num[0], t.key, 384);
    assert_int_equal(c->rsa_e, le32(t.key + 384));
    assert_memory_equal(t.fake.num[1], t.key + 388, 384);
    assert_int_equal(c->rsa_mdash, le32(t.key + 772));
    assert_memory_equal(t.fake.num[2], b + 812, 384);
    assert_null(c->ec_x);
    ota_simflash_close(&t.im.sim);

    const ota_sig_scheme_t ec[] = {OTA_SIG_ECDSA_P192, OTA_SIG_ECDSA_P384};
    for (size_t i = 0; i < 2; i++) {
        synth_init(&t, ec[i]);
        ota_sigv2_layout_t l;
        assert_int_equal(ota_sigv2_layout(ec[i], &l), OTA_OK);
        assert_int_equal(synth_verify(&t, &res), OTA_OK);
        c = &t.fake.last;
        b = synth_block(&t, 0);
        size_t w = l.width, sig_at = 4 + l.digest_len + l.key_len;
        assert_int_equal(c->width, ec[i] == OTA_SIG_ECDSA_P192 ? 24 : 48);
        assert_int_equal(c->digest_len, l.digest_len);
        assert_memory_equal(t.fake.digest, b + 4, l.digest_len);
        assert_memory_equal(t.fake.num[0], t.key + 1, w);
        assert_memory_equal(t.fake.num[1], t.key + 1 + w, w);
        assert_memory_equal(t.fake.num[2], b + sig_at, w);
        assert_memory_equal(t.fake.num[3], b + sig_at + w, w);
        assert_null(c->rsa_n);
        ota_simflash_close(&t.im.sim);
    }
}

static void test_engine_answers(void **state)
{
    (void)state;
    struct synth t;
    synth_init(&t, OTA_SIG_ECDSA_P256);
    ota_sigv2_result_t res;
    t.fake.answer = OTA_ERR_IMG_SIG_INVALID;
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_INVALID);
    t.fake.answer = OTA_ERR_IMG_SIG_SCHEME; /* engine without that scheme: block skipped */
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_SCHEME);
    assert_int_equal(res.checked, 3);
    t.fake.answer = OTA_ERR_IO; /* engine failure: stops at once */
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IO);
    assert_int_equal(res.checked, 0);
    /* an untrusted key never reaches the engine */
    t.fake.calls = 0;
    t.v.digests[0][0] ^= 1;
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_KEY);
    assert_int_equal(t.fake.calls, 0);
    ota_simflash_close(&t.im.sim);
}

static void test_malformed_sectors(void **state)
{
    (void)state;
    struct synth t;
    synth_init(&t, OTA_SIG_ECDSA_P256);
    ota_sigv2_result_t res;
    uint8_t *b = synth_block(&t, 0);
    uint8_t good[BLOCK];
    memcpy(good, b, BLOCK);

    /* erased sector */
    memset(b, 0xFF, SECTOR);
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_NONE);
    assert_int_equal(res.checked, 3);
    /* garbage with the magic: CRC; garbage re-sealed: unknown scheme */
    for (size_t i = 0; i < BLOCK; i++) {
        b[i] = (uint8_t)(i * 37 + 11);
    }
    b[0] = OTA_SIGV2_MAGIC;
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_CRC);
    reseal(b);
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_SCHEME);

    /* versions, hash layouts and curves that are not a scheme, each re-sealed */
    static const struct {
        size_t at;
        uint8_t value;
    } bad[] = {{1, 0}, {1, 1}, {1, 4}, {1, 0xFF}, {2, 1}, {2, 2}, {36, 0}, {36, 3}, {36, 4}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b, good, BLOCK);
        b[bad[i].at] = bad[i].value;
        reseal(b);
        assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_SCHEME);
    }
    /* P-256 key material read as RSA (version 2): another key, untrusted */
    memcpy(b, good, BLOCK);
    b[1] = OTA_SIGV2_VERSION_RSA;
    reseal(b);
    assert_int_equal(synth_verify(&t, &res), OTA_ERR_IMG_SIG_KEY);

    /* the 16 bytes after the CRC are not covered by anything */
    memcpy(b, good, BLOCK);
    b[BLOCK - 1] = 0xAB;
    assert_int_equal(synth_verify(&t, &res), OTA_OK);
    ota_simflash_close(&t.im.sim);
}

static void test_sector_position(void **state)
{
    (void)state;
    struct synth t;
    synth_init(&t, OTA_SIG_ECDSA_P256);
    ota_sigv2_cfg_t *cfg = &t.v.cfg;
    ota_sigv2_result_t res;
    /* any length in (0, 4096] puts the sector at 4096 */
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, 1, &res), OTA_OK);
    assert_int_equal(res.sector_offset, SECTOR);
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_OK);
    /* truncated: the partition ends inside the sector */
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR - 1, SECTOR, &res),
                     OTA_ERR_IMG_SIG_RANGE);
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR + 1, &res),
                     OTA_ERR_IMG_SIG_RANGE);
    assert_int_equal(ota_sigv2_verify(cfg, 0, UINT32_MAX, UINT32_MAX, &res),
                     OTA_ERR_IMG_SIG_RANGE);
    assert_int_equal(ota_sigv2_verify(cfg, SECTOR, UINT32_MAX, SECTOR, &res),
                     OTA_ERR_IMG_SIG_RANGE);
    /* a partition reaching past the flash: the flash port's range error */
    assert_int_equal(ota_sigv2_verify(cfg, SECTOR, 4 * SECTOR, SECTOR, &res),
                     OTA_ERR_FLASH_RANGE);
    /* a read error is returned unchanged */
    t.im.sim.fail.read_at = t.im.sim.stats.reads + 2;
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_ERR_FLASH_IO);
    ota_simflash_close(&t.im.sim);
}

static void test_invalid_config(void **state)
{
    (void)state;
    struct synth t;
    synth_init(&t, OTA_SIG_ECDSA_P256);
    ota_sigv2_result_t res;
    ota_sigv2_cfg_t good = t.v.cfg, *cfg = &t.v.cfg;
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, 0, &res), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_sigv2_verify(NULL, 0, 2 * SECTOR, SECTOR, &res), OTA_ERR_INVALID_ARG);
    cfg->buf_len = OTA_SIGV2_BUF_MIN - 1;
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_ERR_INVALID_ARG);
    cfg->buf_len = OTA_SIGV2_BUF_MIN; /* the minimum works */
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_OK);
    *cfg = good;
    cfg->key_count = 0;
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_ERR_INVALID_ARG);
    cfg->key_count = OTA_SIGV2_MAX_TRUSTED + 1;
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_ERR_INVALID_ARG);
    *cfg = good;
    cfg->sha384 = &t.v.sha256; /* wrong digest length */
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_ERR_INVALID_ARG);
    *cfg = good;
    cfg->engine = NULL;
    assert_int_equal(ota_sigv2_verify(cfg, 0, 2 * SECTOR, SECTOR, &res), OTA_ERR_INVALID_ARG);
    ota_simflash_close(&t.im.sim);
}

static void test_block_build_and_parse(void **state)
{
    (void)state;
    for (ota_sig_scheme_t s = OTA_SIG_RSA3072_PSS; s <= OTA_SIG_ECDSA_P384; s++) {
        ota_sigv2_layout_t l;
        assert_int_equal(ota_sigv2_layout(s, &l), OTA_OK);
        uint8_t key[OTA_SIGV2_MAX_KEY_LEN], digest[48], sig[384], block[BLOCK];
        fake_key(s, key);
        memset(digest, 0xD1, sizeof digest);
        memset(sig, 0x51, sizeof sig);
        assert_int_equal(ota_sigv2_block_build(block, s, digest, key, sig), OTA_OK);
        assert_int_equal(block[0], 0xE7);
        assert_int_equal(test_crc32(block, CRC_AT),
                         (uint32_t)block[CRC_AT] | (uint32_t)block[CRC_AT + 1] << 8 |
                             (uint32_t)block[CRC_AT + 2] << 16 | (uint32_t)block[CRC_AT + 3] << 24);
        ota_sigv2_block_t p;
        assert_int_equal(ota_sigv2_block_parse(block, &p), OTA_OK);
        assert_int_equal(p.scheme, s);
        assert_ptr_equal(p.digest, block + 4);
        assert_memory_equal(p.key, key, l.key_len);
        assert_memory_equal(p.sig, sig, l.sig_len);
        for (size_t i = 4 + l.digest_len + l.key_len + l.sig_len; i < CRC_AT; i++) {
            assert_int_equal(block[i], 0);
        }
        if (l.curve_id) { /* material for another curve would make another scheme */
            key[0] = (uint8_t)(l.curve_id % 3 + 1);
            assert_int_equal(ota_sigv2_block_build(block, s, digest, key, sig),
                             OTA_ERR_INVALID_ARG);
        }
    }
    uint8_t block[BLOCK] = {0};
    assert_int_equal(ota_sigv2_block_build(block, (ota_sig_scheme_t)9, block, block, block),
                     OTA_ERR_INVALID_ARG);
    assert_string_equal(ota_sig_scheme_name(OTA_SIG_ECDSA_P384), "ECDSA-P-384");
    assert_string_equal(ota_sig_scheme_name((ota_sig_scheme_t)0), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_cases_per_key),
        cmocka_unit_test(test_manifest_wrong_keys),
        cmocka_unit_test(test_manifest_any_of_all_keys),
        cmocka_unit_test(test_revoked_keys),
        cmocka_unit_test(test_scheme_restrictions),
        cmocka_unit_test(test_crc_reference),
        cmocka_unit_test(test_flips_rsa3072),
        cmocka_unit_test(test_flips_ecdsa),
        cmocka_unit_test(test_key_material_and_digest),
        cmocka_unit_test(test_our_signatures_verify),
        cmocka_unit_test(test_second_block_verifies),
        cmocka_unit_test(test_engine_gets_block_numbers),
        cmocka_unit_test(test_engine_answers),
        cmocka_unit_test(test_malformed_sectors),
        cmocka_unit_test(test_sector_position),
        cmocka_unit_test(test_invalid_config),
        cmocka_unit_test(test_block_build_and_parse),
    };
    return cmocka_run_group_tests(tests, load_manifest, free_manifest);
}
