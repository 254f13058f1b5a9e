/*
 * The page-frame allocator: 16 bytes of metadata per 4 KiB page, a doubly linked free list for
 * single frames (O(1) allocate and free), and a scan for aligned runs for segments. Handles
 * carry a generation, so a handle kept after its frame was freed is caught on first use.
 * The metadata is private memory (mm/linear_map.c): whole 2 MiB pages of RAM, read-only in the
 * linear map and written through the private map; the rest of its last 2 MiB holds page tables.
 */
#include "mm/frame_alloc.h"
#include "mm/kasan.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "boot/bootinfo.h"
#include "check.h"
#include "mm/kernel_map.h"
#include "mm/linear_map.h"
#include "mm/page_table.h"
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/string.h>
#include <stdbool.h>

#define NIL UINT32_MAX
#define LOW_RESERVED_PFNS 256		  /* the first MiB: BIOS data, option ROMs, and page 0 */
#define CHUNK_PAGES (PAGE_2M / PAGE_SIZE) /* a 2 MiB page of private memory */

_Static_assert(sizeof(struct page_meta) == 16, "page metadata must stay at 16 bytes per page");

static struct page_meta *meta; /* indexed by frame number, in the private map */
static uint64_t meta_phys;
static uint32_t max_pfn; /* frames [0, max_pfn) have metadata */
static uint32_t free_head = NIL;
static size_t free_count;

static void *page_ptr(uint64_t pfn)
{
	return (void *)(LINEAR_BASE + pfn * PAGE_SIZE);
}
static uint64_t handle_of(uint32_t pfn)
{
	return (uint64_t)meta[pfn].gen << 32 | pfn;
}

static void list_push(uint32_t pfn)
{
	meta[pfn].state = PAGE_FREE;
	meta[pfn].free.prev = NIL;
	meta[pfn].free.next = free_head;
	if (free_head != NIL)
		meta[free_head].free.prev = pfn;
	free_head = pfn;
	free_count++;
}

static void list_remove(uint32_t pfn)
{
	struct page_meta *m = &meta[pfn];
	if (m->free.prev != NIL)
		meta[m->free.prev].free.next = m->free.next;
	else
		free_head = m->free.next;
	if (m->free.next != NIL)
		meta[m->free.next].free.prev = m->free.prev;
	free_count--;
}

/* Take a free frame off the list into state, with one reference. */
static void claim(uint32_t pfn, enum page_state state)
{
	list_remove(pfn);
	meta[pfn].state = (uint8_t)state;
	meta[pfn].refs = 1;
	meta[pfn].used.maps = 0;
	meta[pfn].used.pages = 1;
}

static void release(uint32_t pfn)
{
	meta[pfn].refs = 0;
	meta[pfn].gen = (uint16_t)(meta[pfn].gen + 1 ? meta[pfn].gen + 1 : 1);
	list_push(pfn);
}

/* The metadata of the live client frame or segment head a handle names, or NULL. */
static struct page_meta *lookup(uint64_t handle, enum page_state state)
{
	uint32_t pfn = (uint32_t)handle, gen = (uint32_t)(handle >> 32);
	if (pfn >= max_pfn || meta[pfn].state != state || meta[pfn].gen != gen || !meta[pfn].refs)
		return NULL;
	return &meta[pfn];
}

/* --- boot-time setup ---------------------------------------------------------------------- */

uint64_t frame_reserved_at(const struct boot_info *bi, uint64_t pfn, const uint64_t (*spans)[2], size_t n,
			   uint64_t *next)
{
	*next = UINT64_MAX;
	uint64_t end = 0;
	for (size_t i = 0; i < n + bi->region_count; i++) {
		uint64_t first, last; /* [first, last) in frames */
		if (i < n) {
			first = spans[i][0], last = spans[i][1];
		} else {
			const struct boot_memory_region *r = &bi->regions[i - n];
			if (r->type == BOOT_MEMORY_USABLE || !r->length)
				continue;
			/* Outward to whole frames; a region that wraps reaches the end of memory. */
			first = r->base / PAGE_SIZE;
			last = r->length > UINT64_MAX - r->base ? UINT64_MAX
								: (r->base + r->length - 1) / PAGE_SIZE + 1;
		}
		if (pfn >= first && pfn < last && last > end)
			end = last; /* the furthest end of every span pfn is in */
		if (first > pfn && first < *next)
			*next = first;
	}
	return end;
}

/* The frames the allocator may not manage: the first MiB, the kernel image, the metadata, the
 * boot modules, and every frame a region of the memory map that is not usable touches (a map
 * whose usable and reserved ranges overlap gives the reserved ones their way). If pfn is in one
 * of them, the end of it; else 0 and *next the first reserved frame after pfn. */
static uint64_t reserved_at_boot(uint64_t pfn, uint64_t meta_first, uint64_t meta_pages, uint64_t *next)
{
	uint64_t spans[3 + BOOT_MAX_MODULES][2] = {
		{0, LOW_RESERVED_PFNS},
		{((uint64_t)__kernel_start - KERNEL_BASE) / PAGE_SIZE,
		 ((uint64_t)__kernel_end - KERNEL_BASE + PAGE_SIZE - 1) / PAGE_SIZE},
		{meta_first, meta_first + meta_pages},
	};
	size_t n = 3;
	for (size_t i = 0; i < boot_info.module_count && n < sizeof(spans) / sizeof(spans[0]); i++, n++) {
		const struct boot_module *m = &boot_info.modules[i];
		spans[n][0] = m->start / PAGE_SIZE;
		spans[n][1] = (m->start + m->size + PAGE_SIZE - 1) / PAGE_SIZE;
	}
	return frame_reserved_at(&boot_info, pfn, spans, n, next);
}

/* Call fn for every run [first, end) of usable frames the allocator may manage, in order: a few
 * calls per region instead of one per frame (boot time). */
static void for_each_usable(uint64_t meta_first, uint64_t meta_pages, void (*fn)(uint64_t first, uint64_t end))
{
	for (size_t i = 0; i < boot_info.region_count; i++) {
		const struct boot_memory_region *r = &boot_info.regions[i];
		if (r->type != BOOT_MEMORY_USABLE || r->base > UINT64_MAX - PAGE_SIZE ||
		    r->length > UINT64_MAX - r->base)
			continue; /* a region that wraps around: the boot loader's map is broken there */
		uint64_t pfn = (r->base + PAGE_SIZE - 1) / PAGE_SIZE, end = (r->base + r->length) / PAGE_SIZE, next;
		if (end > max_pfn)
			end = max_pfn;
		while (pfn < end) {
			uint64_t skip = reserved_at_boot(pfn, meta_first, meta_pages, &next);
			if (skip) {
				pfn = skip;
				continue;
			}
			uint64_t stop = next < end ? next : end;
			fn(pfn, stop);
			pfn = stop;
		}
	}
}

/* The first run of wanted usable frames that starts a 2 MiB page: [found_first, + found_run). */
static uint64_t found_first, found_run, wanted;
static void find_run(uint64_t first, uint64_t end)
{
	if (found_run >= wanted)
		return;
	if (found_run && found_first + found_run == first) { /* the run goes on */
		found_run += end - first;
		return;
	}
	uint64_t start = (first + CHUNK_PAGES - 1) / CHUNK_PAGES * CHUNK_PAGES;
	found_first = start;
	found_run = start < end ? end - start : 0;
}

static void add_free(uint64_t first, uint64_t end)
{
	for (uint64_t pfn = first; pfn < end; pfn++)
		if (meta[pfn].state != PAGE_FREE) { /* two usable regions that overlap give a frame once */
			meta[pfn].gen = 1;
			list_push((uint32_t)pfn);
		}
}

void frame_allocator_init(void)
{
	uint64_t top = 0;
	for (size_t i = 0; i < boot_info.region_count; i++)
		if (boot_info.regions[i].type == BOOT_MEMORY_USABLE &&
		    boot_info.regions[i].base + boot_info.regions[i].length > top)
			top = boot_info.regions[i].base + boot_info.regions[i].length;
	if (top > (uint64_t)LINEAR_MAX_GIB << 30)
		top = (uint64_t)LINEAR_MAX_GIB << 30;
	max_pfn = (uint32_t)(top / PAGE_SIZE);
	uint64_t meta_pages = ((uint64_t)max_pfn * sizeof(struct page_meta) + PAGE_SIZE - 1) / PAGE_SIZE;

	wanted = (meta_pages + CHUNK_PAGES - 1) / CHUNK_PAGES * CHUNK_PAGES; /* whole 2 MiB pages */
	for_each_usable(0, 0, find_run);
	if (found_run < wanted)
		panic("memory: no room for %llu KiB of page metadata", (unsigned long long)(meta_pages * 4));
	meta_phys = found_first * PAGE_SIZE;
	meta = linear_map_make_private(meta_phys); /* the private map's first slots, in order: contiguous */
	for (uint64_t i = CHUNK_PAGES; i < wanted; i += CHUNK_PAGES)
		(void)linear_map_make_private(meta_phys + i * PAGE_SIZE);
	memset(meta, 0, meta_pages * PAGE_SIZE);
	for_each_usable(found_first, wanted, add_free);
	for (uint64_t i = 0; i < wanted; i++)
		meta[found_first + i].state = PAGE_PRIVATE;
	pt_table_pool_add(meta_phys + meta_pages * PAGE_SIZE, wanted - meta_pages); /* the rest: page tables */
	log_debug("memory: %zu frames free, metadata %llu KiB at 0x%llx", free_count,
		  (unsigned long long)(meta_pages * 4), (unsigned long long)meta_phys);
}

uint64_t frame_meta_phys(size_t *bytes)
{
	*bytes = (size_t)max_pfn * sizeof(struct page_meta);
	return meta_phys;
}

/* --- the frame's own frames --------------------------------------------------------------- */

uint64_t typed_frame_alloc(void)
{
	IRQ_OFF_SCOPE();
	if (free_head == NIL)
		return 0;
	uint32_t pfn = free_head;
	claim(pfn, PAGE_TYPED);
	memset(page_ptr(pfn), 0, PAGE_SIZE);
	return (uint64_t)pfn * PAGE_SIZE;
}

void typed_frame_free(uint64_t phys)
{
	IRQ_OFF_SCOPE();
	uint64_t pfn = phys / PAGE_SIZE;
	if (phys % PAGE_SIZE || pfn >= max_pfn || meta[pfn].state != PAGE_TYPED)
		panic("typed_frame_free: 0x%llx is not a page the frame allocated for itself",
		      (unsigned long long)phys);
	memset(page_ptr(pfn), 0, PAGE_SIZE); /* page tables and heap data never reach a client */
	release((uint32_t)pfn);
}

/* The first run of pages free frames starting at a multiple of align, or NIL. */
static uint32_t find_free_run(size_t pages, size_t align)
{
	for (uint64_t first = align; first + pages <= max_pfn;) {
		uint64_t i = 0;
		while (i < pages && meta[first + i].state == PAGE_FREE)
			i++;
		if (i == pages)
			return (uint32_t)first;
		first = (first + i + 1 + align - 1) / align * align; /* past the page in use */
	}
	return NIL;
}

uint64_t private_chunk_alloc(void)
{
	IRQ_OFF_SCOPE();
	uint32_t first = free_count >= CHUNK_PAGES ? find_free_run(CHUNK_PAGES, CHUNK_PAGES) : NIL;
	if (first == NIL || !linear_map_make_private((uint64_t)first * PAGE_SIZE))
		return 0;
	for (uint32_t i = 0; i < CHUNK_PAGES; i++)
		claim(first + i, PAGE_PRIVATE);
	return (uint64_t)first * PAGE_SIZE;
}

uint64_t typed_run_alloc(size_t pages)
{
	IRQ_OFF_SCOPE();
	uint32_t first = pages && pages <= free_count ? find_free_run(pages, 1) : NIL;
	if (first == NIL)
		return 0;
	for (size_t i = 0; i < pages; i++)
		claim(first + (uint32_t)i, PAGE_TYPED);
	memset(page_ptr(first), 0, pages * PAGE_SIZE);
	return (uint64_t)first * PAGE_SIZE;
}

void typed_run_free(uint64_t phys, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		typed_frame_free(phys + i * PAGE_SIZE);
}

void frame_map_count(struct frame f, int delta)
{
	IRQ_OFF_SCOPE();
	struct page_meta *m = lookup(f.handle_, PAGE_UNTYPED);
	if (!m || (delta < 0 && !m->used.maps))
		panic("frame_map_count: a stale frame, or unmapped more often than mapped");
	m->used.maps += (uint32_t)delta;
}

struct frame frame_at_phys(uint64_t phys)
{
	uint64_t pfn = phys / PAGE_SIZE;
	if (pfn >= max_pfn || meta[pfn].state != PAGE_UNTYPED)
		panic("frame_at_phys: 0x%llx is not a client frame", (unsigned long long)phys);
	return (struct frame){handle_of((uint32_t)pfn)};
}

uint64_t frame_phys(struct frame f)
{
	return lookup(f.handle_, PAGE_UNTYPED) ? (uint64_t)(uint32_t)f.handle_ * PAGE_SIZE : 0;
}

/* --- the public API ----------------------------------------------------------------------- */

#define STALE "the frame was freed (its last reference dropped) or never allocated"
#define STALE_SEGMENT "the segment was freed (its last reference dropped) or never allocated"

enum err frame_alloc(struct frame *out, unsigned flags)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(!(flags & ~(unsigned)FRAME_ALLOC_ZEROED), "unknown flags 0x%x", flags);
	CLIENT_OBJECT(out);
	IRQ_OFF_SCOPE();
	if (free_head == NIL)
		return ERR_NOMEM;
	uint32_t pfn = free_head;
	claim(pfn, PAGE_UNTYPED);
	if (flags & FRAME_ALLOC_ZEROED)
		memset(page_ptr(pfn), 0, PAGE_SIZE);
	out->handle_ = handle_of(pfn);
	return ERR_OK;
}

void frame_get(struct frame f)
{
	IRQ_OFF_SCOPE();
	struct page_meta *m = lookup(f.handle_, PAGE_UNTYPED);
	REQUIRE(m != NULL, STALE);
	REQUIRE(m->refs < UINT32_MAX, "too many references");
	m->refs++;
}

void frame_put(struct frame f)
{
	IRQ_OFF_SCOPE();
	struct page_meta *m = lookup(f.handle_, PAGE_UNTYPED);
	REQUIRE(m != NULL, STALE " (a double drop?)");
	REQUIRE(m->refs > 1 || m->used.maps == 0, "the last reference is dropped while the frame is mapped %u time(s)",
		m->used.maps);
	if (--m->refs == 0)
		release((uint32_t)f.handle_);
}

uint32_t frame_refs(struct frame f)
{
	struct page_meta *m = lookup(f.handle_, PAGE_UNTYPED);
	REQUIRE(m != NULL, STALE);
	return m->refs;
}

#define RANGE_OK(off, len, size) ((off) <= (size) && (len) <= (size) - (off))

void frame_read(struct frame f, size_t offset, void *buf, size_t len)
{
	REQUIRE(lookup(f.handle_, PAGE_UNTYPED) != NULL, STALE);
	REQUIRE(buf != NULL || len == 0, "buf must not be NULL (len is %zu)", len);
	REQUIRE(RANGE_OK(offset, len, PAGE_SIZE), "bytes %zu..%zu are outside the frame (4096 bytes)", offset,
		offset + len);
	CLIENT_WRITES(buf, len);
	memcpy(buf, (char *)page_ptr((uint32_t)f.handle_) + offset, len);
}

void frame_write(struct frame f, size_t offset, const void *buf, size_t len)
{
	REQUIRE(lookup(f.handle_, PAGE_UNTYPED) != NULL, STALE);
	REQUIRE(buf != NULL || len == 0, "buf must not be NULL (len is %zu)", len);
	REQUIRE(RANGE_OK(offset, len, PAGE_SIZE), "bytes %zu..%zu are outside the frame (4096 bytes)", offset,
		offset + len);
	CLIENT_READS(buf, len);
	memcpy((char *)page_ptr((uint32_t)f.handle_) + offset, buf, len);
}

void frame_zero(struct frame f, size_t offset, size_t len)
{
	REQUIRE(lookup(f.handle_, PAGE_UNTYPED) != NULL, STALE);
	REQUIRE(RANGE_OK(offset, len, PAGE_SIZE), "bytes %zu..%zu are outside the frame (4096 bytes)", offset,
		offset + len);
	memset((char *)page_ptr((uint32_t)f.handle_) + offset, 0, len);
}

void frame_copy(struct frame dst, size_t dst_offset, struct frame src, size_t src_offset, size_t len)
{
	REQUIRE(lookup(dst.handle_, PAGE_UNTYPED) != NULL, "dst: " STALE);
	REQUIRE(lookup(src.handle_, PAGE_UNTYPED) != NULL, "src: " STALE);
	REQUIRE(RANGE_OK(dst_offset, len, PAGE_SIZE) && RANGE_OK(src_offset, len, PAGE_SIZE),
		"a range leaves its frame (dst %zu+%zu, src %zu+%zu; frames are 4096 bytes)", dst_offset, len,
		src_offset, len);
	memmove((char *)page_ptr((uint32_t)dst.handle_) + dst_offset,
		(char *)page_ptr((uint32_t)src.handle_) + src_offset, len);
}

enum err segment_alloc(struct segment *out, size_t pages, size_t align_pages, unsigned flags)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(pages >= 1, "pages must be at least 1");
	REQUIRE(align_pages && !(align_pages & (align_pages - 1)), "align_pages (%zu) must be a power of two",
		align_pages);
	REQUIRE(!(flags & ~(unsigned)FRAME_ALLOC_ZEROED), "unknown flags 0x%x", flags);
	CLIENT_OBJECT(out);
	IRQ_OFF_SCOPE();
	uint32_t first = pages <= free_count ? find_free_run(pages, align_pages) : NIL;
	if (first == NIL)
		return ERR_NOMEM;
	for (size_t i = 0; i < pages; i++)
		claim(first + (uint32_t)i, i ? PAGE_SEGMENT_TAIL : PAGE_SEGMENT);
	meta[first].used.pages = (uint32_t)pages;
	if (flags & FRAME_ALLOC_ZEROED)
		memset(page_ptr(first), 0, pages * PAGE_SIZE);
	*out = (struct segment){handle_of(first)};
	return ERR_OK;
}

/* The head's metadata of a live segment, or NULL. */
static struct page_meta *segment_lookup(struct segment s)
{
	return lookup(s.handle_, PAGE_SEGMENT);
}

/* The size in bytes of a live frame or segment, from its (head's) metadata. */
static size_t bytes_of(const struct page_meta *m)
{
	return (size_t)m->used.pages * PAGE_SIZE;
}

void segment_get(struct segment s)
{
	IRQ_OFF_SCOPE();
	struct page_meta *m = segment_lookup(s);
	REQUIRE(m != NULL, STALE_SEGMENT);
	REQUIRE(m->refs < UINT32_MAX, "too many references");
	m->refs++;
}

void segment_put(struct segment s)
{
	IRQ_OFF_SCOPE();
	struct page_meta *m = segment_lookup(s);
	REQUIRE(m != NULL, STALE_SEGMENT " (a double drop?)");
	REQUIRE(m->refs - 1 == 0 || m->refs - 1 != m->used.maps,
		"the segment is mapped for DMA (%u mapping(s)): dma_unmap() it before dropping the last reference",
		m->used.maps);
	if (--m->refs)
		return;
	uint32_t first = (uint32_t)s.handle_, pages = m->used.pages;
	for (uint32_t i = 0; i < pages; i++)
		REQUIRE(meta[first + i].used.maps == 0, "the last reference is dropped while frame %u is mapped", i);
	for (uint32_t i = 0; i < pages; i++)
		release(first + i);
}

uint64_t segment_phys(struct segment s)
{
	return segment_lookup(s) ? (uint64_t)(uint32_t)s.handle_ * PAGE_SIZE : 0;
}

void segment_dma_hold(struct segment s, bool take)
{
	IRQ_OFF_SCOPE();
	struct page_meta *m = segment_lookup(s);
	if (!m)
		panic("segment_dma_hold: the segment is not live");
	if (take) {
		m->refs++;
		m->used.maps++; /* a segment's head counts its DMA mappings here */
		return;
	}
	m->used.maps--;
	segment_put(s);
}

size_t segment_pages(struct segment s)
{
	struct page_meta *m = segment_lookup(s);
	REQUIRE(m != NULL, STALE_SEGMENT);
	return m->used.pages;
}

void segment_read(struct segment s, size_t offset, void *buf, size_t len)
{
	struct page_meta *m = segment_lookup(s);
	REQUIRE(m != NULL, STALE_SEGMENT);
	REQUIRE(buf != NULL || len == 0, "buf must not be NULL (len is %zu)", len);
	REQUIRE(RANGE_OK(offset, len, bytes_of(m)), "bytes %zu..%zu are outside the segment (%zu bytes)", offset,
		offset + len, bytes_of(m));
	CLIENT_WRITES(buf, len);
	memcpy(buf, (char *)page_ptr((uint32_t)s.handle_) + offset, len);
}

void segment_write(struct segment s, size_t offset, const void *buf, size_t len)
{
	struct page_meta *m = segment_lookup(s);
	REQUIRE(m != NULL, STALE_SEGMENT);
	REQUIRE(buf != NULL || len == 0, "buf must not be NULL (len is %zu)", len);
	REQUIRE(RANGE_OK(offset, len, bytes_of(m)), "bytes %zu..%zu are outside the segment (%zu bytes)", offset,
		offset + len, bytes_of(m));
	CLIENT_READS(buf, len);
	memcpy((char *)page_ptr((uint32_t)s.handle_) + offset, buf, len);
}

/* --- cursors ------------------------------------------------------------------------------ */

enum { CURSOR_FRAME = 1, CURSOR_SEGMENT = 2 };

struct mem_cursor frame_cursor(struct frame f)
{
	REQUIRE(lookup(f.handle_, PAGE_UNTYPED) != NULL, STALE);
	return (struct mem_cursor){f.handle_, PAGE_SIZE, 0, CURSOR_FRAME};
}

struct mem_cursor segment_cursor(struct segment s)
{
	struct page_meta *m = segment_lookup(s);
	REQUIRE(m != NULL, STALE_SEGMENT);
	return (struct mem_cursor){s.handle_, bytes_of(m), 0, CURSOR_SEGMENT};
}

/* Where the cursor's bytes are, if its frame or segment is still the one it was made for. */
static char *cursor_base(const struct mem_cursor *c)
{
	struct page_meta *m = lookup(c->handle_, c->kind_ == CURSOR_FRAME ? PAGE_UNTYPED : PAGE_SEGMENT);
	return m && bytes_of(m) == c->size_ ? page_ptr((uint32_t)c->handle_) : NULL;
}

size_t cursor_remaining(const struct mem_cursor *c)
{
	REQUIRE(c != NULL, "c must not be NULL");
	REQUIRE(c->pos <= c->size_, "pos (%zu) is past the end (%zu bytes)", c->pos, c->size_);
	return c->size_ - c->pos;
}

/* The checks cursor_read() and cursor_write() share, and the step they take: a macro, so that
 * each panic names its own caller. Sets at (where the bytes are) and n (how many to copy), and
 * moves the cursor past them. */
#define CURSOR_STEP(c, buf, len, at, n) \
	do { \
		REQUIRE((c) != NULL, "c must not be NULL"); \
		(at) = cursor_base(c); \
		REQUIRE((at) != NULL, "the cursor's frame or segment was freed"); \
		REQUIRE((c)->pos <= (c)->size_, "pos (%zu) is past the end (%zu bytes)", (c)->pos, (c)->size_); \
		REQUIRE((buf) != NULL || (len) == 0, "buf must not be NULL (len is %zu)", (len)); \
		(n) = (len) < (c)->size_ - (c)->pos ? (len) : (c)->size_ - (c)->pos; \
		(at) += (c)->pos; \
		(c)->pos += (n); \
	} while (0)

size_t cursor_read(struct mem_cursor *c, void *buf, size_t len)
{
	CLIENT_OBJECT(c);
	char *at;
	size_t n;
	CURSOR_STEP(c, buf, len, at, n);
	CLIENT_WRITES(buf, n);
	memcpy(buf, at, n);
	return n;
}

size_t cursor_write(struct mem_cursor *c, const void *buf, size_t len)
{
	CLIENT_OBJECT(c);
	char *at;
	size_t n;
	CURSOR_STEP(c, buf, len, at, n);
	CLIENT_READS(buf, n);
	memcpy(at, buf, n);
	return n;
}

size_t frame_free_count(void)
{
	return free_count;
}
