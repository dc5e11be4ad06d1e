# The README's two commands (make run, make test) and their helpers. Every
# target installs missing Debian packages first (scripts/install-deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FP_BUILD   ?= build-fp
CERTS      ?= .dev-certs
LISTEN     ?= 127.0.0.1:8443
HEALTH_LISTEN ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BIN        := $(BUILD)/kopia-webhook

.PHONY: all deps deps-run configure configure-run build build-bin install certs run test test-unit test-asan test-valgrind fuzz-build fuzz bench bench-profile soak format clean

all: build

deps:
	@scripts/install-deps.sh build test

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKW_TESTS=ON >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# `make run` needs only the server: the build packages, and the test suite
# left out of a first configure (a build directory that already has it keeps
# it, unbuilt).
deps-run:
	@scripts/install-deps.sh build

configure-run: deps-run
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    $(if $(wildcard $(BUILD)/CMakeCache.txt),,-DKW_TESTS=OFF) >/dev/null

build-bin: configure-run
	@cmake --build $(BUILD) -j $(JOBS) --target kopia-webhook

# The binary (and what ships with it) under $(PREFIX), for running `check`
# locally or in CI; `sudo make install` for the default /usr/local.
PREFIX ?= /usr/local
install: build-bin
	@cmake --build $(BUILD) -j $(JOBS) --target kw-man-completion
	@cmake --install $(BUILD) --prefix $(PREFIX)

# Development certificates for https://127.0.0.1:8443, made by the project's
# own gen-certs (a CA and a serving certificate signed by it).
certs: build-bin
	@[ -f $(CERTS)/tls.crt ] || $(BIN) gen-certs --service kopia-webhook \
	    --namespace kopia-webhook --host localhost --host 127.0.0.1 --out $(CERTS)

# The development server: the webhook on $(LISTEN), probes and metrics on
# plain HTTP $(HEALTH_LISTEN) as in a cluster, and no drain period, so Ctrl-C
# stops it at once (a cluster keeps the default 10 s).
run: certs
	$(BIN) serve --listen $(LISTEN) --health-listen $(HEALTH_LISTEN) --drain-seconds 0 \
	    --tls-cert $(CERTS)/tls.crt --tls-key $(CERTS)/tls.key

test: build certs
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The fast tier only (ctest label `unit`): builds just what it needs.
test-unit: configure
	@cmake --build $(BUILD) -j $(JOBS) --target unit-tests
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L '^unit$$'

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DKW_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

test-valgrind: build
	@scripts/test-valgrind.sh $(BUILD)

# The fuzz targets need clang; the build also compiles the server and every
# test with clang's warnings under -Werror, which differ from gcc's.
fuzz-build:
	@scripts/install-deps.sh build test fuzz
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DKW_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz: fuzz-build
	@scripts/run-fuzz.sh $(FUZZ_BUILD) $${FUZZ_SECONDS:-30}

bench: build
	@scripts/install-deps.sh bench
	@bench/run.sh $(BIN)

# Where the time goes: perf and callgrind over the small review, against a
# RelWithDebInfo build with frame pointers (in $(FP_BUILD)), so perf's call
# graphs reach through the project's functions. PROFILE_CASE: small, mutate
# or large.
bench-profile: deps
	@scripts/install-deps.sh bench profile
	@cmake -S . -B $(FP_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKW_FRAME_POINTERS=ON -DKW_TESTS=OFF >/dev/null
	@cmake --build $(FP_BUILD) -j $(JOBS) --target kopia-webhook
	@bench/run.sh $(FP_BUILD)/kopia-webhook --profile $${PROFILE_CASE:-small}

# Minutes of bounded mixed load (valid, invalid, large and hostile clients)
# against the server built from the tree; RSS sampled into bench/soak.csv and
# plotted to bench/soak.png. SOAK_SECONDS (default 180) sets the length.
soak: build
	@scripts/install-deps.sh soak
	@bench/soak.sh $(BIN) bench

format:
	@clang-format -i include/kw/*/*.h server/*.c validators/*/*.c validators/*/*.h tests/*/*.c tests/support/*.h fuzz/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(FP_BUILD)
