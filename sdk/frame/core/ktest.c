/* The in-kernel test runner: runs every KTEST() in link order and prints KTAP version 1. */
#include <frame/console.h>
#include <frame/irq.h> /* in_interrupt(), for the check in ktest_main() */
#include <frame/ktest.h>
#include <frame/power.h>
#include "check.h"
#include <stdbool.h>

extern const struct ktest __ktests_start[], __ktests_end[];

static const struct ktest *current;
static bool failed, skipped;

void ktest_fail(const char *expr, const char *file, int line)
{
	REQUIRE(current != NULL, "no test is running");
	console_printf("    # ASSERTION FAILED: %s at %s:%d\n", expr, file, line);
	failed = true;
}

void ktest_fail_eq(const char *a, const char *b, long long va, long long vb, const char *file, int line)
{
	REQUIRE(current != NULL, "no test is running");
	console_printf("    # ASSERTION FAILED: %s == %s at %s:%d\n", a, b, file, line);
	console_printf("    #   left:  %lld (0x%llx)\n    #   right: %lld (0x%llx)\n", va, (unsigned long long)va, vb,
		       (unsigned long long)vb);
	failed = true;
}

static const char *skip_reason;

void ktest_skip(const char *reason)
{
	REQUIRE(current != NULL, "no test is running");
	skipped = true;
	skip_reason = reason;
}

void ktest_main(void)
{
	REQUIRE(!in_interrupt(), "tests run in a task, not in interrupt context");
	REQUIRE(current == NULL, "ktest_main is already running (called from inside a test)");
	size_t total = (size_t)(__ktests_end - __ktests_start), passed = 0, nfailed = 0, nskipped = 0;
	console_printf("KTAP version 1\n1..%zu\n", total);
	for (size_t i = 0; i < total; i++) {
		current = &__ktests_start[i];
		failed = skipped = false;
		current->fn();
		if (failed) {
			console_printf("not ok %zu %s\n", i + 1, current->name);
			nfailed++;
		} else if (skipped) {
			console_printf("ok %zu %s # SKIP %s\n", i + 1, current->name, skip_reason);
			nskipped++;
		} else {
			console_printf("ok %zu %s\n", i + 1, current->name);
			passed++;
		}
	}
	current = NULL;
	console_printf("# ktest: %zu passed, %zu failed, %zu skipped\n", passed, nfailed, nskipped);
	power_off(nfailed ? POWER_EXIT_FAILURE : POWER_EXIT_SUCCESS);
}
