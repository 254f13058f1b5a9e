/* For in-kernel tests: run a function in interrupt context (a timer callback) and wait for it. */
#ifndef FRAME_TESTS_RUN_IN_IRQ_H
#define FRAME_TESTS_RUN_IN_IRQ_H

/* Run fn in a timer callback and wait for it. Returns what fn returned (0: every check held),
 * or -1 if it did not run in interrupt context within a second. */
int run_in_irq(int (*fn)(void));

/* In such a fn: if expr is false, return the line of the check (KTEST_* cannot run there). */
#define IRQ_CHECK(expr) \
	do { \
		if (!(expr)) \
			return __LINE__; \
	} while (0)

#endif
