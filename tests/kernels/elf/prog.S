# prog: a static x86-64 ELF user program with text, read-only data, data and a .bss of three
# pages, linked by ld's default script (one segment per kind of rights). It reads its initial
# stack as the System V ABI lays it out (argc, argv, envp, the auxiliary vector), checks that
# .data was copied and .bss zeroed, writes what it found to a report in .bss and hands its
# address to the kernel (system call 0x1000); then it prints argv[1] and exits with argc.
	.set AT_NULL, 0
	.set AT_PHDR, 3
	.set AT_PHNUM, 5
	.set AT_PAGESZ, 6
	.set AT_ENTRY, 9
	.set AT_RANDOM, 25

	.text
	.globl _start
_start:
	leaq report(%rip), %rbx
	movq %rsp, 0(%rbx)		# the stack pointer at entry (16-byte aligned)
	movq (%rsp), %rcx
	movq %rcx, 8(%rbx)		# argc
	leaq 8(%rsp), %rsi
	movq %rsi, 16(%rbx)		# argv
	leaq 8(%rsi,%rcx,8), %rsi	# past argv's NULL: envp
	movq %rsi, 24(%rbx)
1:	movq (%rsi), %rax		# past envp's NULL: the auxiliary vector
	addq $8, %rsi
	testq %rax, %rax
	jnz 1b
2:	movq (%rsi), %rax		# each pair (type, value) until AT_NULL
	movq 8(%rsi), %rdx
	addq $16, %rsi
	cmpq $AT_NULL, %rax
	je 4f
	cmpq $AT_PAGESZ, %rax
	jne 3f
	movq %rdx, 32(%rbx)
3:	cmpq $AT_ENTRY, %rax
	jne 5f
	movq %rdx, 40(%rbx)
5:	cmpq $AT_PHDR, %rax
	jne 6f
	movq %rdx, 48(%rbx)
6:	cmpq $AT_PHNUM, %rax
	jne 7f
	movq %rdx, 56(%rbx)
7:	cmpq $AT_RANDOM, %rax
	jne 2b
	movq %rdx, 64(%rbx)
	jmp 2b
4:	movq data_word(%rip), %rax	# .data: copied from the file
	movq %rax, 72(%rbx)
	movq bss_end - 8(%rip), %rax	# the last word of .bss, three pages on: zero
	movq %rax, 80(%rbx)
	movq $0x1000, %rax		# report(&report)
	movq %rbx, %rdi
	syscall
	movq 16(%rbx), %rsi		# write(1, argv[1], strlen(argv[1]))
	movq 8(%rsi), %rsi
	xorl %edx, %edx
8:	cmpb $0, (%rsi,%rdx)
	je 9f
	incq %rdx
	jmp 8b
9:	movl $1, %eax
	movl $1, %edi
	syscall
	movl $60, %eax			# exit(argc)
	movq 8(%rbx), %rdi
	syscall
	ud2

	.section .rodata
	.ascii "read-only data"

	.data
data_word:
	.quad 0x0123456789abcdef

	.bss
	.balign 8
report:
	.skip 11 * 8
	.skip 3 * 4096
bss_end:
