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

/** @brief Copy @p n bytes from @p src to @p dst (which must not overlap). @return @p dst. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
/** @brief Copy @p n bytes from @p src to @p dst; the ranges may overlap. @return @p dst. */
void *memmove(void *dst, const void *src, size_t n);
/** @brief Set @p n bytes at @p dst to the byte @p c. @return @p dst. */
void *memset(void *dst, int c, size_t n);
/** @brief Compare @p n bytes. @return <0, 0 or >0 as @p a sorts before, equal to or after @p b. */
int memcmp(const void *a, const void *b, size_t n);
/** @brief The length of the string @p s, without its NUL. @return The length. */
size_t strlen(const char *s);
/** @brief Compare two strings. @return <0, 0 or >0 as @p a sorts before, equal to or after @p b. */
int strcmp(const char *a, const char *b);
/** @brief Compare at most @p n characters of two strings. @return As strcmp(). */
int strncmp(const char *a, const char *b, size_t n);

/** @} */
#endif
