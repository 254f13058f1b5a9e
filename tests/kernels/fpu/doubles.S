# Computes with doubles in SSE2 registers, long enough to be preempted many times:
#     t = t * m + c;  s = s + t   (n times, from s = t = 0), both kept in registers only
# In:  rdi = m, rsi = c (the bits of doubles), rdx = n, r8 = an MXCSR, r9 = an x87 control word to set.
# Out: exit (60) with rdi = s, rsi = MXCSR and rdx = x87 control word at the end, r10 = 0 if the
#      program started with every xmm register zero, MXCSR 0x1f80 and control word 0x37f.
	.text
	.globl _start
_start:
	xorl %r10d, %r10d
	subq $256, %rsp
	movdqu %xmm0, 0(%rsp)
	movdqu %xmm1, 16(%rsp)
	movdqu %xmm2, 32(%rsp)
	movdqu %xmm3, 48(%rsp)
	movdqu %xmm4, 64(%rsp)
	movdqu %xmm5, 80(%rsp)
	movdqu %xmm6, 96(%rsp)
	movdqu %xmm7, 112(%rsp)
	movdqu %xmm8, 128(%rsp)
	movdqu %xmm9, 144(%rsp)
	movdqu %xmm10, 160(%rsp)
	movdqu %xmm11, 176(%rsp)
	movdqu %xmm12, 192(%rsp)
	movdqu %xmm13, 208(%rsp)
	movdqu %xmm14, 224(%rsp)
	movdqu %xmm15, 240(%rsp)
	movl $32, %ecx
1:	orq -8(%rsp,%rcx,8), %r10
	decl %ecx
	jnz 1b
	addq $256, %rsp
	stmxcsr -4(%rsp)
	movl -4(%rsp), %eax
	xorl $0x1f80, %eax
	orq %rax, %r10
	fnstcw -8(%rsp)
	movzwl -8(%rsp), %eax
	xorl $0x37f, %eax
	orq %rax, %r10

	movl %r8d, -4(%rsp)
	ldmxcsr -4(%rsp)
	movw %r9w, -8(%rsp)
	fldcw -8(%rsp)
	movq %rdi, %xmm1
	movq %rsi, %xmm2
	xorpd %xmm0, %xmm0
	xorpd %xmm3, %xmm3
2:	mulsd %xmm1, %xmm3
	addsd %xmm2, %xmm3
	addsd %xmm3, %xmm0
	decq %rdx
	jnz 2b

	movq %xmm0, %rdi
	stmxcsr -4(%rsp)
	movl -4(%rsp), %esi
	fnstcw -8(%rsp)
	movzwl -8(%rsp), %edx
	movl $60, %eax
	syscall
	ud2
