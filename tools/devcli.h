/* Shared by the commands that work on a simulated device (ota flash|data|boot|update). */
#ifndef OTA_TOOLS_DEVCLI_H
#define OTA_TOOLS_DEVCLI_H

#include <stdbool.h>

#include "hostdev.h"
#include "imgsig.h"

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

/* Parse the build options shared by boot, update and app (--rollback, --anti-rollback,
 * --esp-idf-writes); returns true if argv[*i] was one. */
bool devcli_build_option(const char *arg, hostdev_build_t *build);

/* --require-signed and its keys (--pubkey PUB.pem, repeatable): the device's eFuse digests. */
typedef struct devcli_trust {
    bool require_signed;
    imgsig_trust_t keys;
} devcli_trust_t;

#define DEVCLI_TRUST_USAGE \
    "--require-signed --pubkey PUB.pem [--pubkey ...]: Secure Boot v2; only app\n" \
    "images signed by one of these keys (their digests are the eFuse's) are accepted.\n"

/* Parse argv[*i] if it is --require-signed or --pubkey PUB.pem (advancing *i).
 * Returns -1 when it is neither, else 0 or CLI_EXIT_USAGE (error printed). */
int devcli_trust_option(int argc, char **argv, int *i, devcli_trust_t *t);

/* After parsing: the two options go together; point build at the keys (t must outlive build's use).
 * Returns 0 or CLI_EXIT_USAGE (error printed). */
int devcli_trust_apply(devcli_trust_t *t, hostdev_build_t *build);

#endif
