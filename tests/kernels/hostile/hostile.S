# Hostile user programs: the kernel starts this with RDI = which attack (the order of the
# table below and of the names in main.c). System-call attacks end with exit(result).
	.text
	.globl _start
_start:
	leaq table(%rip), %rax
	jmp *(%rax, %rdi, 8)

exit_with_rax:
	movq %rax, %rdi
	movl $60, %eax
	syscall

write_null:
	xorl %esi, %esi
	jmp do_write
write_kernel:
	movabsq $0xffffffff80200000, %rsi
	jmp do_write
write_noncanonical:
	movabsq $0x0000800000000000, %rsi
	jmp do_write
write_into_unmapped:
	movq $0x7ffff8, %rsi      # 8 bytes below the stack's end, then unmapped memory
do_write:
	movl $1, %eax
	movl $1, %edi
	movl $64, %edx
	syscall
	jmp exit_with_rax
halt:
	hlt
clear_interrupts:
	cli
port_in:
	inb $0x60, %al
port_out:
	outb %al, $0x80
write_msr:
	wrmsr
write_cr3:
	movq %rax, %cr3
read_kernel:
	movabsq $0xffffffff80200000, %rax
	movq (%rax), %rax
write_kernel_memory:
	movabsq $0xffffffff80200000, %rax
	movq %rax, (%rax)
jump_to_kernel:
	movabsq $0xffffffff80200000, %rax
	jmp *%rax
syscall_at_the_top:              # the kernel maps "syscall" at the last two bytes of user space
	movl $39, %eax
	movabsq $0x7ffffffffffe, %rcx
	jmp *%rcx
raise_iopl_with_popf:
	pushfq
	orq $0x3000, (%rsp)
	popfq                    # IOPL does not change in user mode...
	inb $0x60, %al           # ...so port I/O still faults
divide_by_zero:
	xorl %ecx, %ecx
	movl $1, %eax
	cltd
	idivl %ecx
breakpoint:
	int3
invalid_opcode:
	ud2
garbage_stack_then_syscall:
	movabsq $0xdead000000000000, %rsp
	movl $39, %eax
	syscall                  # comes back (by SYSRET: RCX and R11 are intact)...
	pushq $0                 # ...and the first use of the stack faults, in user mode

single_step_into_syscall:
	movl $39, %eax
	pushfq
	orq $0x100, (%rsp)       # TF: trap after every instruction...
	popfq
	syscall                  # ...starting with this one: no single-step trap may hit the kernel
	ud2

mmx_register:
	movq %rax, %mm0          # MMX: the program's own state, kept per program; runs on
store_gdt_address:
	subq $16, %rsp
	sgdt (%rsp)              # faults where the CPU has UMIP; elsewhere it only shows an address
	xorl %eax, %eax
	jmp exit_with_rax
report_flags:                    # exit(RFLAGS as the program sees them)
	pushfq
	popq %rax
	jmp exit_with_rax

	.balign 8
table:
	.quad write_null, write_kernel, write_noncanonical, write_into_unmapped, halt, clear_interrupts
	.quad port_in, port_out, write_msr, write_cr3, read_kernel, write_kernel_memory, jump_to_kernel
	.quad syscall_at_the_top, raise_iopl_with_popf, divide_by_zero, breakpoint, invalid_opcode
	.quad garbage_stack_then_syscall, single_step_into_syscall, mmx_register, store_gdt_address
	.quad report_flags
