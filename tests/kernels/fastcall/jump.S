# The kernel starts this with hostile values in RDI, RSI, RDX, R10, R8, R9; call 500 asks the
# fast handler to make them the program's RIP, RSP, FS base, RFLAGS, RCX and R11. Where the
# result is a place to go on, "flags" reports the flags the program runs with (call 501).
	.text
	.globl _start
_start:
	movl $500, %eax
	syscall
	ud2
	.globl flags
	.balign 16
flags:
	pushfq
	popq %rdi
	movl $501, %eax
	syscall
	ud2
