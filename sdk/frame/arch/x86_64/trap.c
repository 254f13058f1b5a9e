/* Trap dispatch: interrupts go to their handlers; a CPU exception in the kernel is fatal and becomes a panic report. */
#include "arch/x86_64/trap.h"
#include "panic_report.h"
#include "irq/irq.h"
#include "task/sched.h"
#include "user/user.h"
#include <stdbool.h>

static const char *const names[32][2] = {
	{"#DE", "divide error"},
	{"#DB", "debug"},
	{"NMI", "non-maskable interrupt"},
	{"#BP", "breakpoint"},
	{"#OF", "overflow"},
	{"#BR", "bound range exceeded"},
	{"#UD", "invalid opcode"},
	{"#NM", "device not available"},
	{"#DF", "double fault"},
	{"#CSO", "coprocessor segment overrun"},
	{"#TS", "invalid TSS"},
	{"#NP", "segment not present"},
	{"#SS", "stack-segment fault"},
	{"#GP", "general protection"},
	{"#PF", "page fault"},
	{"#15", "reserved"},
	{"#MF", "x87 floating-point error"},
	{"#AC", "alignment check"},
	{"#MC", "machine check"},
	{"#XM", "SIMD floating-point error"},
	{"#VE", "virtualization exception"},
	{"#CP", "control protection"},
	{"#22", "reserved"},
	{"#23", "reserved"},
	{"#24", "reserved"},
	{"#25", "reserved"},
	{"#26", "reserved"},
	{"#27", "reserved"},
	{"#HV", "hypervisor injection"},
	{"#VC", "VMM communication"},
	{"#SX", "security exception"},
	{"#31", "reserved"},
};

const char *exception_mnemonic(uint64_t vector)
{
	return vector < 32 ? names[vector][0] : "IRQ";
}
const char *exception_description(uint64_t vector)
{
	return vector < 32 ? names[vector][1] : "interrupt";
}

void trap_handler(struct trap_frame *tf)
{
	bool machine = tf->vector == 2 || tf->vector == 8 || tf->vector == 18; /* NMI, #DF, #MC */
	if ((tf->cs & 3) == 3 && !machine) /* from user mode: the program's doing, never the kernel's end */
		user_trap(tf);
	if (tf->vector >= 32) { /* an interrupt in the kernel: handle it, then maybe switch tasks */
		irq_dispatch(tf->vector);
		sched_irq_exit();
		return;
	}
	panic_exception(tf);
}
