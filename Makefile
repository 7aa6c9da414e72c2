# chainboot — build, test and install the image builder (and, later, the server).
#   make              build build/chainboot (warnings are errors; NO_WERROR=1 relaxes, V=1 shows commands)
#   make image        install dependencies, build, and make out/chainboot.iso from examples/site.ini
#   make check        install dependencies and run every test (ends with "N passed, N failed")
#   make asan         the same binaries with AddressSanitizer + UBSan in build/asan
#   make fuzz FUZZ_TIME=60   libFuzzer harnesses (clang) in build/fuzz, each run FUZZ_TIME seconds
#   make install PREFIX=/usr/local
#   make lint        format check, clang-tidy (.clang-tidy) and cppcheck over lib/ builder/ server/
#   make format      clang-format (.clang-format) every C file
#   make compile_commands.json   (bear)

PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := blkid liblzma inih jansson libmd
SITE      ?= examples/site.ini
IMAGE     ?= out/chainboot.iso

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-format-truncation
ifndef NO_WERROR
WARN      += -Werror
endif
ifdef SAN
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
# Each directory sees only its own headers and lib's (docs/architecture.md): a builder/
# file that includes a server/ header, or the reverse, fails to compile.
INC_lib      := -iquote lib
INC_builder  := -iquote builder -iquote lib
INC_server   := -iquote server -iquote lib
INC_tests    := -iquote tests/unit -iquote builder -iquote server -iquote lib
INC_tools    := -iquote tests/common -iquote lib
dir_inc = $(strip $(if $(filter lib/%,$1),$(INC_lib),\
	$(if $(filter builder/%,$1),$(INC_builder),\
	$(if $(filter server/%,$1),$(INC_server),\
	$(if $(filter tests/unit/%,$1),$(INC_tests),\
	$(if $(filter tests/tools/% bench/tools/%,$1),$(INC_tools),$(error no include rule for $1)))))))
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC     := $(wildcard lib/*.c)
BUILDER_SRC := $(filter-out builder/main.c,$(wildcard builder/*.c))
SERVER_SRC  := $(filter-out server/main.c,$(wildcard server/*.c))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
TOOL_SRC    := $(wildcard tests/tools/*.c)
TOOL_BIN    := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
BENCH_SRC   := $(wildcard bench/tools/*.c)
BENCH_BIN   := $(BENCH_SRC:bench/tools/%.c=$(BUILD)/bench/%)

LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/%.o)
BUILDER_OBJ := $(BUILDER_SRC:%.c=$(BUILD)/%.o)
SERVER_OBJ  := $(SERVER_SRC:%.c=$(BUILD)/%.o)
DAEMON      := $(if $(wildcard server/main.c),$(BUILD)/chainbootd)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all image check asan install deps tests clean compile_commands.json fuzz fuzz-build bench bench-smoke bench-tools lint format format-check
all: $(BUILD)/chainboot $(DAEMON)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(call dir_inc,$<) -c -o $@ $<

# Three archives: the core, and each face's own modules. A binary links its face and
# the core only, so chainbootd carries no image planner and chainboot no daemon.
$(BUILD)/libcore.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libbuilder.a: $(BUILDER_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libserver.a: $(SERVER_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/chainboot: $(BUILD)/builder/main.o $(BUILD)/libbuilder.a $(BUILD)/libcore.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/chainbootd: $(BUILD)/server/main.o $(BUILD)/libserver.a $(BUILD)/libcore.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Test clients (DHCP, TFTP, HTTP) that speak to the daemon in integration tests.
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Load generators for make bench (and the fault tests).
$(BENCH_BIN): $(BUILD)/bench/%: $(BUILD)/bench/tools/%.o $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Unit tests reach into both faces (their modules are what they test).
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libbuilder.a $(BUILD)/libserver.a $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

tests: $(BUILD)/chainboot $(DAEMON) $(UNIT_BIN) $(TOOL_BIN) $(BENCH_BIN)

bench-tools: $(BENCH_BIN)

# Benchmarks (not part of make check): chainbootd and chainboot against dnsmasq, tftpd-hpa,
# atftpd, lighttpd, nginx and grub-mkrescue, on the -O2 build; results and charts in
# bench/results/<date>/. BENCH_ARGS="--reps 3 http-script" passes options and cases.
BENCH_ARGS ?=
bench: deps
	$(Q)scripts/bench-deps.sh
	$(Q)$(MAKE) --no-print-directory all bench-tools
	$(Q)bench/run.sh --build $(BUILD) $(BENCH_ARGS)

# Every bench case once with tiny sizes (CI): checks the bench runs, not the targets.
bench-smoke: deps
	$(Q)scripts/bench-deps.sh
	$(Q)$(MAKE) --no-print-directory all bench-tools
	$(Q)bench/run.sh --smoke --build $(BUILD) --out $(BUILD)/bench-smoke $(BENCH_ARGS)

deps:
	$(Q)scripts/deps.sh

# The main job on the shipped example: one hybrid image.
image: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p $(dir $(IMAGE))
	$(Q)$(BUILD)/chainboot build --site $(SITE) -o $(IMAGE)
	$(Q)$(BUILD)/chainboot inspect $(IMAGE)

# Every test with the sanitizer build, and each fuzz harness briefly; ends with "N passed, N failed".
# The plain -O2 build is for what a sanitizer would distort: valgrind and the bench smoke.
check: deps
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=build/asan tests fuzz-build
	$(Q)$(MAKE) --no-print-directory BUILD=build all bench-tools
	$(Q)CHAINBOOT_PLAIN_BUILD=$(CURDIR)/build tests/run --build build/asan

asan:
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=build/asan all

# Fuzzing: each tests/fuzz/fuzz_*.c with the parsers it drives, clang libFuzzer + ASan +
# UBSan, seeded from the iPXE binaries (tests/fuzz/mkcorpus.sh) and, when present, the
# checked-in seeds in tests/fuzz/corpus/NAME (read-only: new units go to build/), with
# tests/fuzz/NAME.dict if there is one, FUZZ_TIME seconds each.
FUZZ_TIME  ?= 60
FUZZ_CC    ?= clang
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_LIBS  := lib/zbin.c lib/ipxebin.c lib/diag.c lib/fsextent.c lib/rebrand.c lib/sha256.c \
              lib/tftpproto.c lib/dhcpopt.c \
              lib/httpparse.c lib/template.c lib/inventory.c lib/chainscript.c \
              lib/siteconf.c lib/spawn.c lib/pesig.c
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) -Wno-unknown-warning-option -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined -iquote lib $(PKG_CFLAGS)
FUZZ_IPXE  ?= $(shell scripts/deps.sh --print-ipxe-dir 2>/dev/null)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIBS) $(PKG_LIBS)

# fuzz_inspect includes builder/inspect.c (to reach its static ISO/El Torito readers).
$(FUZZ_DIR)/fuzz_inspect: builder/inspect.c builder/inspect.h builder/inspect_sb.c builder/inspect_sb.h

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	$(Q)tests/fuzz/mkcorpus.sh $(FUZZ_DIR)/corpus $(FUZZ_IPXE)
	$(Q)set -e; for h in $(FUZZ_BIN); do n=$${h##*/fuzz_}; \
		echo "fuzz: $$n for $(FUZZ_TIME) s"; \
		dict=tests/fuzz/$$n.dict; [ -f $$dict ] || dict=tests/fuzz/ipxe.dict; \
		seeds=tests/fuzz/corpus/$$n; [ -d $$seeds ] || seeds=; \
		mkdir -p $(FUZZ_DIR)/corpus/$$n; \
		$$h -max_total_time=$(FUZZ_TIME) -max_len=131072 -rss_limit_mb=2048 -timeout=20 \
			-print_final_stats=1 -dict=$$dict -artifact_prefix=$(FUZZ_DIR)/$$n- \
			$(FUZZ_DIR)/corpus/$$n $$seeds 2>$(FUZZ_DIR)/$$n.log || { tail -n 40 $(FUZZ_DIR)/$$n.log; exit 1; }; \
		grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_DIR)/$$n.log; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/chainboot/layouts \
		$(DESTDIR)$(PREFIX)/share/chainboot/scripts $(DESTDIR)$(PREFIX)/share/chainboot/examples
	install -m 755 $(BUILD)/chainboot $(DESTDIR)$(PREFIX)/bin/chainboot
	$(if $(DAEMON),install -m 755 $(DAEMON) $(DESTDIR)$(PREFIX)/bin/chainbootd)
	install -m 644 layouts/*.layout $(DESTDIR)$(PREFIX)/share/chainboot/layouts/
	install -m 644 scripts/*.in $(DESTDIR)$(PREFIX)/share/chainboot/scripts/
	install -m 755 scripts/deps.sh $(DESTDIR)$(PREFIX)/share/chainboot/scripts/
	install -m 644 examples/* $(DESTDIR)$(PREFIX)/share/chainboot/examples/

# Static analysis: clang-tidy (checks and the reason for each one left out in
# .clang-tidy) and cppcheck (false positives in tests/lint/cppcheck.supp) over lib/,
# builder/ and server/ with the build's flags; any finding fails. Per-file stamps in
# $(BUILD)/lint, so `make -j2 lint` re-checks only what changed.
CLANG_TIDY ?= clang-tidy
CPPCHECK   ?= cppcheck
LINT_SRC   := $(wildcard lib/*.c builder/*.c server/*.c)
LINT_FLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) -Wno-unknown-warning-option \
              $(PKG_CFLAGS)

$(BUILD)/lint/%.tidy: %.c .clang-tidy $(wildcard lib/*.h builder/*.h server/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TIDY    $<")
	$(Q)$(CLANG_TIDY) --quiet $< -- $(LINT_FLAGS) $(call dir_inc,$<) 2>/dev/null && touch $@

# Every C file under version control, formatted by .clang-format (lines <= 100).
FORMAT_SRC  = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
CLANG_FORMAT ?= clang-format

format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_SRC)

format-check:
	$(Q)bad=$$(for f in $(FORMAT_SRC); do $(CLANG_FORMAT) "$$f" | cmp -s - "$$f" || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "lint: not formatted (run make format):"; echo "$$bad" | sed 's/^/  /'; exit 1; fi

lint: format-check $(LINT_SRC:%.c=$(BUILD)/lint/%.tidy)
	@mkdir -p $(BUILD)/lint/cppcheck
	@$(if $(Q),echo "  CPPCHECK lib builder server")
	$(Q)$(CPPCHECK) -q --std=c11 --enable=warning,performance,portability --error-exitcode=1 \
		--inline-suppr --suppressions-list=tests/lint/cppcheck.supp --include=tests/lint/cppcheck.h \
		-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I lib -I builder -I server \
		--cppcheck-build-dir=$(BUILD)/lint/cppcheck lib builder server
	@echo "lint: clean"

compile_commands.json:
	$(MAKE) clean
	bear -- $(MAKE) tests

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
