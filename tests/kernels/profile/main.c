// Burns the CPU for about two seconds in two known functions, alternately: burn_a() runs four
// times as many rounds of the same loop as burn_b(), so a profile should find about 80% of the
// samples in burn_a() and 20% in burn_b() (tests/test_profile.py). Then it powers off.
#include <frame/frame.h>

#define ROUNDS 20000
#define RUN_NS 2000000000ull

static __attribute__((noinline)) uint64_t burn(uint64_t rounds, uint64_t x)
{
	for (uint64_t i = 0; i < rounds; i++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	return x;
}

static uint64_t __attribute__((noinline)) burn_a(uint64_t x)
{
	return burn(4 * ROUNDS, x);
}

static uint64_t __attribute__((noinline)) burn_b(uint64_t x)
{
	return burn(ROUNDS, x);
}

void kernel_main(void)
{
	console_printf("profile: burning\n");
	uint64_t start = time_now_ns(), x = 1, rounds = 0;
	while (time_now_ns() - start < RUN_NS) {
		x = burn_b(burn_a(x));
		rounds++;
	}
	console_printf("profile: %llu rounds (%llx)\n", (unsigned long long)rounds, (unsigned long long)x);
	power_off(POWER_EXIT_SUCCESS);
}
