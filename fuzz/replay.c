/*
 * A main() for a fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput
 * once on each file given, or on each file of each directory given (sorted,
 * hidden files skipped; a missing directory is noted and skipped). ctest uses
 * it to replay fuzz/regress/<target>/ and the seeds in every build, so a
 * crash found once stays fixed without needing clang.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                abort();
            }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int run_dir(const char *dir, unsigned *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    int failed = 0;
    if (n < 0) {
        printf("replay: %s: no such directory, skipped\n", dir);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            failed |= run_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return failed;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            failed |= run_dir(argv[i], &count);
        } else if (stat(argv[i], &st) == 0) {
            failed |= run_file(argv[i]);
            count++;
        } else {
            printf("replay: %s: not found, skipped\n", argv[i]);
        }
    }
    printf("replay: %u inputs run\n", count);
    return failed;
}
