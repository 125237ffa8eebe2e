/* Runs tests/support/netserve.py (fault server + nginx) for a cmocka test. */
#ifndef OTA_TEST_NETSERVE_H
#define OTA_TEST_NETSERVE_H

#include <stddef.h>
#include <sys/types.h>

typedef struct tu_netserve {
    pid_t pid;      /* 0 when not running */
    int to_child;   /* its stdin: commands */
    int from_child; /* its stdout: answers */
    char pending[4096];
    size_t pending_len;
    /* URL prefixes without the trailing slash, and the files nginx's TLS needs */
    char fault[64], http[64], https[64], ca[1024], wrong_ca[1024], pin[128];
} tu_netserve_t;

/* Serve the files of dir; waits (bounded) until both servers listen. 0 or -1. */
int tu_netserve_start(tu_netserve_t *ns, const char *dir);

/* Send one command line (see netserve.py); the answer line (without newline)
 * goes to answer when given. 0 when the server answered, -1 otherwise. */
int tu_netserve_cmd(tu_netserve_t *ns, const char *cmd, char *answer, size_t cap);

/* Stop the servers and reap the process (bounded; killed if it does not exit). */
void tu_netserve_stop(tu_netserve_t *ns);

#endif
