/*
 * What a device trusts: "require signed" (ota_sig_policy_check as the update
 * path's image policy and inside the bootloader's ota_boot_image_check) and
 * anti-rollback against a counter of limited capacity (cfg.secure_version_max).
 *
 * Images are real (imgpack), signed with the vectors' keys by `ota image
 * sign`'s code; the trusted digests are the vectors' own eFuse digests, so no
 * expectation comes from the code under test. The device is tests/support/
 * otadev (factory, ota_0, ota_1, test; 64 KiB apps) behind a flash log, which
 * shows that a refusal writes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "ota/boot_image.h"
#include "ota/sigpolicy.h"
#include "ota_port/sig_mbedtls.h"
#include "otadev.h"
#include "testimg.h"
#include "testutil.h"

#define IMG_SIZE 20000u
#define KEY_RSA 0   /* trusted digests: rsa3072_a, ecdsa256_a, ecdsa384_a */
#define KEY_EC256 1

typedef struct counter {
    uint32_t value;
    unsigned raises;
} counter_t;

typedef struct fixture {
    tu_otadev_t dev;
    ota_ctx_t ctx;
    mbedtls_sha256_context c256;
    mbedtls_sha512_context c384;
    ota_hash_t sha256, sha384;
    ota_sig_engine_t engine;
    uint8_t digests[3][OTA_SHA256_LEN];
    uint8_t sig_buf[OTA_SIGV2_BUF_MIN + 4096];
    ota_sig_policy_t policy;
    counter_t counter;
} fixture_t;

static ota_err_t counter_read(void *arg, uint32_t *v)
{
    *v = ((counter_t *)arg)->value;
    return OTA_OK;
}

/* The core promises to only ever raise it. */
static ota_err_t counter_raise(void *arg, uint32_t v)
{
    counter_t *c = arg;
    assert_true(v > c->value);
    c->value = v;
    c->raises++;
    return OTA_OK;
}

static void init_policy(fixture_t *f)
{
    ota_port_sha256_init(&f->sha256, &f->c256);
    ota_port_sha384_init(&f->sha384, &f->c384);
    ota_port_sig_engine_init(&f->engine);
    tu_key_digest("rsa3072_a", f->digests[KEY_RSA]);
    tu_key_digest("ecdsa256_a", f->digests[KEY_EC256]);
    tu_key_digest("ecdsa384_a", f->digests[2]);
    f->policy = (ota_sig_policy_t){.sig = {.sha256 = &f->sha256,
                                           .sha384 = &f->sha384,
                                           .engine = &f->engine,
                                           .key_digests = (const uint8_t(*)[OTA_SHA256_LEN])f->digests,
                                           .key_count = 3,
                                           .buf = f->sig_buf,
                                           .buf_len = sizeof f->sig_buf}};
}

/* A device requiring signatures, running `running` (which holds a signed app). */
static fixture_t *open_dev(const char *running, bool anti_rollback, uint32_t counter)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true, .has_test = true};
    tu_otadev_init(&f->dev, &opts);
    init_policy(f);
    f->counter.value = counter;
    ota_config_t cfg;
    tu_otadev_config(&f->dev, &cfg, running, true);
    cfg.image_policy = ota_sig_policy_check;
    cfg.image_policy_ctx = &f->policy;
    cfg.anti_rollback = anti_rollback;
    cfg.read_secure_version = counter_read;
    cfg.raise_secure_version = counter_raise;
    cfg.secure_version_ctx = &f->counter;
    assert_int_equal(ota_init(&f->ctx, &cfg), OTA_OK);
    return f;
}

static void close_dev(fixture_t *f)
{
    tu_otadev_free(&f->dev);
    free(f);
}

static const ota_partition_t *part(fixture_t *f, const char *label)
{
    return tu_otadev_part(&f->dev, label);
}

/* An app with this secure_version, signed by each key in turn (NULL-terminated; none: unsigned). */
static tu_image_t app(uint32_t secure_version, const char *const *keys)
{
    tu_image_t img = tu_app_image(OTA_CHIP_ESP32C3, "2.0", secure_version, IMG_SIZE);
    for (; keys && *keys; keys++) {
        tu_image_sign(&img, *keys);
    }
    return img;
}

static const char *const k_rsa[] = {"rsa3072_a", NULL};
static const char *const k_ec384[] = {"ecdsa384_a", NULL};
static const char *const k_other[] = {"ecdsa256_b", NULL};
static const char *const k_ec256[] = {"ecdsa256_a", NULL};
static const char *const k_ec256_then_rsa[] = {"ecdsa256_a", "rsa3072_a", NULL};

static void put(fixture_t *f, const char *label, const tu_image_t *img)
{
    tu_otadev_put(&f->dev, label, img->data, img->len);
}

/* ota_begin / write / end on a slot; returns ota_end's result. */
static ota_err_t install(fixture_t *f, const char *label, const tu_image_t *img)
{
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, label), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(ota_write(&s, img->data, img->len), OTA_OK);
    return ota_end(&s);
}

/* What a refused update must leave alone: the running app's bytes and otadata. */
typedef struct snapshot {
    uint8_t running[0x10000];
    uint8_t otadata[OTA_OTADATA_SIZE];
} snapshot_t;

static void take(fixture_t *f, const char *running, snapshot_t *s)
{
    memcpy(s->running, f->dev.sim.mem + part(f, running)->offset, sizeof s->running);
    memcpy(s->otadata, tu_otadev_otadata_bytes(&f->dev), sizeof s->otadata);
}

static void assert_untouched(fixture_t *f, const char *running, const snapshot_t *s)
{
    assert_memory_equal(f->dev.sim.mem + part(f, running)->offset, s->running, sizeof s->running);
    assert_memory_equal(tu_otadev_otadata_bytes(&f->dev), s->otadata, sizeof s->otadata);
}

/* end, then set_boot of the slot written with img, both refused with err; nothing else changes. */
static void expect_refused(fixture_t *f, const tu_image_t *img, ota_err_t err)
{
    static snapshot_t before;
    take(f, "factory", &before);
    assert_int_equal(install(f, "ota_0", img), err);
    assert_int_equal(f->policy.result.block, -1);
    tu_flashlog_clear(&f->dev.log);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_0")), err);
    assert_int_equal(f->dev.log.count, 0);
    assert_untouched(f, "factory", &before);
}

static fixture_t *open_running_factory(void)
{
    fixture_t *f = open_dev("factory", false, 0);
    tu_image_t running = app(0, k_rsa);
    put(f, "factory", &running);
    tu_image_free(&running);
    return f;
}

/* ---- update path --------------------------------------------------------- */

static void test_update_refuses_unsigned(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_running_factory();
    tu_image_t img = app(0, NULL);
    expect_refused(f, &img, OTA_ERR_IMG_SIG_NONE);
    /* An erased sector: every block slot was looked at and is empty. */
    assert_int_equal(f->policy.result.checked, 3);
    assert_int_equal(f->policy.result.block_err[2], OTA_ERR_IMG_SIG_NONE);
    tu_image_free(&img);
    close_dev(f);
}

static void test_update_refuses_other_key(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_running_factory();
    tu_image_t img = app(0, k_other);
    expect_refused(f, &img, OTA_ERR_IMG_SIG_KEY);
    tu_image_free(&img);
    close_dev(f);
}

static void test_update_refuses_revoked_key(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_running_factory();
    f->policy.sig.revoked = 1u << KEY_EC256;
    tu_image_t img = app(0, k_ec256);
    expect_refused(f, &img, OTA_ERR_IMG_SIG_REVOKED);
    tu_image_free(&img);

    /* A second block by a key still trusted counts. */
    img = app(0, k_ec256_then_rsa);
    assert_int_equal(install(f, "ota_0", &img), OTA_OK);
    assert_int_equal(f->policy.result.block, 1);
    assert_int_equal(f->policy.result.key_index, KEY_RSA);
    assert_int_equal(f->policy.result.block_err[0], OTA_ERR_IMG_SIG_REVOKED);
    tu_image_free(&img);
    close_dev(f);
}

static void test_update_accepts_trusted_signatures(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_running_factory();
    tu_image_t rsa = app(0, k_rsa), ec = app(0, k_ec384);
    assert_int_equal(install(f, "ota_0", &rsa), OTA_OK);
    assert_int_equal(f->policy.result.scheme, OTA_SIG_RSA3072_PSS);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_0")), OTA_OK);
    const ota_partition_t *boot = NULL;
    assert_int_equal(ota_get_boot_partition(&f->ctx, &boot), OTA_OK);
    assert_ptr_equal(boot, part(f, "ota_0"));

    assert_int_equal(install(f, "ota_1", &ec), OTA_OK); /* P-384 digests through the caller's SHA-384 */
    assert_int_equal(f->policy.result.scheme, OTA_SIG_ECDSA_P384);
    assert_int_equal(f->policy.result.key_index, 2);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_1")), OTA_OK);
    tu_image_free(&rsa);
    tu_image_free(&ec);
    close_dev(f);
}

static void test_update_allowed_schemes(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_running_factory();
    f->policy.sig.schemes = OTA_SIG_SCHEME_BIT(OTA_SIG_ECDSA_P256);
    tu_image_t img = app(0, k_rsa);
    expect_refused(f, &img, OTA_ERR_IMG_SIG_SCHEME);
    tu_image_free(&img);
    close_dev(f);
}

static void test_signature_sector_must_fit_the_partition(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_running_factory();
    /* Image past 0xF000 of a 64 KiB slot: its sector would start at 0x10000. */
    tu_image_t img = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 0xF400);
    assert_true(img.len > 0xF000 && img.len <= 0x10000);
    expect_refused(f, &img, OTA_ERR_IMG_SIG_RANGE);
    tu_image_free(&img);
    close_dev(f);
}

static void test_rollback_target_must_be_signed(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_dev("ota_1", false, 0);
    tu_image_t unsigned_img = app(0, NULL), signed_img = app(0, k_rsa);
    put(f, "ota_1", &signed_img);
    put(f, "ota_0", &unsigned_img);
    tu_otadev_put_entry(&f->dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&f->dev, 1, 2, OTA_IMG_PENDING_VERIFY);
    bool possible = true;
    assert_int_equal(ota_check_rollback_is_possible(&f->ctx, &possible), OTA_OK);
    assert_false(possible);
    assert_int_equal(ota_mark_app_invalid(&f->ctx), OTA_ERR_OTA_ROLLBACK_FAILED);
    put(f, "ota_0", &signed_img);
    assert_int_equal(ota_check_rollback_is_possible(&f->ctx, &possible), OTA_OK);
    assert_true(possible);
    tu_image_free(&unsigned_img);
    tu_image_free(&signed_img);
    close_dev(f);
}

static void test_policy_arguments(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_dev("factory", false, 0);
    ota_image_info_t info = {.image_len = 100};
    const ota_partition_t *p = part(f, "ota_0");
    assert_int_equal(ota_sig_policy_check(NULL, f->dev.flash, p, OTA_IMAGE_APP, &info),
                     OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_sig_policy_check(&f->policy, NULL, p, OTA_IMAGE_APP, &info),
                     OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_sig_policy_check(&f->policy, f->dev.flash, p, OTA_IMAGE_APP, NULL),
                     OTA_ERR_INVALID_ARG);
    f->policy.sig.key_count = 0; /* nothing trusted is a configuration error, not "unsigned" */
    assert_int_equal(ota_sig_policy_check(&f->policy, f->dev.flash, p, OTA_IMAGE_APP, &info),
                     OTA_ERR_INVALID_ARG);
    close_dev(f);
}

/* ---- bootloader ---------------------------------------------------------- */

typedef struct boot_fixture {
    fixture_t *f;
    ota_boot_image_check_t check;
    ota_boot_config_t cfg;
    uint8_t scratch[1024];
} boot_fixture_t;

static ota_err_t boot_raise(void *ctx, uint32_t v)
{
    boot_fixture_t *b = ctx;
    return counter_raise(&b->f->counter, v);
}

/* cfg.ctx serves both callbacks: the check here, the counter in boot_raise. */
static ota_err_t boot_check(void *ctx, const ota_partition_t *p, uint32_t *version)
{
    return ota_boot_image_check(&((boot_fixture_t *)ctx)->check, p, version);
}

static void boot_setup(boot_fixture_t *b, fixture_t *f, bool anti_rollback)
{
    b->f = f;
    b->check = (ota_boot_image_check_t){.flash = f->dev.flash,
                                        .sha256 = &f->sha256,
                                        .scratch = b->scratch,
                                        .scratch_len = sizeof b->scratch,
                                        .policy = ota_sig_policy_check,
                                        .policy_ctx = &f->policy};
    b->cfg = (ota_boot_config_t){.rollback = anti_rollback,
                                 .anti_rollback = anti_rollback,
                                 .secure_version = f->counter.value,
                                 .raise_version = boot_raise,
                                 .check_image = boot_check,
                                 .ctx = b};
}

static void expect_boot(boot_fixture_t *b, const char *label, bool fell_back)
{
    ota_boot_result_t res;
    b->cfg.secure_version = b->f->counter.value;
    assert_int_equal(ota_boot_select(b->f->dev.flash, &b->f->dev.table, &b->cfg, &res), OTA_OK);
    assert_string_equal(res.partition->label, label);
    assert_int_equal(res.fell_back, fell_back);
}

static void test_boot_skips_unsigned_and_wrongly_signed(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_dev(NULL, false, 0);
    boot_fixture_t b;
    boot_setup(&b, f, false);
    tu_image_t good = app(0, k_rsa), bare = app(0, NULL), other = app(0, k_other);
    tu_image_t revoked = app(0, k_ec256);
    f->policy.sig.revoked = 1u << KEY_EC256;
    put(f, "factory", &good);
    put(f, "ota_0", &good);
    put(f, "ota_1", &bare);
    put(f, "test", &good);
    tu_otadev_put_entry(&f->dev, 0, 1, OTA_IMG_UNDEFINED);
    tu_otadev_put_entry(&f->dev, 1, 2, OTA_IMG_UNDEFINED); /* ota_1 is the active slot */
    expect_boot(&b, "ota_0", true);       /* ESP-IDF's order: active slot, then down */
    put(f, "ota_0", &other);
    expect_boot(&b, "factory", true);
    put(f, "factory", &revoked);
    expect_boot(&b, "test", true);        /* then up through the slots, then the test app */
    put(f, "test", &bare);
    ota_boot_result_t res;
    assert_int_equal(ota_boot_select(f->dev.flash, &f->dev.table, &b.cfg, &res),
                     OTA_ERR_BOOT_NO_IMAGE);
    put(f, "ota_1", &good);
    expect_boot(&b, "ota_1", false);
    tu_image_free(&good);
    tu_image_free(&bare);
    tu_image_free(&other);
    tu_image_free(&revoked);
    close_dev(f);
}

static void test_boot_anti_rollback_with_signatures(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_dev(NULL, true, 3);
    boot_fixture_t b;
    boot_setup(&b, f, true);
    tu_image_t v3 = app(3, k_rsa), v2 = app(2, k_rsa), v5_bare = app(5, NULL), v5 = app(5, k_ec256);
    put(f, "ota_0", &v3);
    put(f, "ota_1", &v2);
    tu_otadev_put_entry(&f->dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&f->dev, 1, 2, OTA_IMG_VALID);
    expect_boot(&b, "ota_0", false); /* the newer entry's image is older than the counter */
    put(f, "ota_1", &v5_bare);
    expect_boot(&b, "ota_0", false); /* newer version, but unsigned: not counted, not burnt */
    assert_int_equal(f->counter.raises, 0);
    put(f, "ota_1", &v5);
    expect_boot(&b, "ota_1", false);
    assert_int_equal(f->counter.value, 5);
    assert_int_equal(f->counter.raises, 1);
    tu_image_free(&v3);
    tu_image_free(&v2);
    tu_image_free(&v5_bare);
    tu_image_free(&v5);
    close_dev(f);
}

/* ---- anti-rollback on the update path ------------------------------------ */

/* Running ota_0 (secure_version `running_version`, PENDING_VERIFY) with anti-rollback. */
static fixture_t *open_anti_rollback(uint32_t running_version, uint32_t counter, uint32_t max)
{
    fixture_t *f = open_dev("ota_0", true, counter);
    f->ctx.cfg.secure_version_max = max;
    tu_image_t running = app(running_version, k_rsa);
    put(f, "ota_0", &running);
    tu_image_free(&running);
    tu_otadev_put_entry(&f->dev, 0, 1, OTA_IMG_PENDING_VERIFY);
    return f;
}

static void test_lower_secure_version_refused_at_update(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_anti_rollback(3, 3, 16);
    assert_int_equal(ota_mark_app_valid(&f->ctx), OTA_OK);
    static snapshot_t before;
    take(f, "ota_0", &before);
    tu_image_t old = app(2, k_rsa);
    assert_int_equal(install(f, "ota_1", &old), OTA_OK); /* as in ESP-IDF, end does not look */
    tu_flashlog_clear(&f->dev.log);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_1")), OTA_ERR_OTA_SMALL_SEC_VER);
    assert_int_equal(f->dev.log.count, 0);
    assert_untouched(f, "ota_0", &before);
    assert_int_equal(f->counter.value, 3);
    tu_image_free(&old);
    close_dev(f);
}

static void test_counter_raised_on_confirm_never_lowered(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    fixture_t *f = open_anti_rollback(5, 3, 16);
    assert_int_equal(ota_mark_app_valid(&f->ctx), OTA_OK);
    assert_int_equal(f->counter.value, 5);
    assert_int_equal(f->counter.raises, 1);
    f->counter.value = 7; /* burnt meanwhile by a newer app that was rolled back */
    assert_int_equal(ota_mark_app_valid(&f->ctx), OTA_OK);
    assert_int_equal(f->counter.value, 7);
    assert_int_equal(f->counter.raises, 1);
    close_dev(f);
}

static void test_counter_exhausted(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    /* Budget reached: all 16 bits burnt. */
    fixture_t *f = open_anti_rollback(16, 16, 16);
    assert_int_equal(ota_mark_app_valid(&f->ctx), OTA_OK);
    assert_int_equal(f->counter.raises, 0);
    tu_image_t v17 = app(17, k_rsa), v16 = app(16, k_rsa);
    assert_int_equal(install(f, "ota_1", &v17), OTA_OK);
    static snapshot_t before;
    take(f, "ota_0", &before);
    tu_flashlog_clear(&f->dev.log);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_1")),
                     OTA_ERR_OTA_SEC_VER_EXHAUSTED);
    assert_int_equal(f->dev.log.count, 0);
    assert_untouched(f, "ota_0", &before);
    assert_int_equal(install(f, "ota_1", &v16), OTA_OK);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_1")), OTA_OK);
    tu_image_free(&v17);
    tu_image_free(&v16);
    close_dev(f);

    /* Confirming an app the counter cannot record changes nothing, otadata included. */
    f = open_anti_rollback(17, 16, 16);
    take(f, "ota_0", &before);
    assert_int_equal(ota_mark_app_valid(&f->ctx), OTA_ERR_OTA_SEC_VER_EXHAUSTED);
    assert_int_equal(f->dev.log.count, 0);
    assert_untouched(f, "ota_0", &before);
    assert_int_equal(f->counter.value, 16);
    close_dev(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_refuses_unsigned),
        cmocka_unit_test(test_update_refuses_other_key),
        cmocka_unit_test(test_update_refuses_revoked_key),
        cmocka_unit_test(test_update_accepts_trusted_signatures),
        cmocka_unit_test(test_update_allowed_schemes),
        cmocka_unit_test(test_signature_sector_must_fit_the_partition),
        cmocka_unit_test(test_rollback_target_must_be_signed),
        cmocka_unit_test(test_policy_arguments),
        cmocka_unit_test(test_boot_skips_unsigned_and_wrongly_signed),
        cmocka_unit_test(test_boot_anti_rollback_with_signatures),
        cmocka_unit_test(test_lower_secure_version_refused_at_update),
        cmocka_unit_test(test_counter_raised_on_confirm_never_lowered),
        cmocka_unit_test(test_counter_exhausted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
