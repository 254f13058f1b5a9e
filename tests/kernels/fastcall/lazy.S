# Floating point across slow system calls: xmm0 gets a pattern, then 40 yields (24), between
# which the kernel runs clobber.S; then call 502 reports xmm0's low half in RDI.
	.text
	.globl _start
_start:
	movabsq $0x0123456789abcdef, %rax
	movq %rax, %xmm0
	movl $40, %r12d
1:	movl $24, %eax
	syscall
	decl %r12d
	jnz 1b
	movq %xmm0, %rdi
	movl $502, %eax
	syscall
	ud2
