/**
 * @file string.h
 * @brief The C memory and string functions, which a freestanding kernel otherwise lacks.
 * @ingroup frame_string
 */
#ifndef FRAME_STRING_H
#define FRAME_STRING_H

#include <stddef.h>

/**
 * @defgroup frame_string Strings and memory
 * @brief `memcpy`, `strcmp` and friends with their standard C meaning.
 *
 * They work on the kernel's own memory (its variables, stack and heap objects). Pointers must
 * be valid for the lengths given, exactly as in standard C. All may be called from any context.
 * @{
 */

/**
 * @brief Copy bytes between two objects that do not overlap.
 * @param dst where to copy to; valid for @p n bytes.
 * @param src where to copy from; valid for @p n bytes, not overlapping @p dst.
 * @param n how many bytes.
 * @return @p dst.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);

/**
 * @brief Copy bytes between two objects that may overlap.
 * @param dst where to copy to; valid for @p n bytes.
 * @param src where to copy from; valid for @p n bytes.
 * @param n how many bytes.
 * @return @p dst.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void *memmove(void *dst, const void *src, size_t n);

/**
 * @brief Fill bytes with one value.
 * @param dst the first byte to set; valid for @p n bytes.
 * @param c the value, converted to `unsigned char`.
 * @param n how many bytes.
 * @return @p dst.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void *memset(void *dst, int c, size_t n);

/**
 * @brief Compare two byte ranges.
 * @param a the first range; valid for @p n bytes.
 * @param b the second range; valid for @p n bytes.
 * @param n how many bytes to compare.
 * @return Less than, equal to or greater than 0 as @p a sorts before, equal to or after @p b.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
int memcmp(const void *a, const void *b, size_t n);

/**
 * @brief The length of a string.
 * @param s a NUL-terminated string.
 * @return The number of characters before the NUL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t strlen(const char *s);

/**
 * @brief Compare two strings.
 * @param a a NUL-terminated string.
 * @param b a NUL-terminated string.
 * @return Less than, equal to or greater than 0 as @p a sorts before, equal to or after @p b.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
int strcmp(const char *a, const char *b);

/**
 * @brief Compare at most @p n characters of two strings.
 * @param a a string (NUL-terminated or at least @p n characters).
 * @param b a string (NUL-terminated or at least @p n characters).
 * @param n the most characters to compare.
 * @return As strcmp().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
int strncmp(const char *a, const char *b, size_t n);

/** @} */
#endif
