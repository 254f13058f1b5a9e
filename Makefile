# Frame SDK: build the frame, package the SDK, build and test the example kernels.
# `make help` lists the targets.

include sdk/mk/flags.mk

B := build
SDK_DIR := $(B)/sdk
EXAMPLES := hello userspace timer edu disk typewriter programs
TEST_KERNELS := $(notdir $(wildcard tests/kernels/*))
EXAMPLE ?= hello
PYTHON = $(shell sdk/tools/find-python)
PYTEST_ARGS ?=
SILENT := $(if $(filter 1,$(V)),,-s)

FRAME_SRCS := $(shell find sdk/frame -path sdk/frame/tests -prune -o \( -name '*.c' -o -name '*.S' \) -print | sort)
FRAME_OBJS := $(patsubst sdk/frame/%,$(B)/frame/%.o,$(FRAME_SRCS))
# The frame's own tests end in .frametest.o: kernel.ld counts them (by that name, which no
# kernel's object can have: kernel.mk names them .c.o) as frame code, not client code.
FRAME_TEST_OBJS := $(patsubst sdk/frame/tests/%.c,$(B)/frame/tests/%.frametest.o,$(wildcard sdk/frame/tests/*.c))
# No sibling calls: a public function's memcpy() must return to it, so the address sanitizer's
# checks of client buffers (mm/kasan.h) see the frame, not the client, as memcpy()'s caller.
FRAME_CFLAGS := -std=gnu11 -nostdinc -isystem $(FRAME_GCC_INCLUDE) -Isdk/include -Isdk/frame \
	$(FRAME_ARCH_FLAGS) -O2 -Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes -Wformat=2 -Wundef \
	-Wmissing-prototypes -fno-tree-loop-distribute-patterns -fno-optimize-sibling-calls -MMD -MP
# The frame's debug information names its files /frame-sdk/sdk/frame/..., wherever this checkout
# is: the SDK carries the sources in src/, and GDB (sdk/tools/debug) maps /frame-sdk/sdk there.
FRAME_CFLAGS += -fdebug-prefix-map=$(CURDIR)=/frame-sdk
HEADERS := $(wildcard sdk/include/frame/*.h)
DRIVER_HEADERS := $(wildcard sdk/include/drivers/*.h)
DRIVER_SRCS := $(wildcard sdk/drivers/*.c)
# The user runtime for user programs in C (sdk/user): crt0.o and libuser.a, and its headers.
USER_RT_OBJS := $(patsubst sdk/user/%.c,$(B)/user-rt/%.o,$(wildcard sdk/user/*.c))
USER_RT_HEADERS := $(shell find sdk/user/include -name '*.h')
USER_RT_CFLAGS := -std=c11 -ffreestanding -nostdinc -isystem $(FRAME_GCC_INCLUDE) -Isdk/user/include \
	-fno-stack-protector -fno-pic -fno-pie -O2 -g -Wall -Wextra -Werror -MMD -MP
SDK_FILES := $(SDK_DIR)/user/lib/libuser.a $(SDK_DIR)/user/lib/crt0.o \
	$(USER_RT_HEADERS:sdk/user/include/%=$(SDK_DIR)/user/include/%) $(SDK_DIR)/lib/libframe.a $(DRIVER_HEADERS:sdk/include/%=$(SDK_DIR)/include/%) $(SDK_DIR)/lib/kernel.ld $(HEADERS:sdk/include/%=$(SDK_DIR)/include/%) \
	$(SDK_DIR)/mk/kernel.mk $(SDK_DIR)/mk/flags.mk $(patsubst sdk/tools/%,$(SDK_DIR)/tools/%,$(wildcard sdk/tools/*)) \
	$(patsubst harness/%,$(SDK_DIR)/harness/%,$(shell find harness/frameharness harness/README.md -name '__pycache__' -prune -o -type f -print 2>/dev/null))

.PHONY: docs-pictures profile-kernel all help deps check-example sdk examples test-kernels compile-commands run run-direct test debug docs bench dist \
	format check-format clean
all: sdk examples test-kernels compile-commands

help:
	@echo "Frame SDK — targets:"
	@echo "  make run [EXAMPLE=hello]   install what is missing, build, boot a kernel through GRUB (Ctrl-A X quits);"
	@echo "                             EXAMPLE is an example ($(EXAMPLES)) or a test kernel ($(TEST_KERNELS))"
	@echo "                             FIRMWARE=uefi boots it with OVMF (UEFI) instead of the BIOS"
	@echo "  make run-direct [EXAMPLE=] boot the example's ELF directly (no GRUB; BIOS only)"
	@echo "                             run, run-direct, debug: MODULES=\"path[=name] ...\" adds boot modules"
	@echo "  make test                  build everything and run every test (pytest), docs included"
	@echo "  make debug [EXAMPLE=hello] boot paused, attach GDB stopped at kernel_main"
	@echo "  make attach [EXAMPLE=]     attach GDB to the kernel make run / run-direct is running"
	@echo "  make docs                  API reference (Doxygen) in build/docs/html"
	@echo "  make bench                 the frame against the floor kernel, boot times, more figures"
	@echo "  make coverage              the test suite on instrumented kernels: build/coverage/index.html"
	@echo "  make trace [EXAMPLE=hello] a timeline of tasks, interrupts and timers: build/trace/<kernel>.html and .json"
	@echo "  make profile [EXAMPLE=]    a flame graph of where the time goes: build/profile/<kernel>.svg [SECONDS= HZ=]"
	@echo "  make bench-linux           the same with Linux (Debian's kernel) in the same QEMU; BENCH_ROUNDS=5"
	@echo "  make sdk                   the prebuilt SDK in build/sdk"
	@echo "  make sdk-coverage          its instrumented frame, build/sdk/coverage (make all, dist and new build it too)"
	@echo "  make compile-commands      build/compile_commands.json for clangd (make all writes it too)"
	@echo "  make dist                  the SDK as dist/frame-sdk.tar.gz"
	@echo "  make new DIR=../mykernel   a kernel of your own, outside the repository [TEMPLATE=hello|userspace|timer]"
	@echo "  make deps                  check for (and install) the tools the SDK needs"
	@echo "  make format                clang-format every C file (check-format only checks)"
	@echo "  make clean                 remove build/ and dist/"

deps:
	@sdk/tools/install-deps

# --- the frame and the prebuilt SDK ---------------------------------------------------------
$(B)/frame/%.o: sdk/frame/% sdk/mk/flags.mk Makefile
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(FRAME_CC) $(FRAME_CFLAGS) -c $< -o $@
$(B)/frame/tests/%.frametest.o: sdk/frame/tests/%.c sdk/mk/flags.mk Makefile
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(FRAME_CC) $(FRAME_CFLAGS) -c $< -o $@
-include $(FRAME_OBJS:.o=.d) $(FRAME_TEST_OBJS:.o=.d)

# The frame as one object (the frame's own tests link this one), then the archive kernels get:
# the same object with only the public API global (sdk/tools/exports), so a kernel that
# declares a frame internal itself fails to link instead of reaching it.
$(B)/frame/frame.o: $(FRAME_OBJS)
	$(call say,LD,$@)
	$(Q)$(FRAME_LD) -r -o $@ $^
$(B)/frame/exports.txt: $(HEADERS) sdk/tools/exports $(B)/frame/frame.o
	$(Q)sdk/tools/exports $(FRAME_CC) sdk/include $(B)/frame/frame.o > $@
# $(call public_lib,DIR): the archive $@ of the relocatable frame $< with only the public API's
# symbols global (exports.txt), by way of DIR/frame-public.o.
define public_lib
	@mkdir -p $(dir $@)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)objcopy --keep-global-symbols=$(B)/frame/exports.txt $< $(1)/frame-public.o
	$(Q)ar rcs $@ $(1)/frame-public.o
endef
$(SDK_DIR)/lib/libframe.a: $(B)/frame/frame.o $(B)/frame/exports.txt
	$(call public_lib,$(B)/frame)
$(B)/user-rt/%.o: sdk/user/%.c Makefile
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(FRAME_CC) $(USER_RT_CFLAGS) -c $< -o $@
-include $(USER_RT_OBJS:.o=.d)
$(SDK_DIR)/user/lib/libuser.a: $(USER_RT_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^
$(SDK_DIR)/user/lib/crt0.o: sdk/user/crt0.S Makefile
	@mkdir -p $(dir $@)
	$(call say,AS,$<)
	$(Q)$(FRAME_CC) -c $< -o $@
$(SDK_DIR)/user/include/%: sdk/user/include/%
	@mkdir -p $(dir $@) && cp $< $@
$(SDK_DIR)/lib/kernel.ld: sdk/frame/kernel.ld
	@mkdir -p $(dir $@) && cp $< $@
$(SDK_DIR)/include/%: sdk/include/%
	@mkdir -p $(dir $@) && cp $< $@
$(SDK_DIR)/mk/%: sdk/mk/%
	@mkdir -p $(dir $@) && cp $< $@
$(SDK_DIR)/tools/%: sdk/tools/%
	@mkdir -p $(dir $@) && cp -p $< $@
$(SDK_DIR)/harness/%: harness/%
	@mkdir -p $(dir $@) && cp $< $@
# The GDB extension make debug loads (sdk/gdb/frame.py; docs/debugging.md).
SDK_FILES += $(patsubst sdk/gdb/%,$(SDK_DIR)/gdb/%,$(wildcard sdk/gdb/*.py))
$(SDK_DIR)/gdb/%: sdk/gdb/%
	@mkdir -p $(dir $@) && cp $< $@

# The SDK's drivers: client code, built against the SDK by its own make fragment with the same
# flags and checks as any kernel (sdk/drivers/Makefile), after everything else of the SDK.
$(SDK_DIR)/lib/libdrivers.a: $(DRIVER_SRCS) $(DRIVER_HEADERS) $(SDK_FILES)
	@$(MAKE) $(SILENT) --no-print-directory -C sdk/drivers SDK=$(CURDIR)/$(SDK_DIR) BUILD=$(CURDIR)/$(B)/drivers all
	@cp $(B)/drivers/libdrivers.a $@

# The ELF loader: client code too (sdk/loader/Makefile), the same way; its header is copied
# with the others.
LOADER_HEADERS := $(wildcard sdk/include/loader/*.h)
LOADER_SRCS := $(wildcard sdk/loader/*.c)
SDK_FILES += $(LOADER_HEADERS:sdk/include/%=$(SDK_DIR)/include/%)
$(SDK_DIR)/lib/libloader.a: $(LOADER_SRCS) $(LOADER_HEADERS) $(SDK_FILES)
	@$(MAKE) $(SILENT) --no-print-directory -C sdk/loader SDK=$(CURDIR)/$(SDK_DIR) BUILD=$(CURDIR)/$(B)/loader all
	@cp $(B)/loader/libloader.a $@

sdk: $(SDK_FILES) $(if $(DRIVER_SRCS),$(SDK_DIR)/lib/libdrivers.a) $(if $(LOADER_SRCS),$(SDK_DIR)/lib/libloader.a)

# The frame's sources in the SDK (src/frame, src/include), for GDB; and the templates of
# tools/frame-new: sdk/templates/ (common/ for every kernel, a test per template) and each
# template's code, taken from its example.
SDK_SRC_FILES := $(patsubst sdk/%,$(SDK_DIR)/src/%,$(shell find sdk/frame -path sdk/frame/tests -prune -o \
	-name '*.[chS]' -print) $(shell find sdk/include -name '*.h'))
TEMPLATES := hello userspace timer
TEMPLATE_EXAMPLE_FILES := $(patsubst examples/%,$(SDK_DIR)/templates/%,$(wildcard $(foreach t,$(TEMPLATES),examples/$t/*.c examples/$t/*.S)))
TEMPLATE_FILES := $(patsubst sdk/%,$(SDK_DIR)/%,$(shell find sdk/templates -type f))
$(SDK_DIR)/src/%: sdk/%
	@mkdir -p $(dir $@) && cp $< $@
$(TEMPLATE_EXAMPLE_FILES): $(SDK_DIR)/templates/%: examples/%
	@mkdir -p $(dir $@) && cp $< $@
$(TEMPLATE_FILES): $(SDK_DIR)/templates/%: sdk/templates/%
	@mkdir -p $(dir $@) && cp -p $< $@
# The frame is compiled as /frame-sdk/sdk/frame/... (-fdebug-prefix-map); GDB maps /frame-sdk to
# src/, where sdk -> . makes src/sdk/frame the copy, for whole paths and directories alike.
$(SDK_DIR)/src/sdk:
	@mkdir -p $(dir $@) && ln -sfn . $@
sdk: $(SDK_SRC_FILES) $(TEMPLATE_EXAMPLE_FILES) $(TEMPLATE_FILES) $(SDK_DIR)/src/sdk

# A kernel of your own, outside the repository, from a template (sdk/tools/frame-new).
TEMPLATE ?= hello
.PHONY: new
new: sdk sdk-coverage
	@test -n "$(DIR)" || { echo "usage: make new DIR=../mykernel [TEMPLATE=hello|userspace|timer]" >&2; exit 1; }
	@$(SDK_DIR)/tools/frame-new --template "$(TEMPLATE)" "$(DIR)"

# --- kernels: built only against build/sdk, like any out-of-tree kernel ----------------------
examples: sdk
	@for e in $(EXAMPLES); do $(MAKE) $(SILENT) --no-print-directory -C examples/$$e SDK=$(CURDIR)/$(SDK_DIR) \
		BUILD=$(CURDIR)/$(B)/examples/$$e all || exit 1; done

test-kernels: sdk sdk-coverage $(FRAME_TEST_OBJS) $(B)/frame/frame.o
	@for k in $(TEST_KERNELS); do $(MAKE) $(SILENT) --no-print-directory -C tests/kernels/$$k SDK=$(CURDIR)/$(SDK_DIR) \
		BUILD=$(CURDIR)/$(B)/tests/kernels/$$k FRAME_TEST_OBJS="$(abspath $(FRAME_TEST_OBJS) $(B)/frame/frame.o)" \
		all || exit 1; done

# build/compile_commands.json, for clangd: the frame's sources, then every kernel's (each kernel's
# own, from kernel.mk's compile-commands).
KERNEL_DIRS := $(addprefix examples/,$(EXAMPLES)) $(addprefix tests/kernels/,$(TEST_KERNELS))
# Written aside and moved in only when it differs (GEN says so), so a second make writes nothing.
compile-commands: examples test-kernels
	$(Q)python=$(or $(PYTHON),python3); for d in $(KERNEL_DIRS); do $(MAKE) $(SILENT) --no-print-directory -C $$d \
		SDK=$(CURDIR)/$(SDK_DIR) BUILD=$(CURDIR)/$(B)/$$d PYTHON=$$python compile-commands || exit 1; done; \
	$$python -c 'import json, sys; d, srcs, dbs, *cmd = sys.argv[1:]; json.dump([{"directory": d, \
		"file": f"{d}/{s}", "arguments": cmd + ["-c", s]} for s in srcs.split()] + [entry for db in dbs.split() \
		for entry in json.load(open(db))], sys.stdout, indent=1)' $(CURDIR) "$(FRAME_SRCS) $(wildcard sdk/frame/tests/*.c)" \
		"$(KERNEL_DIRS:%=$(B)/%/compile_commands.json)" $(FRAME_CC) $(FRAME_CFLAGS) > $(B)/compile_commands.json.new
	$(Q)cmp -s $(B)/compile_commands.json.new $(B)/compile_commands.json && rm -f $(B)/compile_commands.json.new || \
		{ mv -f $(B)/compile_commands.json.new $(B)/compile_commands.json && printf '  %-7s %s\n' GEN $(B)/compile_commands.json; }

# EXAMPLE names an example (examples/NAME) or a test kernel (tests/kernels/NAME). MODULES
# (run, run-direct, debug) pass on, their relative paths relative to here.
KERNEL_DIR = $(firstword $(wildcard examples/$(EXAMPLE) tests/kernels/$(EXAMPLE)))
KERNEL_MAKE = $(MAKE) --no-print-directory -C $(KERNEL_DIR) SDK=$(CURDIR)/$(SDK_DIR) BUILD=$(CURDIR)/$(B)/$(KERNEL_DIR) \
	FRAME_TEST_OBJS="$(abspath $(FRAME_TEST_OBJS) $(B)/frame/frame.o)"
# tests/kernels/coverage is built against the SDK's instrumented frame (sdk-coverage).
KERNEL_SDK = sdk $(if $(filter tests/kernels/coverage,$(KERNEL_DIR)),sdk-coverage)
check-example:
	@test -n "$(KERNEL_DIR)" || { echo "error: no kernel named '$(EXAMPLE)'. Examples: $(EXAMPLES); test kernels: $(TEST_KERNELS)" >&2; exit 1; }
run: deps check-example $(KERNEL_SDK) $(FRAME_TEST_OBJS) $(B)/frame/frame.o
	@$(KERNEL_MAKE) MODULES_DIR=$(CURDIR) run
run-direct: deps check-example $(KERNEL_SDK) $(FRAME_TEST_OBJS) $(B)/frame/frame.o
	@$(KERNEL_MAKE) MODULES_DIR=$(CURDIR) run-direct
debug: deps check-example $(KERNEL_SDK) $(FRAME_TEST_OBJS) $(B)/frame/frame.o
	@$(KERNEL_MAKE) MODULES_DIR=$(CURDIR) debug

# GDB attached to the kernel `make run` or `make run-direct` (same EXAMPLE) is running.
.PHONY: attach
attach: check-example
	@$(KERNEL_MAKE) ATTACH_RUN="make run EXAMPLE=$(EXAMPLE) or make run-direct EXAMPLE=$(EXAMPLE)" attach

# --- make profile EXAMPLE=... [SECONDS=5] [HZ=1000]: a flame graph of where the kernel's time goes,
# build/profile/EXAMPLE.svg and .folded, and a top-20 table (kernel.mk's profile target).
.PHONY: profile
profile: deps check-example $(KERNEL_SDK) $(FRAME_TEST_OBJS) $(B)/frame/frame.o
	@$(KERNEL_MAKE) MODULES_DIR=$(CURDIR) PROFILE_DIR=$(CURDIR)/$(B)/profile profile

# --- tests, docs, benchmarks ----------------------------------------------------------------
# pytest.ini and conftest.py set pytest up (the harness's plugin, its cache in build/); Python's
# caches stay under build/ too; tests run on both CPUs when pytest-xdist is installed.
PYTEST = FRAME_TEST_LOGS=$(CURDIR)/$(B)/test-logs PYTHONPYCACHEPREFIX=$(CURDIR)/$(B)/pycache $(PYTHON) -m pytest \
	$(if $(shell $(PYTHON) -c 'import xdist' 2>/dev/null && echo yes),-n 2)
test: deps all docs check-format
	@test -n "$(PYTHON)" || { echo "error: no Python 3 with pytest; run: sudo apt-get install python3-pytest" >&2; exit 1; }
	$(PYTEST) -q $(PYTEST_ARGS) harness/tests tests examples

# docs/seeing.md's two pictures, made from real runs every time (never stored): examples/timer's
# flame graph and examples/userspace's timeline (and its screenshot, where Chromium is installed).
PICTURES = $(B)/docs/pictures
CHROMIUM = $(firstword $(shell command -v chromium chromium-browser 2>/dev/null))
docs-pictures: sdk examples
	@mkdir -p $(PICTURES)
	$(call say,PROFILE,$(PICTURES)/timer-profile.svg)
	$(Q)$(MAKE) $(SILENT) --no-print-directory EXAMPLE=timer KERNEL_DIR=examples/timer SECONDS=5 HZ=500 \
		PROFILE_DIR=$(CURDIR)/$(PICTURES) profile-kernel > $(PICTURES)/timer-profile.log 2>&1 || \
		{ cat $(PICTURES)/timer-profile.log; exit 1; }
	$(Q)mv -f $(PICTURES)/timer.svg $(PICTURES)/timer-profile.svg
	$(call say,TRACE,$(PICTURES)/userspace-trace.html)
	$(Q)PYTHONPATH=harness PYTHONPYCACHEPREFIX=$(CURDIR)/$(B)/pycache $(PYTHON) -m frameharness.trace \
		$(B)/examples/userspace/userspace.elf --name userspace-trace --out $(PICTURES) > $(PICTURES)/trace.log 2>&1 || \
		{ cat $(PICTURES)/trace.log; exit 1; }
	$(Q)rm -f $(PICTURES)/userspace-trace.png
	$(Q)if [ -n "$(CHROMIUM)" ]; then timeout 60 $(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir=$(CURDIR)/$(PICTURES)/chromium-profile --window-size=1400,420 \
		--screenshot=$(CURDIR)/$(PICTURES)/userspace-trace.png file://$(CURDIR)/$(PICTURES)/userspace-trace.html \
		> $(PICTURES)/chromium.log 2>&1 || echo "note: no screenshot of the timeline (see $(PICTURES)/chromium.log)"; fi
profile-kernel: $(FRAME_TEST_OBJS) $(B)/frame/frame.o
	@$(KERNEL_MAKE) PROFILE_DIR=$(PROFILE_DIR) profile

docs: docs-pictures
	@mkdir -p $(B)/docs
	$(call say,DOXYGEN,build/docs/html/index.html)
	$(Q)doxygen docs/Doxyfile
	$(Q)cp $(PICTURES)/userspace-trace.html $(B)/docs/html/
	$(Q)! [ -f $(PICTURES)/userspace-trace.png ] || cp $(PICTURES)/userspace-trace.png $(B)/docs/html/

# The frame/floor table first (BENCH_ROUNDS rounds of the frame's bench kernel in its `rows` mode
# and the floor kernel, tests/floor, alternately; docs/performance.md), then boot times, the
# sanitizers' cost and the drivers' figures.
BENCH_ROUNDS ?= 5
BENCH = PYTHONPATH=$(CURDIR)/harness PYTHONPYCACHEPREFIX=$(CURDIR)/$(B)/pycache $(PYTHON) -m frameharness.bench \
	$(B)/examples/hello/hello.elf $(B)/examples/hello/hello.iso --inside $(B)/tests/kernels/bench/bench.elf \
	--inside-nosan $(B)/tests/kernels/bench-nosan/bench.elf \
	--floor $(B)/tests/floor/floor.elf --rows $(B)/tests/kernels/bench-nosan/bench.elf \
	--rounds $(BENCH_ROUNDS) --build-dir $(B)
.PHONY: bench-kernels
bench-kernels: examples test-kernels
	@$(MAKE) $(SILENT) --no-print-directory -C tests/kernels/bench SDK=$(CURDIR)/$(SDK_DIR) SANITIZE=none \
		BUILD=$(CURDIR)/$(B)/tests/kernels/bench-nosan FRAME_TEST_OBJS="$(abspath $(FRAME_TEST_OBJS) $(B)/frame/frame.o)" all
	@$(MAKE) $(SILENT) --no-print-directory -C tests/floor BUILD=$(CURDIR)/$(B)/tests/floor all
bench: bench-kernels
	@$(BENCH)

# The same with a Linux column: Debian's kernel in the same QEMU, the rows it has
# (harness/frameharness/linux.py says what each measures). Not part of make test: the first run
# downloads Debian's kernel package into build/bench-linux/ (apt-get download, never installed).
# The Linux column alone: python3 -m frameharness.linux --build build.
.PHONY: bench-linux
bench-linux: deps bench-kernels
	@$(BENCH) --linux

# --- coverage (make coverage; docs/seeing.md) ---------------------------------------
# A second build of the frame with GCC's arc counters (-fprofile-arcs) and notes files
# (-ftest-coverage), in build/coverage/, never mixed with the normal build. The SDK carries it as
# coverage/: a view of the SDK (links to its headers, tools and harness) whose libframe.a is the
# instrumented frame, with the frame's .gcno files and where they were built (coverage/prefix).
# Kernels built against it with COVERAGE=1 (kernel.mk) send their counters to the host at
# power-off (core/gcov.c); frameharness.coverage writes the .gcda files and the report.
COV := $(B)/coverage
COVERAGE_CFLAGS := -fprofile-arcs -ftest-coverage
COV_FRAME_OBJS := $(patsubst $(B)/frame/%,$(COV)/frame/%,$(FRAME_OBJS))
COV_FRAME_TEST_OBJS := $(patsubst $(B)/frame/%,$(COV)/frame/%,$(FRAME_TEST_OBJS))
COV_SDK := $(SDK_DIR)/coverage
COV_SDK_LINKS := include mk tools harness user gdb src templates
$(COV)/frame/%.o: sdk/frame/% sdk/mk/flags.mk Makefile
	@mkdir -p $(dir $@)
	$(call say,CC-COV,$<)
	$(Q)$(FRAME_CC) $(FRAME_CFLAGS) $(COVERAGE_CFLAGS) -c $< -o $@
$(COV)/frame/tests/%.frametest.o: sdk/frame/tests/%.c sdk/mk/flags.mk Makefile
	@mkdir -p $(dir $@)
	$(call say,CC-COV,$<)
	$(Q)$(FRAME_CC) $(FRAME_CFLAGS) $(COVERAGE_CFLAGS) -c $< -o $@
-include $(COV_FRAME_OBJS:.o=.d) $(COV_FRAME_TEST_OBJS:.o=.d)
$(COV)/frame/frame.o: $(COV_FRAME_OBJS)
	$(call say,LD,$@)
	$(Q)$(FRAME_LD) -r -o $@ $^
$(COV_SDK)/lib/libframe.a: $(COV)/frame/frame.o $(B)/frame/exports.txt
	$(call public_lib,$(COV)/frame)
	$(Q)for l in kernel.ld libdrivers.a libloader.a; do ln -sfn ../../lib/$$l $(COV_SDK)/lib/$$l; done
	$(Q)for d in $(COV_SDK_LINKS); do ln -sfn ../$$d $(COV_SDK)/$$d; done
	$(Q)mkdir -p $(COV_SDK)/frame && cd $(COV)/frame && find . -name '*.gcno' -exec cp --parents -t $(CURDIR)/$(COV_SDK)/frame {} +
	$(Q)printf '%s\n' "$(CURDIR)/$(COV)/frame" "$(CURDIR)" > $(COV_SDK)/prefix
# Built when something needs it, not by make sdk: the coverage test kernel (test-kernels), make
# coverage, make dist and make new (a kernel's own make coverage), or make sdk-coverage.
.PHONY: sdk-coverage
sdk-coverage: sdk $(COV_SDK)/lib/libframe.a

# Every example and test kernel built against the instrumented SDK, into build/coverage/.
.PHONY: coverage coverage-kernels
COV_MAKE = SDK=$(CURDIR)/$(COV_SDK) COVERAGE=1 FRAME_TEST_OBJS="$(abspath $(COV_FRAME_TEST_OBJS) $(COV)/frame/frame.o)"
coverage-kernels: sdk examples test-kernels $(COV_FRAME_TEST_OBJS) $(COV)/frame/frame.o
	@for d in $(KERNEL_DIRS); do $(MAKE) $(SILENT) --no-print-directory -C $$d $(COV_MAKE) BUILD=$(CURDIR)/$(COV)/$$d all \
		|| echo "note: $$d does not build for coverage; its tests boot nothing instrumented" >&2; done

# The whole test suite on the instrumented kernels (the plugin finds them under build/coverage;
# FRAME_COVERAGE_DIR makes every boot save its records), then the .gcda files and the report.
coverage: deps all coverage-kernels
	@rm -rf $(COV)/boots && mkdir -p $(COV)/boots
	@find $(COV) -name '*.gcda' -delete
	-@FRAME_COVERAGE_DIR=$(CURDIR)/$(COV) $(PYTEST) -q -p no:cacheprovider $(or $(PYTEST_ARGS),tests examples) || echo "note: some tests fail on the instrumented kernels (above); the report covers every boot"
	@PYTHONPATH=$(CURDIR)/harness PYTHONPYCACHEPREFIX=$(CURDIR)/$(B)/pycache $(PYTHON) -c \
		'import sys; from frameharness.coverage import main; sys.exit(main(sys.argv[1:]))' --sdk $(CURDIR)/$(SDK_DIR) --out $(CURDIR)/$(COV) --boots $(CURDIR)/$(COV)/boots --root $(CURDIR)
# make trace: a timeline of what the kernel did (docs/seeing.md): build/trace/<kernel>.json (Chrome's
# trace-event format) and build/trace/<kernel>.html, from the frame's trace sent at power-off.
.PHONY: trace
trace: deps check-example $(KERNEL_SDK) $(FRAME_TEST_OBJS) $(B)/frame/frame.o
	@$(KERNEL_MAKE) MODULES_DIR=$(CURDIR) TRACE_OUT=$(CURDIR)/$(B)/trace trace

dist: sdk sdk-coverage
	@mkdir -p dist
	@# Written aside and renamed, so a reader never sees half a tarball.
	tar -C $(B) -czf dist/.frame-sdk.$$$$.tar.gz sdk && mv -f dist/.frame-sdk.$$$$.tar.gz dist/frame-sdk.tar.gz
	@echo "dist/frame-sdk.tar.gz: unpack it anywhere and build a kernel with make SDK=<dir>/sdk"

FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
check-format:
	@clang-format --dry-run --Werror $(FORMAT_FILES) || { echo "error: formatting differs from .clang-format; run: make format" >&2; exit 1; }

clean:
	rm -rf $(B) dist
