/* In-kernel tests of the page-frame allocator (mm/frame_alloc.c): exhaustion, zeroing, segments, references. */
#include <frame/console.h>
#include <frame/ktest.h>
#include <frame/mm.h>
#include <frame/string.h>
#include "arch/x86_64/layout.h"
#include "mm/frame_alloc.h"
#include "tests/run_in_irq.h"

static uint64_t pfn_of(uint64_t handle)
{
	return (uint32_t)handle;
}

KTEST(frames_run_out_with_an_error_and_all_come_back)
{
	size_t before = frame_free_count(), taken = 0;
	struct segment handles; /* room for every handle, without touching the frames themselves */
	KTEST_ASSERT(segment_alloc(&handles, before * sizeof(struct frame) / PAGE_SIZE + 1, 1, 0) == ERR_OK);
	struct frame f;
	while (frame_alloc(&f, 0) == ERR_OK)
		segment_write(handles, taken++ * sizeof(f), &f, sizeof(f));
	KTEST_EXPECT(frame_alloc(&f, 0) == ERR_NOMEM);
	KTEST_EXPECT(frame_free_count() == 0);
	struct segment s;
	KTEST_EXPECT(segment_alloc(&s, 1, 1, 0) == ERR_NOMEM);
	while (taken--) {
		segment_read(handles, taken * sizeof(f), &f, sizeof(f));
		frame_put(f);
	}
	segment_put(handles);
	console_printf("# %zu frames allocated and freed\n", before);
	KTEST_ASSERT_EQ(frame_free_count(), before);
}

KTEST(zeroed_frames_are_zero)
{
	struct frame f;
	KTEST_ASSERT(frame_alloc(&f, 0) == ERR_OK);
	char junk[64];
	memset(junk, 0xa5, sizeof(junk));
	for (size_t off = 0; off < PAGE_SIZE; off += sizeof(junk))
		frame_write(f, off, junk, sizeof(junk));
	frame_put(f);
	KTEST_ASSERT(frame_alloc(&f, FRAME_ALLOC_ZEROED) == ERR_OK);
	for (size_t off = 0; off < PAGE_SIZE; off += sizeof(junk)) {
		frame_read(f, off, junk, sizeof(junk));
		for (size_t i = 0; i < sizeof(junk); i++)
			KTEST_ASSERT_EQ(junk[i], 0);
	}
	frame_put(f);
}

KTEST(copies_respect_offsets)
{
	struct frame a, b;
	KTEST_ASSERT(frame_alloc(&a, FRAME_ALLOC_ZEROED) == ERR_OK);
	KTEST_ASSERT(frame_alloc(&b, FRAME_ALLOC_ZEROED) == ERR_OK);
	frame_write(a, PAGE_SIZE - 5, "hello", 5);
	frame_copy(b, 10, a, PAGE_SIZE - 5, 5);
	char out[8] = {0};
	frame_read(b, 9, out, 7);
	KTEST_EXPECT(memcmp(out, "\0hello\0", 7) == 0);
	frame_zero(a, PAGE_SIZE - 5, 2);
	frame_read(a, PAGE_SIZE - 5, out, 5);
	KTEST_EXPECT(memcmp(out, "\0\0llo", 5) == 0);
	frame_copy(a, PAGE_SIZE - 4, a, PAGE_SIZE - 5, 4); /* overlapping, within one frame */
	frame_read(a, PAGE_SIZE - 5, out, 5);
	KTEST_EXPECT(memcmp(out, "\0\0\0ll", 5) == 0);
	frame_put(a);
	frame_put(b);
}

KTEST(segments_are_contiguous_and_aligned)
{
	size_t before = frame_free_count();
	struct segment s;
	KTEST_ASSERT(segment_alloc(&s, 5, 16, FRAME_ALLOC_ZEROED) == ERR_OK);
	KTEST_ASSERT_EQ(pfn_of(s.handle_) % 16, 0);
	KTEST_ASSERT_EQ(frame_free_count(), before - 5);
	char marks[5];
	for (int i = 0; i < 5; i++) {
		marks[i] = (char)('a' + i);
		segment_write(s, (size_t)i * PAGE_SIZE + PAGE_SIZE - 1, &marks[i], 1); /* last byte of each page */
	}
	const char *linear = (const char *)(LINEAR_BASE + pfn_of(s.handle_) * PAGE_SIZE);
	for (int i = 0; i < 5; i++) /* physically consecutive: seen in order through the linear map */
		KTEST_EXPECT(linear[(size_t)i * PAGE_SIZE + PAGE_SIZE - 1] == marks[i]);
	char across[2];
	segment_read(s, PAGE_SIZE - 1, across, 2); /* a read across a page boundary */
	KTEST_EXPECT(across[0] == 'a' && across[1] == 0);
	segment_get(s); /* two references: the first drop frees nothing */
	segment_put(s);
	KTEST_ASSERT_EQ(frame_free_count(), before - 5);
	segment_put(s);
	KTEST_ASSERT_EQ(frame_free_count(), before);
	KTEST_EXPECT(segment_alloc(&s, before + 1, 1, 0) == ERR_NOMEM);
}

KTEST(segment_pages_gives_the_length)
{
	struct segment s;
	KTEST_ASSERT(segment_alloc(&s, 3, 1, 0) == ERR_OK);
	struct segment copy = s; /* the same segment: the length comes from the frame, not the handle */
	KTEST_EXPECT(segment_pages(s) == 3 && segment_pages(copy) == 3);
	struct mem_cursor c = segment_cursor(copy);
	KTEST_EXPECT(cursor_remaining(&c) == 3 * PAGE_SIZE);
	segment_put(s);
}

KTEST(cursors_read_and_write_piece_by_piece)
{
	struct segment s;
	KTEST_ASSERT(segment_alloc(&s, 2, 1, FRAME_ALLOC_ZEROED) == ERR_OK);
	struct mem_cursor w = segment_cursor(s);
	w.pos = PAGE_SIZE - 3;
	KTEST_ASSERT_EQ(cursor_write(&w, "abcdef", 6), 6); /* across the page boundary */
	KTEST_ASSERT_EQ(cursor_remaining(&w), PAGE_SIZE - 3);
	w.pos = 2 * PAGE_SIZE - 2;
	KTEST_ASSERT_EQ(cursor_write(&w, "xyz", 3), 2); /* stops at the end */
	KTEST_ASSERT_EQ(cursor_remaining(&w), 0);
	KTEST_ASSERT_EQ(cursor_write(&w, "x", 1), 0);
	struct mem_cursor r = segment_cursor(s);
	r.pos = PAGE_SIZE - 3;
	char out[8] = {0};
	KTEST_ASSERT_EQ(cursor_read(&r, out, 3), 3);
	KTEST_ASSERT_EQ(cursor_read(&r, out + 3, 3), 3);
	KTEST_EXPECT(memcmp(out, "abcdef", 6) == 0);
	segment_put(s);

	struct frame f;
	KTEST_ASSERT(frame_alloc(&f, 0) == ERR_OK);
	struct mem_cursor fc = frame_cursor(f);
	KTEST_ASSERT_EQ(cursor_remaining(&fc), PAGE_SIZE);
	KTEST_ASSERT_EQ(cursor_write(&fc, "hi", 2), 2);
	frame_read(f, 0, out, 2);
	KTEST_EXPECT(memcmp(out, "hi", 2) == 0);
	frame_put(f);
}

KTEST(references_count_and_the_last_drop_frees)
{
	size_t before = frame_free_count();
	struct frame f;
	KTEST_ASSERT(frame_alloc(&f, 0) == ERR_OK);
	KTEST_ASSERT_EQ(frame_refs(f), 1);
	frame_get(f);
	KTEST_ASSERT_EQ(frame_refs(f), 2);
	frame_put(f);
	KTEST_ASSERT_EQ(frame_refs(f), 1);
	KTEST_ASSERT_EQ(frame_free_count(), before - 1);
	frame_put(f);
	KTEST_ASSERT_EQ(frame_free_count(), before);
}

/* Every function of frame/mm.h, in interrupt context. */
static int frames_in_irq(void)
{
	size_t before = frame_free_count();
	struct frame f, g;
	struct segment s;
	char out[4];
	IRQ_CHECK(frame_alloc(&f, FRAME_ALLOC_ZEROED) == ERR_OK && frame_alloc(&g, 0) == ERR_OK);
	IRQ_CHECK(segment_alloc(&s, 2, 2, FRAME_ALLOC_ZEROED) == ERR_OK && segment_pages(s) == 2);
	IRQ_CHECK(frame_free_count() == before - 4);
	frame_get(f);
	segment_get(s);
	IRQ_CHECK(frame_refs(f) == 2);
	frame_put(f);
	segment_put(s);
	frame_write(f, 10, "irq", 3);
	frame_copy(g, 0, f, 10, 3);
	frame_zero(f, 10, 1);
	frame_read(f, 10, out, 3);
	IRQ_CHECK(memcmp(out, "\0rq", 3) == 0);
	frame_read(g, 0, out, 3);
	IRQ_CHECK(memcmp(out, "irq", 3) == 0);
	segment_write(s, PAGE_SIZE - 1, "ab", 2);
	segment_read(s, PAGE_SIZE, out, 1);
	IRQ_CHECK(out[0] == 'b');
	struct mem_cursor c = segment_cursor(s), d = frame_cursor(g);
	c.pos = PAGE_SIZE - 1;
	IRQ_CHECK(cursor_read(&c, out, 3) == 3 && memcmp(out, "ab\0", 3) == 0);
	IRQ_CHECK(cursor_write(&d, "xy", 2) == 2 && cursor_remaining(&d) == PAGE_SIZE - 2);
	frame_put(f);
	frame_put(g);
	segment_put(s);
	IRQ_CHECK(frame_free_count() == before);
	return 0;
}

KTEST(frames_work_in_interrupt_context)
{
	KTEST_ASSERT_EQ(run_in_irq(frames_in_irq), 0);
}

KTEST(typed_frames_are_zeroed_and_not_counted_as_client_frames)
{
	size_t before = frame_free_count();
	uint64_t phys = typed_frame_alloc();
	KTEST_ASSERT(phys != 0);
	KTEST_ASSERT_EQ(frame_free_count(), before - 1);
	const uint8_t *bytes = (const uint8_t *)(LINEAR_BASE + phys);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		KTEST_ASSERT_EQ(bytes[i], 0);
	typed_frame_free(phys);
	KTEST_ASSERT_EQ(frame_free_count(), before);
}

KTEST(a_stale_handle_misses_the_pages_next_owner)
{
	struct frame old, new;
	KTEST_ASSERT(frame_alloc(&old, 0) == ERR_OK);
	frame_put(old);
	KTEST_ASSERT(frame_alloc(&new, 0) == ERR_OK);
	KTEST_ASSERT_EQ(pfn_of(new.handle_), pfn_of(old.handle_)); /* the page freed last is handed out first */
	KTEST_EXPECT(frame_phys(old) == 0); /* the generation moved on: the old handle names no frame */
	KTEST_EXPECT(frame_phys(new) != 0);
	frame_put(new);
}

KTEST(no_handle_names_a_typed_page)
{
	uint64_t phys = typed_frame_alloc();
	KTEST_ASSERT(phys != 0);
	unsigned reached = 0;
	for (uint64_t gen = 0; gen <= UINT16_MAX; gen++) { /* a forged handle, whatever its generation */
		uint64_t handle = gen << 32 | phys / PAGE_SIZE;
		reached += frame_phys((struct frame){handle}) != 0;
		reached += segment_phys((struct segment){handle}) != 0;
	}
	typed_frame_free(phys);
	KTEST_ASSERT_EQ(reached, 0);
}
