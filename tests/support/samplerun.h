/*
 * Runs an ESP-IDF sample application (tests/samples/X_example.c: app_main written
 * against the facade's ESP-IDF headers only) on a simulated device, as a chip
 * would: power on (the bootloader's decision), app_main(), and on
 * esp_restart() power on again.
 *
 * Device: ESP-IDF's two-OTA layout (nvs, otadata at 0xD000, phy_init,
 * factory 0x10000, ota_0 0x110000, ota_1 0x210000, 1 MiB each), ESP32-C3,
 * 4 MiB of flash, `factory` holding the given image.
 */
#ifndef OTA_TEST_SAMPLERUN_H
#define OTA_TEST_SAMPLERUN_H

#include "hostdev.h"
#include "netserve.h"
#include "testimg.h"

#define TU_OTADATA 0xD000u
#define TU_OTA_0 0x110000u
#define TU_OTA_1 0x210000u
#define TU_SLOT 0x100000u

hostdev_t *tu_sample_device(const tu_image_t *factory);
void tu_sample_device_free(hostdev_t *d);

/*
 * Power on and run app until it returns instead of restarting, or until
 * max_boots power-ons have run; returns the number of power-ons. Asserts
 * that every power-on boots.
 */
unsigned tu_sample_run(hostdev_t *d, const hostdev_build_t *build, void (*app)(void),
                       unsigned max_boots);

/* Version of the app the last power-on started. */
const char *tu_sample_running_version(hostdev_t *d);

/* otadata state of an app partition (OTA_IMG_*). */
uint32_t tu_sample_state(hostdev_t *d, const char *label);

/* Write img to dir/name (for the test servers). */
void tu_sample_publish(const char *dir, const char *name, const uint8_t *data, size_t len);

/* A fresh directory under /tmp for the servers' files; remove it with tu_sample_rmdir. */
void tu_sample_mkdir(char *dir, size_t cap);
void tu_sample_rmdir(const char *dir);

/* Set env var `name` to the text of the file at path (a CA for the samples). */
void tu_sample_setenv_file(const char *name, const char *path);

#endif
