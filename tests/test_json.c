/* The tests' JSON reader (tests/support/json.c): values, lookups, escapes and refusals. */
#include <string.h>

#include "json.h"
#include "testutil.h"

static json_value_t *parse(const char *text)
{
    return json_parse(text, strlen(text), NULL, 0);
}

static void test_values_and_lookup(void **state)
{
    (void)state;
    json_value_t *doc = parse(" {\"a\": [1, -2.5e1, true, false, null, \"x\"],\n"
                              "  \"b\": {\"c\": {\"d\": 4294967295}}, \"e\": [] , \"f\": {}} ");
    assert_non_null(doc);
    assert_int_equal(json_len(doc), 4);
    const json_value_t *a = json_get(doc, "a");
    assert_int_equal(json_len(a), 6);
    bool ok;
    assert_int_equal(json_int(json_at(a, 0), &ok), 1);
    assert_true(ok);
    assert_true(json_num(json_at(a, 1)) == -25.0);
    json_int(json_at(a, 1), &ok);
    assert_false(ok); /* has an exponent: not an exact integer */
    assert_true(json_bool(json_at(a, 2)));
    assert_true(json_is(json_at(a, 3), JSON_BOOL) && !json_bool(json_at(a, 3)));
    assert_true(json_is(json_at(a, 4), JSON_NULL));
    assert_string_equal(json_str(json_at(a, 5)), "x");
    assert_null(json_at(a, 6));
    assert_int_equal(json_int(json_path(doc, "b.c.d"), NULL), 4294967295ll);
    assert_string_equal(json_str(json_path(doc, "a.5")), "x");
    assert_null(json_path(doc, "a.x"));
    assert_null(json_path(doc, "b.nope"));
    assert_int_equal(json_len(json_get(doc, "e")), 0);
    assert_true(json_is(json_get(doc, "f"), JSON_OBJECT));
    /* Wrong types chain to NULL / 0 instead of crashing. */
    assert_null(json_str(json_get(doc, "a")));
    assert_null(json_get(json_get(doc, "a"), "b"));
    assert_int_equal(json_int(NULL, &ok), 0);
    assert_false(ok);
    json_free(doc);
}

static void test_string_escapes(void **state)
{
    (void)state;
    json_value_t *v = parse("\"q\\\"b\\\\s\\/n\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"");
    assert_non_null(v);
    static const char want[] = "q\"b\\s/n\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
    assert_int_equal(v->string_len, sizeof want - 1);
    assert_memory_equal(v->string, want, sizeof want - 1);
    json_free(v);
}

static void test_refuses_bad_syntax(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          "{",           "[1,]",       "{\"a\" 1}", "{\"a\":1,}", "[1 2]",
        "01",        "1.",          "-",          "1e",        "tru",        "nul",
        "\"abc",     "\"\\x\"",     "\"\\u12g4\"", "\"\\ud800\"", "\"a\nb\"", "{1:2}",
        "[] []",     "'a'",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        json_value_t *v = json_parse(bad[i], strlen(bad[i]), err, sizeof err);
        if (v) {
            fail_msg("accepted bad JSON: %s", bad[i]);
        }
        assert_non_null(strstr(err, "JSON error at byte"));
    }
}

static void test_depth_limit(void **state)
{
    (void)state;
    char deep[1001];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    assert_null(parse(deep));
}

static void test_reads_manifest(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    char err[200];
    json_value_t *doc = json_parse_file(tu_vector_path("manifest.json"), err, sizeof err);
    assert_non_null(doc);
    assert_int_equal(json_int(json_get(doc, "format_version"), NULL), 1);
    assert_string_equal(json_str(json_path(doc, "otadata.cases.0.id")), "od01_blank");
    json_free(doc);
    assert_null(json_parse_file("/nonexistent/file.json", err, sizeof err));
    assert_non_null(strstr(err, "cannot read"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_lookup),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_refuses_bad_syntax),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_reads_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
