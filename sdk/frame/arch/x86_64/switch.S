/*
 * Switching tasks: context_switch() saves the callee-saved registers on the old task's stack,
 * stores its stack pointer, loads the new one's and returns on its stack. A new task's stack is
 * built (task.c) to "return" into task_trampoline, which calls task_start().
 */
	.section .text.hot, "ax", @progbits /* lib/hot.h */

/* void context_switch(uint64_t *save_rsp, uint64_t next_rsp): interrupts off. */
	.globl context_switch
context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* A new task's first instruction: rbp 0 ends backtraces here. */
	.globl task_trampoline
task_trampoline:
	xorl %ebp, %ebp
	call task_start
	ud2

	.section .note.GNU-stack, "", @progbits
