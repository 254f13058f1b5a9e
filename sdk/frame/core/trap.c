/* Where every trap goes (from arch/x86_64/trap.S): a trap from user mode back to the kernel
 * that ran the program, an interrupt to its handler, a CPU exception in the kernel to a panic. */
#include "lib/hot.h"
#include "arch/x86_64/trap.h"
#include "core/panic_report.h"
#include "irq/irq.h"
#include "task/sched.h"
#include "user/user.h"
#include <stdbool.h>

HOT_PATH void trap_handler(struct trap_frame *tf)
{
	bool machine = tf->vector == VECTOR_NMI || tf->vector == VECTOR_DF || tf->vector == VECTOR_MC;
	if ((tf->cs & 3) == 3 && tf->vector == VECTOR_NM && user_trap_nm())
		return; /* the program's first floating-point instruction: it has the registers now */
	if ((tf->cs & 3) == 3 && !machine) /* from user mode: the program's doing, never the kernel's end */
		user_trap(tf);
	if (tf->vector >= VECTOR_FIRST_IRQ) { /* an interrupt in the kernel: handle it, then maybe switch tasks */
		irq_dispatch(tf->vector);
		sched_irq_exit();
		return;
	}
	panic_exception(tf);
}
