# Puts another pattern in xmm0 and yields (24), forever.
	.text
	.globl _start
_start:
	movabsq $0x5555aaaa5555aaaa, %rax
	movq %rax, %xmm0
	movl $24, %eax
	syscall
	jmp _start
