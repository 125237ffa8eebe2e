/* ota_hash_t on top of mbedTLS (Debian libmbedtls-dev, 2.28 API). */
#include "ota_port/hash_mbedtls.h"

#include <string.h>

static ota_err_t map(int rc)
{
    return rc == 0 ? OTA_OK : OTA_ERR_IO;
}

static ota_err_t sha256_start(void *ctx)
{
    mbedtls_sha256_init(ctx);
    return map(mbedtls_sha256_starts_ret(ctx, 0));
}

static ota_err_t sha256_update(void *ctx, const void *data, size_t len)
{
    return map(mbedtls_sha256_update_ret(ctx, data, len));
}

static ota_err_t sha256_finish(void *ctx, uint8_t *digest)
{
    ota_err_t err = map(mbedtls_sha256_finish_ret(ctx, digest));
    mbedtls_sha256_free(ctx);
    return err;
}

/* SHA-384 is SHA-512 with other initial values and a truncated output (is384 = 1). */
static ota_err_t sha384_start(void *ctx)
{
    mbedtls_sha512_init(ctx);
    return map(mbedtls_sha512_starts_ret(ctx, 1));
}

static ota_err_t sha384_update(void *ctx, const void *data, size_t len)
{
    return map(mbedtls_sha512_update_ret(ctx, data, len));
}

/* The API is declared with a 64-byte output: finish into a full-size buffer. */
static ota_err_t sha384_finish(void *ctx, uint8_t *digest)
{
    uint8_t full[64];
    ota_err_t err = map(mbedtls_sha512_finish_ret(ctx, full));
    mbedtls_sha512_free(ctx);
    memcpy(digest, full, OTA_SHA384_LEN);
    return err;
}

static ota_err_t md5_start(void *ctx)
{
    mbedtls_md5_init(ctx);
    return map(mbedtls_md5_starts_ret(ctx));
}

static ota_err_t md5_update(void *ctx, const void *data, size_t len)
{
    return map(mbedtls_md5_update_ret(ctx, data, len));
}

static ota_err_t md5_finish(void *ctx, uint8_t *digest)
{
    ota_err_t err = map(mbedtls_md5_finish_ret(ctx, digest));
    mbedtls_md5_free(ctx);
    return err;
}

void ota_port_sha256_init(ota_hash_t *hash, mbedtls_sha256_context *ctx)
{
    *hash = (ota_hash_t){ctx, sha256_start, sha256_update, sha256_finish, OTA_SHA256_LEN};
}

void ota_port_sha384_init(ota_hash_t *hash, mbedtls_sha512_context *ctx)
{
    *hash = (ota_hash_t){ctx, sha384_start, sha384_update, sha384_finish, OTA_SHA384_LEN};
}

void ota_port_md5_init(ota_hash_t *hash, mbedtls_md5_context *ctx)
{
    *hash = (ota_hash_t){ctx, md5_start, md5_update, md5_finish, OTA_MD5_LEN};
}

void ota_port_sha256(const void *data, size_t len, uint8_t out[OTA_SHA256_LEN])
{
    mbedtls_sha256_ret(data, len, out, 0);
}

void ota_port_sha384(const void *data, size_t len, uint8_t out[OTA_SHA384_LEN])
{
    uint8_t full[64];
    mbedtls_sha512_ret(data, len, full, 1);
    memcpy(out, full, OTA_SHA384_LEN);
}

void ota_port_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN])
{
    mbedtls_md5_ret(data, len, out);
}
