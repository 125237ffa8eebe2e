# Entry points. Each target installs missing Debian packages first
# (scripts/install-deps is idempotent), then drives CMake in ./build.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all build test powercut demo deps clean

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

demo: build
	scripts/demo

clean:
	rm -rf $(BUILD)
