/* The memory and string functions the compiler may call on its own (memcpy, memset, ...). */
#include <frame/string.h>
#include "mm/kasan.h"
#include <stddef.h>
#include <stdint.h>

/* rep movsb / rep stosb: fast on every x86-64 CPU since Ivy Bridge ("enhanced rep movsb"). */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	CLIENT_WRITES(dst, n);
	CLIENT_READS(src, n);
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n)::"memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	CLIENT_WRITES(dst, n);
	CLIENT_READS(src, n);
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--) /* overlapping, destination above: copy backwards */
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	CLIENT_WRITES(dst, n);
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	CLIENT_READS(a, n);
	CLIENT_READS(b, n);
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	CLIENT_READS(s, n + 1);
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}
