/* The benchmarks `ota_bench` runs (bench/README.md describes each). */
#ifndef BENCH_BENCHMARKS_H
#define BENCH_BENCHMARKS_H

#include "bench.h"

void bench_write_throughput(const bench_sha_t *sha);
void bench_device_time(const bench_sha_t *sha);
void bench_erase_count(const bench_sha_t *sha);
void bench_boot_decision(const bench_sha_t *sha);
void bench_powercut_rate(const bench_sha_t *sha);

#endif
