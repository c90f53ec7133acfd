# mcgk - top-level entry points. Each target installs what it needs first
# (scripts/install-deps, as root) and drives CMake + CTest underneath.
#
#   make demo    the main job: KMS + parties on loopback, keys moved and used
#   make test    everything CI runs: unit, vectors, interop, integration,
#                then the suite again under ASan+UBSan, the constant-time
#                check under valgrind, and a short run of every fuzz target
#   make build   build/mcgk and the test binaries
#   make bench   mcgk beside wolfSSL, figures in build/bench/
#   make fuzz    run every fuzz target for FUZZ_SECONDS (default 60) each

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10

.PHONY: all deps build test test-unit test-asan test-ct test-fuzz bench demo fuzz clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@$(MAKE) --no-print-directory test-unit test-asan test-ct test-fuzz
	@echo "make test: all suites passed"

test-unit:
	@echo "== unit, vector, interop and integration tests =="
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	@echo "== the suite again under AddressSanitizer + UndefinedBehaviorSanitizer =="
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCGK_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@MCGK_TEST_QUICK=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

test-ct: build
	@echo "== constant-time check under valgrind (ctgrind) =="
	@scripts/ctgrind $(BUILD)/mcgk-ctgrind

test-fuzz: deps
	@echo "== fuzz targets, $(FUZZ_SMOKE_SECONDS) s each =="
	@scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

bench: build
	@mkdir -p $(BUILD)/bench
	@$(BUILD)/mcgk-bench --csv $(BUILD)/bench

demo: build
	@scripts/demo $(BUILD)/mcgk

fuzz: deps
	@scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
