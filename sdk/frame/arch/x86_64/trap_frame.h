/* The general registers of struct trap_frame (trap.h), pushed and popped in its order: shared by
 * the exception stubs (trap.S) and the SYSCALL entry (user.S), so both build the same frame. */
#ifndef FRAME_ARCH_TRAP_FRAME_H
#define FRAME_ARCH_TRAP_FRAME_H

	.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.macro POP_GPRS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

#endif
