/*
 * Crossing into and out of user mode. user_enter() saves the kernel's callee-saved registers
 * and stack pointer, loads the user context and leaves by SYSRET or IRET; whatever brings the
 * CPU back (SYSCALL, an exception, an interrupt) ends in user_resume(), which restores them and
 * returns from user_enter() with the reason.
 */
#include "arch/x86_64/trap_frame.inc"
#include "arch/x86_64/user_layout.h"

	.text

/* uint64_t user_enter(struct user_context *ctx, int use_sysret) */
	.globl user_enter
user_enter:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, user_cpu + CPU_KERNEL_RSP(%rip)
	movq %rdi, user_cpu + CPU_CONTEXT(%rip)
	testl %esi, %esi
	jnz 1f
	pushq $USER_SS /* IRET: any register values, any flags the kernel allows */
	pushq CTX_RSP(%rdi)
	pushq CTX_RFLAGS(%rdi)
	pushq $USER_CS
	pushq CTX_RIP(%rdi)
	movq CTX_RCX(%rdi), %rcx
	movq CTX_R11(%rdi), %r11
	call load_user_registers
	iretq
1:	movq CTX_RIP(%rdi), %rcx /* SYSRET: RCX and R11 already hold RIP and RFLAGS */
	movq CTX_RFLAGS(%rdi), %r11
	call load_user_registers
	movq user_rsp_scratch(%rip), %rsp /* no stack from here: an NMI would use its own (IST) */
	sysretq

/* Load every register but RCX, R11 and RSP from the context in RDI, RDI last; leave the
 * context's RSP in user_rsp_scratch for the SYSRET path. */
load_user_registers:
	movq CTX_RAX(%rdi), %rax
	movq CTX_RBX(%rdi), %rbx
	movq CTX_RDX(%rdi), %rdx
	movq CTX_RSI(%rdi), %rsi
	movq CTX_RBP(%rdi), %rbp
	movq CTX_R8(%rdi), %r8
	movq CTX_R9(%rdi), %r9
	movq CTX_R10(%rdi), %r10
	movq CTX_R12(%rdi), %r12
	movq CTX_R13(%rdi), %r13
	movq CTX_R14(%rdi), %r14
	movq CTX_R15(%rdi), %r15
	pushq CTX_RSP(%rdi)
	popq user_rsp_scratch(%rip)
	movq CTX_RDI(%rdi), %rdi
	ret

/* noreturn void user_resume(uint64_t reason): back to where user_enter() was called. */
	.globl user_resume
user_resume:
	movq %rdi, %rax
	movq user_cpu + CPU_KERNEL_RSP(%rip), %rsp
	pushq $2 /* known flags: above all AC clear, or the program would switch SMAP off for the kernel */
	popfq
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* SYSCALL lands here (IA32_LSTAR) in ring 0 with the user's stack: switch to the trap stack
 * and build the same frame a CPU exception gets, then let C save it in the context. */
	.globl syscall_entry
syscall_entry:
	movq %rsp, user_rsp_scratch(%rip)
	movq user_cpu + CPU_TRAP_STACK(%rip), %rsp
	pushq $USER_SS
	pushq user_rsp_scratch(%rip)
	pushq %r11 /* the user's RFLAGS */
	pushq $USER_CS
	pushq %rcx /* the user's RIP */
	pushq $0
	pushq $SYSCALL_VECTOR
	PUSH_GPRS
	movq %rsp, %rdi
	call user_trap /* never returns: ends in user_resume() */
	ud2

	.bss
	.balign 8
user_rsp_scratch: /* one CPU, interrupts off in the kernel: one slot is enough */
	.quad 0

	.section .note.GNU-stack, "", @progbits
