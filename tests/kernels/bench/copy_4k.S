# For the copy_from_user_4k row: hand the kernel the 4 KiB at 0x500000 (system call 1, like a
# write), forever; the kernel copies them into a buffer of its own and times each round.
	.text
	.globl _start
_start:
	movl $1, %eax
	movl $0x500000, %edi
	movl $4096, %esi
	syscall
	jmp _start
