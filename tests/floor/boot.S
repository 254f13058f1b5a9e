/*
 * The floor kernel's boot and entry code: a multiboot1 header (explicit addresses, so QEMU's
 * -kernel loads this ELF64), long mode with a 1 GiB identity map of 2 MiB pages, then
 * floor_main(); and the bare entry points whose cost the rows measure.
 */
#include "floor.h"

#define MB1_MAGIC 0x1badb002
#define MB1_FLAGS (1 << 16) /* the load addresses are in the header */

	.section .multiboot, "a"
	.balign 4
mb1_header:
	.long MB1_MAGIC, MB1_FLAGS, -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header, mb1_header, __load_end, __bss_end, _start

	.text
	.code32
	.globl _start
_start:
	cli
	movl $boot_stack_top, %esp
	movl %ebx, mb_info
	/* pml4_k[0] -> pdpt_k[0] -> pd_k: 511 2 MiB pages of identity, the last one the local APIC. */
	movl $pdpt_k + 3, pml4_k
	movl $pd_k + 3, pdpt_k
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax /* present, writable, 2 MiB */
	movl %eax, pd_k(, %ecx, 8)
	incl %ecx
	cmpl $511, %ecx
	jne 1b
	movl $APIC_PHYS + 0x9b, pd_k + 511 * 8 /* present, writable, uncached, 2 MiB */
	movl $pml4_k, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax /* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx /* EFER: long mode, SYSCALL */
	rdmsr
	orl $0x101, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax /* paging, protected mode */
	movl %eax, %cr0
	lgdt gdt_ptr
	ljmp $KERNEL_CS, $long_mode

	.code64
long_mode:
	movw $KERNEL_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	call floor_main
2:	hlt
	jmp 2b

/* null_syscall: SYSCALL lands here; swapgs, onto the kernel stack and back, swapgs, sysretq. */
	.globl null_entry
null_entry:
	swapgs
	movq %rsp, %gs:PC_USER_RSP
	movq %gs:PC_KSTACK, %rsp
	movq %gs:PC_USER_RSP, %rsp
	swapgs
	sysretq

/* user_switch: save the user's rsp, rcx, r11 on this program's kernel stack, switch to the other
 * program's kernel stack and address space (CR3), and return to it by sysretq. `after_cr3` names a
 * macro run just after the CR3 write (the extra rows' work; none for the row itself). */
.macro YIELD name, after_cr3=
	.globl \name
\name:
	swapgs
	movq %rsp, %gs:PC_USER_RSP
	movq %gs:PC_KSTACK, %rsp
	pushq %gs:PC_USER_RSP
	pushq %rcx
	pushq %r11
	movq %gs:PC_CUR, %rax
	movq %rsp, P_KSP(%rax)
	movq P_OTHER(%rax), %rax
	movq %rax, %gs:PC_CUR
	movq P_KTOP(%rax), %rdx
	movq %rdx, %gs:PC_KSTACK
	movq P_CR3(%rax), %rdx
	movq %rdx, %cr3
	\after_cr3
	movq P_KSP(%rax), %rsp
	popq %r11
	popq %rcx
	popq %rsp
	swapgs
	sysretq
.endm

/* user_switch_touchN: read one byte of each of the first touch_count pages of touch_area (each
 * a TLB refill, the CR3 write having flushed TCG's TLB). rcx is on the stack already. */
.macro TOUCH_PAGES
	movl touch_count(%rip), %ecx
	leaq touch_area(%rip), %rdx
	testl %ecx, %ecx
	jz 2f
1:	movb (%rdx), %r8b
	addq $4096, %rdx
	decl %ecx
	jnz 1b
2:
.endm

/* user_switch_retN: ret_count calls of a bare `ret` from one call site: the first `ret` finds
 * TCG's TB jump cache empty (a CR3 write clears it), the others find their target in it. */
.macro CALL_RETS
	movl ret_count(%rip), %ecx
1:	call ret_stub
	decl %ecx
	jnz 1b
.endm

	YIELD yield_entry
	YIELD yield_touch_entry, TOUCH_PAGES
	YIELD yield_ret_entry, CALL_RETS
ret_stub:
	ret

/* map, unmap, copy: the same entry, then floor_call(rax, rdi) in C. */
	.globl call_entry
call_entry:
	swapgs
	movq %rsp, %gs:PC_USER_RSP
	movq %gs:PC_KSTACK, %rsp
	pushq %gs:PC_USER_RSP
	pushq %rcx
	pushq %r11
	subq $8, %rsp /* the C call wants a 16-byte aligned stack */
	movq %rdi, %rsi
	movl %eax, %edi
	call floor_call
	addq $8, %rsp
	popq %r11
	popq %rcx
	popq %rsp
	swapgs
	sysretq

/* enter_user(rip, rsp, cr3): run a user program until it executes `int $VEC_EXIT`. */
	.globl enter_user
enter_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, kernel_saved_rsp(%rip)
	movq %rdx, %cr3
	movq %rdi, %rcx
	movl $0x2, %r11d /* interrupts off in user mode too */
	movq %rsi, %rsp
	swapgs
	sysretq

	.globl exit_handler
exit_handler:
	swapgs
	movq kernel_saved_rsp(%rip), %rsp
	movq $pml4_k, %rax
	movq %rax, %cr3
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* task_switch: switch_stack(&save, new): callee-saved registers on this stack, the other's off. */
	.globl switch_stack
switch_stack:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* irq: the self-IPI's handler: EOI, mark it seen, iretq. irq_int: iretq alone. */
	.globl ipi_handler, int_handler
ipi_handler:
	movl $0, APIC_EOI
	movb $1, irq_seen(%rip)
	iretq
int_handler:
	iretq

/* Exceptions 0-31: report the vector and fail (a floor bug, never a figure). */
	.balign 16
	.globl exception_stubs
exception_stubs: /* one 16-byte stub per vector */
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if \v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30
	pushq $\v
	.else
	pushq $0
	pushq $\v
	.endif
	jmp exception_common
	.endr
exception_common:
	movq %rsp, %rdi
	andq $-16, %rsp
	call floor_exception

	.data
	.balign 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff /* 0x10 kernel data */
	.quad 0x00cff2000000ffff /* 0x18 user data */
	.quad 0x00affa000000ffff /* 0x20 user code, 64-bit */
	.quad 0, 0		 /* 0x28 the TSS, filled in by floor_main */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt
	.globl mb_info
mb_info:
	.long 0
kernel_saved_rsp:
	.quad 0

	.bss
	.balign 4096
	.globl pml4_k, pd_k
pml4_k:	.skip 4096
pdpt_k:	.skip 4096
pd_k:	.skip 4096
	.skip 16384
boot_stack_top:
