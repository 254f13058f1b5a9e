# Frame SDK make fragment. A kernel directory's Makefile sets SDK and includes this file:
#
#     SDK ?= /path/to/frame/build/sdk
#     include $(SDK)/mk/kernel.mk
#
# Variables (all optional but SDK): KERNEL (name, default: the directory's name), SRCS (default:
# every *.c here), BUILD (output directory, default: build), CMDLINE (kernel command
# line), MEMORY (default 128M), MACHINE (pc or q35), QEMU_FLAGS (more QEMU arguments),
# (CMDLINE reaches the kernel as one word, byte for byte as make expands it: write $$ for a $),
# FIRMWARE (bios, the default, or uefi: make run boots the ISO with OVMF, its variable store
# copied to $(BUILD)/ovmf-vars.fd each run; run-direct and debug load the ELF with QEMU's
# -kernel, which only the BIOS can, so they refuse uefi),
# ACCEL (tcg; kvm on a host with real hardware virtualisation), SCREEN (yes for a kernel that
# draws on the screen: run and run-direct open QEMU's window where there is a display, else say
# how to see the screen; by default, and always in tests, QEMU has no display), TESTS (pytest files, default test_*.py),
# OPT (default -O0, so GDB steps through kernel code line by line; the frame itself is built -O2),
# SANITIZE (default "address undefined": the run-time guards of docs/safety.md, layer 4; "none" for none),
# USER_PROGRAMS (default: every *.S here): user programs, each assembled and linked as a static
# x86-64 program at 0x400000 (entered at its global _start, which it must define) and embedded in the kernel; the kernel includes "user_programs.h"
# for the bytes (user_program_NAME[], user_program_NAME_size) and USER_PROGRAM_BASE.
# USER_C_PROGRAMS (default: every user/*.c): user programs in C, one file each, built with the
# SDK's user runtime (sdk/user: crt0, system calls, <string.h>, <stdio.h>'s printf) as static ELF
# executables, embedded as user_elf_NAME[] and user_elf_NAME_size, for an ELF loader.
# USER_MUSL_PROGRAMS (default: every user/musl/*.c): the same, built with musl (musl-gcc -static).
# MODULES ("path[=name] ...", default none): boot modules for run, run-direct, debug and the ISO;
# the kernel sees each as boot_module_name() == name (default: the file's base name) on both boot
# paths. Names are letters, digits, '.', '_', '-', '+' (sdk/tools/modules says why a module is
# refused); relative paths are relative to MODULES_DIR (default: here).
# LIBRARY=name builds a client library ($(BUILD)/libname.a) from SRCS instead of a kernel.
# SUBSET_EXCEPTIONS: for the SDK's own test kernels that break a rule of the safe subset on
# purpose, the rules they break (an attribute's name, or vla; sdk/tools/check-subset --help),
# shown on every CHECK line. Never in a driver or an example.
# Targets: all (ELF + ISO), run, run-direct, attach, test, debug, check, compile-commands, clean, help.

ifeq ($(wildcard $(SDK)/lib/libframe.a),)
$(error Frame SDK not found at '$(SDK)' (no lib/libframe.a there). Build it with 'make sdk' in the Frame repository, then pass SDK=<that repository>/build/sdk)
endif
FRAME_SDK := $(abspath $(SDK))
include $(FRAME_SDK)/mk/flags.mk

KERNEL ?= $(notdir $(CURDIR))
SRCS ?= $(wildcard *.c)
BUILD ?= build
CMDLINE ?=
MEMORY ?= 128M
MACHINE ?= pc
FIRMWARE ?= bios
ACCEL ?= tcg
TESTS ?= $(wildcard test_*.py)
QEMU ?= qemu-system-x86_64
PYTHON ?= $(shell $(FRAME_SDK)/tools/find-python)
OPT ?= -O0
MODULES ?=
MODULES_DIR ?= $(CURDIR)
# The user's words reach the recipes through the environment, never pasted into shell text: a
# recipe says "$$FRAME_MK_CMDLINE", so quotes, ';', '$' and backticks in CMDLINE are bytes, not
# shell syntax. Make itself expands them first, as every make variable: '$$' is a '$'
# (CMDLINE='x=$$HOME' gives the kernel x=$HOME), and a lone '$' starts a make variable. MODULES
# is a list of words (split at blanks, never globbed).
export FRAME_MK_CMDLINE = $(CMDLINE)
export FRAME_MK_MODULES = $(MODULES)
export FRAME_MK_MODULES_DIR = $(MODULES_DIR)

USER_PROGRAMS ?= $(wildcard *.S)
USER_BINS := $(patsubst %.S,$(BUILD)/user/%.bin,$(USER_PROGRAMS))
USER_C_PROGRAMS ?= $(wildcard user/*.c)
USER_C_ELFS := $(patsubst user/%.c,$(BUILD)/user-c/%.elf,$(USER_C_PROGRAMS))
USER_MUSL_PROGRAMS ?= $(wildcard user/musl/*.c)
USER_C_ELFS += $(patsubst user/musl/%.c,$(BUILD)/user-musl/%.elf,$(USER_MUSL_PROGRAMS))
MUSL_GCC ?= musl-gcc
USER_EMBEDDED := $(strip $(USER_PROGRAMS) $(USER_C_PROGRAMS) $(USER_MUSL_PROGRAMS))
USER_OBJS := $(if $(USER_EMBEDDED),$(BUILD)/user/user_programs.o)
# User programs in C: the SDK's user runtime (sdk/user), no kernel flags. A program has its own
# floating-point state, so it may compute with float and double (SSE).
USER_CFLAGS := -std=c11 -ffreestanding -nostdinc -isystem $(FRAME_GCC_INCLUDE) -I$(FRAME_SDK)/user/include \
	-fno-stack-protector -fno-pic -fno-pie -O1 -g -Wall -Wextra
ELF := $(BUILD)/$(KERNEL).elf
ISO := $(BUILD)/$(KERNEL).iso
OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(SRCS))

# The safe subset (docs/safety.md): strict warnings as errors, inline assembly poisoned, only
# public frame headers and the compiler's freestanding headers. sdk/tools/check-subset rejects
# what the compiler cannot (integer-to-pointer casts, private headers, VLAs, the attributes and
# pragmas that turn the sanitizers off or move code out of the client's sections, their runtime).
# Run-time guards for client code (docs/safety.md, layer 4): SANITIZE lists them, "none" for none.
# address: every access checked against what the client owns (the frame keeps the shadow);
# undefined: undefined behaviour reported where it happens.
SANITIZE ?= address undefined
ASAN_CFLAGS := -fsanitize=kernel-address -fasan-shadow-offset=0xdffffc0000000000 \
	-fsanitize-address-use-after-scope --param asan-instrumentation-with-call-threshold=0 --param asan-stack=1 \
	--param asan-globals=1
UBSAN_CFLAGS := -fsanitize=undefined -fsanitize=bounds-strict -fno-sanitize-recover=all
SANITIZE_CFLAGS := $(if $(filter address,$(SANITIZE)),$(ASAN_CFLAGS)) $(if $(filter undefined,$(SANITIZE)),$(UBSAN_CFLAGS))
KERNEL_CFLAGS := -std=c11 -nostdinc -isystem $(FRAME_GCC_INCLUDE) -I$(FRAME_SDK)/include \
	-include frame/safe_subset.h $(FRAME_ARCH_FLAGS) $(SANITIZE_CFLAGS) $(OPT) \
	-Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes -Wformat=2 -Wundef -Wwrite-strings \
	-Wint-conversion -Wincompatible-pointer-types $(if $(USER_EMBEDDED),-I$(abspath $(BUILD))/user) $(EXTRA_CFLAGS)
# SCREEN=yes and a display (DISPLAY or WAYLAND_DISPLAY set): QEMU's window. QEMU_FLAGS come last,
# so QEMU_FLAGS='-display vnc=:1' overrides either.
RUN_DISPLAY := $(if $(SCREEN),$(if $(DISPLAY)$(WAYLAND_DISPLAY),,-display none),-display none)
SCREEN_HINT := $(if $(SCREEN),$(if $(DISPLAY)$(WAYLAND_DISPLAY),echo "The screen is in QEMU's window.";,\
	echo "No display (DISPLAY is not set), so no window. To see the screen: add QEMU_FLAGS='-display vnc=:1' and point a VNC viewer at localhost:5901, or press Ctrl-A C for QEMU's monitor, type 'screendump screen.ppm', and Ctrl-A C again.";))
QEMU_BASE := -M $(MACHINE) -accel $(ACCEL) -m $(MEMORY) -nic none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04

.PHONY: all run run-direct attach test debug check compile-commands clean help FORCE
ifeq ($(LIBRARY),)
all: $(ELF) $(ISO)
else
# A client library instead of a kernel (LIBRARY=name): the same flags and the same checks, into
# $(BUILD)/libname.a. The SDK's own drivers are built this way, with no exception.
ifneq ($(SUBSET_EXCEPTIONS),)
$(error SUBSET_EXCEPTIONS is for the SDK's own test kernels; a library is written in the safe subset)
endif
all: $(BUILD)/lib$(LIBRARY).a
$(BUILD)/lib$(LIBRARY).a: $(OBJS)
	$(call say,AR,$@)
	@rm -f $@
	$(Q)ar rcs $@ $^
endif

$(BUILD)/obj/%.c.o: %.c $(FRAME_SDK)/lib/libframe.a $(FRAME_SDK)/mk/flags.mk $(FRAME_SDK)/mk/kernel.mk $(BUILD)/cflags \
		$(FRAME_SDK)/tools/check-subset $(if $(USER_EMBEDDED),$(BUILD)/user/user_programs.h)
	@mkdir -p $(dir $@)
	$(call say,CHECK,"$<$(if $(SUBSET_EXCEPTIONS), (subset exceptions: $(strip $(SUBSET_EXCEPTIONS))))")
	$(Q)$(FRAME_SDK)/tools/check-subset --cc "$(FRAME_CC)" --sdk "$(FRAME_SDK)" --allow "$(abspath $(BUILD))/user" \
		$(addprefix --except ,$(SUBSET_EXCEPTIONS)) $< -- $(KERNEL_CFLAGS)
	$(call say,CC,$<)
	$(Q)$(FRAME_CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %
	@echo "error: $<: kernels are written in C (.c files); assembly and other languages are the frame's job" >&2; exit 1

# User programs: plain assembly for ring 3, linked into one flat image at 0x400000. One without
# _start is kernel code in assembly, which the subset refuses (docs/safety.md, layer 3).
$(BUILD)/user/%.bin: %.S $(FRAME_SDK)/mk/kernel.mk
	@mkdir -p $(dir $@)
	$(call say,USER,$<)
	$(Q)$(FRAME_CC) -c -o $(BUILD)/user/$*.o $<
	$(Q)nm -g --defined-only $(BUILD)/user/$*.o | grep -q ' _start$$' || { echo "error: $< has no _start: an \
	assembly file in a kernel directory is a user program (ring 3, entered at its global _start); kernel code is \
	C (.c files), and what needs assembly is the frame's job" >&2; exit 1; }
	$(Q)$(FRAME_LD) -static -nostdlib -N --no-warn-rwx-segments -Ttext=0x400000 -e _start -o $(BUILD)/user/$*.elf $(BUILD)/user/$*.o
	$(Q)objcopy -O binary $(BUILD)/user/$*.elf $@
# User programs in C (user/NAME.c): compiled with the SDK's user runtime and linked as a static
# ELF executable at 0x400000, with debug information; embedded as ELF (user_elf_NAME[]).
$(BUILD)/user-c/%.elf: user/%.c $(FRAME_SDK)/user/lib/libuser.a $(FRAME_SDK)/user/lib/crt0.o $(FRAME_SDK)/mk/kernel.mk
	@mkdir -p $(dir $@)
	$(call say,USER,$<)
	$(Q)$(FRAME_CC) $(USER_CFLAGS) -MMD -MP -c $< -o $(BUILD)/user-c/$*.o
	$(Q)$(FRAME_LD) -static -nostdlib -z max-page-size=0x1000 -Ttext-segment=0x400000 -e _start -o $@ \
		$(FRAME_SDK)/user/lib/crt0.o $(BUILD)/user-c/$*.o $(FRAME_SDK)/user/lib/libuser.a
# User programs built with musl (user/musl/NAME.c): Linux's static C library, with malloc and
# printf("%f"); they need a kernel that implements the Linux system calls musl uses.
$(BUILD)/user-musl/%.elf: user/musl/%.c $(FRAME_SDK)/mk/kernel.mk
	@mkdir -p $(dir $@)
	$(call say,MUSL,$<)
	@command -v $(MUSL_GCC) >/dev/null || { echo "error: $<: user programs in user/musl/ are built with musl-gcc; \
	install it with: sudo apt-get install musl-tools (make deps does)" >&2; exit 1; }
	$(Q)$(MUSL_GCC) -static -g -O1 -MMD -MP -o $@ $<
-include $(USER_C_ELFS:.elf=.d)
$(BUILD)/user/user_programs.h $(BUILD)/user/user_programs.c &: $(USER_BINS) $(USER_C_ELFS) $(FRAME_SDK)/tools/embed-user
	@mkdir -p $(BUILD)/user
	$(Q)$(FRAME_SDK)/tools/embed-user $(BUILD)/user $(USER_BINS) $(USER_C_ELFS)
$(BUILD)/user/user_programs.o: $(BUILD)/user/user_programs.c $(BUILD)/cflags
	$(Q)$(FRAME_CC) $(KERNEL_CFLAGS) -c $< -o $@

-include $(OBJS:.o=.d)

# Two links: the first finds where every function lands, the second adds that symbol table
# (in .ksyms, after all code) so panic reports can name functions.
# The SDK's client libraries (drivers: lib/libdrivers.a; the ELF loader: lib/libloader.a), linked before the frame: a kernel
# gets only the members it uses, and none if it uses none.
CLIENT_LIBS := $(wildcard $(FRAME_SDK)/lib/libdrivers.a $(FRAME_SDK)/lib/libloader.a)

LINK_INPUTS = $(OBJS) $(USER_OBJS) $(EXTRA_OBJS) $(CLIENT_LIBS) $(FRAME_SDK)/lib/libframe.a
# A failed link: an image over kernel.ld's 8 MiB is linked again without that limit to measure
# it (the low 32 bits of the addresses: sh's arithmetic is signed); any other failure is a
# symbol a kernel may not use.
LINK_FAILED = cat $@.log >&2; \
	if grep -q 'kernel image is over 8 MiB' $@.log; then \
		grep -v 'ASSERT(__kernel_end' $(FRAME_SDK)/lib/kernel.ld > $@.unbounded.ld; \
		$(FRAME_LD) $(FRAME_LDFLAGS) -T $@.unbounded.ld -o $@.unbounded $(LINK_INPUTS) 2>/dev/null && \
		set -- $$(nm $@.unbounded | awk '$$3 == "__kernel_start" { s = $$1 } $$3 == "__kernel_end" { e = $$1 } \
			END { print substr(s, 9), substr(e, 9) }') && size=$$((0x$$2 - 0x$$1)) && \
		echo "error: the kernel image is $$size bytes ($$((size / 1024)) KiB); the frame maps at most 8 MiB \
		(8388608 bytes). Put large data in boot modules (MODULES=; the kernel reads them with boot_module_read()) \
		or allocate it at run time, not in static arrays" >&2; \
		rm -f $@.unbounded $@.unbounded.ld; \
	else echo "note: a kernel links only to the public frame API (the functions in <frame/...>)" >&2; fi; rm -f $@.log; exit 1
$(ELF): $(OBJS) $(USER_OBJS) $(EXTRA_OBJS) $(CLIENT_LIBS) $(FRAME_SDK)/lib/libframe.a $(FRAME_SDK)/lib/kernel.ld $(FRAME_SDK)/tools/ksyms \
		$(FRAME_SDK)/mk/flags.mk $(FRAME_SDK)/mk/kernel.mk
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(FRAME_LD) $(FRAME_LDFLAGS) -T $(FRAME_SDK)/lib/kernel.ld -o $@.pass1 $(LINK_INPUTS) 2>$@.log \
		|| { $(LINK_FAILED); }; cat $@.log >&2; rm -f $@.log
	$(Q)$(FRAME_SDK)/tools/ksyms $@.pass1 > $(BUILD)/ksyms.S
	$(Q)$(FRAME_CC) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	$(Q)$(FRAME_LD) $(FRAME_LDFLAGS) -T $(FRAME_SDK)/lib/kernel.ld -o $@ $(OBJS) $(USER_OBJS) $(EXTRA_OBJS) $(BUILD)/ksyms.o $(CLIENT_LIBS) $(FRAME_SDK)/lib/libframe.a
	@rm -f $@.pass1

# The compiler's flags (OPT, SANITIZE, ...) and the subset's exceptions: every object is rebuilt
# when they change.
$(BUILD)/cflags: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' "$(KERNEL_CFLAGS) $(SUBSET_EXCEPTIONS)" > $@.new; cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@

# GRUB's menu holds the command line and the modules, so the ISO is remade when CMDLINE or
# MODULES changes, or a module's file. MODULES_DIR counts only with modules: the top-level make
# run passes its own, and a make all after it must not remake the ISO.
$(BUILD)/cmdline: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' "$$FRAME_MK_CMDLINE" "$${FRAME_MK_MODULES:+$$FRAME_MK_MODULES_DIR: $$FRAME_MK_MODULES}" > $@.new; cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@
FORCE:
module_path = $(if $(findstring =,$1),$(patsubst %=$(lastword $(subst =, ,$1)),%,$1),$1)
MODULE_FILES := $(wildcard $(foreach m,$(MODULES),$(if $(filter /%,$m),,$(MODULES_DIR)/)$(call module_path,$m)))
# For a -kernel boot (run-direct, debug, trace, profile): CMDLINE within what QEMU's PVH boot
# carries (its option ROM copies at most 4095 bytes and cuts the rest without a word when modules
# are given); MODULES checked and packed into one archive, then "set -- -initrd ARCHIVE" (or nothing).
DIRECT_CMDLINE_MAX = 4095
MODULES_ARGS = n=$$(printf '%s' "$$FRAME_MK_CMDLINE" | wc -c); test "$$n" -le $(DIRECT_CMDLINE_MAX) || { \
	echo "error: CMDLINE is $$n bytes; QEMU's -kernel (PVH) boot carries at most $(DIRECT_CMDLINE_MAX): shorten it, or boot the ISO (make run), whose GRUB carries up to 8189" >&2; exit 1; }; \
	initrd=$$(set -f; MODULES_DIR="$$FRAME_MK_MODULES_DIR" MODULES_ARCHIVE="$(BUILD)/modules.cpio" \
	$(FRAME_SDK)/tools/modules initrd $$FRAME_MK_MODULES) || exit 1; \
	set -- $${initrd:+-initrd "$$initrd"};

$(ISO): $(ELF) $(BUILD)/cmdline $(MODULE_FILES) $(FRAME_SDK)/tools/mkiso
	@set -f; MODULES_DIR="$$FRAME_MK_MODULES_DIR" $(FRAME_SDK)/tools/mkiso $(ELF) $@ "$$FRAME_MK_CMDLINE" $$FRAME_MK_MODULES

# Interactive boot through GRUB, serial console on this terminal. QEMU exits 33 on success.
# QEMU runs under frameharness.where (the harness in the SDK), which the recipe's shell becomes
# (exec): QEMU opens a GDB socket, $(BUILD)/gdb.sock, for make attach; Ctrl-C prints where the
# kernel was (idle or spinning, the backtrace) and ends QEMU; and QEMU dies with make, whatever
# signal ends or interrupts it.
RUN_QEMU = PYTHONPATH=$(FRAME_SDK)/harness PYTHONDONTWRITEBYTECODE=1 exec $(or $(PYTHON),python3) \
	-c 'import sys; from frameharness.where import main; sys.exit(main(sys.argv[1:]))' run $(abspath $(ELF)) $(abspath $(BUILD)) $(FRAME_SDK)/tools/exit-status --
# The firmware's QEMU arguments (frameharness.qemu.firmware_args(): none for bios; for uefi
# OVMF and a fresh copy of its variable store), as "set -- ARGS", or an error and exit 1.
FIRMWARE_ARGS = PYTHONPATH=$(FRAME_SDK)/harness PYTHONDONTWRITEBYTECODE=1 $(or $(PYTHON),python3) -c \
	'import sys; from frameharness.qemu import firmware_main; sys.exit(firmware_main(sys.argv[1:]))' \
	$(FIRMWARE) $(abspath $(BUILD))/ovmf-vars.fd
NO_UEFI = test "$(FIRMWARE)" = bios || { echo "error: $@ loads the ELF with QEMU's -kernel, which boots only under the BIOS (FIRMWARE=bios); use make run FIRMWARE=$(FIRMWARE), which boots the ISO" >&2; exit 1; }
run: $(ISO)
	@echo "Booting $(KERNEL) through GRUB in QEMU ($(ACCEL), $(FIRMWARE)); the serial console follows. Ctrl-A X quits, Ctrl-C says where the kernel is and quits."
	@$(SCREEN_HINT)
	@fw=$$($(FIRMWARE_ARGS)) || exit 1; eval "$$fw"; \
	$(RUN_QEMU) $(QEMU) $(QEMU_BASE) $(RUN_DISPLAY) -serial mon:stdio "$$@" -cdrom $(ISO) -boot d $(QEMU_FLAGS)

# The same without GRUB: QEMU loads the ELF itself (its PVH entry), which is faster.
run-direct: $(ELF)
	@$(NO_UEFI)
	@$(MODULES_ARGS) echo "Booting $(KERNEL) directly in QEMU ($(ACCEL)); the serial console follows. Ctrl-A X quits, Ctrl-C says where the kernel is and quits."; \
	$(SCREEN_HINT) \
	$(RUN_QEMU) $(QEMU) $(QEMU_BASE) $(RUN_DISPLAY) -serial mon:stdio -kernel $(ELF) $${FRAME_MK_CMDLINE:+-append "$$FRAME_MK_CMDLINE"} "$$@" $(QEMU_FLAGS)

# GDB attached to the kernel make run or run-direct is running (its socket, $(BUILD)/gdb.sock),
# set up as make debug sets it up but without stopping anywhere: symbols (the user programs' too),
# the SDK's GDB extension when it has one. GDB stops the machine while attached; detach or quit
# lets it run on. GDB_BATCH=1 and GDB_EXTRA=script.gdb as for make debug.
# A socket no QEMU listens on (its make run was killed) is said as plainly as a missing one.
# ATTACH_RUN: the commands that start the kernel (the top-level make names its EXAMPLE).
ATTACH_GDB_FILES = $(wildcard $(FRAME_SDK)/gdb/frame.py)
ATTACH_RUN ?= make run or make run-direct
attach:
	@test -S $(BUILD)/gdb.sock || { echo "error: no kernel running here: $(BUILD)/gdb.sock is missing; start one with $(ATTACH_RUN)" >&2; exit 1; }
	@PYTHONPATH=$(FRAME_SDK)/harness PYTHONDONTWRITEBYTECODE=1 $(or $(PYTHON),python3) -c \
		'import sys; from frameharness.where import main; sys.exit(main(sys.argv[1:]))' listening $(BUILD)/gdb.sock || { \
		echo "error: no kernel '$(KERNEL)' is running under make run or make run-direct: nothing listens on $(BUILD)/gdb.sock \
	(left by one that was killed); start it with $(ATTACH_RUN), then make attach from another terminal" >&2; exit 1; }
	@extra=$${GDB_EXTRA:+$$(cd "$$(dirname "$$GDB_EXTRA")" && pwd)/$$(basename "$$GDB_EXTRA")}; cd $(BUILD) && \
	exec $${GDB:-gdb} -n -q -ex 'set confirm off' -ex 'set pagination off' -ex 'set architecture i386:x86-64' \
		-ex 'set trust-readonly-sections on' -ex 'set substitute-path /frame-sdk $(abspath $(FRAME_SDK))/src' \
		-ex 'file $(abspath $(ELF))' \
		$(foreach u,$(wildcard $(BUILD)/user-c/*.elf $(BUILD)/user-musl/*.elf),-ex 'add-symbol-file $(abspath $u)') \
		$(foreach g,$(ATTACH_GDB_FILES),-ex 'source $g') -ex 'target remote gdb.sock' \
		$${GDB_BATCH:+-batch} $${extra:+-x "$$extra"}

# QEMU waits for GDB on a socket in $(BUILD) (per user, per checkout); GDB starts with symbols,
# a hardware breakpoint on kernel_main, and continues to it. Serial output goes to a log file.
# Always TCG: under KVM, breakpoints set before paging is on are lost or refused.
debug: $(ELF)
	@$(NO_UEFI)
	@$(MODULES_ARGS) $(FRAME_SDK)/tools/debug "$(QEMU)" "$(ELF)" "$(BUILD)" "$$FRAME_MK_CMDLINE" \
		$(subst -accel $(ACCEL),-accel tcg,$(QEMU_BASE)) "$$@" $(QEMU_FLAGS)

test: $(ELF) $(ISO)
	@test -n "$(PYTHON)" || { echo "error: no Python 3 with pytest found; install it with: sudo apt-get install python3-pytest" >&2; exit 1; }
	FRAME_KERNEL=$(abspath $(ELF)) FRAME_ISO=$(abspath $(ISO)) FRAME_TEST_LOGS=$(abspath $(BUILD))/test-logs \
		FRAME_DEBUG_HINT='debug it: make debug CMDLINE={cmdline}' PYTHONPATH=$(FRAME_SDK)/harness \
		PYTHONPYCACHEPREFIX=$(abspath $(BUILD))/pycache $(PYTHON) -m pytest -q -p frameharness.plugin \
		-o cache_dir=$(abspath $(BUILD))/pytest-cache $(TESTS)

check: $(OBJS)

# $(BUILD)/compile_commands.json, for clangd and other editors: each C source's compile command.
compile-commands: $(if $(USER_EMBEDDED),$(BUILD)/user/user_programs.h)
	@mkdir -p $(BUILD)
	$(Q)$(or $(PYTHON),python3) -c 'import json, sys; d, srcs, *cmd = sys.argv[1:]; json.dump([{"directory": d, \
		"file": f"{d}/{s}", "arguments": cmd + ["-c", s]} for s in srcs.split()], sys.stdout, indent=1)' \
		$(CURDIR) "$(SRCS)" $(FRAME_CC) $(KERNEL_CFLAGS) > $(BUILD)/compile_commands.json.new
	@cmp -s $(BUILD)/compile_commands.json.new $(BUILD)/compile_commands.json && rm -f $(BUILD)/compile_commands.json.new || \
		mv -f $(BUILD)/compile_commands.json.new $(BUILD)/compile_commands.json

clean:
	rm -rf $(BUILD)

help:
	@echo "Targets for kernel '$(KERNEL)' (SDK: $(FRAME_SDK)):"
	@echo "  make            build $(ELF) and $(ISO)"
	@echo "  make run        boot the GRUB ISO in QEMU, serial console here (Ctrl-A X quits)"
	@echo "  make run-direct boot the ELF directly (no GRUB; faster)"
	@echo "  make test       run the pytest files here ($(or $(TESTS),none found))"
	@echo "  make debug      boot paused and attach GDB, stopped at kernel_main"
	@echo "  make attach     attach GDB to the kernel make run or run-direct is running"
	@echo "  make compile-commands  $(BUILD)/compile_commands.json, for clangd"
	@echo "  make coverage   the tests on an instrumented kernel: $(BUILD)/coverage/index.html"
	@echo "  make trace      a timeline of tasks, interrupts and timers: $(TRACE_OUT)/$(KERNEL).html and .json"
	@echo "  make profile    a flame graph of where the time goes: $(PROFILE_DIR)/$(KERNEL).svg [SECONDS= HZ=]"
	@echo "  make clean      remove $(BUILD)"

# --- coverage (make coverage; docs/seeing.md) ---------------------------------------
# COVERAGE=1 adds GCC's arc counters to the kernel's objects; built against the SDK's coverage/
# (its instrumented frame), the kernel sends every object's counters to the host at power-off.
# make coverage builds that kernel in $(BUILD)/coverage, runs the kernel's tests on it (or boots
# it once when there are none), and writes $(BUILD)/coverage/index.html (lcov's genhtml).
# The sanitizers stay on: their checks are counted like any other line.
ifneq ($(COVERAGE),)
KERNEL_CFLAGS += -fprofile-arcs -ftest-coverage
endif
COV_BUILD := $(abspath $(BUILD))/coverage
.PHONY: coverage
coverage:
	@test -f $(FRAME_SDK)/coverage/lib/libframe.a || { echo "error: this SDK has no coverage build of the frame \
	($(FRAME_SDK)/coverage); make sdk-coverage in the Frame repository makes it" >&2; exit 1; }
	@$(MAKE) --no-print-directory SDK=$(FRAME_SDK)/coverage BUILD=$(COV_BUILD) COVERAGE=1 $(COV_BUILD)/$(KERNEL).elf $(COV_BUILD)/$(KERNEL).iso
	@rm -rf $(COV_BUILD)/boots && mkdir -p $(COV_BUILD)/boots && find $(COV_BUILD) -name '*.gcda' -delete
	$(if $(TESTS),-@FRAME_KERNEL=$(COV_BUILD)/$(KERNEL).elf FRAME_ISO=$(COV_BUILD)/$(KERNEL).iso \
		FRAME_TEST_LOGS=$(COV_BUILD)/test-logs FRAME_COVERAGE_DIR=$(COV_BUILD) PYTHONPATH=$(FRAME_SDK)/harness \
		PYTHONPYCACHEPREFIX=$(abspath $(BUILD))/pycache $(PYTHON) -m pytest -q -p frameharness.plugin -p no:cacheprovider \
		$(TESTS) || echo "note: some tests fail on the instrumented kernel (above); the report covers every boot")
	@PYTHONPATH=$(FRAME_SDK)/harness PYTHONPYCACHEPREFIX=$(abspath $(BUILD))/pycache $(or $(PYTHON),python3) \
		-c 'import sys; from frameharness.coverage import main; sys.exit(main(sys.argv[1:]))' --sdk $(FRAME_SDK) --out $(COV_BUILD) --boots $(COV_BUILD)/boots \
		$(if $(TESTS),,--boot $(COV_BUILD)/$(KERNEL).elf --cmdline="$$FRAME_MK_CMDLINE")

# make trace: boot the kernel (directly, CMDLINE as for run-direct) with the host channel, receive
# the frame's trace at power-off and write $(TRACE_OUT)/$(KERNEL).json (Chrome's trace-event
# format: chrome://tracing, Perfetto) and $(TRACE_OUT)/$(KERNEL).html (a timeline for any browser).
# TRACE_TIMEOUT: seconds before a kernel that does not power off is stopped (its trace is lost).
TRACE_OUT ?= $(BUILD)/trace
TRACE_TIMEOUT ?= 60
.PHONY: trace
trace: $(ELF)
	@$(MODULES_ARGS) PYTHONPATH=$(FRAME_SDK)/harness PYTHONDONTWRITEBYTECODE=1 $(or $(PYTHON),python3) -m frameharness.trace $(abspath $(ELF)) \
		--name $(KERNEL) --out $(TRACE_OUT) --memory $(MEMORY) --machine $(MACHINE) --timeout $(TRACE_TIMEOUT) \
		$${FRAME_MK_CMDLINE:+--cmdline="$$FRAME_MK_CMDLINE"} $${2:+--initrd "$$2"}

# --- make profile: where the kernel's time goes ------------------------------------------------
# Boots the ELF directly with QEMU's GDB stub and samples it from outside (the harness's
# frameharness.profile): HZ samples a second for SECONDS (or until the kernel powers off), each
# the current task's call stack; writes PROFILE_DIR/KERNEL.folded and KERNEL.svg (a flame graph
# to open in a browser) and prints a top-20 table and what the sampling cost the kernel.
SECONDS ?= 5
HZ ?= 1000
PROFILE_DIR ?= $(BUILD)/profile
.PHONY: profile
profile: $(ELF)
	@$(MODULES_ARGS) PYTHONPATH=$(FRAME_SDK)/harness PYTHONDONTWRITEBYTECODE=1 $(or $(PYTHON),python3) \
		-m frameharness.profile --elf $(ELF) --out $(PROFILE_DIR) --name $(KERNEL) --seconds $(SECONDS) --hz $(HZ) -- \
		$(QEMU) $(QEMU_BASE) -display none -serial stdio -kernel $(ELF) $${FRAME_MK_CMDLINE:+-append "$$FRAME_MK_CMDLINE"} "$$@" $(QEMU_FLAGS)
