/* Shared by the commands that work on a simulated device (ota flash|data|boot|update). */
#ifndef OTA_TOOLS_DEVCLI_H
#define OTA_TOOLS_DEVCLI_H

#include <stdbool.h>

#include "hostdev.h"

/* The value of option argv[*i] (advancing *i), or NULL after printing the error. */
const char *devcli_value(int argc, char **argv, int *i);

/* Load FLASH (and FLASH.state) into a new device; prints the error. Returns 0 or CLI_EXIT_USAGE. */
int devcli_load(const char *flash, hostdev_t **out);

/* Write the device back (flash and state, each atomically). Returns 0 or CLI_EXIT_USAGE. */
int devcli_save(hostdev_t *d, const char *flash);

/* devcli_save, then free the device. */
int devcli_save_close(hostdev_t *d, const char *flash);

/* Free without saving. */
void devcli_close(hostdev_t *d);

/* "ota: error: <what>: <d->error or ota_strerror(err)>"; returns CLI_EXIT_USAGE. */
int devcli_error(const hostdev_t *d, const char *what, ota_err_t err);

/* Parse the build options shared by boot and update; returns true if argv[*i] was one. */
bool devcli_build_option(const char *arg, hostdev_build_t *build);

#endif
