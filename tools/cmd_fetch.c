/* ota fetch: download an image over HTTP(S) into a file with ota_net_fetch (safe resume). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "netopts.h"
#include "ota/net.h"

#define APP_DESC_MAGIC 0xABCD5432u
#define APP_DESC_OFFSET 0x20u
#define PROGRESS_EVERY_MS 250u

static const char k_usage_head[] =
    "usage: ota fetch URL -o FILE [options]\n"
    "Download an app image into FILE; refuses anything whose first byte is not 0xE9.\n"
    "  --resume-state FILE    progress record: a rerun after an interruption resumes\n"
    "  --max-size N           refuse images larger than N bytes (K/M suffixes)\n"
    "  --progress             report progress on stderr\n";
static const char k_usage_tail[] =
    "Prints `fetch: total=... transferred=... attempts=...` on stdout, also on failure.\n";

struct fetch_args {
    const char *url, *out, *state;
    uint32_t max_size;
    bool have_max_size, progress;
    ota_net_config_t cfg;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* An option of fetch's own with a value; returns 0 or the CLI exit code. */
static int value_option(struct fetch_args *a, const char *name, const char *value)
{
    if (!strcmp(name, "-o")) {
        a->out = value;
    } else if (!strcmp(name, "--resume-state")) {
        a->state = value;
    } else if (!strcmp(name, "--max-size")) {
        if (!cli_parse_u32(value, &a->max_size)) {
            return cli_error("%s: '%s' is not a number", name, value);
        }
        a->have_max_size = true;
    } else {
        return cli_error("fetch: unknown option '%s' (try `ota fetch --help`)", name);
    }
    return 0;
}

/* Returns 0 to go on, -1 when help was printed, or the CLI exit code. */
static int parse_args(int argc, char **argv, struct fetch_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int net = netopts_parse(&a->cfg, argc, argv, &i);
        if (net) {
            if (net < 0) {
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf("%s%s%s", k_usage_head, netopts_usage, k_usage_tail);
            return -1;
        } else if (!strcmp(arg, "--progress")) {
            a->progress = true;
        } else if (arg[0] == '-') {
            if (i + 1 >= argc) {
                return cli_error("fetch: option '%s' needs a value", arg);
            }
            int rc = value_option(a, arg, argv[++i]);
            if (rc) {
                return rc;
            }
        } else if (a->url) {
            return cli_error("fetch: more than one URL ('%s')", arg);
        } else {
            a->url = arg;
        }
    }
    if (!a->url || !a->out) {
        return cli_error("fetch: need a URL and -o FILE (try `ota fetch --help`)");
    }
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Print a NUL-padded descriptor text field as a JSON string. */
static void print_field(const char *label, const uint8_t *field, size_t len)
{
    char text[33];
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
    memcpy(text, field, n);
    text[n] = '\0';
    printf(" %s=", label);
    cli_json_str(stdout, text);
}

/* Only app images (spec §4.1: magic 0xE9) reach the file; the descriptor is shown. */
static ota_err_t decide_image(void *ctx, const uint8_t *head, size_t len, uint64_t total)
{
    (void)ctx;
    if (len == 0 || head[0] != 0xE9) {
        return OTA_ERR_IMG_MAGIC;
    }
    printf("image: size=%" PRIu64, total);
    if (len >= OTA_NET_HEAD_LEN && le32(head + APP_DESC_OFFSET) == APP_DESC_MAGIC) {
        const uint8_t *desc = head + APP_DESC_OFFSET;
        print_field("project", desc + 48, 32);
        print_field("version", desc + 16, 32);
        printf(" secure_version=%" PRIu32, le32(desc + 4));
    }
    printf("\n");
    return OTA_OK;
}

struct progress_state {
    uint64_t last_ms;
};

static void show_progress(void *ctx, uint64_t done, uint64_t total, uint64_t rate)
{
    struct progress_state *ps = ctx;
    uint64_t now = mono_ms();
    if (done == total || now - ps->last_ms >= PROGRESS_EVERY_MS) {
        ps->last_ms = now;
        fprintf(stderr, "progress: %" PRIu64 "/%" PRIu64 " bytes %" PRIu64 " B/s\n", done, total,
                rate);
    }
}

static void print_summary(const ota_net_result_t *res)
{
    printf("fetch: total=%" PRIu64 " written=%" PRIu64 " transferred=%" PRIu64
           " attempts=%u restarts=%u resumed_from=%" PRIu64 " http_status=%ld\n",
           res->total, res->written, res->transferred, res->attempts, res->restarts,
           res->resumed_from, res->http_status);
    fflush(stdout);
}

int cmd_fetch(int argc, char **argv)
{
    struct fetch_args a = {0};
    ota_net_config_default(&a.cfg, NULL);
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        return rc < 0 ? 0 : rc;
    }
    a.cfg.url = a.url;

    struct progress_state ps = {0};
    ota_net_file_sink_t sink;
    ota_net_file_store_t store;
    ota_net_file_sink_init(&sink, a.out, a.have_max_size ? a.max_size : UINT64_MAX);
    ota_net_file_store_init(&store, a.state);
    a.cfg.store = a.state ? &store.store : NULL;
    a.cfg.decide = decide_image;
    a.cfg.progress = a.progress ? show_progress : NULL;
    a.cfg.progress_ctx = &ps;

    ota_net_result_t res;
    ota_err_t err = ota_net_fetch(&a.cfg, &sink.sink, &res);
    bool opened = sink.fd >= 0; /* the sink created or cut the output */
    ota_net_file_sink_close(&sink);
    if (err && opened && !a.state) {
        unlink(a.out); /* a partial image is of no use without a resume state to continue it */
    }
    print_summary(&res);
    if (err) {
        return cli_error("fetch %s: %s [%s]%s%s", a.url, ota_strerror(err), ota_err_name(err),
                         res.detail[0] ? ": " : "", res.detail);
    }
    return 0;
}
