/*
 * The one boot entry: multiboot2 (GRUB) and PVH (QEMU -kernel, through the Xen ELF note below)
 * both land in _start32, which checks the CPU, builds early page tables, enters long mode and
 * calls frame_main(). There is no multiboot1 header on purpose: QEMU's -kernel prefers one to
 * the PVH note, and multiboot1 gives the kernel's file path glued to the command line.
 *
 * Early mapping, shared by three PML4 slots through one page directory (2 MiB pages):
 *   identity       0x0000000000000000 .. +1 GiB  (removed once frame_main runs)
 *   linear map     0xffff800000000000 .. +1 GiB  (extended to all RAM by mm/linear_map.c)
 *   kernel image   0xffffffff80000000 .. +1 GiB
 */
#include "layout.h"

#define MB2_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC 0x36d76289
#define PVH_START_MAGIC 0x336ec578 /* struct hvm_start_info's magic; passed on as the boot magic */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define FRAMEBUFFER_WIDTH 1024
#define FRAMEBUFFER_HEIGHT 768
#define FRAMEBUFFER_DEPTH 32

#define PHYS(x) ((x) - KERNEL_BASE)
#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

	.section .boot.header, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0 /* i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
	.balign 8 /* entry address tag: GRUB jumps to the physical entry */
	.short 3, 0
	.long 12
	.long PHYS(_start32)
	.balign 8 /* framebuffer tag, optional: a linear 1024x768 mode in 32 bits if GRUB can */
	.short 5, 1
	.long 20
	.long FRAMEBUFFER_WIDTH, FRAMEBUFFER_HEIGHT, FRAMEBUFFER_DEPTH
	.balign 8
	.short 0, 0 /* end tag */
	.long 8
mb2_header_end:


/* The PVH entry (x86/HVM direct boot ABI): a loader that reads it (QEMU -kernel, whose pvh.bin
 * option ROM fills struct hvm_start_info) jumps to the physical _start32 in 32-bit protected
 * mode, paging off, EBX = the start info's physical address; EAX is undefined. */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4 /* name size: "Xen" and its NUL */
	.long 8 /* descriptor size */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad PHYS(_start32) /* QEMU reads the descriptor as a 64-bit value in an ELF64 */

	.section .boot.text, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	movl $PHYS(boot_stack_top), %esp
	movl %eax, %edi /* boot magic, kept for frame_main */
	movl %ebx, %esi /* boot info physical address */

	cmpl $MB2_BOOT_MAGIC, %eax
	je 1f
	cmpl $PVH_START_MAGIC, (%ebx) /* PVH: no magic in EAX, the start info begins with one */
	jne 0f
	movl $PVH_START_MAGIC, %edi
	jmp 1f
0:	movl $PHYS(msg_magic), %eax
	cmpl $PHYS(_start32), %ecx /* QEMU's PVH ROM jumps with ECX = the entry: its start info is gone */
	jne early_panic
	movl $PHYS(msg_pvh_cmdline), %eax
	jmp early_panic
1:
	movl $0x80000000, %eax /* extended CPUID leaves present? */
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx /* LM */
	jz no_long_mode
	movl %edx, %ebp /* remember NX (bit 20) */

	/* One page directory of 2 MiB pages covers the first GiB. */
	movl $PHYS(early_pd), %ebx
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax /* present, writable, huge */
	movl %eax, (%ebx, %ecx, 8)
	movl $0, 4(%ebx, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jb 2b

	movl $(PHYS(early_pd) + 3), PHYS(early_pdpt_low)
	movl $(PHYS(early_pd) + 3), PHYS(early_pdpt_high) + 510 * 8
	movl $(PHYS(early_pdpt_low) + 3), PHYS(boot_pml4)
	movl $(PHYS(early_pdpt_low) + 3), PHYS(boot_pml4) + 256 * 8
	movl $(PHYS(early_pdpt_high) + 3), PHYS(boot_pml4) + 511 * 8

	movl %cr4, %eax
	orl $((1 << 5) | (1 << 7)), %eax /* PAE, PGE */
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx /* EFER */
	rdmsr
	orl $(1 << 8), %eax /* LME */
	testl $(1 << 20), %ebp
	jz 3f
	orl $(1 << 11), %eax /* NXE */
3:	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
	movl %eax, %cr0

	lgdt PHYS(early_gdt_ptr)
	ljmp $0x08, $PHYS(start64_low)

no_long_mode:
	movl $PHYS(msg_long_mode), %eax
	/* fall through */

/*
 * Report a failure before any C runs: print "PANIC: <msg>" on COM1 by polling, then leave
 * through isa-debug-exit with the failure code (QEMU exit status 35), else halt.
 * In: %eax = physical address of a NUL-terminated message.
 */
early_panic:
	movl %eax, %esi
	movl $PHYS(msg_panic), %eax
	call early_puts
	movl %esi, %eax
	call early_puts
	movl $PHYS(msg_end), %eax
	call early_puts
	movw $DEBUG_EXIT_PORT, %dx
	movb $0x11, %al
	outb %al, %dx
4:	hlt
	jmp 4b

/* In: %eax = physical address of a string. Clobbers %eax, %ebx, %ecx, %edx. */
early_puts:
	movl %eax, %ebx
5:	movb (%ebx), %cl
	testb %cl, %cl
	jz 7f
	movw $(COM1 + 5), %dx /* wait for the transmit holding register */
6:	inb %dx, %al
	testb $0x20, %al
	jz 6b
	movw $COM1, %dx
	movb %cl, %al
	outb %al, %dx
	incl %ebx
	jmp 5b
7:	ret

	.code64
start64_low:
	movabsq $start64, %rax /* leave the identity map for the higher half */
	jmp *%rax

	.text
	.globl start64
	.type start64, @function
start64:
	.cfi_startproc
	.cfi_undefined rip /* the bottom of every backtrace */
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl %edi, %edi /* upper halves are undefined after the mode switch */
	movl %esi, %esi
	call frame_main
	ud2
	.cfi_endproc
	.size start64, . - start64

	.section .rodata
	.balign 8
early_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
early_gdt_end:
early_gdt_ptr:
	.short early_gdt_end - early_gdt - 1
	.long PHYS(early_gdt)
msg_panic:
	.asciz "PANIC: "
msg_end:
	.asciz "\n  at boot (before the console)\nend of panic report\n"
msg_magic:
	.asciz "boot: not started by a known loader (neither a multiboot2 magic in EAX nor a PVH start info at EBX); boot with GRUB multiboot2 or qemu -kernel"
msg_pvh_cmdline:
	.asciz "boot: QEMU's PVH start info at EBX is overwritten, as QEMU's PVH boot does with a command line over its limit of 4095 bytes; shorten the -append line"
msg_long_mode:
	.asciz "boot: this CPU has no 64-bit long mode; the frame needs an x86-64 CPU (try qemu -cpu max)"

	.section .bss
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.skip 4096
	.globl early_pdpt_low
early_pdpt_low:
	.skip 4096
	.globl early_pdpt_high
early_pdpt_high:
	.skip 4096
	.globl early_pd
early_pd:
	.skip 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard: /* left unmapped by mm/kernel_map.c: an overflow faults here */
	.skip 4096
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
