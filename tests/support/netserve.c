#include "netserve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_TIMEOUT_MS 30000
#define EXIT_TIMEOUT_MS 10000

/* Next line from the child within LINE_TIMEOUT_MS; 0 or -1 (timeout, EOF). */
static int read_line(tu_netserve_t *ns, char *line, size_t cap)
{
    for (;;) {
        char *nl = memchr(ns->pending, '\n', ns->pending_len);
        if (nl) {
            size_t n = (size_t)(nl - ns->pending);
            snprintf(line, cap, "%.*s", (int)n, ns->pending);
            ns->pending_len -= n + 1;
            memmove(ns->pending, nl + 1, ns->pending_len);
            return 0;
        }
        struct pollfd pfd = {ns->from_child, POLLIN, 0};
        if (ns->pending_len == sizeof ns->pending || poll(&pfd, 1, LINE_TIMEOUT_MS) <= 0) {
            return -1;
        }
        ssize_t got = read(ns->from_child, ns->pending + ns->pending_len,
                           sizeof ns->pending - ns->pending_len);
        if (got <= 0) {
            return -1;
        }
        ns->pending_len += (size_t)got;
    }
}

static void keep(char *dst, size_t cap, const char *line, const char *name)
{
    size_t n = strlen(name);
    if (!strncmp(line, name, n) && line[n] == ' ') {
        snprintf(dst, cap, "%s", line + n + 1);
    }
}

static void spawn_child(int in_fd, int out_fd, const char *dir)
{
    setpgid(0, 0); /* its own group, so a last-resort kill also reaches nginx */
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    execlp("python3", "python3", OTA_SOURCE_DIR "/tests/support/netserve.py", dir, (char *)NULL);
    _exit(127);
}

int tu_netserve_start(tu_netserve_t *ns, const char *dir)
{
    int to[2], from[2];
    memset(ns, 0, sizeof *ns);
    signal(SIGPIPE, SIG_IGN); /* a dead child must fail a write, not kill the test */
    if (pipe2(to, O_CLOEXEC) != 0) {
        return -1;
    }
    if (pipe2(from, O_CLOEXEC) != 0) {
        close(to[0]), close(to[1]);
        return -1;
    }
    ns->pid = fork();
    if (ns->pid == 0) {
        spawn_child(to[0], from[1], dir);
    }
    close(to[0]);
    close(from[1]);
    ns->to_child = to[1];
    ns->from_child = from[0];
    if (ns->pid < 0) {
        ns->pid = 0;
        tu_netserve_stop(ns);
        return -1;
    }
    char line[1200];
    while (read_line(ns, line, sizeof line) == 0) {
        if (!strcmp(line, "ready")) {
            return 0;
        }
        keep(ns->fault, sizeof ns->fault, line, "fault");
        keep(ns->http, sizeof ns->http, line, "http");
        keep(ns->https, sizeof ns->https, line, "https");
        keep(ns->ca, sizeof ns->ca, line, "ca");
        keep(ns->wrong_ca, sizeof ns->wrong_ca, line, "wrong_ca");
        keep(ns->pin, sizeof ns->pin, line, "pin");
    }
    fprintf(stderr, "netserve.py did not start\n");
    tu_netserve_stop(ns);
    return -1;
}

int tu_netserve_cmd(tu_netserve_t *ns, const char *cmd, char *answer, size_t cap)
{
    char line[4096];
    size_t n = strlen(cmd);
    if (write(ns->to_child, cmd, n) != (ssize_t)n || write(ns->to_child, "\n", 1) != 1) {
        return -1;
    }
    if (answer) {
        if (read_line(ns, answer, cap) != 0) {
            return -1;
        }
    }
    return read_line(ns, line, sizeof line) == 0 && !strcmp(line, "ok") ? 0 : -1;
}

static void sleep_10ms(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

void tu_netserve_stop(tu_netserve_t *ns)
{
    if (ns->to_child > 0) {
        close(ns->to_child); /* end of input: netserve.py stops its servers */
    }
    if (ns->from_child > 0) {
        close(ns->from_child);
    }
    ns->to_child = ns->from_child = -1;
    if (ns->pid <= 0) {
        return;
    }
    for (int waited = 0; waited < EXIT_TIMEOUT_MS; waited += 10) {
        if (waitpid(ns->pid, NULL, WNOHANG) == ns->pid) {
            ns->pid = 0;
            return;
        }
        sleep_10ms();
    }
    kill(-ns->pid, SIGKILL);
    waitpid(ns->pid, NULL, 0);
    ns->pid = 0;
}
