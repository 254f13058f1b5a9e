/**
 * @file console.h
 * @brief Printing to the console (the serial port COM1).
 * @ingroup frame_console
 */
#ifndef FRAME_CONSOLE_H
#define FRAME_CONSOLE_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <stdarg.h>
#include <stddef.h>

/**
 * @defgroup frame_console Console
 * @brief Formatted output on the serial console.
 *
 * Everything the kernel prints goes to the first serial port, which QEMU shows on the terminal
 * (`make run`) and the test harness reads. Output is written synchronously: when a call returns,
 * the text has left the kernel. The printing functions may be called from any context, including
 * interrupt handlers and timer callbacks; console_on_input() only from a task.
 *
 * The format language is C's printf without floating point: `%d %i %u %x %X %o %p %s %c %%`,
 * flags `-0+ #`, width and precision (also `*`), and the length modifiers `hh h l ll z t j`.
 * The compiler checks every format string against its arguments, and the safe subset refuses
 * floating point in a kernel (it runs without FPU state). Any other conversion that reaches the
 * console anyway (through a `va_list`) prints `[unsupported conversion %f]` and the rest of the
 * format as it is: its argument's size is unknown, so no later argument can be read.
 * @{
 */

/**
 * @brief Print formatted text.
 * @param fmt printf-style format (checked at compile time); must not be NULL.
 * @return The number of characters printed.
 * @par Panics
 * If @p fmt is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t console_printf(const char *fmt, ...) FRAME_PRINTF(1, 2);

/**
 * @brief Print formatted text from a `va_list` (for your own printf-like wrappers).
 * @param fmt printf-style format; must not be NULL.
 * @param args the arguments for @p fmt.
 * @return The number of characters printed.
 * @par Panics
 * If @p fmt is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t console_vprintf(const char *fmt, va_list args) FRAME_PRINTF(1, 0);

/**
 * @brief Print @p len bytes exactly as given (no formatting; a `\n` still ends the line).
 * @param buf the bytes; must not be NULL unless @p len is 0.
 * @param len how many bytes to print.
 * @par Panics
 * If @p buf is NULL and @p len is not 0.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void console_write(const char *buf, size_t len);

/**
 * @brief How many bytes typed before console_on_input() the console keeps for the callback.
 * Bytes beyond them are dropped, and counted: console_on_input() logs a warning with the number.
 */
#define CONSOLE_INPUT_KEPT 256

/**
 * @brief What console_on_input() calls for each byte typed on the console.
 * @param ctx the pointer given to console_on_input().
 * @param c the byte received.
 */
typedef void (*console_input_fn)(void *ctx, char c);

/**
 * @brief Call `fn(ctx, c)` for every byte that arrives on the console (the serial port's receive
 * interrupt): what you type in the terminal of `make run` reaches your kernel.
 *
 * @p fn runs in interrupt context: it must not sleep; hand the byte to a task with a
 * semaphore or a wait queue.
 *
 * Nothing typed before is lost unnoticed: from boot on, the console keeps the first
 * #CONSOLE_INPUT_KEPT bytes that arrive while no callback is set, and @p fn gets them first, in
 * order and in interrupt context, right after this call returns. Bytes beyond those are dropped
 * and counted, and this call logs a warning with their number: `[WARN] console: 44 bytes typed
 * before console_on_input() were dropped (it keeps the first 256)`.
 * @param fn the function to call for each byte; it runs in interrupt context.
 * @param ctx passed to @p fn (may be NULL).
 * @retval ERR_OK from now on, typed bytes reach @p fn.
 * @retval ERR_BUSY a handler is installed already (there is one console).
 * @par Panics
 * If @p fn is NULL or in interrupt context.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err console_on_input(console_input_fn fn, void *ctx);

/** @} */
#endif
