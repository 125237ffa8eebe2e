/* ota_hash_t SHA-256 on OpenSSL 3 EVP (Debian libssl-dev). */
#include "ota_port/hash_openssl.h"

#include <openssl/evp.h>

static ota_err_t map(int ok)
{
    return ok == 1 ? OTA_OK : OTA_ERR_IO;
}

static ota_err_t sha256_start(void *arg)
{
    ota_openssl_sha256_t *st = arg;
    return map(EVP_DigestInit_ex(st->ctx, st->md, NULL));
}

static ota_err_t sha256_update(void *arg, const void *data, size_t len)
{
    ota_openssl_sha256_t *st = arg;
    return map(EVP_DigestUpdate(st->ctx, data, len));
}

static ota_err_t sha256_finish(void *arg, uint8_t *digest)
{
    ota_openssl_sha256_t *st = arg;
    return map(EVP_DigestFinal_ex(st->ctx, digest, NULL));
}

ota_err_t ota_port_openssl_sha256_init(ota_hash_t *hash, ota_openssl_sha256_t *state)
{
    if (!hash || !state) {
        return OTA_ERR_INVALID_ARG;
    }
    state->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    state->ctx = EVP_MD_CTX_new();
    if (!state->md || !state->ctx) {
        ota_port_openssl_sha256_free(state);
        return OTA_ERR_IO;
    }
    *hash = (ota_hash_t){state, sha256_start, sha256_update, sha256_finish, OTA_SHA256_LEN};
    return OTA_OK;
}

void ota_port_openssl_sha256_free(ota_openssl_sha256_t *state)
{
    if (!state) {
        return;
    }
    EVP_MD_CTX_free(state->ctx);
    EVP_MD_free(state->md);
    state->ctx = NULL;
    state->md = NULL;
}
