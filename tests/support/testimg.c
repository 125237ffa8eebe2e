#include "testimg.h"

#include <stdlib.h>

#include "imgpack.h"
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
