/* What the power-loss runner sweeps: the scenarios (one per OTA state transition) and the flash geometries. */
#include "pc_internal.h"

#define SEQ OTA_ERASE_SEQUENTIAL

/* name, start, rollback, trial, command, erase, resume, final version, vary image, vary slots, double cuts */
const pc_scenario_t pc_scenarios[] = {
    /* The update itself, each erase mode; then the new image's first boot and confirmation. */
    {"update_whole", PC_START_RUNNING, true, PC_CONFIRM, PC_CMD_UPDATE, OTA_ERASE_WHOLE, false, 2,
     true, false, false},
    {"update_sized", PC_START_RUNNING, true, PC_CONFIRM, PC_CMD_UPDATE, OTA_ERASE_IMAGE_SIZE, false,
     2, true, false, false},
    {"update_sequential", PC_START_RUNNING, true, PC_CONFIRM, PC_CMD_UPDATE, SEQ, false, 2, true,
     true, false},
    /* After a cut the update goes on from the app's resume record. */
    {"update_resume", PC_START_RUNNING, true, PC_CONFIRM, PC_CMD_UPDATE, SEQ, true, 2, true, false,
     false},
    /* One otadata transition each, from the state just before it. */
    {"set_boot", PC_START_STAGED, true, PC_CONFIRM, PC_CMD_UPDATE, SEQ, false, 2, false, true, true},
    {"set_boot_same_slot", PC_START_RUNNING, true, PC_CONFIRM, PC_CMD_SET_BOOT_SAME, SEQ, false, 1,
     false, false, true},
    {"boot_new_to_pending", PC_START_NEW, true, PC_CONFIRM, PC_CMD_UPDATE, SEQ, false, 2, false,
     false, true},
    {"boot_pending_to_aborted", PC_START_TRIAL, true, PC_CRASH, PC_CMD_NONE, SEQ, false, 1, false,
     false, true},
    {"mark_valid", PC_START_TRIAL, true, PC_CONFIRM, PC_CMD_UPDATE, SEQ, false, 2, false, false, true},
    {"mark_valid_no_rollback", PC_START_TRIAL, false, PC_CONFIRM, PC_CMD_UPDATE, SEQ, false, 2, false,
     false, true},
    {"mark_invalid_rollback", PC_START_TRIAL, true, PC_REJECT, PC_CMD_NONE, SEQ, false, 1, false,
     false, true},
    {"invalidate_inactive", PC_START_UPDATED, true, PC_CONFIRM, PC_CMD_INVALIDATE, SEQ, false, 2,
     false, false, true},
    {"erase_last_boot_app", PC_START_UPDATED, true, PC_CONFIRM, PC_CMD_ERASE_LAST, SEQ, false, 2,
     false, false, true},
    {"factory_switch", PC_START_UPDATED2, true, PC_CONFIRM, PC_CMD_FACTORY, SEQ, false, 0, false,
     false, true},
};
const size_t pc_scenario_count = sizeof pc_scenarios / sizeof pc_scenarios[0];

/* ESP flash (1 byte; 16 with flash encryption), MCU flash with ECC words, big-sector flash. */
const pc_geom_t pc_geoms[] = {
    {"4k-w1", 0x1000, 1},   {"4k-w4", 0x1000, 4},    {"4k-w16", 0x1000, 16},
    {"4k-w256", 0x1000, 256}, {"64k-w4", 0x10000, 4},
};
const size_t pc_geom_count = sizeof pc_geoms / sizeof pc_geoms[0];
