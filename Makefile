# Telebridge — the two commands of the README:
#   make run    install packages, build, start the server on configs/telebridge.ini
#   make test   install packages, build, run every test (unit, fuzz replay, integration,
#               end-to-end in headless Chromium), then again under ASan + UBSan
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)

.PHONY: run test deps test-deps build build-asan unit unit-asan e2e e2e-asan format fuzz clean

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTB_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTB_WERROR=ON -DTB_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	./$(BUILD)/telebridge serve --config configs/telebridge.ini

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

unit-asan: build-asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# Integration and browser tests run inside a private network namespace (only `lo`).
e2e: build test-deps
	tests/run-system.sh $(BUILD)

e2e-asan: build-asan test-deps
	TB_ASAN=1 tests/run-system.sh $(ASAN_BUILD)

# The C sources follow .clang-format (clang-format --dry-run --Werror).
format: test-deps
	@scripts/check-format.sh

test: test-deps
	$(MAKE) format unit e2e unit-asan e2e-asan

# libFuzzer runs of the fuzz targets (clang), FUZZ_SECONDS each, one after another; not
# part of `make test`, which replays their corpora under ctest. FUZZ_TARGETS: a subset,
# e.g. `make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS="signaling rtp"` (tests/fuzz/run).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps
	TB_FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
