/* In-kernel tests of the kernel heap (mm/heap.c): sizes, alignment, zeroing, reuse, big blocks,
 * the ring of its area, running out of memory and giving every page back. */
#include <frame/console.h>
#include <frame/heap.h>
#include <frame/ktest.h>
#include <frame/mm.h>
#include <frame/string.h>
#include "arch/x86_64/x86.h"
#include "mm/heap.h"
#include "mm/page_table.h"
#include "tests/run_in_irq.h"
#include <stdbool.h>
#include <stdint.h>

static const size_t sizes[] = {0,   1,	 7,   8,   15,	 16,   17,   31,   32,	 33,   48,   63,   100,	 255,
			       256, 497, 640, 999, 1000, 1328, 2000, 2001, 3000, 4079, 4080, 4081, 8192, 20000};
#define SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* Block i's bytes: a pattern that differs between neighbours and along the block. */
static unsigned char pattern(size_t i, size_t k)
{
	return (unsigned char)(i * 37 + k * 11 + 1);
}

static void fill(unsigned char *p, size_t i, size_t size)
{
	for (size_t k = 0; k < size; k++)
		p[k] = pattern(i, k);
}

static bool intact(const unsigned char *p, size_t i, size_t size)
{
	for (size_t k = 0; k < size; k++)
		if (p[k] != pattern(i, k))
			return false;
	return true;
}

KTEST(heap_blocks_of_every_size_keep_their_data)
{
	size_t frames = frame_free_count();
	struct heap_stats before = heap_stats();
	unsigned char *blocks[SIZES];
	for (size_t i = 0; i < SIZES; i++) {
		blocks[i] = heap_alloc(sizes[i]);
		KTEST_ASSERT(blocks[i] != NULL);
		KTEST_ASSERT_EQ((uintptr_t)blocks[i] % 16, 0);
		fill(blocks[i], i, sizes[i]);
	}
	KTEST_ASSERT_EQ(heap_stats().blocks, before.blocks + SIZES);
	for (size_t i = 0; i < SIZES; i++) /* no block overlaps another */
		KTEST_EXPECT(intact(blocks[i], i, sizes[i]));
	for (size_t i = 0; i < SIZES; i++)
		heap_free(blocks[i]);
	struct heap_stats after = heap_stats();
	KTEST_ASSERT_EQ(after.blocks, before.blocks);
	KTEST_ASSERT_EQ(after.bytes, before.bytes);
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

KTEST(heap_aligned_blocks_start_at_their_alignment)
{
	static const size_t asks[] = {1, 24, 100, 1000, 2000, 5000};
	size_t frames = frame_free_count();
	for (size_t align = 1; align <= PAGE_SIZE; align *= 2) {
		for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
			unsigned char *p = heap_alloc_aligned(asks[i], align);
			unsigned char *q = heap_alloc_aligned(asks[i], align); /* not the first slot of its page */
			KTEST_ASSERT(p && q);
			KTEST_ASSERT_EQ((uintptr_t)p % align, 0);
			KTEST_ASSERT_EQ((uintptr_t)q % align, 0);
			fill(p, 1, asks[i]);
			fill(q, 2, asks[i]);
			KTEST_EXPECT(intact(p, 1, asks[i]) && intact(q, 2, asks[i]));
			heap_free(q);
			heap_free(p);
		}
	}
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

KTEST(heap_neighbours_keep_their_data_across_frees)
{
	enum { N = 300 };
	static unsigned char *blocks[N];
	for (size_t i = 0; i < N; i++) {
		size_t size = 8 + i % 50;
		blocks[i] = heap_alloc(size);
		KTEST_ASSERT(blocks[i] != NULL);
		fill(blocks[i], i, size);
	}
	for (size_t i = 0; i < N; i += 2) { /* free every other block, then fill the holes again */
		heap_free(blocks[i]);
		blocks[i] = heap_alloc(8 + i % 50);
		KTEST_ASSERT(blocks[i] != NULL);
		fill(blocks[i], i + 1000, 8 + i % 50);
	}
	for (size_t i = 0; i < N; i++)
		KTEST_EXPECT(intact(blocks[i], i % 2 ? i : i + 1000, 8 + i % 50));
	for (size_t i = 0; i < N; i++)
		heap_free(blocks[i]);
}

struct sample {
	int id;
	char name[20];
	struct sample *next;
};

struct cache_line {
	_Alignas(64) uint64_t words[8];
};

static bool all_zero(const void *p, size_t size)
{
	for (size_t k = 0; k < size; k++)
		if (((const unsigned char *)p)[k])
			return false;
	return true;
}

KTEST(heap_zeroed_blocks_are_zero)
{
	for (size_t i = 0; i < SIZES; i++) {
		unsigned char *dirty = heap_alloc(sizes[i]); /* leave junk where the zeroed block will be */
		KTEST_ASSERT(dirty != NULL);
		memset(dirty, 0xff, sizes[i]);
		heap_free(dirty);
		unsigned char *p = heap_zalloc(sizes[i]);
		KTEST_ASSERT(p != NULL);
		KTEST_EXPECT(all_zero(p, sizes[i]));
		heap_free(p);
	}
	struct sample *s = HEAP_NEW(struct sample);
	struct cache_line *line = HEAP_NEW(struct cache_line);
	uint64_t *v = HEAP_NEW_ARRAY(uint64_t, 1000);
	KTEST_ASSERT(s && line && v);
	KTEST_EXPECT(all_zero(s, sizeof(*s)) && all_zero(line, sizeof(*line)) && all_zero(v, 1000 * sizeof(*v)));
	KTEST_EXPECT((uintptr_t)line % 64 == 0);
	heap_free(v);
	heap_free(line);
	heap_free(s);
}

KTEST(heap_new_array_with_an_overflowing_count_is_null)
{
	size_t before = heap_stats().blocks;
	volatile size_t quarter = SIZE_MAX / 4, max = SIZE_MAX; /* constants would not compile (GCC sees them) */
	uint64_t *v = HEAP_NEW_ARRAY(uint64_t, quarter);	/* SIZE_MAX / 4 * 8 wraps around */
	KTEST_EXPECT(v == NULL);
	struct sample *s = HEAP_NEW_ARRAY(struct sample, max / sizeof(struct sample) + 1);
	KTEST_EXPECT(s == NULL);
	char *huge = heap_alloc(max); /* no wrap, just more than there is */
	KTEST_EXPECT(huge == NULL);
	char *none = HEAP_NEW_ARRAY(char, 0); /* a block of its own, holding nothing */
	KTEST_EXPECT(none != NULL);
	heap_free(none);
	KTEST_ASSERT_EQ(heap_stats().blocks, before);
}

KTEST(heap_freed_blocks_are_junk_and_wait_in_quarantine)
{
	enum { N = HEAP_QUARANTINE, MORE = 4 * HEAP_QUARANTINE };
	static char *a[2 * N + 2], *b[MORE];
	char *p = heap_alloc(40);
	KTEST_ASSERT(p != NULL);
	for (size_t i = 0; i < 2 * N + 2; i++) { /* p's neighbours, in the same size class */
		a[i] = heap_alloc(40);
		KTEST_ASSERT(a[i] != NULL);
	}
	memset(p, 'x', 40);
	const unsigned char *volatile freed =
		(const unsigned char *)p; /* read after the free: GCC rightly warns about p */
	heap_free(p);
	for (size_t i = 1; i < 2 * N - 2; i += 2) /* N - 1 frees after p's; every page keeps a live block */
		heap_free(a[i]);
	for (size_t k = 0; k < 40; k++)
		KTEST_ASSERT_EQ(freed[k], 0x6b);
	size_t n = 0, pages = heap_stats().pages;
	do { /* take every free slot of the class, until a new page is needed: none is p's */
		b[n] = heap_alloc(33);
		KTEST_ASSERT(b[n] != NULL);
		KTEST_EXPECT((const unsigned char *)b[n] != freed);
	} while (++n < MORE && heap_stats().pages == pages);
	KTEST_ASSERT(heap_stats().pages > pages);
	heap_free(a[2 * N - 1]); /* the N-th free after p's lets p's slot out */
	char *q = heap_alloc(33);
	KTEST_ASSERT(q != NULL);
	KTEST_EXPECT((const unsigned char *)q == freed);
	for (size_t k = 0; k < 33; k++) /* a fresh block holds junk, not the old data, not zeros */
		KTEST_ASSERT_EQ((unsigned char)q[k], 0x6b);
	heap_free(q);
	while (n)
		heap_free(b[--n]);
	for (size_t i = 0; i < 2 * N + 2; i++)
		if (i % 2 == 0 || i >= 2 * N)
			heap_free(a[i]);
}

KTEST(heap_big_blocks_take_whole_pages_and_give_them_back)
{
	size_t frames = frame_free_count();
	char *keep = heap_alloc(3000); /* a big block: a page of big blocks' descriptors is at hand */
	KTEST_ASSERT(keep != NULL);
	size_t pages = heap_stats().pages;
	unsigned char *big = heap_alloc(3 * PAGE_SIZE + 5);
	KTEST_ASSERT(big != NULL);
	KTEST_ASSERT_EQ((uintptr_t)big % PAGE_SIZE, 0);
	KTEST_ASSERT_EQ(heap_stats().pages, pages + 4);
	fill(big, 7, 3 * PAGE_SIZE + 5);
	KTEST_EXPECT(intact(big, 7, 3 * PAGE_SIZE + 5));
	unsigned char *exact = heap_alloc(2 * PAGE_SIZE - 16); /* the red zone fits in the last page */
	KTEST_ASSERT(exact != NULL);
	KTEST_ASSERT_EQ(heap_stats().pages, pages + 4 + 2);
	fill(exact, 8, 2 * PAGE_SIZE - 16);
	KTEST_EXPECT(intact(big, 7, 3 * PAGE_SIZE + 5) && intact(exact, 8, 2 * PAGE_SIZE - 16));
	heap_free(big);
	heap_free(exact);
	KTEST_ASSERT_EQ(heap_stats().pages, pages);
	heap_free(keep);
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

/* --- the heap's area: a ring of virtual pages ------------------------------------------------ */

enum { WINDOW = 4 * 512 }; /* a lap of 2048 pages (8 MiB, four page tables) */

/* The heap area's page tables as the kernel's own walk sees them (mm/page_table.h). */
static const struct page_table area_pages = {early_pdpt_high, 3, 1, NULL};
static const struct page_table area_tables = {early_pdpt_high, 3, 2, NULL};

static bool page_table_maps(uint64_t va)
{
	const uint64_t *e = pt_walk(&area_pages, va, false);
	return e && (*e & PTE_P);
}

/* How many page tables map part of the window at base. */
static size_t page_tables_in(uint64_t base)
{
	size_t n = 0;
	for (uint64_t va = base; va < base + WINDOW * (uint64_t)PAGE_SIZE; va += 512 * PAGE_SIZE) {
		const uint64_t *e = pt_walk(&area_tables, va, false);
		n += e && (*e & PTE_P);
	}
	return n;
}

/* Big blocks of a page into held[], until one comes with a new page of descriptors (the heap's
 * pages grow by two): its free slots take the descriptors, outside the window set after. */
static size_t descriptors_at_hand(char **held, size_t max)
{
	size_t n = 0, pages;
	do {
		pages = heap_stats().pages;
		held[n] = heap_alloc(3000);
	} while (held[n] && ++n < max && heap_stats().pages == pages + 1);
	return n;
}

static char *held_blocks[256];

KTEST(heap_ring_hands_out_every_address_once_a_lap)
{
	static uint64_t seen[WINDOW / 64];
	memset(seen, 0, sizeof(seen));
	size_t frames = frame_free_count(), held = descriptors_at_hand(held_blocks, 256);
	uint64_t base = heap_ring_window(WINDOW);
	KTEST_ASSERT(base != 0);
	size_t n = 0;
	char *first = NULL, *again = NULL;
	while (!again && n <= WINDOW) {
		char *p = heap_alloc(3000); /* a big block: one page of its own */
		KTEST_ASSERT(p != NULL);
		uint64_t i = ((uint64_t)p - base) / PAGE_SIZE;
		KTEST_ASSERT((uint64_t)p >= base && i < WINDOW);
		KTEST_EXPECT(heap_page_mapped((uint64_t)p) && page_table_maps((uint64_t)p));
		first = first ? first : p;
		if (seen[i / 64] >> (i % 64) & 1)
			again = p;
		seen[i / 64] |= 1ull << (i % 64);
		heap_free(p); /* given back: unmapped at once */
		KTEST_EXPECT(!heap_page_mapped((uint64_t)p) && !page_table_maps((uint64_t)p));
		n++;
	}
	KTEST_EXPECT(n == WINDOW + 1); /* every page of the window once, then the first again */
	KTEST_EXPECT(again == first);
	KTEST_EXPECT(page_tables_in(base) == 0);
	heap_ring_window(0);
	while (held)
		heap_free(held_blocks[--held]);
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

KTEST(heap_ring_skips_live_pages_and_bounds_its_page_tables)
{
	size_t frames = frame_free_count(), held = descriptors_at_hand(held_blocks, 256);
	uint64_t base = heap_ring_window(WINDOW);
	KTEST_ASSERT(base != 0);
	unsigned char *live = heap_alloc(3000);
	KTEST_ASSERT(live != NULL);
	KTEST_EXPECT((uint64_t)live == base);
	fill(live, 3, 3000);
	size_t most = 0;
	for (size_t i = 0; i < 2 * WINDOW + 2; i++) { /* two laps and a bit */
		unsigned char *p = heap_alloc(3000);
		KTEST_ASSERT(p != NULL);
		KTEST_EXPECT(p != live);
		size_t tables = page_tables_in(base);
		most = tables > most ? tables : most;
		heap_free(p);
	}
	KTEST_EXPECT(intact(live, 3, 3000));
	KTEST_EXPECT(most == 2);		 /* the live page's table, and the one in use */
	KTEST_EXPECT(page_tables_in(base) == 1); /* the live page's: the others are freed when empty */
	heap_free(live);
	KTEST_EXPECT(page_tables_in(base) == 0);
	static char *full[WINDOW]; /* a window full of live blocks: no room for one more page */
	size_t n = 0;
	while (n < WINDOW && (full[n] = heap_alloc(3000)) != NULL)
		n++;
	size_t mapped = 0;
	for (uint64_t va = base; va < base + WINDOW * (uint64_t)PAGE_SIZE; va += PAGE_SIZE)
		mapped += heap_page_mapped(va);
	KTEST_EXPECT(n < WINDOW);	    /* blocks and their descriptors' pages fill it, */
	KTEST_EXPECT(mapped >= WINDOW - 1); /* to the last page (unless a descriptor needed it) */
	KTEST_EXPECT(heap_alloc(3000) == NULL);
	while (n)
		heap_free(full[--n]);
	heap_ring_window(0);
	while (held)
		heap_free(held_blocks[--held]);
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

KTEST(heap_ring_waits_a_full_lap_for_a_page_freed_ahead_of_the_cursor)
{
	enum { GAP = 16 }; /* pages */
	static uint64_t seen[WINDOW / 64];
	memset(seen, 0, sizeof(seen));
	size_t frames = frame_free_count(), held = descriptors_at_hand(held_blocks, 256);
	uint64_t base = heap_ring_window(WINDOW);
	KTEST_ASSERT(base != 0);
	char *gap = heap_alloc(GAP * PAGE_SIZE - 16), *a = heap_alloc(3000); /* A right after the gap */
	KTEST_ASSERT(gap && a);
	KTEST_ASSERT((uint64_t)gap == base && (uint64_t)a == base + GAP * PAGE_SIZE);
	heap_free(gap);
	size_t n = 0; /* a page at a time, round the window until the gap is filled: the cursor is on A */
	uint64_t p;
	do {
		char *q = heap_alloc(3000);
		KTEST_ASSERT(q != NULL);
		p = (uint64_t)q;
		heap_free(q);
	} while (p != base + (GAP - 1) * PAGE_SIZE && ++n < 4 * WINDOW);
	KTEST_ASSERT(n < 4 * WINDOW);
	uint64_t stale = (uint64_t)a;
	heap_free(a); /* given back just ahead of the cursor */
	KTEST_EXPECT(!heap_page_mapped(stale));
	char *q;
	for (n = 0; (q = heap_alloc(3000)) != NULL && (uint64_t)q != stale && n < 4 * WINDOW; n++) {
		uint64_t i = ((uint64_t)q - base) / PAGE_SIZE;
		KTEST_ASSERT((uint64_t)q >= base && i < WINDOW);
		seen[i / 64] |= 1ull << (i % 64);
		heap_free(q);
	}
	KTEST_ASSERT(q != NULL);
	KTEST_EXPECT((uint64_t)q == stale); /* A's page comes back at last, */
	size_t others = 0;		    /* after the cursor went a full lap past it: every other page */
	for (size_t i = 0; i < WINDOW; i++)
		others += seen[i / 64] >> (i % 64) & 1;
	KTEST_EXPECT(others == WINDOW - 1);
	heap_free(q);
	heap_ring_window(0);
	while (held)
		heap_free(held_blocks[--held]);
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

KTEST(heap_descriptors_of_big_blocks_have_pages_of_their_own)
{
	size_t pages = heap_stats().pages, n = 0;
	do { /* 32-byte blocks (the class of a descriptor's size) until one is alone on a new page */
		held_blocks[n] = heap_alloc(32);
		KTEST_ASSERT(held_blocks[n] != NULL);
	} while (heap_stats().pages == pages && ++n < 255);
	KTEST_ASSERT(heap_stats().pages == pages + 1);
	char *alone = held_blocks[n++], *big = heap_alloc(3000);
	KTEST_ASSERT(big != NULL);
	uint64_t page = (uint64_t)alone & ~(uint64_t)(PAGE_SIZE - 1), s;
	size_t size, blocks = 0;
	bool live;
	for (uint64_t va = page; va < page + PAGE_SIZE; va += 16) /* no block but alone is on its page */
		blocks += heap_block_of(va, &s, &size, &live) && s != (uint64_t)alone;
	KTEST_EXPECT(blocks == 0);
	heap_free(big);
	while (n)
		heap_free(held_blocks[--n]);
	KTEST_ASSERT_EQ(heap_stats().pages, pages);
}

/* Whether heap_block_of(addr) names the block at start, of size bytes, live or not. */
static bool names(const void *addr, const void *start, size_t size, bool live)
{
	uint64_t s;
	size_t n;
	bool l;
	return heap_block_of((uint64_t)addr, &s, &n, &l) && s == (uint64_t)start && n == size && l == live;
}

KTEST(heap_block_of_names_live_freed_and_given_back_blocks)
{
	char *keep = heap_alloc(100), *p = heap_alloc(100), *big = heap_alloc(5000);
	KTEST_ASSERT(keep && p && big);
	KTEST_EXPECT(names(p, p, 100, true) && names(p + 99, p, 100, true) && names(p + 110, p, 100, true));
	KTEST_EXPECT(names(big + 4200, big, 5000, true) && names(big + 8191, big, 5000, true));
	const char *volatile stale_p = p, *volatile stale_big = big; /* GCC rightly warns about p, big */
	heap_free(p);
	heap_free(big);
	KTEST_EXPECT(names(stale_p + 5, stale_p, 100, false)); /* in the quarantine */
	KTEST_EXPECT(!heap_page_mapped((uint64_t)stale_big));
	KTEST_EXPECT(names(stale_big + 4200, stale_big, 5000, false)); /* its pages given back */
	uint64_t s;
	size_t n;
	bool live;
	KTEST_EXPECT(!heap_block_of((uint64_t)keep & ~(uint64_t)(PAGE_SIZE - 1), &s, &n, &live)); /* a slab's header */
	KTEST_EXPECT(!heap_block_of((uint64_t)&n, &s, &n, &live));				  /* not the heap */
	heap_free(keep);
}

/* Allocate blocks of size until the heap says no, chained through their first bytes. */
static size_t exhaust(size_t size, void **chain)
{
	size_t n = 0;
	for (void **p; (p = heap_alloc(size)) != NULL; n++) {
		*p = *chain;
		*chain = p;
	}
	return n;
}

KTEST(heap_runs_out_with_null_and_freeing_all_gives_every_frame_back)
{
	enum { LEFT = 300 }; /* frames left to the heap; the rest are taken by frame_alloc first */
	size_t frames = frame_free_count(), taken = 0;
	struct heap_stats before = heap_stats();
	KTEST_ASSERT(frames > LEFT + 1000);
	struct segment handles;
	KTEST_ASSERT(segment_alloc(&handles, frames * sizeof(struct frame) / PAGE_SIZE + 1, 1, 0) == ERR_OK);
	struct frame f;
	while (frame_free_count() > LEFT && frame_alloc(&f, 0) == ERR_OK)
		segment_write(handles, taken++ * sizeof(f), &f, sizeof(f));

	void *chain = NULL; /* the blocks that filled memory: big, then ever smaller size classes */
	size_t big = exhaust(10 * PAGE_SIZE, &chain), mid = exhaust(2000, &chain), small = exhaust(32, &chain);
	small += exhaust(16, &chain);
	console_printf("# out of memory after %zu blocks of 40 KiB, %zu of 2000 bytes, %zu of 32 or 16 bytes\n", big,
		       mid, small);
	KTEST_EXPECT(big > 0);
	KTEST_EXPECT(frame_free_count() <= 1); /* the last one, if a new page needed a page table too */
	KTEST_EXPECT(heap_alloc(0) == NULL && heap_zalloc(1) == NULL && HEAP_NEW(struct sample) == NULL);
	KTEST_EXPECT(heap_alloc_aligned(16, 4096) == NULL && heap_alloc(3 * PAGE_SIZE) == NULL);
	KTEST_EXPECT(heap_stats().blocks == before.blocks + big + mid + small);

	while (chain) {
		void *next = *(void **)chain;
		heap_free(chain);
		chain = next;
	}
	KTEST_EXPECT(heap_stats().pages == before.pages && heap_stats().blocks == before.blocks);
	KTEST_EXPECT(frame_free_count() == LEFT);
	while (taken--) {
		segment_read(handles, taken * sizeof(f), &f, sizeof(f));
		frame_put(f);
	}
	segment_put(handles);
	KTEST_ASSERT_EQ(frame_free_count(), frames);
}

/* Every function of frame/heap.h, in interrupt context: small blocks and a big one. */
static int heap_in_irq(void)
{
	struct heap_stats before = heap_stats();
	char *a = heap_alloc(24), *z = heap_zalloc(100), *al = heap_alloc_aligned(64, 256);
	uint64_t *v = HEAP_NEW_ARRAY(uint64_t, 600); /* 4800 bytes: pages of its own */
	IRQ_CHECK(a && z && al && v);
	IRQ_CHECK(z[99] == 0 && (uintptr_t)al % 256 == 0 && v[599] == 0);
	IRQ_CHECK(heap_stats().blocks == before.blocks + 4);
	heap_free(v);
	heap_free(al);
	heap_free(z);
	heap_free(a);
	IRQ_CHECK(heap_stats().blocks == before.blocks && heap_stats().bytes == before.bytes);
	return 0;
}

KTEST(heap_works_in_interrupt_context)
{
	KTEST_ASSERT_EQ(run_in_irq(heap_in_irq), 0);
}

/* Median of n TSC readings (sorts them). */
static uint64_t median(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

KTEST(heap_overhead_and_speed)
{
	enum { N = 1120, RUNS = 501 }; /* N: ten pages of the smallest class */
	static void *blocks[N];
	static uint64_t cycles[RUNS];
	size_t pages = heap_stats().pages;
	for (size_t i = 0; i < N; i++) {
		blocks[i] = heap_alloc(16);
		KTEST_ASSERT(blocks[i] != NULL);
	}
	size_t used = (heap_stats().pages - pages) * PAGE_SIZE;
	console_printf("# %d blocks of 16 bytes take %zu pages: %zu.%02zu bytes each, %zu.%02zu bytes of overhead\n", N,
		       used / PAGE_SIZE, used / N, used * 100 / N % 100, (used - 16 * N) / N,
		       (used - 16 * N) * 100 / N % 100);
	KTEST_EXPECT(used / N < 40);
	for (size_t i = 1; i < N; i += 2) { /* a full quarantine, free slots at hand, every page kept */
		heap_free(blocks[i]);
		blocks[i] = NULL;
	}
	for (size_t i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		heap_free(heap_alloc(16));
		cycles[i] = rdtsc() - t;
	}
	console_printf("# heap_alloc + heap_free of 16 bytes: median %llu TSC cycles\n",
		       (unsigned long long)median(cycles, RUNS));
	for (size_t i = 0; i < N; i++)
		heap_free(blocks[i]);
	KTEST_ASSERT_EQ(heap_stats().pages, pages);
	for (size_t i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		heap_free(heap_alloc(16)); /* no page of its size: one is made and given back */
		cycles[i] = rdtsc() - t;
	}
	console_printf("# the same with a new page each time: median %llu TSC cycles\n",
		       (unsigned long long)median(cycles, RUNS));
	for (size_t i = 0; i < RUNS; i++) {
		uint64_t t = rdtsc();
		heap_free(heap_alloc(2 * PAGE_SIZE));
		cycles[i] = rdtsc() - t;
	}
	console_printf("# heap_alloc + heap_free of 8 KiB: median %llu TSC cycles\n",
		       (unsigned long long)median(cycles, RUNS));
	KTEST_ASSERT_EQ(heap_stats().pages, pages);
}
