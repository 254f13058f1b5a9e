# hello: a static x86-64 user program. write(1, "Hello, world\n", 13), then exit(0),
# with the Linux system call numbers (1 and 60). It runs from its first byte, at 0x400000.
	.text
	.globl _start
_start:
	movl $1, %eax           # write(
	movl $1, %edi           #   fd 1,
	leaq message(%rip), %rsi #   the text,
	movl $13, %edx          #   13 bytes)
	syscall
	movl $60, %eax          # exit(
	xorl %edi, %edi         #   0)
	syscall
	ud2                     # exit does not return
message:
	.ascii "Hello, world\n"
