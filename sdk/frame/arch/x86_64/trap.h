/* The CPU state saved on every trap, and the entry points of the trap path. */
#ifndef FRAME_ARCH_TRAP_H
#define FRAME_ARCH_TRAP_H

#include <stdint.h>

/* Pushed by trap.S (general registers, vector, error code) and the CPU (the rest). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

#define TRAP_STUB_SIZE 16
extern const char trap_stubs[]; /* 256 entry stubs, TRAP_STUB_SIZE bytes apart */

void trap_handler(struct trap_frame *tf);
const char *exception_mnemonic(uint64_t vector);
const char *exception_description(uint64_t vector);

#endif
