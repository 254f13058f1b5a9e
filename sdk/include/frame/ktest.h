/**
 * @file ktest.h
 * @brief In-kernel unit tests that report in KTAP.
 * @ingroup frame_ktest
 */
#ifndef FRAME_KTEST_H
#define FRAME_KTEST_H

#include <frame/compiler.h>

/**
 * @defgroup frame_ktest In-kernel tests
 * @brief Unit tests that run inside the kernel and report in KTAP version 1.
 *
 * Declare a test anywhere in a kernel with KTEST(), check with KTEST_ASSERT() (stops the test)
 * or KTEST_EXPECT() (records and goes on), and call ktest_main() from `kernel_main()`. The
 * output looks like:
 * @code
 * KTAP version 1
 * 1..2
 * ok 1 addition
 *     # ASSERTION FAILED: 1 + 1 == 3 at main.c:12
 * not ok 2 wrong_sum
 * # ktest: 1 passed, 1 failed, 0 skipped
 * @endcode
 * The test harness turns each line into one pytest result (see harness/README.md).
 * @{
 */

/** @brief A registered test. Filled in by KTEST(); not to be created by hand. */
struct ktest {
	const char *name; /**< The test's name, as written in KTEST(). */
	void (*fn)(void); /**< Its body. */
	const char *file; /**< Where it is defined. */
	int line;	  /**< Line of the definition. */
};

/**
 * @brief Define and register a test: `KTEST(name) { ... }`.
 * @param name a C identifier; it names the test in the KTAP output.
 */
#define KTEST(name) \
	static void ktest_fn_##name(void); \
	static const struct ktest __ktest_##name \
		__attribute__((used, section(".ktests"), aligned(8))) = {#name, ktest_fn_##name, __FILE__, __LINE__}; \
	static void ktest_fn_##name(void)

/**
 * @brief Fail the test and leave it (`return`) if @p expr is false.
 * @param expr the condition that must hold; printed as written when it does not.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (while a test runs).
 */
#define KTEST_ASSERT(expr) \
	do { \
		if (!(expr)) { \
			ktest_fail(#expr, __FILE__, __LINE__); \
			return; \
		} \
	} while (0)

/**
 * @brief Fail the test and go on with it if @p expr is false.
 * @param expr the condition that should hold; printed as written when it does not.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (while a test runs).
 */
#define KTEST_EXPECT(expr) \
	do { \
		if (!(expr)) \
			ktest_fail(#expr, __FILE__, __LINE__); \
	} while (0)

/**
 * @brief Fail and leave the test unless the integers @p a and @p b are equal; prints both values.
 * @param a an integer expression.
 * @param b an integer expression.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (while a test runs).
 */
#define KTEST_ASSERT_EQ(a, b) \
	do { \
		long long ktest_a_ = (long long)(a), ktest_b_ = (long long)(b); \
		if (ktest_a_ != ktest_b_) { \
			ktest_fail_eq(#a, #b, ktest_a_, ktest_b_, __FILE__, __LINE__); \
			return; \
		} \
	} while (0)

/**
 * @brief Skip the rest of the test, reporting it as skipped with @p reason.
 * @param reason a string constant.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (while a test runs).
 */
#define KTEST_SKIP(reason) \
	do { \
		ktest_skip(reason); \
		return; \
	} while (0)

/**
 * @brief Run every registered test, print KTAP, and power off: success if none failed.
 * @par Panics
 * If called from inside a test.
 * @par Context
 * Tasks only, not interrupt context (panics): call it from `kernel_main()`. Never returns.
 */
FRAME_NORETURN void ktest_main(void);

/**
 * @brief Record a failed check (used by the KTEST_ macros).
 * @param expr the check as written.
 * @param file source file.
 * @param line source line.
 * @par Panics
 * If called while no test is running.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (while a test runs).
 */
void ktest_fail(const char *expr, const char *file, int line);

/**
 * @brief Record a failed equality check with both values (used by KTEST_ASSERT_EQ()).
 * @param a the left expression as written.
 * @param b the right expression as written.
 * @param va its value.
 * @param vb its value.
 * @param file source file.
 * @param line source line.
 * @par Panics
 * If called while no test is running.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (while a test runs).
 */
void ktest_fail_eq(const char *a, const char *b, long long va, long long vb, const char *file, int line);

/**
 * @brief Mark the running test as skipped (used by KTEST_SKIP()).
 * @param reason why.
 * @par Panics
 * If called while no test is running.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (while a test runs).
 */
void ktest_skip(const char *reason);

/** @} */
#endif
