/* App images for tests, built with tools/imgpack (the layout esptool elf2image makes). */
#ifndef OTA_TEST_TESTIMG_H
#define OTA_TEST_TESTIMG_H

#include <stddef.h>
#include <stdint.h>

typedef struct tu_image {
    uint8_t *data; /* malloc'd */
    size_t len;
} tu_image_t;

/* An app for chip (OTA_CHIP_*) with project "libota-test", the given version
 * and secure_version, about `size` bytes, SHA-256 appended. Fails the test on error. */
tu_image_t tu_app_image(uint16_t chip, const char *version, uint32_t secure_version, uint32_t size);

void tu_image_free(tu_image_t *img);

/* Add a Secure Boot v2 signature block by the vectors' key (e.g. "rsa3072_a":
 * signed/keys/rsa3072_a.priv.pem) with `ota image sign`'s code: the first call
 * pads the image and appends the sector, later ones add blocks to it. */
void tu_image_sign(tu_image_t *img, const char *key);

/* The vectors' eFuse digest of that key (signed/keys/KEY.pubkey_digest.bin). */
void tu_key_digest(const char *key, uint8_t out[32]);

#endif
