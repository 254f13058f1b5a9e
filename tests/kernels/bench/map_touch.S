# For the map_touch_unmap row: map a fresh zeroed page at 0x600000 (system call 9), write it,
# unmap it (system call 11), forever; the kernel times each round.
	.text
	.globl _start
_start:
	movl $9, %eax
	syscall
	movq $1, 0x600000
	movl $11, %eax
	syscall
	jmp _start
