/*
 * ota_bench [NAME...]: run the benchmarks (all, or those named) and print one
 * `bench:` line per figure. The SHA-256 engines are always timed first: the
 * fastest one is the reference of the limits and the engine updates use.
 */
#include <stdio.h>
#include <string.h>

#include "benchmarks.h"

typedef struct entry {
    const char *name;
    void (*run)(const bench_sha_t *sha);
} entry_t;

static const entry_t k_benchmarks[] = {
    {"write_throughput", bench_write_throughput},
    {"device_time", bench_device_time},
    {"erase_count", bench_erase_count},
    {"boot_decision", bench_boot_decision},
    {"powercut_rate", bench_powercut_rate},
};

#define COUNT (sizeof k_benchmarks / sizeof k_benchmarks[0])

/* CPU model, CPU count and load: the context of the timings. */
static void print_machine(void)
{
    char line[256], model[128] = "unknown";
    int cpus = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            cpus++;
        }
    }
    if (f) {
        fclose(f);
    }
    double load = -1;
    f = fopen("/proc/loadavg", "r");
    if (!f || fscanf(f, "%lf", &load) != 1) {
        load = -1;
    }
    if (f) {
        fclose(f);
    }
    printf("# machine: %s, %d CPUs, load average %.2f\n", model, cpus, load);
}

static bool selected(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], name)) {
            return true;
        }
    }
    return argc < 2;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        bool known = false;
        for (size_t b = 0; b < COUNT; b++) {
            known = known || !strcmp(argv[i], k_benchmarks[b].name);
        }
        if (!known) {
            fprintf(stderr, "usage: ota_bench [NAME...]; unknown benchmark '%s'\n", argv[i]);
            return 2;
        }
    }
    print_machine();
    bench_sha_t sha;
    bench_sha_init(&sha);
    for (size_t b = 0; b < COUNT; b++) {
        if (selected(argc, argv, k_benchmarks[b].name)) {
            k_benchmarks[b].run(&sha);
        }
    }
    bench_sha_free(&sha);
    return 0;
}
