/* In-kernel tests of the printf engine (lib/format.c). */
#include <frame/ktest.h>
#include <frame/string.h>
#include "lib/format.h"

static char out[128];

/* The two tests below feed the engine what the compiler's format check would reject. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

#define FORMATS_AS(expected, ...) \
	do { \
		format_buf(out, sizeof(out), __VA_ARGS__); \
		if (strcmp(out, expected)) \
			ktest_fail("\"" expected "\" == \"" #__VA_ARGS__ "\"", __FILE__, __LINE__); \
	} while (0)

KTEST(format_integers)
{
	FORMATS_AS("42 -7 0", "%d %i %u", 42, -7, 0u);
	FORMATS_AS("ff FF 0xff 777", "%x %X %#x %o", 255u, 255u, 255u, 0777u);
	FORMATS_AS("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
	FORMATS_AS("18446744073709551615", "%llu", 18446744073709551615ULL);
	FORMATS_AS("  42|42  |00042|+42", "%4d|%-4d|%05d|%+d", 42, 42, 42, 42);
	FORMATS_AS("007|    7", "%.3d|%*d", 7, 5, 7);
	FORMATS_AS("-1 255 65535", "%hhd %hhu %hu", -1, 255, 65535);
}

KTEST(format_strings_and_pointers)
{
	FORMATS_AS("abc|  abc|abc  |ab", "%s|%5s|%-5s|%.2s", "abc", "abc", "abc", "abc");
	FORMATS_AS("(null)", "%s", (const char *)0);
	FORMATS_AS("x%", "%c%%", 'x');
	FORMATS_AS("0x0000000000001000", "%p", (void *)(unsigned long)4096);
}

KTEST(format_truncates_and_counts)
{
	char small[4];
	size_t n = format_buf(small, sizeof(small), "%s", "abcdef");
	KTEST_ASSERT_EQ(n, 6);
	KTEST_ASSERT(strcmp(small, "abc") == 0);
	KTEST_ASSERT_EQ(format_buf(out, sizeof(out), "[%016llx]", 0x46ull), 18); /* zero padding counts */
}

KTEST(format_unknown_conversion_is_visible)
{
	FORMATS_AS("[unsupported conversion %q]", "%q");
	/* no floating point: the rest is printed as it is, since no later argument can be found */
	FORMATS_AS("x=[unsupported conversion %8.3f] y=%d\n", "x=%8.3f y=%d\n", 1, 2);
	FORMATS_AS("1 [unsupported conversion %]", "%d %", 1);
	KTEST_ASSERT_EQ(format_buf(out, sizeof(out), "%e!"), 28);
}
