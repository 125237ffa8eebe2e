/*
 * ota device: the simulated device runs an OTA app like ESP-IDF's examples,
 * over the network, rebooting as a chip would, until nothing is left to do.
 * Every power-on reloads FLASH and FLASH.state, so only what was saved (the
 * bootloader's and app's otadata writes, download progress at its commits)
 * survives a reboot or a killed process.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "devcli.h"
#include "devconsole.h"
#include "netopts.h"

static const char k_usage_head[] =
    "usage: ota device --flash FLASH --url URL [--rollback] [--anti-rollback]\n"
    "                  [--require-signed --pubkey PUB.pem ...] [--bad-version VER]\n"
    "                  [--max-boots N] [network options]\n"
    "\n"
    "Run the simulated device like a chip running ESP-IDF's OTA example: power on\n"
    "(the bootloader's choice, as `ota boot`), start the app. On its first boot\n"
    "after an update the app confirms itself, or, if its version is VER, fails\n"
    "its health check, marks itself invalid and reboots into the previous app\n"
    "(rollback needs --rollback). Then it reads the image header at URL and,\n"
    "unless the image has the running version or the version that failed before\n"
    "(or is for another chip, or below the anti-rollback counter), downloads it\n"
    "into the next OTA slot, verifies it, makes it the boot partition and\n"
    "reboots; until the server has nothing new. Downloads resume after a killed\n"
    "process from the progress record FLASH.resume.\n"
    "  --max-boots N          give up after N power-ons (default 10)\n"
    DEVCLI_TRUST_USAGE;
static const char k_usage_tail[] =
    "Prints the console log and a last line `device: running LABEL version V (...)`.\n"
    "Exit 0 up to date, 1 an update failed or was refused (the device still runs\n"
    "its app), 2 other errors.\n";

#define MAX_BOOTS_DEFAULT 10u

struct device_args {
    const char *flash, *url, *bad_version;
    uint32_t max_boots;
    hostdev_build_t build;
    devcli_trust_t trust;
    ota_net_config_t cfg;
};

/* What happened, for the last line. */
struct story {
    char running[OTA_PART_LABEL_LEN + 1];
    char version[33];
    char events[400];
};

/* How one power-on ended. */
enum step { STEP_REBOOT, STEP_GO_ON, STEP_UP_TO_DATE, STEP_UPDATE_FAILED, STEP_ERROR };

static void story_add(struct story *st, const char *fmt, const char *arg)
{
    size_t n = strlen(st->events);
    if (n && n + 2 < sizeof st->events) {
        memcpy(st->events + n, ", ", 3);
        n += 2;
    }
    snprintf(st->events + n, sizeof st->events - n, fmt, arg);
}

/* ---- arguments ------------------------------------------------------------------ */

static int own_option(struct device_args *a, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *v;
    int rc = devcli_trust_option(argc, argv, i, &a->trust);
    if (rc >= 0 || devcli_build_option(arg, &a->build)) {
        return rc > 0 ? rc : 0;
    }
    if (strcmp(arg, "--flash") && strcmp(arg, "--url") && strcmp(arg, "--bad-version") &&
        strcmp(arg, "--max-boots")) {
        return cli_error("device: unexpected argument '%s' (see `ota device --help`)", arg);
    }
    if (!(v = devcli_value(argc, argv, i))) {
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(arg, "--flash")) {
        a->flash = v;
    } else if (!strcmp(arg, "--url")) {
        a->url = v;
    } else if (!strcmp(arg, "--bad-version")) {
        a->bad_version = v;
    } else if (!cli_parse_u32(v, &a->max_boots) || a->max_boots == 0) {
        return cli_error("--max-boots: invalid number '%s'", v);
    }
    return 0;
}

/* Returns 0 to go on, -1 when help was printed, or the exit code. */
static int parse_args(struct device_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int net = netopts_parse(&a->cfg, argc, argv, &i), rc = 0;
        if (net < 0) {
            return CLI_EXIT_USAGE;
        }
        if (!net && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
            printf("%s%s%s", k_usage_head, netopts_usage, k_usage_tail);
            return -1;
        }
        if (!net && (rc = own_option(a, argc, argv, &i)) != 0) {
            return rc;
        }
    }
    if (!a->flash || !a->url) {
        return cli_error("device: --flash FLASH and --url URL are required");
    }
    a->cfg.url = a->url;
    return devcli_trust_apply(&a->trust, &a->build);
}

/* ---- the app ----------------------------------------------------------------------- */

struct app {
    const struct device_args *a;
    devcon_t *con;
    struct story *st;
    hostdev_t *d;
};

static enum step save(struct app *app)
{
    return devcli_save(app->d, app->a->flash) ? STEP_ERROR : STEP_GO_ON;
}

/* native_ota_example's start-up: on the first boot after an update, run the
 * diagnostic and confirm the app, or reject it and reboot into the old one. */
static enum step self_test(struct app *app, const ota_app_desc_t *me)
{
    hostdev_t *d = app->d;
    uint32_t state = 0;
    if (ota_get_state_partition(&d->ota, d->running, &state) != OTA_OK ||
        state != OTA_IMG_PENDING_VERIFY) {
        return STEP_GO_ON;
    }
    if (!app->a->bad_version || strcmp(app->a->bad_version, me->version) != 0) {
        ota_err_t err = ota_mark_app_valid(&d->ota);
        if (err) {
            cli_error("device: confirming the app failed: %s", ota_strerror(err));
            return STEP_ERROR;
        }
        devcon_log(app->con, 'I', "app", "diagnostics passed: app marked valid, rollback cancelled");
        return save(app);
    }
    devcon_log(app->con, 'E', "app", "diagnostics failed (version %s); rolling back", me->version);
    ota_err_t err = ota_mark_app_invalid(&d->ota);
    if (err) {
        devcon_log(app->con, 'E', "app", "rollback impossible: %s", ota_strerror(err));
        story_add(app->st, "v%s failed its health check, no rollback possible", me->version);
        cli_error("device: version %s failed its health check and cannot roll back: %s [%s]",
                  me->version, ota_strerror(err), ota_err_name(err));
        return STEP_UPDATE_FAILED;
    }
    story_add(app->st, "v%s rejected, rolled back", me->version);
    devcon_log(app->con, 'I', "app", "app marked invalid; rebooting into the previous app");
    return save(app) == STEP_GO_ON ? STEP_REBOOT : STEP_ERROR;
}

/* ---- the update -------------------------------------------------------------------- */

struct update {
    struct app *app;
    ota_net_update_sink_t sink;
};

static ota_err_t persist(void *arg)
{
    struct app *app = arg;
    return hostdev_save(app->d, app->a->flash);
}

/* The engine's decide: the app's rules, and what the console says about them. */
static ota_err_t decide(void *arg, const uint8_t *head, size_t len, uint64_t total)
{
    struct update *u = arg;
    devcon_t *con = u->app->con;
    ota_err_t err = ota_net_update_sink_decide(&u->sink, head, len, total);
    const ota_app_desc_t *nd = &u->sink.desc;
    if (nd->magic_word == OTA_APP_DESC_MAGIC) {
        devcon_log(con, 'I', "app", "server image: %s %s (secure_version %" PRIu32 "), %" PRIu64 " bytes",
                   nd->project_name, nd->version, nd->secure_version, total);
    }
    if (err == OTA_ERR_OTA_SAME_VERSION) {
        devcon_log(con, 'I', "app", "the running version is the server's: no update");
    } else if (err == OTA_ERR_OTA_KNOWN_INVALID) {
        devcon_log(con, 'W', "app", "version %s failed before: not installing it again", nd->version);
    } else if (err) {
        devcon_log(con, 'E', "app", "image refused: %s", ota_strerror(err));
    } else {
        devcon_log(con, 'I', "app", "writing to %s at 0x%" PRIx32, u->sink.part->label,
                   u->sink.part->offset);
    }
    return err;
}

static enum step fetch_failed(struct app *app, ota_err_t err, const ota_net_result_t *res)
{
    const char *url = app->a->url;
    if (err == OTA_ERR_OTA_SAME_VERSION || err == OTA_ERR_OTA_KNOWN_INVALID) {
        return STEP_UP_TO_DATE;
    }
    devcon_log(app->con, 'E', "app", "update failed: %s", ota_strerror(err));
    story_add(app->st, "update failed: %s", ota_strerror(err));
    cli_error("device: update from %s failed: %s [%s]%s%s", url, ota_strerror(err), ota_err_name(err),
              res->detail[0] ? ": " : "", res->detail);
    return STEP_UPDATE_FAILED;
}

static enum step installed(struct update *u, const ota_net_result_t *res)
{
    struct app *app = u->app;
    devcon_log(app->con, 'I', "app",
               "downloaded %" PRIu64 " bytes: %u request(s), %" PRIu64 " bytes transferred, resumed from %" PRIu64,
               res->written, res->attempts, res->transferred, res->resumed_from);
    ota_err_t err = ota_net_update_sink_finish(&u->sink);
    if (err) {
        devcon_log(app->con, 'E', "app", "image validation failed: %s", ota_strerror(err));
        story_add(app->st, "update failed: %s", ota_strerror(err));
        cli_error("device: image from %s refused: %s [%s]", app->a->url, ota_strerror(err),
                  ota_err_name(err));
        return STEP_UPDATE_FAILED;
    }
    story_add(app->st, "installed v%s", u->sink.desc.version);
    devcon_log(app->con, 'I', "app", "%s verified and set to boot; restarting", u->sink.part->label);
    return save(app) == STEP_GO_ON ? STEP_REBOOT : STEP_ERROR;
}

static char *resume_path(const char *flash)
{
    size_t n = strlen(flash) + sizeof HOSTDEV_RESUME_SUFFIX;
    char *p = malloc(n);
    if (p) {
        snprintf(p, n, "%s%s", flash, HOSTDEV_RESUME_SUFFIX);
    }
    return p;
}

static enum step check_for_update(struct app *app)
{
    const ota_partition_t *target = ota_get_next_update_partition(&app->d->ota, NULL);
    char *record = resume_path(app->a->flash);
    if (!target || !record) {
        cli_error("device: %s", record ? "the partition table has no OTA slot" : "out of memory");
        free(record);
        return STEP_ERROR;
    }
    struct update u = {.app = app};
    ota_net_file_store_t store;
    ota_net_update_sink_init(&u.sink, &app->d->ota, target, persist, app);
    ota_net_file_store_init(&store, record);
    ota_net_config_t cfg = app->a->cfg;
    cfg.decide = decide;
    cfg.decide_ctx = &u;
    cfg.progress = devcon_progress;
    cfg.progress_ctx = app->con;
    cfg.store = &store.store;
    app->con->last_step = 0;
    devcon_log(app->con, 'I', "app", "checking %s", app->a->url);
    ota_net_result_t res;
    ota_err_t err = ota_net_fetch(&cfg, &u.sink.sink, &res);
    enum step s = err ? fetch_failed(app, err, &res) : installed(&u, &res);
    ota_net_update_sink_close(&u.sink);
    free(record);
    return s;
}

/* ---- power cycles ------------------------------------------------------------------- */

static enum step run_app(struct app *app)
{
    hostdev_t *d = app->d;
    ota_app_desc_t me;
    ota_err_t err = hostdev_app(d, &app->a->build);
    if (err) {
        devcli_error(d, app->a->flash, err);
        return STEP_ERROR;
    }
    (void)ota_get_partition_description(&d->ota, d->running, &me); /* zeroed if none */
    devcon_app_report(app->con, &me);
    snprintf(app->st->running, sizeof app->st->running, "%s", d->running->label);
    snprintf(app->st->version, sizeof app->st->version, "%s", me.version);
    enum step s = self_test(app, &me);
    return s == STEP_GO_ON ? check_for_update(app) : s;
}

static enum step power_on(const struct device_args *a, devcon_t *con, struct story *st)
{
    struct app app = {.a = a, .con = con, .st = st};
    if (devcli_load(a->flash, &app.d)) {
        return STEP_ERROR;
    }
    devcon_power_on(con);
    ota_boot_result_t res;
    ota_err_t err = hostdev_boot(app.d, &a->build, NULL, &res);
    enum step s = STEP_ERROR;
    if (err) {
        devcon_log(con, 'E', "boot", "%s", app.d->error);
        devcli_error(app.d, a->flash, err);
    } else {
        devcon_boot_report(con, app.d, &res);
        s = save(&app) == STEP_GO_ON ? run_app(&app) : STEP_ERROR;
    }
    devcli_close(app.d);
    return s;
}

int cmd_device(int argc, char **argv)
{
    struct device_args a = {.max_boots = MAX_BOOTS_DEFAULT};
    ota_net_config_default(&a.cfg, NULL);
    int rc = parse_args(&a, argc, argv);
    if (rc) {
        return rc < 0 ? 0 : rc;
    }
    devcon_t con;
    struct story st = {.running = ""};
    devcon_init(&con);
    enum step s = STEP_REBOOT;
    for (uint32_t boot = 0; boot < a.max_boots && s == STEP_REBOOT; boot++) {
        s = power_on(&a, &con, &st);
    }
    if (s == STEP_ERROR) {
        return CLI_EXIT_USAGE;
    }
    if (!st.events[0]) {
        story_add(&st, "%s", "up to date");
    }
    printf("device: running %s version %s (%s)\n", st.running, st.version, st.events);
    if (s == STEP_REBOOT) {
        return cli_error("device: still updating after %" PRIu32 " power-ons (--max-boots)", a.max_boots);
    }
    return s == STEP_UP_TO_DATE ? 0 : CLI_EXIT_FAIL;
}
