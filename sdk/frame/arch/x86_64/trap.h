/* The CPU state saved on every trap, the exception vectors and the entry points of the trap path. */
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

/* The CPU exception vectors the frame treats by name; 32 and up are interrupts (irq/irq.h). */
enum exception_vector {
	VECTOR_DE = 0,	/* divide error */
	VECTOR_DB = 1,	/* debug */
	VECTOR_NMI = 2, /* non-maskable interrupt */
	VECTOR_BP = 3,	/* breakpoint (int3) */
	VECTOR_OF = 4,	/* overflow (into) */
	VECTOR_NM = 7,	/* device not available (a floating-point instruction with CR0.TS set) */
	VECTOR_DF = 8,	/* double fault */
	VECTOR_GP = 13, /* general protection */
	VECTOR_PF = 14, /* page fault */
	VECTOR_MC = 18, /* machine check */
	VECTOR_FIRST_IRQ = 32,
};

/* The page-fault error code's bits. */
#define PF_PRESENT 0x01u /* a protection violation (else: the page is not mapped) */
#define PF_WRITE 0x02u	 /* a write (else: a read) */
#define PF_USER 0x04u	 /* from user mode */
#define PF_FETCH 0x10u	 /* an instruction fetch */

#define TRAP_STUB_SIZE 16
extern const char trap_stubs[];		/* 256 entry stubs, TRAP_STUB_SIZE bytes apart */
extern const char trap_common_return[]; /* trap_handler's return address in trap.S */

/* Every trap, from trap.S: dispatched in core/trap.c. */
void trap_handler(struct trap_frame *tf);
/* "#GP", "general protection", and both: "#GP general protection" ("IRQ"/"interrupt" from 32 on). */
const char *exception_mnemonic(uint64_t vector);
const char *exception_description(uint64_t vector);
const char *exception_name(uint64_t vector);

#endif
