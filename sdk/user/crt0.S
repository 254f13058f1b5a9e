/*
 * The entry of a user program in C: the kernel starts it at _start with the System V initial
 * stack (argc, then argv[], NULL, envp[], NULL, the auxiliary vector). main(argc, argv, envp)
 * is called on a 16-byte aligned stack, and its return value becomes exit()'s status.
 */
	.text
	.globl _start
_start:
	xorl %ebp, %ebp			/* the outermost frame: backtraces stop here */
	movq (%rsp), %rdi		/* argc */
	leaq 8(%rsp), %rsi		/* argv */
	leaq 8(%rsi,%rdi,8), %rdx	/* envp: past argv's NULL */
	movq %rdx, environ(%rip)
	andq $-16, %rsp
	call main
	movl %eax, %edi
	call exit
	ud2

	.bss
	.globl environ
	.balign 8
environ:
	.quad 0

	.section .note.GNU-stack, "", @progbits
