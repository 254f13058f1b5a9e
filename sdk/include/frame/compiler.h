/**
 * @file compiler.h
 * @brief Attributes the public API uses to let the compiler check callers.
 * @ingroup frame_base
 */
#ifndef FRAME_COMPILER_H
#define FRAME_COMPILER_H

/**
 * @defgroup frame_base Base
 * @brief Attributes and conventions shared by every header.
 * @{
 */

/** @brief The caller must look at the result (errors are returned, and ignoring one is a compile error). */
#define FRAME_MUST_CHECK __attribute__((warn_unused_result))
/** @brief The function never returns. */
#define FRAME_NORETURN __attribute__((noreturn))
/** @brief printf-style format checking: argument @p fmt is the format, @p args the first variadic one. */
#define FRAME_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/** @} */
#endif
