#include "samplerun.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_idf_host.h"
#include "testutil.h"

static jmp_buf g_env;

static void restart(void *arg)
{
    (void)arg;
    longjmp(g_env, 1);
}

static void add(ota_partition_table_t *t, const char *label, uint8_t type, uint8_t subtype,
                uint32_t offset, uint32_t size)
{
    ota_partition_t *p = &t->entries[t->count++];
    *p = (ota_partition_t){.type = type, .subtype = subtype, .offset = offset, .size = size};
    snprintf(p->label, sizeof p->label, "%s", label);
}

hostdev_t *tu_sample_device(const tu_image_t *factory)
{
    ota_partition_table_t t = {.count = 0};
    add(&t, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x9000, 0x4000);
    add(&t, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, TU_OTADATA, 0x2000);
    add(&t, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0xF000, 0x1000);
    add(&t, "factory", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_FACTORY, 0x10000, TU_SLOT);
    add(&t, "ota_0", OTA_PART_TYPE_APP, 0x10, TU_OTA_0, TU_SLOT);
    add(&t, "ota_1", OTA_PART_TYPE_APP, 0x11, TU_OTA_1, TU_SLOT);
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    mbedtls_md5_context md5_ctx;
    ota_hash_t md5;
    ota_port_md5_init(&md5, &md5_ctx);
    assert_int_equal(ota_partition_table_serialize(&t, &md5, bin, sizeof bin), OTA_OK);
    hostdev_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    assert_int_equal(hostdev_create(d, 0x400000, 0x8000, bin, sizeof bin, "esp32c3"), OTA_OK);
    assert_int_equal(hostdev_write_partition(d, "factory", factory->data, factory->len), OTA_OK);
    return d;
}

void tu_sample_device_free(hostdev_t *d)
{
    esp_idf_host_detach();
    hostdev_close(d);
    free(d);
}

unsigned tu_sample_run(hostdev_t *d, const hostdev_build_t *build, void (*app)(void),
                       unsigned max_boots)
{
    static volatile unsigned boots; /* changes across the longjmp of esp_restart() */
    boots = 0;
    esp_idf_host_set_restart(restart, NULL);
    (void)setjmp(g_env); /* esp_restart() lands here */
    if (boots < max_boots) {
        boots++;
        esp_idf_host_detach();
        ota_boot_result_t res;
        assert_int_equal(hostdev_boot(d, build, NULL, &res), OTA_OK);
        assert_int_equal(hostdev_app(d, build), OTA_OK);
        assert_int_equal(esp_idf_host_attach(&d->ota), 0);
        app();
    }
    esp_idf_host_set_restart(NULL, NULL);
    return boots;
}

const char *tu_sample_running_version(hostdev_t *d)
{
    static ota_app_desc_t desc;
    assert_int_equal(ota_get_partition_description(&d->ota, d->running, &desc), OTA_OK);
    return desc.version;
}

uint32_t tu_sample_state(hostdev_t *d, const char *label)
{
    uint32_t s = 0;
    assert_int_equal(ota_get_state_partition(&d->ota, hostdev_part(d, label), &s), OTA_OK);
    return s;
}

void tu_sample_publish(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void tu_sample_mkdir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/ota-sample-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

void tu_sample_rmdir(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char path[512];
    while (dp && (e = readdir(dp))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (dp) {
        closedir(dp);
    }
    rmdir(dir);
}

void tu_sample_setenv_file(const char *name, const char *path)
{
    size_t len = 0;
    uint8_t *text = tu_read_file(path, &len);
    assert_non_null(text);
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, text, len);
    s[len] = '\0';
    setenv(name, s, 1);
    free(s);
    free(text);
}
