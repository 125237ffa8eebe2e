/* The error space: every code has a distinct name and a description. */
#include <string.h>

#include "ota/err.h"
#include "testutil.h"

static const ota_err_t k_all[] = {
#define X_(name, value, text) name,
    OTA_ERR_LIST(X_)
#undef X_
};

static void test_names_and_texts_are_distinct(void **state)
{
    (void)state;
    size_t n = sizeof k_all / sizeof k_all[0];
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(ota_err_name(k_all[i]), "OTA_ERR_UNKNOWN");
        assert_string_not_equal(ota_strerror(k_all[i]), "unknown error");
        for (size_t j = i + 1; j < n; j++) {
            assert_int_not_equal(k_all[i], k_all[j]);
            assert_string_not_equal(ota_strerror(k_all[i]), ota_strerror(k_all[j]));
        }
    }
}

static void test_unknown_code(void **state)
{
    (void)state;
    assert_string_equal(ota_strerror((ota_err_t)12345), "unknown error");
    assert_string_equal(ota_err_name((ota_err_t)12345), "OTA_ERR_UNKNOWN");
    assert_string_equal(ota_err_name(OTA_ERR_IMG_HASH), "OTA_ERR_IMG_HASH");
    assert_int_equal(OTA_OK, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_texts_are_distinct),
        cmocka_unit_test(test_unknown_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
