#include "devcli.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *devcli_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        cli_error("option '%s' needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int devcli_load(const char *flash, hostdev_t **out)
{
    if (!flash) {
        return cli_error("missing --flash FLASH");
    }
    hostdev_t *d = malloc(sizeof *d);
    if (!d) {
        return cli_error("out of memory");
    }
    ota_err_t err = hostdev_load(d, flash);
    if (err) {
        int rc = devcli_error(d, flash, err);
        devcli_close(d);
        return rc;
    }
    *out = d;
    return 0;
}

int devcli_save(hostdev_t *d, const char *flash)
{
    ota_err_t err = hostdev_save(d, flash);
    return err ? devcli_error(d, flash, err) : 0;
}

int devcli_save_close(hostdev_t *d, const char *flash)
{
    int rc = devcli_save(d, flash);
    devcli_close(d);
    return rc;
}

void devcli_close(hostdev_t *d)
{
    if (d) {
        hostdev_close(d);
        free(d);
    }
}

int devcli_error(const hostdev_t *d, const char *what, ota_err_t err)
{
    return cli_error("%s: %s", what, d && d->error[0] ? d->error : ota_strerror(err));
}

bool devcli_build_option(const char *arg, hostdev_build_t *build)
{
    if (!strcmp(arg, "--rollback")) {
        build->rollback = true;
    } else if (!strcmp(arg, "--anti-rollback")) {
        build->rollback = build->anti_rollback = true;
    } else if (!strcmp(arg, "--esp-idf-writes")) {
        build->writes = OTA_WRITES_FAITHFUL;
    } else {
        return false;
    }
    return true;
}

int devcli_trust_option(int argc, char **argv, int *i, devcli_trust_t *t)
{
    if (!strcmp(argv[*i], "--require-signed")) {
        t->require_signed = true;
        return 0;
    }
    if (strcmp(argv[*i], "--pubkey")) {
        return -1;
    }
    const char *path = devcli_value(argc, argv, i);
    return path ? imgsig_trust_add(&t->keys, path) : CLI_EXIT_USAGE;
}

int devcli_trust_apply(devcli_trust_t *t, hostdev_build_t *build)
{
    if (t->require_signed != (t->keys.n > 0)) {
        return cli_error(t->require_signed ? "--require-signed needs at least one --pubkey PUB.pem"
                                           : "--pubkey is only used with --require-signed");
    }
    build->require_signed = (hostdev_keys_t){
        .digests = (const uint8_t(*)[OTA_SHA256_LEN])t->keys.digests,
        .count = t->keys.n,
    };
    return 0;
}
