/* Signature port on mbedTLS 2.28 (port/include/ota_port/sig_mbedtls.h). */
#include "ota_port/sig_mbedtls.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/rsa.h>

#include "ota_port/hash_mbedtls.h"

#define RSA_BITS 3072u
#define PSS_SALT_LEN 32 /* what espsecure writes and the ROM expects */

/* Blocks store numbers little-endian; mbedTLS's RSA wants big-endian octets. */
static void reverse_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[n - 1 - i];
    }
}

static mbedtls_ecp_group_id ec_group(ota_sig_scheme_t s)
{
    switch (s) {
    case OTA_SIG_ECDSA_P192:
        return MBEDTLS_ECP_DP_SECP192R1;
    case OTA_SIG_ECDSA_P256:
        return MBEDTLS_ECP_DP_SECP256R1;
    case OTA_SIG_ECDSA_P384:
        return MBEDTLS_ECP_DP_SECP384R1;
    default:
        return MBEDTLS_ECP_DP_NONE;
    }
}

/* Any mbedTLS failure, including a malformed key, means "does not verify". */
static ota_err_t verify_rsa(const ota_sig_check_t *c)
{
    uint8_t sig_be[OTA_SIG_RSA_LEN];
    reverse_copy(sig_be, c->rsa_sig, sizeof sig_be);
    mbedtls_rsa_context rsa;
    mbedtls_mpi n, e;
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    int rc = mbedtls_mpi_read_binary_le(&n, c->rsa_n, OTA_SIG_RSA_LEN);
    rc = rc ? rc : mbedtls_mpi_lset(&e, (mbedtls_mpi_sint)c->rsa_e);
    rc = rc ? rc : mbedtls_rsa_import(&rsa, &n, NULL, NULL, NULL, &e);
    rc = rc ? rc : mbedtls_rsa_complete(&rsa);
    rc = rc ? rc : mbedtls_rsa_check_pubkey(&rsa);
    if (!rc && mbedtls_rsa_get_len(&rsa) != OTA_SIG_RSA_LEN) {
        rc = -1; /* a short modulus is not an RSA-3072 key */
    }
    rc = rc ? rc
            : mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC,
                                                MBEDTLS_MD_SHA256, OTA_SHA256_LEN, c->digest,
                                                MBEDTLS_MD_SHA256, PSS_SALT_LEN, sig_be);
    mbedtls_mpi_free(&e);
    mbedtls_mpi_free(&n);
    mbedtls_rsa_free(&rsa);
    return rc ? OTA_ERR_IMG_SIG_INVALID : OTA_OK;
}

static ota_err_t verify_ecdsa(const ota_sig_check_t *c)
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    size_t w = c->width;
    int rc = mbedtls_ecp_group_load(&grp, ec_group(c->scheme));
    rc = rc ? rc : mbedtls_mpi_read_binary_le(&q.X, c->ec_x, w);
    rc = rc ? rc : mbedtls_mpi_read_binary_le(&q.Y, c->ec_y, w);
    rc = rc ? rc : mbedtls_mpi_lset(&q.Z, 1);
    rc = rc ? rc : mbedtls_ecp_check_pubkey(&grp, &q);
    rc = rc ? rc : mbedtls_mpi_read_binary_le(&r, c->ec_r, w);
    rc = rc ? rc : mbedtls_mpi_read_binary_le(&s, c->ec_s, w);
    /* mbedTLS cuts a digest longer than the order (SHA-256 on P-192), as ECDSA requires */
    rc = rc ? rc : mbedtls_ecdsa_verify(&grp, c->digest, c->digest_len, &q, &r, &s);
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc ? OTA_ERR_IMG_SIG_INVALID : OTA_OK;
}

static ota_err_t engine_verify(void *ctx, const ota_sig_check_t *c)
{
    (void)ctx;
    ota_sigv2_layout_t l;
    if (!c || ota_sigv2_layout(c->scheme, &l) != OTA_OK) {
        return OTA_ERR_IMG_SIG_SCHEME;
    }
    if (!c->digest || c->digest_len != l.digest_len || c->width != l.width) {
        return OTA_ERR_INVALID_ARG;
    }
    return c->scheme == OTA_SIG_RSA3072_PSS ? verify_rsa(c) : verify_ecdsa(c);
}

void ota_port_sig_engine_init(ota_sig_engine_t *engine)
{
    *engine = (ota_sig_engine_t){NULL, engine_verify};
}

/* -n^-1 mod 2^32 by Newton's iteration: x = n is right to 3 bits (n odd), each step doubles. */
static uint32_t montgomery_mdash(uint32_t n0)
{
    uint32_t x = n0;
    for (int i = 0; i < 4; i++) {
        x *= 2u - n0 * x;
    }
    return 0u - x;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* n[384] | e u32 | R^2 mod n [384] (R = 2^3072) | mdash u32, all little-endian. */
static ota_err_t rsa_material(ota_port_sigkey_t *key)
{
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(key->pk);
    uint8_t *m = key->material;
    mbedtls_mpi n, e, rr;
    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    mbedtls_mpi_init(&rr);
    int rc = mbedtls_rsa_export(rsa, &n, NULL, NULL, NULL, &e);
    /* the block has room for a 3072-bit modulus and a 32-bit exponent only */
    bool unsupported = !rc && (mbedtls_mpi_bitlen(&n) != RSA_BITS || mbedtls_mpi_bitlen(&e) > 32);
    rc = rc ? rc : mbedtls_mpi_write_binary_le(&n, m, OTA_SIG_RSA_LEN);
    rc = rc ? rc : mbedtls_mpi_write_binary_le(&e, m + OTA_SIG_RSA_LEN, 4);
    rc = rc ? rc : mbedtls_mpi_lset(&rr, 1);
    rc = rc ? rc : mbedtls_mpi_shift_l(&rr, 2 * RSA_BITS);
    rc = rc ? rc : mbedtls_mpi_mod_mpi(&rr, &rr, &n);
    rc = rc ? rc : mbedtls_mpi_write_binary_le(&rr, m + OTA_SIG_RSA_LEN + 4, OTA_SIG_RSA_LEN);
    mbedtls_mpi_free(&rr);
    mbedtls_mpi_free(&e);
    mbedtls_mpi_free(&n);
    if (unsupported) {
        return OTA_ERR_IMG_SIG_SCHEME;
    }
    if (rc) {
        return OTA_ERR_IO;
    }
    put_le32(m + 2 * OTA_SIG_RSA_LEN + 4,
             montgomery_mdash((uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
                              (uint32_t)m[3] << 24));
    key->scheme = OTA_SIG_RSA3072_PSS;
    key->material_len = 2 * OTA_SIG_RSA_LEN + 8;
    /* PSS with MGF1-SHA-256, used when signing */
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    return OTA_OK;
}

/* curve id | X | Y, little-endian, zero tail up to the field size (P-192). */
static ota_err_t ec_material(ota_port_sigkey_t *key)
{
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
    ota_sig_scheme_t s = OTA_SIG_ECDSA_P192;
    while (s <= OTA_SIG_ECDSA_P384 && ec_group(s) != ec->grp.id) {
        s++;
    }
    ota_sigv2_layout_t l;
    if (ota_sigv2_layout(s, &l) != OTA_OK) {
        return OTA_ERR_IMG_SIG_SCHEME;
    }
    memset(key->material, 0, sizeof key->material);
    key->material[0] = l.curve_id;
    int rc = mbedtls_mpi_write_binary_le(&ec->Q.X, key->material + 1, l.width);
    rc = rc ? rc : mbedtls_mpi_write_binary_le(&ec->Q.Y, key->material + 1 + l.width, l.width);
    if (rc) {
        return OTA_ERR_IO;
    }
    key->scheme = s;
    key->material_len = l.key_len;
    return OTA_OK;
}

ota_err_t ota_port_sigkey_load(ota_port_sigkey_t *key, const char *path)
{
    struct stat st;
    memset(key, 0, sizeof *key);
    /* mbedtls_pk_load_file sizes its buffer with ftell: a directory gives LONG_MAX */
    if (stat(path, &st) != 0) {
        return OTA_ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL; /* callers print errno */
        return OTA_ERR_IO;
    }
    mbedtls_pk_init(&key->pk);
    int rc = mbedtls_pk_parse_public_keyfile(&key->pk, path);
    if (rc) {
        mbedtls_pk_free(&key->pk);
        mbedtls_pk_init(&key->pk);
        rc = mbedtls_pk_parse_keyfile(&key->pk, path, NULL);
        key->has_private = rc == 0;
    }
    if (rc) {
        mbedtls_pk_free(&key->pk);
        return rc == MBEDTLS_ERR_PK_FILE_IO_ERROR ? OTA_ERR_IO : OTA_ERR_INVALID_ARG;
    }
    ota_err_t err;
    switch (mbedtls_pk_get_type(&key->pk)) {
    case MBEDTLS_PK_RSA:
        err = rsa_material(key);
        break;
    case MBEDTLS_PK_ECKEY:
    case MBEDTLS_PK_ECDSA:
        err = ec_material(key);
        break;
    default:
        err = OTA_ERR_IMG_SIG_SCHEME;
    }
    if (err) {
        mbedtls_pk_free(&key->pk);
    }
    return err;
}

void ota_port_sigkey_free(ota_port_sigkey_t *key)
{
    mbedtls_pk_free(&key->pk);
}

void ota_port_sigkey_digest(const ota_port_sigkey_t *key, uint8_t out[OTA_SHA256_LEN])
{
    ota_port_sha256(key->material, key->material_len, out);
}

static int sign_rsa(const ota_port_sigkey_t *key, const uint8_t *digest, uint8_t *sig,
                    mbedtls_ctr_drbg_context *drbg)
{
    uint8_t be[OTA_SIG_RSA_LEN];
    int rc = mbedtls_rsa_rsassa_pss_sign_ext(mbedtls_pk_rsa(key->pk), mbedtls_ctr_drbg_random,
                                             drbg, MBEDTLS_MD_SHA256, OTA_SHA256_LEN, digest,
                                             PSS_SALT_LEN, be);
    if (!rc) {
        reverse_copy(sig, be, sizeof be);
    }
    return rc;
}

static int sign_ecdsa(const ota_port_sigkey_t *key, const uint8_t *digest, size_t digest_len,
                      uint8_t *sig, size_t width, mbedtls_ctr_drbg_context *drbg)
{
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int rc = mbedtls_ecdsa_sign(&ec->grp, &r, &s, &ec->d, digest, digest_len,
                                mbedtls_ctr_drbg_random, drbg);
    rc = rc ? rc : mbedtls_mpi_write_binary_le(&r, sig, width);
    rc = rc ? rc : mbedtls_mpi_write_binary_le(&s, sig + width, width);
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    return rc;
}

ota_err_t ota_port_sigkey_sign(const ota_port_sigkey_t *key, const uint8_t *digest,
                               size_t digest_len, uint8_t *sig)
{
    ota_sigv2_layout_t l;
    if (!key->has_private || ota_sigv2_layout(key->scheme, &l) != OTA_OK ||
        digest_len != l.digest_len) {
        return OTA_ERR_INVALID_ARG;
    }
    static const char pers[] = "libota sigv2 sign";
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                   (const unsigned char *)pers, sizeof pers - 1);
    memset(sig, 0, l.sig_len); /* P-192: zero tail after r and after s */
    if (!rc) {
        rc = key->scheme == OTA_SIG_RSA3072_PSS
                 ? sign_rsa(key, digest, sig, &drbg)
                 : sign_ecdsa(key, digest, digest_len, sig, l.width, &drbg);
    }
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return rc ? OTA_ERR_IO : OTA_OK;
}
