/* The virtual memory layout, shared by the assembly entry, the C code and the linker script. */
#ifndef FRAME_ARCH_LAYOUT_H
#define FRAME_ARCH_LAYOUT_H

#ifdef __ASSEMBLER__
#define LAYOUT_UL(x) x
#else
#define LAYOUT_UL(x) x##UL
#endif

/* The kernel image: physical address + KERNEL_BASE (the top 2 GiB, -mcmodel=kernel). */
#define KERNEL_BASE LAYOUT_UL(0xffffffff80000000)
/* Where the kernel image is loaded in physical memory. */
#define KERNEL_PHYS LAYOUT_UL(0x200000)
/* All physical memory: physical address + LINEAR_BASE (PML4 slot 256, the kernel half). */
#define LINEAR_BASE LAYOUT_UL(0xffff800000000000)
/* How much physical memory the linear map can cover (one PDPT of 2 MiB-page directories). */
#define LINEAR_MAX_GIB 64
/* The most the kernel image (text to end of bss) may span; kernel.ld checks it. */
#define KERNEL_IMAGE_MAX (8 * 1024 * 1024)
/* The stack frame_main and kernel_main run on. */
#define BOOT_STACK_SIZE (32 * 1024)
/* The stack CPU exceptions that must not trust the current stack (double fault, NMI) run on. */
#define IST_STACK_SIZE (8 * 1024)

#endif
