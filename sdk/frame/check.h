/* Precondition checks for public functions: a violation panics naming the function, rule and caller. */
#ifndef FRAME_CHECK_H
#define FRAME_CHECK_H

#include <frame/compiler.h>

/*
 * REQUIRE(cond, "rule", ...): if cond is false, panic with
 * "<function>: <rule> (called from <caller symbol+offset>)". Use it at the top of every public
 * function, once per documented precondition. Must be used in the public function itself (not
 * a helper), so that the caller it reports is the client's code.
 */
#define REQUIRE(cond, ...) \
	do { \
		if (__builtin_expect(!(cond), 0)) \
			precondition_failed(__func__, __builtin_return_address(0), __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

FRAME_NORETURN void precondition_failed(const char *func, void *caller, const char *file, int line, const char *fmt,
					...) FRAME_PRINTF(5, 6);

#endif
