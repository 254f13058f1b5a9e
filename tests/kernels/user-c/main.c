// Shows what the SDK embedded for user/hello.c and user/musl/mhello.c: each an ELF64 x86-64 executable, its entry point
// and its size (an ELF loader runs it; this kernel only looks).
#include <frame/frame.h>
#include "user_programs.h"

static uint64_t le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i--;)
		v = v << 8 | p[i];
	return v;
}

static void show(const char *name, const unsigned char *e, size_t size)
{
	bool elf = size > 64 && e[0] == 0x7f && e[1] == 'E' && e[2] == 'L' && e[3] == 'F';
	console_printf("%s: %s, class %u, machine 0x%llx, type %llu, entry 0x%llx, %zu bytes\n", name,
		       elf ? "ELF" : "not ELF", e[4], (unsigned long long)le(e + 18, 2),
		       (unsigned long long)le(e + 16, 2), (unsigned long long)le(e + 24, 8), size);
}

void kernel_main(void)
{
	show("user/hello.c", user_elf_hello, user_elf_hello_size);
	show("user/musl/mhello.c", user_elf_mhello, user_elf_mhello_size);
}
