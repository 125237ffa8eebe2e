#include "netopts.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char netopts_usage[] =
    "  --ca CA.pem            trust this CA for https (default: the system store)\n"
    "  --pin sha256//BASE64   also require this server public key\n"
    "  --allow-http           accept plain http://\n"
    "  --timeout-ms N         connect timeout and longest silence (default 10000/30000)\n"
    "  --min-rate N           fail below N bytes/s over --timeout-ms (default 100, 0: off)\n"
    "  --retries N            consecutive failures retried (default 3)\n"
    "  --backoff-ms N         first retry delay, doubled each time (default 250)\n";

/* A numeric option's value into *out; false after printing the error. */
static bool number(const char *name, const char *value, uint32_t *out)
{
    if (!cli_parse_u32(value, out)) {
        cli_error("%s: '%s' is not a number", name, value);
        return false;
    }
    return true;
}

static bool value_option(ota_net_config_t *cfg, const char *name, const char *value)
{
    uint32_t n = 0;
    if (!strcmp(name, "--ca")) {
        if (access(value, R_OK) != 0) {
            cli_error("cannot read CA file '%s': %s", value, strerror(errno));
            return false;
        }
        cfg->ca_file = value;
    } else if (!strcmp(name, "--pin")) {
        cfg->pinned_key = value;
    } else if (!number(name, value, &n)) {
        return false;
    } else if (!strcmp(name, "--timeout-ms")) {
        cfg->connect_timeout_ms = cfg->stall_timeout_ms = n;
    } else if (!strcmp(name, "--min-rate")) {
        cfg->min_rate_bps = n;
    } else if (!strcmp(name, "--retries")) {
        cfg->retries = n;
    } else {
        cfg->backoff_ms = n;
    }
    return true;
}

int netopts_parse(ota_net_config_t *cfg, int argc, char **argv, int *i)
{
    static const char *const with_value[] = {"--ca", "--pin", "--timeout-ms", "--min-rate",
                                             "--retries", "--backoff-ms"};
    const char *arg = argv[*i];
    if (!strcmp(arg, "--allow-http")) {
        cfg->allow_http = true;
        return 1;
    }
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
        if (strcmp(arg, with_value[k])) {
            continue;
        }
        if (*i + 1 >= argc) {
            cli_error("option '%s' needs a value", arg);
            return -1;
        }
        return value_option(cfg, arg, argv[++*i]) ? 1 : -1;
    }
    return 0;
}
