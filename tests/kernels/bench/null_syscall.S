# For the null system call benchmark: make system call 39 forever; the kernel times each round trip.
	.text
	.globl _start
_start:
	movl $39, %eax
	syscall
	jmp _start
