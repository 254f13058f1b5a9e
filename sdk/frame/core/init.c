/* The frame's boot sequence in C: boot.S calls frame_main() in long mode, on the boot stack. */
#include "lib/hot.h"
#include <frame/frame.h>
#include "arch/x86_64/cpu.h"
#include "core/cpu_local.h"
#include "boot/bootinfo.h"
#include "console/console.h"
#include "console/serial.h"
#include "irq/irq.h"
#include "io/io.h"
#include "irq/pic.h"
#include "iommu/iommu.h"
#include "mm/kasan.h"
#include "mm/kernel_area.h"
#include "pci/pci.h"
#include "task/sched.h"
#include "timer/clock.h"
#include "arch/x86_64/x86.h"
#include <frame/string.h>
#include "mm/frame_alloc.h"
#include "mm/heap.h"
#include "mm/kernel_map.h"
#include "mm/linear_map.h"
#include "mm/page_table.h"
#include "user/user.h"
#include "core/stack_protector.h"
#include "core/trace.h"

void frame_main(uint32_t magic, uint64_t info_phys);

HOT_DATA struct cpu_local cpu_local;

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Apply the frame's own command-line options (loglevel=...), words separated by blanks. */
static void apply_cmdline(const char *cmdline)
{
	static const char *const levels[] = {"error", "warn", "info", "debug"};
	for (const char *p = cmdline; *p; p++) {
		if ((p != cmdline && !blank(p[-1])) || strncmp(p, "loglevel=", 9))
			continue;
		const char *value = p + 9;
		size_t len = 0;
		while (value[len] && !blank(value[len]))
			len++;
		int level = -1;
		for (int l = LOG_ERROR; l <= LOG_DEBUG; l++)
			if (strlen(levels[l]) == len && !strncmp(value, levels[l], len))
				level = l;
		if (level >= 0)
			log_set_level((enum log_level)level);
		else
			log_warn("frame: loglevel=%.*s is not a level; give error, warn, info or debug (kept: %s)",
				 (int)(len > 64 ? 64 : len), value, levels[log_get_level()]);
	}
}

/* The client's constructors (kernel.ld collects them): the address sanitizer's registration of
 * each object's globals, and any the client wrote. */
static void run_constructors(void)
{
	extern void (*const __init_array_start[])(void), (*const __init_array_end[])(void);
	for (void (*const *c)(void) = __init_array_start; c < __init_array_end; c++)
		(*c)();
}

/* Not protected by the stack protector: frame_main() is running when stack_protector_init()
 * changes the canary, and would find its own copy (taken on entry) stale. What it calls starts
 * with the new canary; so it is chosen first, and every later step is protected. */
__attribute__((no_stack_protector)) void frame_main(uint32_t magic, uint64_t info_phys)
{
	stack_protector_init();		  // the canary every protected function checks
	serial_init();			  // console first, so every later step can report
	cpu_init();			  // GDT, TSS, IDT: CPU exceptions become panic reports
	pic_init();			  // the PIC off the exception vectors, masked
	io_isa_dma_off();		  // no ISA DMA: its controllers' ports are the frame's
	boot_info_init(magic, info_phys); // copy what the bootloader said
	apply_cmdline(boot_cmdline());	  // loglevel=...
	trace_init();			  // trace=off; the trace sent at power-off (make trace)
	stack_protector_log();		  // the canary, at loglevel=debug only
	boot_info_log();		  // the memory map's origin, at loglevel=debug only
	pt_init();			  // the cache types a page may have (write-combining)
	linear_map_init();		  // map all RAM, drop the identity map
	kernel_map_init();		  // W^X kernel image, a guard page under the stack
	frame_allocator_init();		  // every usable page frame, with its metadata
	user_cpu_init();		  // SYSCALL entry, the stack traps from user mode arrive on
	kernel_area_init();		  // 4 KiB mappings for task stacks and device registers
	kasan_init();			  // the address sanitizer's shadow of what clients own
	heap_init();			  // the heap's area: its page directories and maps
	irq_init();			  // local APIC; ISA lines through the IOAPIC or the PIC
	pci_init();			  // every PCI function, through ECAM or the legacy ports
	iommu_init();			  // DMA remapping, where the ACPI DMAR lists a unit
	clock_init();			  // the TSC (and APIC timer): CPUID or a reference clock
	sched_init();			  // this code becomes the task "main"; the idle task
	tick_start();			  // TIMER_HZ ticks a second: timers, sleeping, preemption
	sti();				  // interrupts on, from here for good
	log_debug("frame: booted by %s, %llu MiB usable", boot_loader_name(),
		  (unsigned long long)(boot_usable_memory() >> 20));
	console_input_init();  // typed bytes kept from here until console_on_input()
	run_constructors();    // the client's: the address sanitizer learns its globals
	kernel_main();	       // the client kernel
	sched_main_returned(); // every spawned task joined (power_off() stops them on purpose)
	power_off(POWER_EXIT_SUCCESS);
}
