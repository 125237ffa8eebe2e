/*
 * The power-loss windows of ESP-IDF's otadata write sequence (spec §2.9), one
 * test each: the runner replays the cut in faithful mode (ESP-IDF's exact
 * writes) and must see the invariant break, then the same moment in hardened
 * mode (libota's default) and must see none. "The same moment" is the copy
 * holding the entry erased and nothing programmed yet: mutation 2 of the
 * transition in ESP-IDF's sequence (erase, program), mutation 3 in libota's
 * (journal record, erase, program, record done). Each hardened replay is
 * also run with the erase torn and the program torn, and every other cut of
 * these scenarios runs in `powercut --sample`.
 */
#include <stdio.h>
#include <string.h>

#include "powercut.h"
#include "testutil.h"

/* Replay one id; expect a violation or not, and show the runner's reason. */
static void expect(const char *id, bool violation)
{
    bool violated = false;
    char why[512];
    if (!pc_replay(id, &violated, why, sizeof why)) {
        fail_msg("%s: bad id: %s", id, why);
    }
    if (violated != violation) {
        fail_msg("%s: %s", id, violated ? why : "no violation, one expected");
    }
    print_message("%s: %s\n", id, violated ? why : "no violation");
}

/* The window of scenario `name` on 4 KiB sectors, 16-byte writes, 2 slots, 4 KiB image. */
static void window(const char *name)
{
    char id[160];
    snprintf(id, sizeof id, "%s/4k-w16/2/4K/faithful:2", name);
    expect(id, true);
    static const char *const hardened[] = {"3", "2e32g7", "2e2048", "3w16"};
    for (size_t i = 0; i < sizeof hardened / sizeof hardened[0]; i++) {
        snprintf(id, sizeof id, "%s/4k-w16/2/4K/hardened:%s", name, hardened[i]);
        expect(id, false);
    }
}

/* The bootloader's NEW -> PENDING_VERIFY: ESP-IDF boots the old app and the new one is gone. */
static void test_window_boot_new_to_pending(void **state)
{
    (void)state;
    window("boot_new_to_pending");
}

/* The bootloader's PENDING_VERIFY -> ABORTED: the old app boots, but nothing records the abort. */
static void test_window_boot_pending_to_aborted(void **state)
{
    (void)state;
    window("boot_pending_to_aborted");
}

/* mark_valid on a first trial: ESP-IDF rolls back to the old app and forgets the new one. */
static void test_window_mark_valid(void **state)
{
    (void)state;
    window("mark_valid");
}

/* mark_valid without rollback (UNDEFINED -> VALID): a running image is replaced by the older one. */
static void test_window_mark_valid_no_rollback(void **state)
{
    (void)state;
    window("mark_valid_no_rollback");
}

/* mark_invalid: the rollback happens, but the INVALID record is lost. */
static void test_window_mark_invalid(void **state)
{
    (void)state;
    window("mark_invalid_rollback");
}

/* set_boot_partition(running): the confirmed app is replaced by factory. */
static void test_window_set_boot_same_slot(void **state)
{
    (void)state;
    window("set_boot_same_slot");
}

/*
 * set_boot_partition(factory) with the active entry in copy 0: ESP-IDF erases
 * copy 0 first and a cut boots copy 1's older app; libota erases copy 1 first.
 */
static void test_window_factory_switch(void **state)
{
    (void)state;
    expect("factory_switch/4k-w16/2/4K/faithful:2", true);
    expect("factory_switch/4k-w16/2/4K/hardened:2", false);
    expect("factory_switch/4k-w16/2/4K/hardened:2e32g7", false);
}

/* Two cuts: the second during the recovery of the first (hardened only). */
static void test_cut_during_recovery(void **state)
{
    (void)state;
    expect("mark_valid/4k-w16/2/4K/hardened:3+1", false);
    expect("mark_valid/4k-w16/2/4K/hardened:3+2w16", false);
    expect("boot_new_to_pending/4k-w1/2/4K/hardened:3w7+1e16", false);
}

static void test_ids(void **state)
{
    (void)state;
    bool violated;
    char why[256];
    assert_false(pc_replay("no_such/4k-w16/2/4K/hardened:1", &violated, why, sizeof why));
    assert_false(pc_replay("mark_valid/4k-w16/2/4K/hardened:0", &violated, why, sizeof why));
    assert_false(pc_replay("mark_valid/4k-w16/2/4K/sometimes:1", &violated, why, sizeof why));
    assert_false(pc_replay("mark_valid/4k-w16/2/4K/hardened:1x", &violated, why, sizeof why));
    assert_true(pc_replay("mark_valid/4k-w16/2/4K/hardened:", &violated, why, sizeof why));
    assert_false(violated);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_boot_new_to_pending),
        cmocka_unit_test(test_window_boot_pending_to_aborted),
        cmocka_unit_test(test_window_mark_valid),
        cmocka_unit_test(test_window_mark_valid_no_rollback),
        cmocka_unit_test(test_window_mark_invalid),
        cmocka_unit_test(test_window_set_boot_same_slot),
        cmocka_unit_test(test_window_factory_switch),
        cmocka_unit_test(test_cut_during_recovery),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
