# For the user-program switch benchmark: sched_yield (system call 24) forever; the kernel switches
# to the other program, in its own address space, on each.
	.text
	.globl _start
_start:
	movl $24, %eax
	syscall
	jmp _start
