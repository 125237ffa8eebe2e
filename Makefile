# Entry points. Each target installs missing Debian packages first
# (scripts/install-deps is idempotent), then drives CMake in ./build.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all build test powercut test-cross size example-cortex-m fuzz demo bench deps clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

# Every test twice: normally and under AddressSanitizer + UndefinedBehaviorSanitizer.
test: deps
	cmake -S . -B $(BUILD) -DOTA_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure --timeout 600

# The full power-loss sweep (docs/DESIGN.md, "Power-loss safety"): ESP-IDF's
# write sequence, then libota's; ends with the `powercut:` line, exit 0 when
# libota's violations are 0. Every violation id is in $(BUILD)/powercut.log.
powercut: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS) --target powercut
	$(BUILD)/powercut --full --random 20000 --max-cuts 6 --log $(BUILD)/powercut.log

# The cmocka tests built for 32-bit ARM (armhf) and big-endian s390x Linux, run
# under qemu-user, in build-cross-<arch> (scripts/test-cross).
test-cross:
	@scripts/install-deps cross
	scripts/test-cross

# Cortex-M4 footprint of the core: text/data/bss per module and worst-case
# stack per public function, boot-only and update configurations (scripts/size).
size:
	@scripts/install-deps size
	scripts/size

# Bare-metal example on a Cortex-M4 under qemu-system-arm (examples/cortex-m):
# partition table, updates, rollback, boot decisions; fails unless it prints PASS.
# The host CLI (build) packs its two app images.
example-cortex-m: build
	@scripts/install-deps size
	$(MAKE) -C examples/cortex-m OTA=$(abspath $(BUILD))/ota O=$(abspath build-cortex-m) run

# libFuzzer targets (fuzz/), built with clang in $(FUZZ_BUILD), each run for FUZZ_SECONDS.
fuzz:
	@scripts/install-deps fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DOTA_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	python3 fuzz/run.py --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS)

# Benchmarks (bench/README.md): Release build (-O2, no sanitizers) in its own
# directory; the build's output goes to its log, the figures to stdout.
BENCH_BUILD ?= build-bench
bench: deps
	@mkdir -p $(BENCH_BUILD)
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	  -DOTA_BUILD_BENCH=ON -DOTA_BUILD_TESTS=OFF >$(BENCH_BUILD)/make-bench.log 2>&1 && \
	  cmake --build $(BENCH_BUILD) -j$(JOBS) --target ota_bench >>$(BENCH_BUILD)/make-bench.log 2>&1 || \
	  { cat $(BENCH_BUILD)/make-bench.log; exit 1; }
	cd $(BENCH_BUILD) && ./bench/ota_bench

# Only the CLI is built for the demo (the tests are `make test`'s business).
demo: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS) --target ota
	OTA=$(BUILD)/ota scripts/demo

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) build-cross-* build-size build-cortex-m $(BENCH_BUILD)
