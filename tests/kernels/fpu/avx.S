# doubles.S's computation in all four lanes of AVX registers (ymm), so the upper halves matter:
# In:  rdi = m, rsi = c (the bits of doubles), rdx = n.
# Out: exit (60) with rdi = lane 0 of s, rsi = lane 3 (in the upper half).
# On a CPU without AVX the first instruction is an invalid opcode (#UD).
	.text
	.globl _start
_start:
	movq %rdi, -8(%rsp)
	vbroadcastsd -8(%rsp), %ymm1
	movq %rsi, -8(%rsp)
	vbroadcastsd -8(%rsp), %ymm2
	vxorpd %ymm0, %ymm0, %ymm0
	vxorpd %ymm3, %ymm3, %ymm3
1:	vmulpd %ymm1, %ymm3, %ymm3
	vaddpd %ymm2, %ymm3, %ymm3
	vaddpd %ymm3, %ymm0, %ymm0
	decq %rdx
	jnz 1b
	vmovupd %ymm0, -32(%rsp)
	movq -32(%rsp), %rdi
	movq -8(%rsp), %rsi
	movl $60, %eax
	syscall
	ud2
