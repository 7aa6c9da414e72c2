# chainboot — build, test and install the image builder (and, later, the server).
#   make              build build/chainboot (warnings are errors; NO_WERROR=1 relaxes, V=1 shows commands)
#   make image        install dependencies, build, and make out/chainboot.iso from examples/site.ini
#   make check        install dependencies and run every test (ends with "N passed, N failed")
#   make asan         the same binaries with AddressSanitizer + UBSan in build/asan
#   make fuzz FUZZ_TIME=60   libFuzzer harnesses (clang) in build/fuzz, each run FUZZ_TIME seconds
#   make install PREFIX=/usr/local [DESTDIR=...]   (and make uninstall with the same)
#   make deb          the Debian packages chainboot and chainbootd, in build/deb/
#   make man          mandoc -T lint over the manual pages in man/
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
# sd_notify (server/notify.c): chainbootd only.
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
# Each directory sees only its own headers and lib's (docs/architecture.md): a builder/
# file that includes a server/ header, or the reverse, fails to compile.
INC_lib      := -iquote lib
INC_builder  := -iquote builder -iquote lib
INC_server   := -iquote server -iquote lib
INC_tests    := -iquote tests/unit -iquote tests/common -iquote builder -iquote server -iquote lib
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
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(SYSTEMD_LIBS)

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
# Every harness links the whole core, so a new lib/ module needs no line here.
FUZZ_LIBS  := $(wildcard lib/*.c)
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) -Wno-unknown-warning-option -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined -iquote lib $(PKG_CFLAGS)
FUZZ_IPXE  ?= $(shell scripts/deps.sh --print-ipxe-dir 2>/dev/null)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_INC) -o $@ $< $(FUZZ_LIBS) $(FUZZ_FACE) $(PKG_LIBS)

# fuzz_inspect drives builder's inspect modules as shipped (their public API only).
FUZZ_INSPECT := builder/inspect_probe.c builder/inspect_report.c builder/inspect_sb.c
$(FUZZ_DIR)/fuzz_inspect: FUZZ_INC := -iquote builder
$(FUZZ_DIR)/fuzz_inspect: FUZZ_FACE := $(FUZZ_INSPECT)
$(FUZZ_DIR)/fuzz_inspect: $(FUZZ_INSPECT) $(wildcard builder/inspect*.h)

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

# Install layout; the packages (debian/rules) use PREFIX=/usr SYSCONFDIR=/etc
# UNITDIR=/lib/systemd/system. DESTDIR is prepended to every path. The daemon and the
# iPXE fetch go to sbin (they run as root); chainbootd.service is written with the
# SBINDIR and SYSCONFDIR it is installed with. Configuration files are installed only
# where none exist yet, and `make uninstall` removes them only when unchanged.
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
DATADIR     ?= $(PREFIX)/share/chainboot
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR  ?= $(PREFIX)/etc
MAN_PAGES   := $(wildcard man/*.[158])
CONF_FILES  := dist/site.ini dist/inventory.ini

.PHONY: uninstall man deb
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/layouts \
		$(DESTDIR)$(DATADIR)/scripts $(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSCONFDIR)/chainboot \
		$(addprefix $(DESTDIR)$(MANDIR)/man,$(sort $(subst .,,$(suffix $(MAN_PAGES)))))
	install -m 755 $(BUILD)/chainboot $(DESTDIR)$(BINDIR)/chainboot
	$(if $(DAEMON),install -m 755 $(DAEMON) $(DESTDIR)$(SBINDIR)/chainbootd)
	install -m 755 scripts/chainboot-fetch-ipxe $(DESTDIR)$(SBINDIR)/chainboot-fetch-ipxe
	install -m 644 layouts/*.layout $(DESTDIR)$(DATADIR)/layouts/
	install -m 644 scripts/*.in $(DESTDIR)$(DATADIR)/scripts/
	install -m 644 examples/* $(DESTDIR)$(DATADIR)/examples/
	$(foreach m,$(MAN_PAGES),install -m 644 $(m) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/;)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/chainbootd.service.in >$(DESTDIR)$(UNITDIR)/chainbootd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/chainbootd.service
	$(if $(wildcard completion/chainboot),install -m 644 completion/chainboot $(DESTDIR)$(BASHCOMPDIR)/chainboot)
	$(if $(wildcard completion/chainboot),ln -sf chainboot $(DESTDIR)$(BASHCOMPDIR)/chainbootd)
	for f in $(CONF_FILES); do t=$(DESTDIR)$(SYSCONFDIR)/chainboot/$${f##*/}; \
		[ -e "$$t" ] || install -m 644 "$$f" "$$t"; done

# The Debian packages (debian/), built from a copy of this tree (without build/, out/ and
# .git) in $(BUILD)/deb, where the .deb files land: dpkg-buildpackage writes beside the
# tree it builds, and that must not be this tree's parent. The two packages are also
# copied here, so `apt install ./chainboot_*.deb ./chainbootd_*.deb` follows `make deb`.
DEB_DIR ?= $(BUILD)/deb
deb: deps
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/chainboot
	$(Q)tar -cf - --exclude=./build --exclude=./out --exclude=./.git --exclude='./*.deb' . | \
		tar -C $(DEB_DIR)/chainboot -xf -
	$(Q)cd $(DEB_DIR)/chainboot && dpkg-buildpackage -us -uc -b
	$(Q)rm -f chainboot_*.deb chainbootd_*.deb
	$(Q)cp $(DEB_DIR)/chainboot_*.deb $(DEB_DIR)/chainbootd_*.deb .
	$(Q)ls $(DEB_DIR)/*.deb chainboot_*.deb chainbootd_*.deb

# The manual pages (mdoc, written by hand): errors and warnings fail; the test
# tests/integration/manpages.sh also holds them to mandoc's style checks.
man:
	$(Q)mandoc -T lint -W warning $(MAN_PAGES) && echo "man: $(words $(MAN_PAGES)) pages, lint clean"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/chainboot $(DESTDIR)$(SBINDIR)/chainbootd \
		$(DESTDIR)$(SBINDIR)/chainboot-fetch-ipxe $(DESTDIR)$(UNITDIR)/chainbootd.service \
		$(DESTDIR)$(BASHCOMPDIR)/chainboot $(DESTDIR)$(BASHCOMPDIR)/chainbootd \
		$(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	rm -rf $(DESTDIR)$(DATADIR)/layouts $(DESTDIR)$(DATADIR)/scripts $(DESTDIR)$(DATADIR)/examples
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null
	for f in $(CONF_FILES); do t=$(DESTDIR)$(SYSCONFDIR)/chainboot/$${f##*/}; \
		if cmp -s "$$f" "$$t"; then rm -f "$$t"; \
		elif [ -e "$$t" ]; then echo "uninstall: kept $$t (changed)"; fi; done
	-rmdir $(DESTDIR)$(SYSCONFDIR)/chainboot 2>/dev/null

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

# bear records the compiler calls of a full rebuild (-B): nothing is deleted first, and
# the objects it makes are the ones a plain build makes.
compile_commands.json:
	bear --output $@ -- $(MAKE) --no-print-directory -B tests

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
