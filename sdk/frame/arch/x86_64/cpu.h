/* CPU tables (GDT, TSS, IDT) and the stacks the CPU switches to by itself. */
#ifndef FRAME_ARCH_CPU_H
#define FRAME_ARCH_CPU_H

#include <stdbool.h>
#include <stdint.h>

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_DATA (0x18 | 3)
#define SEL_USER_CODE (0x20 | 3)
#define SEL_TSS 0x28

void cpu_init(void);
/* The stack the CPU switches to when a trap arrives from user mode (TSS.rsp0). */
void cpu_set_kernel_stack(uint64_t rsp0);

/* The user programs' extended state, as cpu_init() set it up: the XSAVE feature mask (XCR0: x87,
 * SSE, and AVX where the CPU has it), or 0 where the CPU has no XSAVE and FXSAVE keeps x87 and
 * SSE; and the MXCSR bits the CPU accepts (a restore with any other set would fault). */
extern uint64_t cpu_xsave_mask;
extern uint32_t cpu_mxcsr_mask;

#endif
