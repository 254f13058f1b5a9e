# Fills every xmm register with ones and sets its own MXCSR (round toward zero) and x87 control
# word (53-bit precision), then yields (sched_yield, 24): the kernel runs other programs, which
# must not see any of it. Run again, it checks that it got all of it back.
# Out: exit (60) with rdi = the AND of every xmm register's quadwords (all ones if kept),
#      rsi = MXCSR, rdx = x87 control word.
	.text
	.globl _start
_start:
	pcmpeqd %xmm0, %xmm0
	movdqa %xmm0, %xmm1
	movdqa %xmm0, %xmm2
	movdqa %xmm0, %xmm3
	movdqa %xmm0, %xmm4
	movdqa %xmm0, %xmm5
	movdqa %xmm0, %xmm6
	movdqa %xmm0, %xmm7
	movdqa %xmm0, %xmm8
	movdqa %xmm0, %xmm9
	movdqa %xmm0, %xmm10
	movdqa %xmm0, %xmm11
	movdqa %xmm0, %xmm12
	movdqa %xmm0, %xmm13
	movdqa %xmm0, %xmm14
	movdqa %xmm0, %xmm15
	movl $0x7f80, -4(%rsp)
	ldmxcsr -4(%rsp)
	movw $0x27f, -8(%rsp)
	fldcw -8(%rsp)
	movl $24, %eax
	syscall

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
	movq $-1, %rdi
	movl $32, %ecx
1:	andq -8(%rsp,%rcx,8), %rdi
	decl %ecx
	jnz 1b
	addq $256, %rsp
	stmxcsr -4(%rsp)
	movl -4(%rsp), %esi
	fnstcw -8(%rsp)
	movzwl -8(%rsp), %edx
	movl $60, %eax
	syscall
	ud2
