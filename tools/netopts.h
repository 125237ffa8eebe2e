/* Network options shared by the commands that download (ota fetch, ota device). */
#ifndef OTA_TOOLS_NETOPTS_H
#define OTA_TOOLS_NETOPTS_H

#include "ota/net.h"

/* Their --help lines. */
extern const char netopts_usage[];

/*
 * If argv[*i] is one of the network options (--ca, --pin, --allow-http,
 * --timeout-ms, --min-rate, --retries, --backoff-ms), apply it to cfg,
 * consuming its value (*i advances), and return 1; return 0 if it is not
 * one; print the error and return -1 for a missing or bad value or an
 * unreadable CA file.
 */
int netopts_parse(ota_net_config_t *cfg, int argc, char **argv, int *i);

#endif
