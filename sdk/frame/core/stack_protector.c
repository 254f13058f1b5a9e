/*
 * The stack protector's runtime. GCC (-fstack-protector-strong, sdk/mk/flags.mk) gives every
 * function with a local array, or a local whose address is taken, a copy of __stack_chk_guard
 * between its locals and its saved frame pointer and return address, and compares it before
 * returning: a write past the end of a local array changes it, and __stack_chk_fail() reports
 * the function before the damaged return address is used. The frame and client code alike.
 */
#include <frame/log.h>
#include <frame/panic.h>
#include "arch/x86_64/x86.h"
#include "core/stack_protector.h"
#include "lib/ksyms.h"

/* Intel's DRNG guide: RDRAND may have no number ready for a moment; ten failures in a row mean
 * the generator is broken. */
#define RDRAND_TRIES 10

uint64_t __stack_chk_guard;
static const char *canary_source = "nothing (not chosen yet)";

/* splitmix64's finisher: every bit of the result depends on every bit of x. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A random number from RDRAND where CPUID says the CPU has it, else from the time stamp counter
 * (the cycles since power-on: different at every boot, but guessable by whoever can time the
 * boot). All ones counts as a failure too: some AMD CPUs return it, CF set, when their generator
 * broke after a suspend. */
static uint64_t boot_random(const char **source)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	if (c & CPUID_1_ECX_RDRAND) {
		for (int i = 0; i < RDRAND_TRIES; i++) {
			uint64_t v;
			if (rdrand64(&v) && v != ~0ull) {
				*source = "RDRAND";
				return v;
			}
		}
	}
	*source = "the TSC";
	return mix(rdtsc());
}

/* Not protected itself, like frame_main(): it is running when the canary changes (boot_random()
 * may be: it returns before the change). The canary's low byte is 0, as glibc's: a string
 * function that runs past the end of a local array stops at it instead of copying the canary out
 * (console_printf("%s") of a buffer that lost its NUL), and a string copy cannot write the canary
 * back over itself, since its 0 would end the copy. The price: 56 random bits, and an overrun by
 * exactly one NUL byte goes unseen. */
__attribute__((no_stack_protector)) void stack_protector_init(void)
{
	__stack_chk_guard = boot_random(&canary_source) & ~0xffull;
}

void stack_protector_log(void)
{
	log_debug("frame: stack protector canary 0x%016llx (from %s)", (unsigned long long)__stack_chk_guard,
		  canary_source);
}

void __stack_chk_fail(void)
{
	/* The return address is in the function whose check failed (GCC calls this at its end). */
	uint64_t ret = (uint64_t)__builtin_return_address(0), off;
	const char *func = ksym_lookup(ret - 1, &off);
	if (func)
		panic("stack smashing detected in %s: the canary after its local arrays was overwritten (a write "
		      "past the end of one?)",
		      func);
	panic("stack smashing detected in the function at 0x%llx: the canary after its local arrays was "
	      "overwritten (a write past the end of one?)",
	      (unsigned long long)ret);
}
