/*
 * The SDK's user runtime: formatted output to a file descriptor. Conversions: %d %i %u %x %X %o
 * %c %s %p %%, with flags -, 0, width, precision and the length modifiers hh h l ll z. There is
 * no %f: a program may compute with double, and print it with musl's printf.
 */
#ifndef USER_STDIO_H
#define USER_STDIO_H

#include <stdarg.h>
#include <stddef.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int puts(const char *s);
int putchar(int c);

#endif
