// Prints the frame's benchmark figures ("bench: ..." lines) and powers off.
#include <frame/frame.h>

#include "user_programs.h"

// In the frame's test objects, linked by tests/kernels/bench/Makefile.
void frame_bench_run(const unsigned char *null_syscall, size_t size, uint64_t base);

void kernel_main(void)
{
	frame_bench_run(user_program_null_syscall, user_program_null_syscall_size, USER_PROGRAM_BASE);
}
