/*
 * The floor's user programs, run in ring 3 at USER_CODE (the .user section is mapped there, so
 * the code uses no address of its own). Each times ROUNDS runs of its operation with rdtsc into
 * USER_SAMPLES and returns to the kernel by `int $VEC_EXIT`. They keep their state in rbx, r12 to
 * r15, which no entry clobbers.
 */
#include "floor.h"

/* \reg = the time-stamp counter */
.macro TSC reg
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	movq %rdx, \reg
.endm

/* Time ROUNDS runs of what follows the macro up to SAMPLE_END. */
.macro SAMPLE_START
	movabsq $USER_SAMPLES, %rbx
	movl $ROUNDS, %r12d
1:	TSC %r13
.endm
.macro SAMPLE_END
	TSC %r14
	subq %r13, %r14
	movq %r14, (%rbx)
	addq $8, %rbx
	decl %r12d
	jnz 1b
	int $VEC_EXIT
.endm

	.section .user, "ax"
	.globl user_null, user_yield_a, user_yield_b, user_map, user_copy
user_null: /* null_syscall */
	SAMPLE_START
	syscall
	SAMPLE_END

user_yield_a: /* user_switch: two switches per sample (to the other program and back) */
	SAMPLE_START
	syscall
	SAMPLE_END

user_yield_b:
	syscall
	jmp user_yield_b

user_map: /* map_touch_unmap */
	movabsq $USER_SLOT, %r15
	SAMPLE_START
	movl $SYS_MAP, %eax
	syscall
	movq $1, (%r15)
	movl $SYS_UNMAP, %eax
	syscall
	SAMPLE_END

user_copy: /* copy_from_user_4k */
	movabsq $USER_BUF, %r15
	SAMPLE_START
	movl $SYS_COPY, %eax
	movq %r15, %rdi
	syscall
	SAMPLE_END
