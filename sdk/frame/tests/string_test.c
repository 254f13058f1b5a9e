/* The frame's memory functions (lib/string.c): words, then a byte tail, at every alignment. */
#include <frame/ktest.h>
#include <frame/string.h>
#include <stdint.h>

static uint8_t src[160], dst[160];

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

KTEST(memcpy_copies_every_length_at_every_alignment)
{
	for (size_t so = 0; so < 8; so++)
		for (size_t d_o = 0; d_o < 8; d_o++)
			for (size_t n = 0; n <= 70; n++) {
				fill(src, sizeof(src), (uint8_t)n);
				memset(dst, 0xee, sizeof(dst));
				KTEST_ASSERT(memcpy(dst + d_o, src + so, n) == dst + d_o);
				for (size_t i = 0; i < sizeof(dst); i++) {
					uint8_t want = i >= d_o && i < d_o + n ? src[so + i - d_o] : 0xee;
					KTEST_ASSERT_EQ(dst[i], want); /* nothing before or after the range */
				}
			}
}

KTEST(memset_sets_every_length_at_every_alignment)
{
	for (size_t o = 0; o < 8; o++)
		for (size_t n = 0; n <= 70; n++) {
			memset(dst, 0x11, sizeof(dst));
			KTEST_ASSERT(memset(dst + o, 0x1a5, n) == dst + o); /* the int's low byte counts */
			for (size_t i = 0; i < sizeof(dst); i++)
				KTEST_ASSERT_EQ(dst[i], i >= o && i < o + n ? 0xa5 : 0x11);
		}
}

KTEST(memmove_handles_overlap_both_ways)
{
	for (size_t shift = 1; shift < 20; shift++) {
		fill(src, sizeof(src), 3);
		memcpy(dst, src, sizeof(dst));
		memmove(dst + shift, dst, 100); /* destination above: copied backwards */
		for (size_t i = 0; i < 100; i++)
			KTEST_ASSERT_EQ(dst[shift + i], src[i]);
		memcpy(dst, src, sizeof(dst));
		memmove(dst, dst + shift, 100); /* destination below */
		for (size_t i = 0; i < 100; i++)
			KTEST_ASSERT_EQ(dst[i], src[shift + i]);
	}
}
