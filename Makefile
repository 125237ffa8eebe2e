# Entry points. Each target installs missing Debian packages first
# (scripts/install-deps is idempotent), then drives CMake in ./build.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all build test fuzz demo deps clean

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

# libFuzzer targets (fuzz/), built with clang in $(FUZZ_BUILD), each run for FUZZ_SECONDS.
fuzz:
	@scripts/install-deps fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DOTA_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	python3 fuzz/run.py --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS)

demo: build
	scripts/demo

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
