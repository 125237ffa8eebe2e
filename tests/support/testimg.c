#include "testimg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgfile.h"
#include "imgpack.h"
#include "imgsig.h"
#include "testutil.h"

tu_image_t tu_app_image(uint16_t chip, const char *version, uint32_t secure_version, uint32_t size)
{
    ota_app_desc_t desc;
    imgpack_opts_t o;
    imgpack_app_desc(&desc, "libota-test", version, secure_version);
    imgpack_defaults(&o, chip);
    o.app_desc = &desc;
    o.target_size = size;
    tu_image_t img = {NULL, 0};
    assert_int_equal(imgpack_build(&o, &img.data, &img.len), OTA_OK);
    return img;
}

void tu_image_free(tu_image_t *img)
{
    free(img->data);
    img->data = NULL;
    img->len = 0;
}

/* signed/keys/KEY<suffix> under the vectors (tu_vector_path's buffer is static: copied). */
static void key_path(const char *key, const char *suffix, char *out, size_t size)
{
    char rel[128];
    snprintf(rel, sizeof rel, "signed/keys/%s%s", key, suffix);
    snprintf(out, size, "%s", tu_vector_path(rel));
}

void tu_image_sign(tu_image_t *img, const char *key)
{
    char path[1024];
    key_path(key, ".priv.pem", path, sizeof path);
    imgfile_t f;
    ota_image_info_t info;
    assert_int_equal(imgfile_open(&f, img->data, img->len), OTA_OK);
    assert_int_equal(imgfile_verify(&f, OTA_IMAGE_FORMAT, NULL, 4096, &info), OTA_OK);
    const char *keys[1] = {path};
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(imgsig_sign_mem("test image", &f, info.image_len, keys, 1, &out, &len), 0);
    imgfile_close(&f);
    free(img->data);
    img->data = out;
    img->len = len;
}

void tu_key_digest(const char *key, uint8_t out[32])
{
    char path[1024];
    key_path(key, ".pubkey_digest.bin", path, sizeof path);
    size_t len = 0;
    uint8_t *data = tu_read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(len, 32);
    memcpy(out, data, 32);
    free(data);
}
