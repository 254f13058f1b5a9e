# A user program that never makes a system call and never faults: an endless loop. Only the
# timer tick gets the CPU back from it.
	.text
	.globl _start
_start:
1:	jmp 1b
