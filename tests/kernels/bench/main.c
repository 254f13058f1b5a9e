// Prints the frame's benchmark figures ("bench: ..." lines) and powers off.
#include <frame/frame.h>

void frame_bench_run(void); // in the frame's test objects, linked by tests/kernels/bench/Makefile

void kernel_main(void)
{
	frame_bench_run();
}
