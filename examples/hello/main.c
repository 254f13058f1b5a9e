// hello: greets, shows what the bootloader said, and powers off.
#include <frame/frame.h>

void kernel_main(void)
{
	console_printf("Hello from the frame!\n");
	console_printf("bootloader: %s\n", boot_loader_name());
	console_printf("command line: \"%s\"\n", boot_cmdline());
	console_printf("usable memory: %llu KiB\n", (unsigned long long)(boot_usable_memory() / 1024));

	for (size_t i = 0; i < boot_memory_region_count(); i++) {
		struct boot_memory_region r = boot_memory_region(i);
		console_printf("  [0x%012llx, 0x%012llx) %s\n", (unsigned long long)r.base,
			       (unsigned long long)(r.base + r.length), boot_memory_type_name(r.type));
	}
	power_off(POWER_EXIT_SUCCESS);
}
