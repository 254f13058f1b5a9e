# Unmasks the x87 invalid-operation and zero-divide exceptions and computes 0/0: the next
# waiting x87 instruction raises #MF (vector 16), the program's own exception.
	.text
	.globl _start
_start:
	movw $0x37a, -8(%rsp)
	fldcw -8(%rsp)
	fldz
	fldz
	fdivrp
	fwait
	movl $60, %eax
	xorl %edi, %edi
	syscall
