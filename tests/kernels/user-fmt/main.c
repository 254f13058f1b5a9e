// Embeds user/fmt.c (a user program in C) and says how big it is.
#include <frame/frame.h>
#include "user_programs.h"

void kernel_main(void)
{
	console_printf("user-fmt: %zu bytes\n", user_elf_fmt_size);
}
