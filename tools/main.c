/* build/ota: the libota command-line tool. Dispatches to tools/cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command k_commands[] = {
    {"version", cmd_version, "print the libota version"},
    {"image", cmd_image, "inspect, verify, sign and build ESP app images"},
    {"key", cmd_key, "Secure Boot v2 public-key digest (eFuse value) of a PEM key"},
    {"fetch", cmd_fetch, "download an image over HTTP(S) with safe resume"},
    {"part", cmd_part, "partition table CSV <-> binary (gen_esp32part.py)"},
    {"flash", cmd_flash, "create the flash image of a simulated device"},
    {"data", cmd_data, "read, switch or erase otadata (otatool.py)"},
    {"boot", cmd_boot, "power on a simulated device: the bootloader's choice"},
    {"update", cmd_update, "install an app image as the running app would (esp_ota_*)"},
    {"app", cmd_app, "the running app confirms or rejects itself (rollback)"},
    {"device", cmd_device, "run a simulated device updating itself over HTTPS"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: ota COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++) {
        fprintf(out, "  %-8s %s\n", k_commands[i].name, k_commands[i].summary);
    }
    fprintf(out, "\n`ota COMMAND --help` describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++) {
        if (!strcmp(argv[1], k_commands[i].name)) {
            return k_commands[i].run(argc - 1, argv + 1);
        }
    }
    return cli_error("unknown command '%s' (try `ota --help`)", argv[1]);
}
