/* Constants the floor kernel's assembly and C share. */
#ifndef FLOOR_H
#define FLOOR_H

#define ROUNDS 1001 /* runs per row; the median is printed */

/* Segment selectors (boot.S's GDT). STAR: SYSCALL loads 0x08/0x10, SYSRET 0x23/0x1b. */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS 0x1b
#define USER_CS 0x23
#define TSS_SEL 0x28

/* Interrupt vectors. */
#define VEC_IPI 0x50  /* the local APIC's self-IPI: EOI and iretq */
#define VEC_INT 0x51  /* `int $0x51`: iretq alone */
#define VEC_EXIT 0x81 /* a user program's way back to the kernel (DPL 3) */

/* The local APIC's page, mapped at the top of the identity-mapped first GiB (a 2 MiB page). */
#define APIC_PHYS 0xfee00000
#define APIC_VIRT 0x3fe00000
#define APIC_EOI (APIC_VIRT + 0xb0)

/* A user address space: PML4 slot 1 (512 GiB up), one page table; page slots in it. */
#define USER_BASE 0x8000000000
#define USER_CODE (USER_BASE + 0x0000)	    /* the .user section, read and execute */
#define USER_STACK_TOP (USER_BASE + 0x5000) /* one page at 0x4000 */
#define USER_SAMPLES (USER_BASE + 0x8000)   /* ROUNDS timestamps deltas, two pages */
#define USER_BUF (USER_BASE + 0xc000)	    /* the 4 KiB that copy_from_user_4k hands over */
#define USER_SLOT (USER_BASE + 0x10000)	    /* where the "map" system call maps a fresh page */

/* System call numbers of call_entry (the floor's one C-dispatched entry). */
#define SYS_MAP 1
#define SYS_UNMAP 2
#define SYS_COPY 3

/* struct percpu (at GS base in the kernel) and struct proc field offsets. */
#define PC_KSTACK 0
#define PC_USER_RSP 8
#define PC_CUR 16
#define P_KSP 0
#define P_KTOP 8
#define P_CR3 16
#define P_OTHER 24

#endif
