// Prints every boot fact, including the modules' sizes and FNV-1a hashes of their bytes.
#include <frame/frame.h>

static unsigned hash_module(size_t index)
{
	unsigned h = 2166136261u;
	unsigned char buf[256];
	size_t size = boot_module_size(index);
	for (size_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		boot_module_read(index, off, buf, n);
		for (size_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 16777619u;
	}
	return h;
}

void kernel_main(void)
{
	const char *cmdline = boot_cmdline();
	console_printf("loader: %s\n", boot_loader_name());
	console_printf("cmdline length: %zu\n", strlen(cmdline));
	console_printf("cmdline: [%s]\n", cmdline);
	for (size_t i = 0; i < boot_memory_region_count(); i++) {
		struct boot_memory_region r = boot_memory_region(i);
		console_printf("region: 0x%llx 0x%llx %s\n", (unsigned long long)r.base, (unsigned long long)r.length,
			       boot_memory_type_name(r.type));
	}
	console_printf("usable: %llu\n", (unsigned long long)boot_usable_memory());
	for (size_t i = 0; i < boot_module_count(); i++)
		console_printf("module: [%s] size %zu fnv %08x\n", boot_module_name(i), boot_module_size(i),
			       hash_module(i));
	struct boot_framebuffer fb;
	if (boot_framebuffer(&fb))
		console_printf("framebuffer: %ux%u type %d\n", fb.width, fb.height, (int)fb.type);
	console_printf("bootinfo: done\n");
}
