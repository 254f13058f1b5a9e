// coverage: one branch taken, one never (tests/test_coverage.py finds the lines by their markers).
#include <frame/frame.h>

static unsigned count(unsigned n)
{
	unsigned taken = 0;
	for (unsigned i = 0; i < n; i++)
		taken++; // COVERAGE: taken
	return taken;
}

void kernel_main(void)
{
	unsigned taken = count(3);
	if (taken == 0)
		console_printf("coverage: never\n"); // COVERAGE: never
	else
		console_printf("coverage: taken %u times\n", taken); // COVERAGE: once
	power_off(POWER_EXIT_SUCCESS);
}
