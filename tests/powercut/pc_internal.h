/* Shared by the power-loss runner's files (tests/powercut/). */
#ifndef OTA_TEST_PC_INTERNAL_H
#define OTA_TEST_PC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota.h"
#include "powercut.h"

#define PC_MAX_CUTS 8u

/* ---- What is swept ------------------------------------------------------- */

typedef struct pc_geom {
    const char *name;
    uint32_t sector, write;
} pc_geom_t;

/* How the running image reacts when it boots for its first trial. */
typedef enum pc_trial { PC_CONFIRM, PC_REJECT, PC_CRASH } pc_trial_t;

/* What the operator asks the device to do, retried until done. */
typedef enum pc_cmd {
    PC_CMD_UPDATE,         /* install image 2 in the next slot, set boot, reboot */
    PC_CMD_NONE,           /* just live through the trial */
    PC_CMD_SET_BOOT_SAME,  /* set_boot_partition(running): start it again as a first trial */
    PC_CMD_INVALIDATE,     /* invalidate the inactive otadata copy */
    PC_CMD_ERASE_LAST,     /* erase the last boot app partition */
    PC_CMD_FACTORY,        /* switch back to the factory app */
} pc_cmd_t;

/* Where the scenario starts (built without cuts). */
typedef enum pc_start {
    PC_START_RUNNING,  /* image 1 confirmed in the last slot, running */
    PC_START_STAGED,   /* ... and image 2 written to the next slot, not set to boot */
    PC_START_NEW,      /* ... and set to boot (NEW), powered off */
    PC_START_TRIAL,    /* ... and booted: running image 2 on its first trial */
    PC_START_UPDATED,  /* image 2 confirmed after image 1: both copies valid */
    PC_START_UPDATED2, /* then image 3 over image 1: the active copy is copy 0 */
} pc_start_t;

typedef struct pc_scenario {
    const char *name;
    pc_start_t start;
    bool rollback; /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE of bootloader and app */
    pc_trial_t trial;
    pc_cmd_t cmd;
    ota_erase_mode_t erase; /* of the update */
    bool resume;            /* the update keeps a resume record and resumes after a cut */
    uint32_t final_version; /* image running confirmed at the end */
    bool vary_image;        /* swept over image sizes (else the smallest only) */
    bool vary_slots;        /* swept over 2, 3 and 16 OTA slots (else 2) */
    bool double_cuts;       /* an otadata transition: also every pair of cuts */
} pc_scenario_t;

extern const pc_scenario_t pc_scenarios[];
extern const size_t pc_scenario_count;
extern const pc_geom_t pc_geoms[];
extern const size_t pc_geom_count;

/* One scenario on one device. */
typedef struct pc_inst {
    const pc_scenario_t *sc;
    const pc_geom_t *geom;
    unsigned slots;
    uint32_t image_size;
    ota_writes_t writes;
} pc_inst_t;

typedef struct pc_cut {
    uint32_t k;     /* mutation number, from the scenario start or the last power-on */
    char kind;      /* 0: nothing of mutation k happens; 'w' torn write; 'e' partial erase */
    uint32_t torn;  /* bytes of mutation k that take effect */
    bool garbage;   /* erase: the rest of the sector is junk */
    uint32_t seed;
} pc_cut_t;

/* ---- Case ids (runner.c) ---------------------------------------------------- */

void pc_format_id(const pc_inst_t *inst, const pc_cut_t *cuts, size_t n, char *out, size_t len);
bool pc_parse_id(const char *id, pc_inst_t *inst, pc_cut_t *cuts, size_t *n, char *why,
                 size_t why_len);

/* ---- The device (device.c) -------------------------------------------------- */

/* A flash mutation of a run, for choosing cuts. */
typedef struct pc_op {
    bool erase;
    uint32_t addr, len;
} pc_op_t;

typedef struct pc_oplist {
    pc_op_t *ops;
    size_t count, cap;
} pc_oplist_t;

void pc_oplist_free(pc_oplist_t *l);

/* pc_dev_t is declared in powercut.h (bench/ opens one too). */

/* Build the device and the scenario's start state (no cuts). */
pc_dev_t *pc_dev_new(const pc_inst_t *inst);
void pc_dev_free(pc_dev_t *d);

/* Is addr inside the otadata partition? (cut variants are finer there) */
bool pc_dev_in_otadata(const pc_dev_t *d, uint32_t addr);

/*
 * Run the scenario from its start state with these cuts. Returns true when
 * every invariant held (else why says which broke). tail, if not NULL,
 * receives the mutations after the last power-on (or the start), up to the
 * scenario's end: where a further cut can go.
 */
bool pc_dev_run(pc_dev_t *d, const pc_cut_t *cuts, size_t n, char *why, size_t why_len,
                pc_oplist_t *tail);

#endif
