/*
 * libota's ESP-IDF facade: esp_restart(). On the host, "restarting" is up to
 * the program that runs the application code: it installs a hook with
 * esp_idf_host_set_restart() (compat/esp-idf/host/esp_idf_host.h), e.g. one
 * that runs the boot decision and starts app_main again. Without a hook
 * esp_restart() aborts the program.
 */
#ifndef ESP_SYSTEM_H
#define ESP_SYSTEM_H

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

void esp_restart(void) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif
