/* The frame's boot sequence in C: boot.S calls frame_main() in long mode, on the boot stack. */
#include <frame/frame.h>
#include "arch/x86_64/cpu.h"
#include "core/cpu_local.h"
#include "boot/bootinfo.h"
#include "console/serial.h"
#include "irq/irq.h"
#include "io/io.h"
#include "irq/pic.h"
#include "iommu/iommu.h"
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

void frame_main(uint32_t magic, uint64_t info_phys);

struct cpu_local cpu_local;

/* Apply the frame's own command-line options (loglevel=...). */
static void apply_cmdline(const char *cmdline)
{
	static const char *const levels[] = {"error", "warn", "info", "debug"};
	for (const char *p = cmdline; *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || strncmp(p, "loglevel=", 9))
			continue;
		for (int l = LOG_ERROR; l <= LOG_DEBUG; l++) {
			size_t n = strlen(levels[l]);
			if (!strncmp(p + 9, levels[l], n) && (p[9 + n] == ' ' || !p[9 + n]))
				log_set_level((enum log_level)l);
		}
	}
}

void frame_main(uint32_t magic, uint64_t info_phys)
{
	serial_init();			  // console first, so every later step can report
	cpu_init();			  // GDT, TSS, IDT: CPU exceptions become panic reports
	pic_init();			  // the PIC off the exception vectors, masked
	io_isa_dma_off();		  // no ISA DMA: its controllers' ports are the frame's
	boot_info_init(magic, info_phys); // copy what the bootloader said
	apply_cmdline(boot_cmdline());	  // loglevel=...
	pt_init();			  // the cache types a page may have (write-combining)
	linear_map_init();		  // map all RAM, drop the identity map
	kernel_map_init();		  // W^X kernel image, a guard page under the stack
	frame_allocator_init();		  // every usable page frame, with its metadata
	user_cpu_init();		  // SYSCALL entry, the stack traps from user mode arrive on
	kernel_area_init();		  // 4 KiB mappings for task stacks and device registers
	heap_init();			  // the heap's area: its page directories and maps
	irq_init();			  // local APIC; ISA lines through the IOAPIC or the PIC
	pci_init();			  // every PCI function, through ECAM or the legacy ports
	iommu_init();			  // DMA remapping, where the ACPI DMAR lists a unit
	clock_init();			  // the TSC (and APIC timer) measured against the PIT
	sched_init();			  // this code becomes the task "main"; the idle task
	tick_start();			  // TIMER_HZ ticks a second: timers, sleeping, preemption
	sti();				  // interrupts on, from here for good
	log_debug("frame: booted by %s, %llu MiB usable", boot_loader_name(),
		  (unsigned long long)(boot_usable_memory() >> 20));
	kernel_main(); // the client kernel
	power_off(POWER_EXIT_SUCCESS);
}
