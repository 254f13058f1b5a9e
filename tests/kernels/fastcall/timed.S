# Times 1000 null calls (39) from user mode with the TSC; reports the cycles with call 503.
	.text
	.globl _start
_start:
	movl $1000, %r12d
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	movq %rdx, %r13
1:	movl $39, %eax
	syscall
	decl %r12d
	jnz 1b
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	subq %r13, %rdx
	movq %rdx, %rdi
	movl $503, %eax
	syscall
	jmp _start
