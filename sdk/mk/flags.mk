# Code generation flags shared by the frame and every kernel built on it (included by kernel.mk
# and by the Frame repository's Makefile). Kernel code: no red zone, no SSE, top-2-GiB code model.
# The stack protector (docs/safety.md, layer 4) guards every function with a local array or a
# local whose address is taken; one CPU, so the canary is one global, __stack_chk_guard, chosen
# at boot (sdk/frame/core/stack_protector.c), not a thread-local one at %fs:0x28.
FRAME_CC ?= gcc
FRAME_LD ?= ld
FRAME_GCC_INCLUDE := $(shell $(FRAME_CC) -print-file-name=include)
FRAME_ARCH_FLAGS := -m64 -march=x86-64 -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie \
	-ffreestanding -fno-omit-frame-pointer -fno-common -fno-toplevel-reorder -fcf-protection=none -g \
	-fstack-protector-strong -mstack-protector-guard=global -fstack-clash-protection
FRAME_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments

# Quiet by default, like kbuild: one line per step; V=1 shows every command.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif
