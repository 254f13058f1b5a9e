/*
 * Crossing into and out of user mode. user_enter() saves the kernel's callee-saved registers
 * and stack pointer, then user_return() loads the user context and leaves by SYSRET or IRET;
 * whatever brings the CPU back (SYSCALL, an exception, an interrupt) ends in user_resume(),
 * which restores them and returns from user_enter() with the reason. A system call handled
 * on the trap stack (a fast handler) goes straight back to user mode through user_return().
 */
#include "arch/x86_64/user_layout.h"

/* Load every register but RCX, R11 and RSP from the context in RDI, RDI last; leave the
 * context's RSP in user_rsp_scratch for the SYSRET path. */
.macro LOAD_USER_REGISTERS
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
.endm

	.section .text.hot, "ax", @progbits

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
	/* fall through */

/* noreturn void user_return(struct user_context *ctx, int use_sysret): into user mode with ctx,
 * from user_enter() or from the trap stack (the kernel's stack stays as user_enter() left it). */
	.globl user_return
user_return:
	testl %esi, %esi
	jnz 1f
	pushq $USER_SS /* IRET: any register values, any flags the kernel allows */
	pushq CTX_RSP(%rdi)
	pushq CTX_RFLAGS(%rdi)
	pushq $USER_CS
	pushq CTX_RIP(%rdi)
	movq CTX_RCX(%rdi), %rcx
	movq CTX_R11(%rdi), %r11
	LOAD_USER_REGISTERS
	iretq
1:	movq CTX_RIP(%rdi), %rcx /* SYSRET: RCX and R11 already hold RIP and RFLAGS */
	movq CTX_RFLAGS(%rdi), %r11
	LOAD_USER_REGISTERS
	movq user_rsp_scratch(%rip), %rsp /* no stack from here: an NMI would use its own (IST) */
	sysretq

/* noreturn void user_resume(uint64_t reason): back to where user_enter() was called. Every way
 * here (SYSCALL's flag mask, trap_common) has left the flags known: DF and AC clear, IF off. */
	.globl user_resume
user_resume:
	movq %rdi, %rax
	movq user_cpu + CPU_KERNEL_RSP(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* SYSCALL lands here (IA32_LSTAR) in ring 0 with the user's stack and the flags masked (IF, DF,
 * AC, TF clear). The registers go straight into the running program's context (the stack
 * pointer serves as the base register for that), then user_syscall() runs on the trap stack. */
	.globl syscall_entry
syscall_entry:
	movq %rsp, user_rsp_scratch(%rip)
	movq user_cpu + CPU_CONTEXT(%rip), %rsp
	movq %rax, CTX_RAX(%rsp)
	movq %rbx, CTX_RBX(%rsp)
	movq %rcx, CTX_RCX(%rsp)
	movq %rdx, CTX_RDX(%rsp)
	movq %rsi, CTX_RSI(%rsp)
	movq %rdi, CTX_RDI(%rsp)
	movq %rbp, CTX_RBP(%rsp)
	movq %r8, CTX_R8(%rsp)
	movq %r9, CTX_R9(%rsp)
	movq %r10, CTX_R10(%rsp)
	movq %r11, CTX_R11(%rsp)
	movq %r12, CTX_R12(%rsp)
	movq %r13, CTX_R13(%rsp)
	movq %r14, CTX_R14(%rsp)
	movq %r15, CTX_R15(%rsp)
	movq %rcx, CTX_RIP(%rsp) /* SYSCALL's return address */
	movq %r11, CTX_RFLAGS(%rsp) /* the user's flags */
	movq user_rsp_scratch(%rip), %rax
	movq %rax, CTX_RSP(%rsp)
	movq user_cpu + CPU_TRAP_STACK(%rip), %rsp
	xorl %ebp, %ebp /* backtraces end here */
	call user_syscall /* never returns: ends in user_resume() or user_return() */
	ud2

	.section .data.hot, "aw", @progbits /* lib/hot.h */
	.balign 8
user_rsp_scratch: /* one CPU, interrupts off in the kernel: one slot is enough */
	.quad 0

	.section .note.GNU-stack, "", @progbits
