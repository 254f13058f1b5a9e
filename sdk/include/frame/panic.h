/**
 * @file panic.h
 * @brief Stopping the kernel with an explanation.
 * @ingroup frame_panic
 */
#ifndef FRAME_PANIC_H
#define FRAME_PANIC_H

#include <frame/compiler.h>

/**
 * @defgroup frame_panic Panic
 * @brief Stop everything and print a report that says why and where.
 *
 * A panic prints a report on the console: the message, the source location, the current task,
 * the CPU registers and a backtrace of return addresses (each with its function name), then
 * ends the machine: under QEMU it exits with status 35 (see power_off()). The frame panics the
 * same way when it catches a CPU exception in the kernel (a null pointer dereference, a
 * division by zero, ...) or a broken precondition of one of its functions.
 *
 * The test harness turns each backtrace address into `function file:line`; by hand, run
 * `addr2line -f -i -e build/<kernel>.elf <address>`.
 * @{
 */

/**
 * @brief Stop the kernel with a formatted message and a report of where it happened.
 * @param ... a printf-style format string and its arguments.
 * @par Context
 * Any, including interrupt handlers and timer callbacks. Never returns.
 */
#define panic(...) panic_at(__FILE__, __LINE__, __func__, __VA_ARGS__)

/**
 * @brief Panic with a message naming @p cond if @p cond is true.
 * @param cond the condition that must never hold.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
#define panic_if(cond) \
	do { \
		if (cond) \
			panic("%s", "condition '" #cond "' is true"); \
	} while (0)

/**
 * @brief Check a documented precondition of a library function (a driver's, say): if @p cond
 * is false, panic with "<function>: <rule> (called from <caller>)".
 *
 * The frame checks its own functions this way. Use it at the top of each public function of a
 * client library, once per rule it documents, in that function itself: the caller it names is
 * the caller of the function it is written in.
 * @param cond what must hold.
 * @param ... the rule, as a printf-style format string and its arguments.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
#define precondition(cond, ...) \
	do { \
		if (__builtin_expect(!(cond), 0)) \
			panic_precondition(__func__, __builtin_return_address(0), __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/**
 * @brief The function behind precondition(): use the macro, which fills in the rest.
 * @param func the function whose precondition broke.
 * @param caller the return address into its caller.
 * @param file source file of the check.
 * @param line source line of the check.
 * @param fmt printf-style format of the rule.
 * @par Context
 * Any, including interrupt handlers and timer callbacks. Never returns.
 */
FRAME_NORETURN void panic_precondition(const char *func, void *caller, const char *file, int line, const char *fmt, ...)
	FRAME_PRINTF(5, 6);

/**
 * @brief The function behind panic(): use the macro, which fills in the location.
 * @param file source file of the caller.
 * @param line source line of the caller.
 * @param func function name of the caller.
 * @param fmt printf-style format.
 * @par Context
 * Any, including interrupt handlers and timer callbacks. Never returns.
 */
FRAME_NORETURN void panic_at(const char *file, int line, const char *func, const char *fmt, ...) FRAME_PRINTF(4, 5);

/** @} */
#endif
