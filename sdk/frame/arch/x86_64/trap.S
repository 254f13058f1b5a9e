/* Entry stubs for all 256 vectors: give every trap the same frame, then call trap_handler(). */
#include "arch/x86_64/trap_frame.inc"

/* Vectors for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vector, 0
	.rept 256
1:	.if !HAS_ERROR_CODE(vector)
	pushq $0
	.endif
	pushq $vector
	jmp trap_common
	.org 1b + 16 /* TRAP_STUB_SIZE: fixed-size slots, so C can compute each stub's address */
	.set vector, vector + 1
	.endr

	.section .text.hot, "ax", @progbits /* lib/hot.h */
trap_common:
	PUSH_GPRS
	pushq $2 /* known flags: DF clear, and AC clear, or a program's AC would switch SMAP off */
	popfq
	movq %rsp, %rdi
	call trap_handler
	.globl trap_common_return
trap_common_return: /* where trap_handler returns: backtraces find the trap frame above it */
	POP_GPRS
	addq $16, %rsp /* vector and error code */
	iretq

	.section .note.GNU-stack, "", @progbits
