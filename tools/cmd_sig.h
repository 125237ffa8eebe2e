/*
 * Secure Boot v2 signing and signature checks for the CLI (tools/cmd_sig.c).
 *
 * `ota sig sign|verify` is their temporary home; `ota image sign` and
 * `ota image verify --pubkey` forward to the functions below.
 */
#ifndef OTA_TOOLS_CMD_SIG_H
#define OTA_TOOLS_CMD_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "ota_port/sig_mbedtls.h"

/* Load a PEM key (ota_port_sigkey_load); prints why it cannot be used. Returns 0 or CLI_EXIT_USAGE. */
int sig_load_key(const char *path, ota_port_sigkey_t *key);

/*
 * Check the signature sector of the image in data[0..len) (a file or a
 * partition dump: the partition is the whole buffer), image_len bytes long
 * before padding, trusting the public-key digests of the PEM files
 * pubkeys[0..n) (public or private keys). Prints one line: on stdout when a
 * block verifies, else "ota: error: NAME: ..." on stderr with every block's
 * reason. Returns 0, CLI_EXIT_FAIL (no block counts) or CLI_EXIT_USAGE (a key
 * cannot be loaded).
 */
int sig_check_image(const char *name, const uint8_t *data, size_t len, uint32_t image_len,
                    const char *const *pubkeys, size_t n);

/* `sign --key KEY.pem [--key ...] IN -o OUT` with argv[0] = "sign". */
int sig_cmd_sign(int argc, char **argv);

/* `verify FILE --pubkey PUB.pem [--pubkey ...] [--image-len N]` with argv[0] = "verify". */
int sig_cmd_verify(int argc, char **argv);

#endif
