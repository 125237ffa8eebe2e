/* The Python behaviours the CSV tools copy: int(x, 0), strip, splitlines, expandvars, repr. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pytext.h"
#include "testutil.h"

static py_int_status_t pyint(const char *s, int64_t *v)
{
    return py_int(s, strlen(s), 0, v);
}

static void test_int_accepts_python_literals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t value;
    } k_ok[] = {
        {"0", 0}, {"00", 0}, {"0_0", 0}, {"42", 42}, {" 42\t", 42}, {"+7", 7}, {"-0x10", -16},
        {"0x1F", 31}, {"0X1f", 31}, {"0x_1f", 31}, {"0o17", 15}, {"0b101", 5}, {"1_000", 1000},
        {"\xc2\xa0" "5\xe3\x80\x80", 5}, /* NBSP and ideographic space are whitespace too */
        {"9223372036854775807", INT64_MAX}, {"-9223372036854775808", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof k_ok / sizeof k_ok[0]; i++) {
        int64_t v = 12345;
        assert_int_equal(pyint(k_ok[i].text, &v), PY_INT_OK);
        assert_true(v == k_ok[i].value);
    }
}

static void test_int_refuses_what_python_refuses(void **state)
{
    (void)state;
    static const char *const k_bad[] = {"", " ", "010", "0_1", "_1", "1_", "1__0", "0x", "0x_", "- 1",
                                        "1.0", "0xg", "0b2", "0o8", "1e3", "0_x1", "++1", "N/A"};
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        int64_t v;
        assert_int_equal(pyint(k_bad[i], &v), PY_INT_SYNTAX);
    }
    int64_t v;
    assert_int_equal(pyint("9223372036854775808", &v), PY_INT_RANGE);
    assert_int_equal(pyint("0x" "ffffffffffffffffffffffff", &v), PY_INT_RANGE);
    /* syntax is judged before range, as Python raises ValueError first */
    assert_int_equal(pyint("99999999999999999999999x", &v), PY_INT_SYNTAX);
}

static void test_int_base16_as_add_extra_subtypes(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(py_int("41", 2, 16, &v), PY_INT_OK);
    assert_int_equal(v, 0x41);
    assert_int_equal(py_int("0x41", 4, 16, &v), PY_INT_OK);
    assert_int_equal(v, 0x41);
    assert_int_equal(py_int("0b1", 3, 16, &v), PY_INT_OK); /* 'b' is a hex digit here */
    assert_int_equal(v, 0xB1);
}

static void test_u32_with_suffixes(void **state)
{
    (void)state;
    uint32_t v;
    assert_true(cli_parse_u32("64k", &v));
    assert_int_equal(v, 0x10000);
    assert_true(cli_parse_u32("1M", &v));
    assert_int_equal(v, 0x100000);
    assert_true(cli_parse_u32("1kk", &v)); /* suffixes apply repeatedly */
    assert_int_equal(v, 0x100000);
    assert_true(cli_parse_u32("0xFFFFFFFF", &v));
    assert_int_equal(v, 0xFFFFFFFFu);
    assert_false(cli_parse_u32("4096M", &v));
    assert_false(cli_parse_u32("-1", &v));
    assert_false(cli_parse_u32("k", &v));
    assert_false(cli_parse_u32("010", &v));
}

static void test_strip_and_lines(void **state)
{
    (void)state;
    const char *s = " \t\x1f" "a b\xe2\x80\x83\r\n";
    size_t n = strlen(s);
    py_strip(&s, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "a b", 3);

    const char *text = "a\r\nb\rc\x0b" "d\xc2\x85" "e\xe2\x80\xa8" "f\n\ng";
    static const char *const k_lines[] = {"a", "b", "c", "d", "e", "f", "", "g"};
    size_t pos = 0, count = 0, len;
    const char *line;
    while (py_next_line(text, strlen(text), &pos, &line, &len)) {
        assert_true(count < 8);
        assert_int_equal(len, strlen(k_lines[count]));
        assert_memory_equal(line, k_lines[count], len);
        count++;
    }
    assert_int_equal(count, 8);
    pos = 0;
    assert_false(py_next_line("", 0, &pos, &line, &len));
}

static void test_expandvars(void **state)
{
    (void)state;
    setenv("OTA_T_SIZE", "0x4000", 1);
    setenv("OTA_T_X", "$OTA_T_SIZE", 1);
    unsetenv("OTA_T_UNSET");
    static const struct {
        const char *in, *out;
    } k_cases[] = {
        {"nvs,data,nvs,,$OTA_T_SIZE", "nvs,data,nvs,,0x4000"},
        {"${OTA_T_SIZE}K", "0x4000K"},
        {"$OTA_T_UNSET,${OTA_T_UNSET}", "$OTA_T_UNSET,${OTA_T_UNSET}"},
        {"$OTA_T_X", "$OTA_T_SIZE"}, /* values are not expanded again */
        {"a$", "a$"},
        {"${unclosed", "${unclosed"},
        {"$$OTA_T_SIZE", "$0x4000"},
    };
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        char *out = py_expandvars(k_cases[i].in, strlen(k_cases[i].in));
        assert_non_null(out);
        assert_string_equal(out, k_cases[i].out);
        free(out);
    }
}

static void test_decode_text(void **state)
{
    (void)state;
    char *t;
    size_t n;
    assert_true(py_decode_text((const uint8_t *)"\xEF\xBB\xBFnvs", 6, &t, &n));
    assert_string_equal(t, "nvs");
    free(t);
    /* UTF-16 LE "a\u0438" and UTF-16 BE with a surrogate pair (U+1F600) */
    assert_true(py_decode_text((const uint8_t *)"\xFF\xFE" "a\0\x38\x04", 6, &t, &n));
    assert_string_equal(t, "a\xd0\xb8");
    free(t);
    assert_true(py_decode_text((const uint8_t *)"\xFE\xFF\xD8\x3D\xDE\x00", 6, &t, &n));
    assert_string_equal(t, "\xf0\x9f\x98\x80");
    free(t);
    assert_true(py_decode_text((const uint8_t *)"\0\0\xFE\xFF\0\0\0z", 8, &t, &n));
    assert_string_equal(t, "z");
    free(t);
    assert_false(py_decode_text((const uint8_t *)"\xFF\xFE" "a", 3, &t, &n));      /* odd length */
    assert_false(py_decode_text((const uint8_t *)"\xFE\xFF\xD8\x3D", 4, &t, &n));  /* lone surrogate */
    assert_false(py_decode_text((const uint8_t *)"a\xC0\xAF", 3, &t, &n));          /* overlong */
    assert_false(py_decode_text((const uint8_t *)"\xED\xA0\x80", 3, &t, &n));       /* surrogate */
    assert_false(py_decode_text((const uint8_t *)"a\0b", 3, &t, &n));               /* NUL */
}

static void test_repr_and_hex(void **state)
{
    (void)state;
    char buf[64];
    py_bytes_repr(buf, sizeof buf, (const uint8_t *)"\xaaQ", 2);
    assert_string_equal(buf, "b'\\xaaQ'");
    py_bytes_repr(buf, sizeof buf, (const uint8_t *)"a'b", 3);
    assert_string_equal(buf, "b\"a'b\"");
    py_bytes_repr(buf, sizeof buf, (const uint8_t *)"'\"\\\n", 4);
    assert_string_equal(buf, "b'\\'\"\\\\\\n'");
    py_hex(buf, sizeof buf, -0x1000);
    assert_string_equal(buf, "0x-1000");
    py_hex(buf, sizeof buf, 0xabc);
    assert_string_equal(buf, "0xabc");
    assert_int_equal(py_mod(-0x1000, 0x1000), 0);
    assert_int_equal(py_mod(-1, 0x1000), 0xFFF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_accepts_python_literals),
        cmocka_unit_test(test_int_refuses_what_python_refuses),
        cmocka_unit_test(test_int_base16_as_add_extra_subtypes),
        cmocka_unit_test(test_u32_with_suffixes),
        cmocka_unit_test(test_strip_and_lines),
        cmocka_unit_test(test_expandvars),
        cmocka_unit_test(test_decode_text),
        cmocka_unit_test(test_repr_and_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
