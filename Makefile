# The two commands: `make run` and `make test`. Both install what is missing first.
PRESET ?= default
BUILD_DIR := build/$(PRESET)
ARGS ?=

.PHONY: all deps build run test unit fuzz bench format clean

all: build

deps:
	@bash deploy/install-deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET)

# Starts ecusimd with its embedded demo vehicle (gRPC :50051, metrics :9464).
run: build
	$(BUILD_DIR)/server/ecusimd $(ARGS)

# Every test: GoogleTest unit and integration tests, Python tests, fuzz corpus replay,
# then a short libFuzzer run of every fuzz target.
test: build
	ctest --preset $(PRESET)
	$(MAKE) --no-print-directory fuzz

FUZZ_SECONDS ?= 10
fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz
	bash tests/fuzz/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

bench: build
	bash tests/bench/run.sh $(BUILD_DIR)

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
