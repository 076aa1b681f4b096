# Telebridge — the two commands of the README:
#   make run    install packages, build, start the server on configs/telebridge.ini
#   make test   install packages, build, run every test (unit, fuzz replay, integration,
#               end-to-end in headless Chromium), then again under ASan + UBSan
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: run test deps test-deps build build-asan unit unit-asan e2e e2e-asan format clean

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

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
