# Unmasks every SIMD floating-point exception and divides by zero: a #XM (vector 19), the
# program's own exception. (QEMU's TCG does not raise it: it only sets MXCSR's zero-divide flag,
# and the program exits with its MXCSR in rsi.)
	.text
	.globl _start
_start:
	movl $0, -4(%rsp)
	ldmxcsr -4(%rsp)
	movl $1, %eax
	cvtsi2sd %eax, %xmm0
	xorpd %xmm1, %xmm1
	divsd %xmm1, %xmm0
	stmxcsr -4(%rsp)
	movl -4(%rsp), %esi
	movl $60, %eax
	xorl %edi, %edi
	syscall
