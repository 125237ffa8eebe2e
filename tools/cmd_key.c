/* `ota key digest PEM [-o OUT.bin]`: the Secure Boot v2 public-key digest (the eFuse value). */
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "imgsig.h"

static const char k_usage[] =
    "usage: ota key digest KEY.pem [-o OUT.bin]\n"
    "\n"
    "Print the Secure Boot v2 public-key digest of a public or private PEM key:\n"
    "SHA-256 of the key material a signature block stores, the value burned into\n"
    "eFuse. -o also writes the 32 raw bytes to OUT.bin.\n";

static int key_digest(int argc, char **argv)
{
    const char *pem = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(k_usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-' || pem) {
            return cli_error("unexpected argument '%s' (try `ota key --help`)", argv[i]);
        } else {
            pem = argv[i];
        }
    }
    if (!pem) {
        return cli_error("usage: ota key digest KEY.pem [-o OUT.bin]");
    }
    ota_port_sigkey_t key;
    if (imgsig_load_key(pem, &key)) {
        return CLI_EXIT_USAGE;
    }
    uint8_t digest[OTA_SHA256_LEN];
    ota_port_sigkey_digest(&key, digest);
    ota_port_sigkey_free(&key);
    if (out && cli_write_file(out, digest, sizeof digest)) {
        return CLI_EXIT_USAGE;
    }
    cli_hex(stdout, digest, sizeof digest);
    putchar('\n');
    return 0;
}

int cmd_key(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "digest")) {
        return key_digest(argc - 1, argv + 1);
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(k_usage, stdout);
        return 0;
    }
    return cli_error("usage: ota key digest KEY.pem [-o OUT.bin] (try `ota key --help`)");
}
