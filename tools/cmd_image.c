/* `ota image info|verify|sign|pack`: inspect, verify, sign and build ESP app images. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "image_report.h"
#include "imgfile.h"
#include "imgpack.h"
#include "imgsig.h"

#define WORK_BUF_LEN 4096u

static const char k_usage[] =
    "usage: ota image info FILE [--json]\n"
    "       ota image verify FILE [--chip CHIP] [--bootloader] [--pubkey PUB.pem ...]\n"
    "       ota image sign --key KEY.pem [--key KEY.pem ...] IN -o OUT\n"
    "       ota image pack -o OUT --chip CHIP --project NAME --version VER\n"
    "                      [--secure-version N] [--segment ADDR:FILE ...] [--size N]\n"
    "                      [--flash-mode qio|qout|dio|dout] [--flash-size 1MB..128MB]\n"
    "                      [--min-rev-full N] [--max-rev-full N] [--date TEXT] [--time TEXT] [--no-hash]\n"
    "\n"
    "info    show header, segments, checksum, SHA-256 and descriptor (exit 0 when readable)\n"
    "verify  apply ESP-IDF's checks for an app (or --bootloader) image placed at flash\n"
    "        0x10000; with --pubkey, also require a Secure Boot v2 signature block by\n"
    "        one of the keys (public or private PEM, trusted by digest as eFuse does)\n"
    "        in the sector at ALIGN_UP(image length, 4096), inside FILE (which may be\n"
    "        a whole partition). Exit 0 valid, 1 invalid (one line says why), 2 error\n"
    "sign    pad IN with 0xFF to ALIGN_UP(image length, 4096) and append a signature\n"
    "        sector with one block per private key (RSA-3072, ECDSA P-192/P-256/P-384,\n"
    "        as espsecure sign-data); if IN already ends in its signature sector, add\n"
    "        the blocks there (3 at most). OUT is written atomically.\n"
    "pack    build an app image: descriptor segment first, mapped segments on MMU page\n"
    "        offsets, checksum, SHA-256; --size N adds a deterministic payload so the\n"
    "        image has about N bytes. Output depends only on the arguments.\n";

static bool is_image_error(ota_err_t err)
{
    return err >= 500 && err < 600;
}

/* The value after option argv[*i], or NULL (reported) when missing. */
static const char *option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        cli_error("option '%s' needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int parse_chip(const char *name, uint16_t *chip_id)
{
    if (ota_chip_id_from_name(name, chip_id) == OTA_OK) {
        return 0;
    }
    char list[256] = "";
    for (size_t i = 0; ota_chip_at(i); i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, ota_chip_name(ota_chip_at(i)->chip_id), sizeof list - strlen(list) - 1);
    }
    return cli_error("unknown chip '%s' (known: %s)", name, list);
}

/* A non-option argument of `image info|verify`: the one FILE. */
static int positional(const char *cmd, const char *arg, const char **path)
{
    if (arg[0] == '-' && arg[1] != '\0') {
        return cli_error("image %s: unknown option '%s' (see `ota image --help`)", cmd, arg);
    }
    if (*path) {
        return cli_error("image %s: unexpected argument '%s'", cmd, arg);
    }
    *path = arg;
    return 0;
}

/* Read FILE into an imgfile (a partition in a RAM flash). */
static int open_image(const char *cmd, const char *path, imgfile_t *f)
{
    uint8_t *data;
    size_t len;
    if (!path) {
        return cli_error("image %s: missing FILE (see `ota image --help`)", cmd);
    }
    int rc = cli_read_file(path, &data, &len);
    if (rc) {
        return rc;
    }
    ota_err_t err = imgfile_open(f, data, len);
    free(data);
    return err ? cli_error("'%s': %s", path, ota_strerror(err)) : 0;
}

/* A bootloader descriptor is only looked for in images without an app
 * descriptor whose first segment loads into RAM, as bootloaders do. */
static bool looks_like_bootloader(const ota_image_info_t *info)
{
    const ota_chip_t *chip = ota_chip_by_id(info->header.chip_id);
    return info->segments_read > 0 && chip && !ota_chip_addr_is_mapped(chip, info->segments[0].load_addr);
}

static int report(const char *path, const imgfile_t *f, ota_err_t result, const ota_image_info_t *info,
                  bool json)
{
    ota_app_desc_t app;
    ota_boot_desc_t boot;
    image_report_t r = {path, f->len, result, info, NULL, NULL};
    if (ota_image_read_app_desc(&f->sim.flash, IMGFILE_PART_OFFSET, f->len, &app) == OTA_OK) {
        r.app_desc = &app;
    } else if (looks_like_bootloader(info) &&
               ota_image_read_boot_desc(&f->sim.flash, IMGFILE_PART_OFFSET, f->len, &boot) == OTA_OK) {
        r.boot_desc = &boot;
    }
    if (json) {
        image_report_json(stdout, &r);
    } else {
        image_report_text(stdout, &r);
    }
    return 0;
}

static int image_info(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            rc = positional("info", argv[i], &path);
        }
    }
    imgfile_t f;
    rc = rc ? rc : open_image("info", path, &f);
    if (rc) {
        return rc;
    }
    ota_image_info_t info;
    ota_err_t err = imgfile_verify(&f, OTA_IMAGE_FORMAT, NULL, WORK_BUF_LEN, &info);
    if (info.complete && (err == OTA_OK || err == OTA_ERR_IMG_CHECKSUM || err == OTA_ERR_IMG_HASH)) {
        rc = report(path, &f, err, &info, json);
    } else {
        char why[512];
        image_describe_failure(why, sizeof why, err, &info, f.len, NULL);
        rc = cli_error("'%s': %s", path, why);
    }
    imgfile_close(&f);
    return rc;
}

static int image_verify(int argc, char **argv)
{
    const char *path = NULL;
    ota_image_device_t device = {0, OTA_CHIP_REV_ANY, 0, false};
    bool have_device = false;
    ota_image_kind_t kind = OTA_IMAGE_APP;
    imgsig_trust_t trust = {.n = 0};
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--bootloader")) {
            kind = OTA_IMAGE_BOOTLOADER;
        } else if (!strcmp(argv[i], "--chip")) {
            const char *v = option_value(argc, argv, &i);
            rc = v ? parse_chip(v, &device.chip_id) : CLI_EXIT_USAGE;
            have_device = true;
        } else if (!strcmp(argv[i], "--pubkey")) {
            const char *v = option_value(argc, argv, &i);
            rc = v ? imgsig_trust_add(&trust, v) : CLI_EXIT_USAGE;
        } else {
            rc = positional("verify", argv[i], &path);
        }
    }
    imgfile_t f;
    rc = rc ? rc : open_image("verify", path, &f);
    if (rc) {
        return rc;
    }
    ota_image_info_t info;
    ota_err_t err = imgfile_verify(&f, kind, have_device ? &device : NULL, WORK_BUF_LEN, &info);
    if (err == OTA_OK) {
        printf("%s: valid %s image for %s, %u bytes\n", path, kind == OTA_IMAGE_APP ? "app" : "bootloader",
               ota_chip_name(info.header.chip_id), info.image_len);
        rc = trust.n ? imgsig_check(path, &f, info.image_len, &trust) : 0;
    } else {
        char why[512];
        image_describe_failure(why, sizeof why, err, &info, f.len, have_device ? &device : NULL);
        cli_error("'%s': %s", path, why);
        rc = is_image_error(err) ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    }
    imgfile_close(&f);
    return rc;
}

/* `image sign`: the image's length (as the parser finds it) places the signature sector. */
static int image_sign(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *keys[OTA_SIGV2_MAX_BLOCKS];
    size_t n = 0;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        bool is_key = !strcmp(argv[i], "--key");
        if (is_key || !strcmp(argv[i], "-o")) {
            const char *v = option_value(argc, argv, &i);
            if (!v) {
                rc = CLI_EXIT_USAGE;
            } else if (!is_key) {
                out = v;
            } else if (n == OTA_SIGV2_MAX_BLOCKS) {
                rc = cli_error("image sign: at most %u --key: a sector holds 3 blocks", OTA_SIGV2_MAX_BLOCKS);
            } else {
                keys[n++] = v;
            }
        } else {
            rc = positional("sign", argv[i], &in);
        }
    }
    if (!rc && (n == 0 || !out)) {
        rc = cli_error("image sign: --key and -o are required (see `ota image --help`)");
    }
    imgfile_t f;
    rc = rc ? rc : open_image("sign", in, &f);
    if (rc) {
        return rc;
    }
    ota_image_info_t info;
    ota_err_t err = imgfile_verify(&f, OTA_IMAGE_FORMAT, NULL, WORK_BUF_LEN, &info);
    if (err) {
        char why[512];
        image_describe_failure(why, sizeof why, err, &info, f.len, NULL);
        rc = cli_error("'%s': not an image to sign: %s", in, why);
    } else {
        rc = imgsig_sign(in, &f, info.image_len, keys, n, out);
    }
    imgfile_close(&f);
    return rc;
}

/* What `ota image pack` collects from its arguments. */
typedef struct pack_args {
    const char *out, *project, *version, *date, *time;
    bool have_chip;
    imgpack_opts_t opts;
    ota_app_desc_t desc;
    imgpack_segment_t segments[OTA_IMAGE_MAX_SEGMENTS];
    uint8_t *seg_data[OTA_IMAGE_MAX_SEGMENTS];
} pack_args_t;

/* Flash mode name -> header value and app-descriptor value (different numberings). */
static int parse_flash_mode(const char *name, pack_args_t *a)
{
    static const char *const k_modes[] = {"qio", "qout", "dio", "dout"};
    for (uint8_t m = 0; m < 4; m++) {
        if (!strcmp(name, k_modes[m])) {
            a->opts.spi_mode = m;
            a->desc.spi_flash_mode = (uint8_t)(m + 1u);
            return 0;
        }
    }
    return cli_error("image pack: unknown flash mode '%s' (qio, qout, dio, dout)", name);
}

static int parse_flash_size(const char *name, pack_args_t *a)
{
    static const char *const k_sizes[] = {"1MB", "2MB", "4MB", "8MB", "16MB", "32MB", "64MB", "128MB"};
    for (uint8_t i = 0; i < 8; i++) {
        if (!strcmp(name, k_sizes[i])) {
            a->opts.spi_size = i;
            return 0;
        }
    }
    return cli_error("image pack: unknown flash size '%s' (1MB .. 128MB)", name);
}

/* ADDR:FILE -> one more input segment. */
static int parse_segment(const char *spec, pack_args_t *a)
{
    char addr_text[32];
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : 0;
    uint32_t addr;
    if (!colon || n == 0 || n >= sizeof addr_text) {
        return cli_error("image pack: --segment wants ADDR:FILE, got '%s'", spec);
    }
    memcpy(addr_text, spec, n);
    addr_text[n] = '\0';
    if (!cli_parse_u32(addr_text, &addr)) {
        return cli_error("image pack: invalid segment address '%s'", addr_text);
    }
    size_t k = a->opts.segment_count;
    if (k == OTA_IMAGE_MAX_SEGMENTS) {
        return cli_error("image pack: more than %u segments", OTA_IMAGE_MAX_SEGMENTS);
    }
    size_t len;
    int rc = cli_read_file(colon + 1, &a->seg_data[k], &len);
    if (rc) {
        return rc;
    }
    if (len >= OTA_IMAGE_SEG_LEN_LIMIT) {
        free(a->seg_data[k]);
        return cli_error("image pack: segment file '%s' is 16 MiB or more", colon + 1);
    }
    a->segments[k] = (imgpack_segment_t){addr, a->seg_data[k], (uint32_t)len};
    a->opts.segment_count = k + 1;
    return 0;
}

static int parse_u32_opt(const char *opt, const char *text, uint32_t max, uint32_t *out)
{
    if (!cli_parse_u32(text, out) || *out > max) {
        return cli_error("image pack: invalid value '%s' for %s", text, opt);
    }
    return 0;
}

static int parse_u16_opt(const char *opt, const char *text, uint16_t *out)
{
    uint32_t v;
    int rc = parse_u32_opt(opt, text, 0xFFFFu, &v);
    *out = (uint16_t)v;
    return rc;
}

enum pack_opt {
    PO_OUT, PO_CHIP, PO_PROJECT, PO_VERSION, PO_DATE, PO_TIME, PO_SECURE_VERSION, PO_SIZE,
    PO_SEGMENT, PO_FLASH_MODE, PO_FLASH_SIZE, PO_MIN_REV, PO_MAX_REV, PO_NO_HASH,
};

static const struct {
    const char *name;
    enum pack_opt id;
} k_pack_opts[] = {
    {"-o", PO_OUT}, {"--chip", PO_CHIP}, {"--project", PO_PROJECT}, {"--version", PO_VERSION},
    {"--date", PO_DATE}, {"--time", PO_TIME}, {"--secure-version", PO_SECURE_VERSION}, {"--size", PO_SIZE},
    {"--segment", PO_SEGMENT}, {"--flash-mode", PO_FLASH_MODE}, {"--flash-size", PO_FLASH_SIZE},
    {"--min-rev-full", PO_MIN_REV}, {"--max-rev-full", PO_MAX_REV}, {"--no-hash", PO_NO_HASH},
};

/* Apply option `id` with its value v. */
static int pack_set(pack_args_t *a, enum pack_opt id, const char *opt, const char *v)
{
    switch (id) {
    case PO_OUT:
        a->out = v;
        return 0;
    case PO_CHIP:
        a->have_chip = true;
        return parse_chip(v, &a->opts.chip_id);
    case PO_PROJECT:
        a->project = v;
        return 0;
    case PO_VERSION:
        a->version = v;
        return 0;
    case PO_DATE:
        a->date = v;
        return 0;
    case PO_TIME:
        a->time = v;
        return 0;
    case PO_SECURE_VERSION:
        return parse_u32_opt(opt, v, UINT32_MAX, &a->desc.secure_version);
    case PO_SIZE:
        return parse_u32_opt(opt, v, OTA_IMAGE_SEG_LEN_LIMIT - 1u, &a->opts.target_size);
    case PO_SEGMENT:
        return parse_segment(v, a);
    case PO_FLASH_MODE:
        return parse_flash_mode(v, a);
    case PO_FLASH_SIZE:
        return parse_flash_size(v, a);
    case PO_MIN_REV:
        return parse_u16_opt(opt, v, &a->opts.min_chip_rev_full);
    case PO_MAX_REV:
        return parse_u16_opt(opt, v, &a->opts.max_chip_rev_full);
    case PO_NO_HASH:
        a->opts.hash_appended = false;
        return 0;
    }
    return CLI_EXIT_USAGE;
}

/* One option of `image pack` (argv[*i]); consumes its value, if it takes one. */
static int pack_option(int argc, char **argv, int *i, pack_args_t *a)
{
    const char *opt = argv[*i];
    for (size_t k = 0; k < sizeof k_pack_opts / sizeof k_pack_opts[0]; k++) {
        if (!strcmp(opt, k_pack_opts[k].name)) {
            const char *v = k_pack_opts[k].id == PO_NO_HASH ? "" : option_value(argc, argv, i);
            return v ? pack_set(a, k_pack_opts[k].id, opt, v) : CLI_EXIT_USAGE;
        }
    }
    return cli_error("image pack: unknown option '%s' (see `ota image --help`)", opt);
}

/* A descriptor string must fit its field (ESP-IDF would silently cut it). */
static int check_text(const char *what, const char *text, size_t max)
{
    if (strlen(text) > max) {
        return cli_error("image pack: %s '%s' is longer than %zu characters", what, text, max);
    }
    return 0;
}

static int pack_finish_args(pack_args_t *a)
{
    if (!a->out || !a->have_chip || !a->project || !a->version) {
        return cli_error("image pack: -o, --chip, --project and --version are required");
    }
    int rc = check_text("project name", a->project, 31);
    rc = rc ? rc : check_text("version", a->version, 31);
    rc = rc ? rc : check_text("date", a->date, 15);
    rc = rc ? rc : check_text("time", a->time, 15);
    if (rc) {
        return rc;
    }
    snprintf(a->desc.project_name, sizeof a->desc.project_name, "%s", a->project);
    snprintf(a->desc.version, sizeof a->desc.version, "%s", a->version);
    snprintf(a->desc.date, sizeof a->desc.date, "%s", a->date);
    snprintf(a->desc.time, sizeof a->desc.time, "%s", a->time);
    a->opts.segments = a->segments;
    a->opts.app_desc = &a->desc;
    return 0;
}

static int pack_build_and_write(const pack_args_t *a)
{
    uint8_t *image;
    size_t len;
    ota_err_t err = imgpack_build(&a->opts, &image, &len);
    if (err) {
        return cli_error("image pack: cannot build the image: %s", ota_strerror(err));
    }
    int rc = cli_write_file(a->out, image, len);
    if (!rc && strcmp(a->out, "-") != 0) {
        printf("%s: %zu bytes\n", a->out, len);
    }
    free(image);
    return rc;
}

static int image_pack(int argc, char **argv)
{
    pack_args_t a = {.date = "", .time = ""};
    imgpack_defaults(&a.opts, 0); /* --chip sets the chip */
    imgpack_app_desc(&a.desc, "", "", 0);
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        rc = pack_option(argc, argv, &i, &a);
    }
    if (!rc) {
        rc = pack_finish_args(&a);
    }
    if (!rc) {
        rc = pack_build_and_write(&a);
    }
    for (size_t k = 0; k < a.opts.segment_count; k++) {
        free(a.seg_data[k]);
    }
    return rc;
}

int cmd_image(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout, "%s", k_usage);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "info")) {
        return image_info(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "verify")) {
        return image_verify(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "sign")) {
        return image_sign(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "pack")) {
        return image_pack(argc - 1, argv + 1);
    }
    return cli_error("unknown image command '%s' (see `ota image --help`)", argv[1]);
}
