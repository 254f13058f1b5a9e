# Call 504 asks the fast handler to set the FS base to RDI and hand the call to the task; then
# the program reads the 8 bytes at %fs:0 and reports them with call 505.
	.text
	.globl _start
_start:
	movl $504, %eax
	movl $0x900000, %edi
	syscall
	movq %fs:0, %rdi
	movl $505, %eax
	syscall
	ud2
