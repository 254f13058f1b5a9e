# Makes CALLS getpid calls (39), adding up the results, then writes a line (1) and exits (60)
# with the sum. With the kernel's fast handler, only the exit reaches the task.
	.set CALLS, 100000
	.text
	.globl _start
_start:
	xorl %r12d, %r12d
	movl $CALLS, %r13d
1:	movl $39, %eax
	syscall
	addq %rax, %r12
	decl %r13d
	jnz 1b
	movl $1, %eax
	movl $1, %edi
	leaq line(%rip), %rsi
	movl $line_end - line, %edx
	syscall
	movq %r12, %rdi
	movl $60, %eax
	syscall
	ud2
line:	.ascii "calls: hello from user mode through the fast path\n"
line_end:
