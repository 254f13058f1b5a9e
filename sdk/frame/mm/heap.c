/*
 * The kernel heap. Small blocks live in slots of a fixed size, many to a page (a "slab", one
 * size class per page); a big block gets a run of pages of its own. The heap's bookkeeping never
 * sits next to a payload, where an overflow would reach it: a slab keeps the size and state of
 * every slot in a header at the start of its page, and big blocks are listed in descriptors of
 * their own. Every payload is followed by a red zone, checked when the block is freed; fresh and
 * freed blocks are junk (0x6b), and a freed slot is checked to be junk still when it is handed
 * out again.
 *
 * Freed memory never reaches another owner while a stale pointer could still reach it:
 * - The heap's pages live in an area of their own (mm/heap.h), mapped 4 KiB at a time to page
 *   frames taken one by one from the allocator. Pages are mapped where a cursor stands, and the
 *   cursor goes round a ring of virtual pages: 4 times the usable RAM rounded up to a GiB (1 GiB
 *   with 128 MiB of RAM, 16 GiB with 4 GiB; at most the area's 252 GiB). It only moves on: past
 *   the pages it maps and the busy ones it finds, and from the ring's end back to its start,
 *   where a new lap begins. A page none of whose blocks is live is unmapped and its frame freed
 *   at once, but its addresses cool: the pages given back in lap k are free again only when lap
 *   k + 2 begins. So a page given back is mapped again only after the cursor has gone a full lap
 *   past it, all of lap k + 1, wherever the page stood: behind the cursor, or ahead of it (then
 *   the cursor passes it once in lap k, cooling). In lap k + 1 the cursor maps every page it
 *   finds free (not held, not given back in lap k or k + 1, not in a run too short for a big
 *   block) before that page can come back. A stale pointer to such a page faults, and the
 *   page-fault report calls it a use after free of heap memory (core/panic.c).
 * - A freed small block whose page stays (other blocks on it are live) is junk, and waits in a
 *   quarantine: its slot is handed out again only after HEAP_QUARANTINE (256) more small blocks
 *   were freed. A read after free reads junk; a write after free is found when the slot is
 *   handed out again. The heap's own blocks (big blocks' descriptors) sit on pages of their own,
 *   which never hold a client's block, so a stale client pointer reaches them only as it reaches
 *   any page given back; they skip the quarantine.
 * What the area costs: a page directory per GiB of the ring and the maps (4 bits per page of the
 * ring and 2 bytes per 2 MiB of it: 129 KiB with 128 MiB of RAM, 2 MiB with 4 GiB), made at boot
 * (heap_init()); and a page table for each 2 MiB of the ring that holds a heap page, made with
 * its first page and freed with its last, so there are never more page tables than heap pages,
 * nor than one per 512 pages of the ring.
 * The sanitizer (mm/kasan.h) hears of every page mapped and unmapped and of every client block
 * handed out and freed.
 * One CPU: every call does its work with interrupts off, so tasks and interrupt handlers may all
 * call in.
 */
#include "mm/heap.h"
#include <frame/heap.h>
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "mm/frame_alloc.h"
#include "mm/kasan.h"
#include "mm/page_table.h"
#include <frame/boot.h>
#include <frame/panic.h>
#include <frame/string.h>
#include <stdbool.h>
#include <stdint.h>

#define MIN_ALIGN 16		 /* every payload starts at a multiple of this */
#define RED_ZONE 16		 /* at least this many red bytes follow every payload */
#define RED 0xbb		 /* the red-zone pattern */
#define JUNK 0x6b		 /* freed memory, and fresh blocks */
#define NEVER_USED UINT16_MAX	 /* slot_info.size of a slot never handed out */
#define MAX_SLOTS 128		 /* slots a slab can track (the smallest class has 112) */
#define REGION 512ull		 /* pages one page table maps (2 MiB) */
#define GIB_PAGES (512ull * 512) /* pages one page directory maps */
#define NONE UINT64_MAX

/* Slot sizes in bytes (payload, alignment padding and red zone): every 16 bytes up to 96, then
 * sizes that fill a page after its header: 2016 fits twice, 1344 three times, 1008 four times... */
static const uint16_t class_size[] = {32,  48,	64,  80,  96,  128,  160,  192, 256,
				      320, 400, 496, 656, 800, 1008, 1344, 2016};
#define CLASSES (sizeof(class_size) / sizeof(class_size[0]))

struct slot_info {
	uint16_t size;	      /* bytes asked for (kept after the free, for the double-free report) */
	uint16_t offset : 15; /* where the payload starts in the slot: alignment padding, red like the zone */
	uint16_t held : 1;    /* freed, and in the quarantine */
};

/* The header at the start of every page of small blocks; the slots follow it. A page holds
 * either clients' blocks or the heap's own (big blocks' descriptors), never both. */
struct slab {
	struct slab *prev, *next;	   /* in partial[own][cls]: the class's slabs with a free slot */
	uint16_t cls;			   /* index in class_size[] */
	uint16_t own;			   /* 1: the heap's own blocks */
	uint16_t slots, free, live, held;  /* slots in the page; how many are free, live, in the quarantine */
	uint16_t first;			   /* where slot 0 starts in the page */
	uint64_t free_map[MAX_SLOTS / 64]; /* bit i set: slot i is free (neither live nor held) */
	struct slot_info slot[];
};

/* A big block: its own run of pages, payload first, then the red zone to the end of the run. */
struct big {
	struct big *next; /* in bigs */
	char *start;
	size_t size, pages;
};

static struct slab *partial[2][CLASSES]; /* per owner (client, heap) and size class: slabs with a free slot */
static struct big *bigs;		 /* every live big block */
static struct heap_stats stats;

static size_t round_up(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

/* --- the area: pages mapped at a cursor that goes round a ring ------------------------------ */

/* The area's pages, and its page tables as the pages of its directories. */
static const struct page_table area = {early_pdpt_high, 3, 1, pt_table_alloc};
static const struct page_table area_tables = {early_pdpt_high, 3, 2, pt_table_alloc};

static struct {
	uint64_t pages;		 /* the ring's length (0 until heap_init()) */
	uint64_t first, end;	 /* where pages are handed out: [0, pages), or a test's window */
	uint64_t cursor;	 /* where the next pages are mapped, if free */
	uint64_t lap;		 /* how many times the cursor went round */
	uint64_t *mapped, *slab; /* a bit per page of the ring: mapped; the page of a slab */
	uint64_t *cooling[2];	 /* a bit per page: given back in a lap of this parity, not free yet */
	uint16_t *in_table;	 /* per 2 MiB: how many of its pages are mapped */
} ring;

/* The last runs given back, for reports on a stale pointer into them. */
#define GIVEN_BACK 16
static struct given_back {
	uintptr_t slot, slot_size; /* the slot of the block freed last on the pages (0: none) */
	uintptr_t start, size;	   /* that block */
} given_back[GIVEN_BACK];
static unsigned given_back_next;

static uintptr_t page_va(uint64_t i)
{
	return HEAP_AREA_BASE + i * PAGE_SIZE;
}

/* The index of addr's page in the ring, or NONE. */
static uint64_t page_index(uintptr_t addr)
{
	uint64_t i = (addr - HEAP_AREA_BASE) / PAGE_SIZE;
	return addr >= HEAP_AREA_BASE && i < ring.pages ? i : NONE;
}

static bool bit(const uint64_t *map, uint64_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

static void set_bit(uint64_t *map, uint64_t i, bool on)
{
	if (on)
		map[i / 64] |= 1ull << (i % 64);
	else
		map[i / 64] &= ~(1ull << (i % 64));
}

/* The ring's maps, and the page directories of all of it (they stay: page tables come and go). */
void heap_init(void)
{
	uint64_t pages = round_up(4 * (boot_usable_memory() / PAGE_SIZE), GIB_PAGES);
	if (!pages)
		pages = GIB_PAGES;
	if (pages > HEAP_AREA_SIZE / PAGE_SIZE)
		pages = HEAP_AREA_SIZE / PAGE_SIZE;
	uint64_t bytes = pages / 64 * 4 * sizeof(uint64_t) + pages / REGION * sizeof(uint16_t);
	uint64_t phys = typed_run_alloc(round_up(bytes, PAGE_SIZE) / PAGE_SIZE);
	if (!phys)
		panic("heap: no memory for the maps of its area (%llu KiB)", (unsigned long long)bytes / 1024);
	ring.mapped = (uint64_t *)(LINEAR_BASE + phys);
	ring.slab = ring.mapped + pages / 64;
	ring.cooling[0] = ring.slab + pages / 64;
	ring.cooling[1] = ring.cooling[0] + pages / 64;
	ring.in_table = (uint16_t *)(ring.cooling[1] + pages / 64);
	for (uint64_t i = 0; i < pages; i += GIB_PAGES)
		if (!pt_walk(&area_tables, page_va(i), true))
			panic("heap: no memory for the page directories of its area");
	ring.pages = ring.end = pages;
	heap_mapped_map = ring.mapped;
	heap_ring_pages = pages;
}

/* The first page in [from, to) that is busy (if busy: mapped or cooling) or free (if not); to if
 * none is. */
static uint64_t next_page(uint64_t from, uint64_t to, bool busy)
{
	while (from < to) {
		uint64_t k = from / 64, w = ring.mapped[k] | ring.cooling[0][k] | ring.cooling[1][k];
		w = (w ^ (busy ? 0 : ~0ull)) & ~0ull << (from % 64);
		if (w) {
			uint64_t i = k * 64 + (uint64_t)__builtin_ctzll(w);
			return i < to ? i : to;
		}
		from = k * 64 + 64;
	}
	return to;
}

/* The cursor goes round into a new lap: the pages given back two laps ago are free again. */
static void ring_wrap(void)
{
	ring.cursor = ring.first;
	ring.lap++;
	memset(ring.cooling[ring.lap % 2] + ring.first / 64, 0, (ring.end - ring.first) / 64 * sizeof(uint64_t));
}

/* Move the cursor on to the first run of n free pages, going round twice at most (by then every
 * page given back before is free), and return the run; NONE if there is none. */
static uint64_t ring_find(uint64_t n)
{
	if (n > ring.end - ring.first)
		return NONE;
	for (unsigned wraps = 0;;) {
		uint64_t pos = ring.cursor;
		if (pos + n > ring.end) { /* a run does not wrap round: on from the start, in a new lap */
			if (wraps++ == 2)
				return NONE;
			ring_wrap();
			continue;
		}
		uint64_t busy = next_page(pos, pos + n, true);
		if (busy == pos + n)
			return pos;
		ring.cursor = next_page(busy, ring.end, false);
	}
}

/* Map page i to a fresh zeroed frame; false if memory is out. */
static bool page_map(uint64_t i, bool slab)
{
	uint64_t phys = typed_frame_alloc();
	if (!phys)
		return false;
	if (pt_map(&area, page_va(i), phys, PTE_W | PTE_NX) != ERR_OK) { /* no page table to be had */
		typed_frame_free(phys);
		return false;
	}
	set_bit(ring.mapped, i, true);
	set_bit(ring.slab, i, slab);
	ring.in_table[i / REGION]++;
	return true;
}

/* Unmap page i and free its frame, and its page table with the last page the table maps. The
 * page cools (is not mapped again before the lap after next) if it was handed out (cool). */
static void page_unmap(uint64_t i, bool cool)
{
	typed_frame_free(pt_unmap(&area, page_va(i)) & PTE_ADDR);
	set_bit(ring.mapped, i, false);
	set_bit(ring.slab, i, false);
	if (cool)
		set_bit(ring.cooling[ring.lap % 2], i, true);
	if (--ring.in_table[i / REGION] == 0)
		pt_table_free(pt_unmap(&area_tables, page_va(i)) & PTE_ADDR);
}

/* n fresh zeroed pages (a slab's if slab) where the cursor finds room, the cursor moved past
 * them; NULL if memory is out or the ring has no room. */
static char *pages_map(uint64_t n, bool slab)
{
	uint64_t first = ring_find(n);
	if (first == NONE)
		return NULL;
	for (uint64_t i = first; i < first + n; i++) {
		if (!page_map(i, slab)) {
			while (i-- > first)
				page_unmap(i, false); /* no one saw them: they need not cool */
			return NULL;
		}
	}
	ring.cursor = first + n;
	for (unsigned k = 0; k < GIVEN_BACK; k++) /* what was there before the lap is forgotten */
		if (given_back[k].slot - page_va(first) < n * PAGE_SIZE)
			given_back[k].slot_size = 0;
	if (!kasan_heap_pages(page_va(first), n, true)) { /* no memory for the sanitizer's shadow */
		for (uint64_t i = first; i < first + n; i++)
			page_unmap(i, false);
		kasan_heap_pages(page_va(first), n, false);
		return NULL;
	}
	return (char *)page_va(first);
}

/* Give n pages at va back, remembering the client's block freed last in them (if slot) for
 * reports. */
static void pages_unmap(char *va, uint64_t n, const char *slot, size_t slot_size, const char *start, size_t size)
{
	if (slot) {
		given_back[given_back_next] = (struct given_back){(uintptr_t)slot, slot_size, (uintptr_t)start, size};
		given_back_next = (given_back_next + 1) % GIVEN_BACK;
	}
	for (uint64_t i = page_index((uintptr_t)va), k = 0; k < n; k++)
		page_unmap(i + k, true);
	kasan_heap_pages((uintptr_t)va, n, false);
}

uint64_t heap_ring_window(uint64_t pages)
{
	IRQ_OFF_SCOPE();
	if (!pages) {
		ring.first = 0;
		ring.end = ring.pages;
		return page_va(0);
	}
	if (pages % REGION)
		return 0;
	uint64_t first = round_up(ring.cursor + 1, REGION), busy;
	while (first + pages <= ring.pages && (busy = next_page(first, first + pages, true)) < first + pages)
		first = round_up(busy + 1, REGION); /* a page of it is mapped or cooling: further on */
	if (first + pages > ring.pages)
		return 0;
	ring.first = ring.cursor = first;
	ring.end = first + pages;
	return page_va(first);
}

const uint64_t *heap_mapped_map;
uint64_t heap_ring_pages;

/* --- slabs: pages of small blocks --------------------------------------------------------- */

/* The quarantine: freed small slots, the oldest at quarantine_next (0: none there). */
static uintptr_t quarantine[HEAP_QUARANTINE];
static unsigned quarantine_next;

static size_t header_size(size_t slots)
{
	return round_up(sizeof(struct slab) + slots * sizeof(struct slot_info), MIN_ALIGN);
}

/* How many slots of size bytes fit in a page after the header (which grows with the count). */
static size_t slots_in_page(size_t size)
{
	size_t n = (PAGE_SIZE - sizeof(struct slab)) / (size + sizeof(struct slot_info));
	while (header_size(n) + n * size > PAGE_SIZE)
		n--;
	return n < MAX_SLOTS ? n : MAX_SLOTS;
}

static struct slab *page_of(uintptr_t addr)
{
	return (struct slab *)(addr & ~(uintptr_t)(PAGE_SIZE - 1));
}

static char *slot_start(struct slab *s, unsigned i)
{
	return (char *)s + s->first + (size_t)i * class_size[s->cls];
}

static unsigned slot_index(const struct slab *s, uintptr_t addr)
{
	return (unsigned)((addr - (uintptr_t)s - s->first) / class_size[s->cls]);
}

static bool slot_free(const struct slab *s, unsigned i)
{
	return s->free_map[i / 64] >> (i % 64) & 1;
}

/* Whether addr is in one of the slots of s (not its header, nor the slack after the last). */
static bool in_slots(const struct slab *s, uintptr_t addr)
{
	size_t off = addr - (uintptr_t)s;
	return off >= s->first && off < s->first + (size_t)s->slots * class_size[s->cls];
}

static void partial_push(struct slab *s)
{
	s->prev = NULL;
	s->next = partial[s->own][s->cls];
	if (s->next)
		s->next->prev = s;
	partial[s->own][s->cls] = s;
}

static void partial_remove(struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		partial[s->own][s->cls] = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/* The smallest size class whose slots hold need bytes; CLASSES if none does. */
static unsigned class_for(size_t need)
{
	unsigned cls = 0;
	while (cls < CLASSES && class_size[cls] < need)
		cls++;
	return cls;
}

/* A new slab for class cls, the heap's own if own, all slots free (zeros: a slot becomes junk when
 * first handed out), on the partial list; NULL if memory is out. */
static struct slab *slab_create(unsigned cls, bool own)
{
	struct slab *s = (struct slab *)pages_map(1, true);
	if (!s)
		return NULL;
	s->cls = (uint16_t)cls;
	s->own = own;
	s->slots = s->free = (uint16_t)slots_in_page(class_size[cls]);
	s->first = (uint16_t)header_size(s->slots);
	for (unsigned i = 0; i < s->slots; i++) {
		s->free_map[i / 64] |= 1ull << (i % 64);
		s->slot[i].size = NEVER_USED;
	}
	partial_push(s);
	stats.pages++;
	return s;
}

/* Give the page of a slab with no live block back (slot i held the block freed last). */
static void slab_destroy(struct slab *s, unsigned i)
{
	if (s->free)
		partial_remove(s);
	for (unsigned k = 0; s->held && k < HEAP_QUARANTINE; k++) /* its held slots leave the quarantine */
		if (page_of(quarantine[k]) == s) {
			quarantine[k] = 0;
			s->held--;
		}
	char *slot = slot_start(s, i);
	if (s->own) /* no client block was there to name in a report */
		pages_unmap((char *)s, 1, NULL, 0, NULL, 0);
	else
		pages_unmap((char *)s, 1, slot, class_size[s->cls], slot + s->slot[i].offset, s->slot[i].size);
	stats.pages--;
}

/* A freed slot must still be junk: anything else was written through a dangling pointer. */
static void check_junk(struct slab *s, unsigned i)
{
	const unsigned char *p = (const unsigned char *)slot_start(s, i);
	for (size_t k = 0; k < class_size[s->cls]; k++)
		if (p[k] != JUNK)
			panic("heap: the freed %u-byte block at %p was written after heap_free (byte %lld of it is "
			      "0x%02x, not the junk 0x6b): a use after free, or an overflow of the block before it",
			      s->slot[i].size, (void *)(p + s->slot[i].offset), (long long)k - s->slot[i].offset, p[k]);
}

/* A block of size bytes at a multiple of align in a slot of class cls, for a client (the
 * sanitizer is told) or for the heap itself, on pages of the heap's own; NULL if memory is out. */
static void *small_alloc(unsigned cls, size_t size, size_t align, bool client, const void *caller)
{
	struct slab *s = partial[!client][cls] ? partial[!client][cls] : slab_create(cls, !client);
	if (!s)
		return NULL;
	unsigned w = 0;
	while (!s->free_map[w])
		w++;
	unsigned i = w * 64 + (unsigned)__builtin_ctzll(s->free_map[w]);
	bool fresh = s->slot[i].size == NEVER_USED;
	if (!fresh)
		check_junk(s, i);
	s->free_map[w] &= ~(1ull << (i % 64));
	if (--s->free == 0)
		partial_remove(s);
	s->live++;
	char *slot = slot_start(s, i);
	size_t offset = round_up((uintptr_t)slot, align) - (uintptr_t)slot;
	s->slot[i] = (struct slot_info){.size = (uint16_t)size, .offset = (uint16_t)offset, .held = 0};
	memset(slot, RED, offset);
	if (fresh)
		memset(slot + offset, JUNK, size);
	memset(slot + offset + size, RED, class_size[cls] - offset - size);
	if (client)
		kasan_heap_alloc(slot + offset, size, slot, class_size[cls], caller);
	return slot + offset;
}

/* Slot i is free: it may be handed out again. */
static void slot_release(struct slab *s, unsigned i)
{
	s->held -= s->slot[i].held;
	s->slot[i].held = 0;
	s->free_map[i / 64] |= 1ull << (i % 64);
	if (++s->free == 1)
		partial_push(s);
}

/* The block in slot i was freed. The page goes back if no live block is left on it; otherwise
 * the slot becomes junk, and a client's (client) waits in the quarantine, whose oldest slot is
 * released, while the heap's own is free at once (no client block shares its page). */
static void small_free(struct slab *s, unsigned i, bool client)
{
	if (--s->live == 0) {
		slab_destroy(s, i);
		return;
	}
	memset(slot_start(s, i), JUNK, class_size[s->cls]);
	if (!client) {
		slot_release(s, i);
		return;
	}
	s->slot[i].held = 1;
	s->held++;
	uintptr_t oldest = quarantine[quarantine_next];
	quarantine[quarantine_next] = (uintptr_t)slot_start(s, i);
	quarantine_next = (quarantine_next + 1) % HEAP_QUARANTINE;
	if (oldest)
		slot_release(page_of(oldest), slot_index(page_of(oldest), oldest));
}

/* The slab addr lies in, or NULL. */
static struct slab *slab_of(uintptr_t addr)
{
	uint64_t i = page_index(addr);
	return i != NONE && bit(ring.slab, i) ? page_of(addr) : NULL;
}

/* --- big blocks ----------------------------------------------------------------------------- */

/* A block of size bytes at the start of its own pages (so aligned for anything up to a page). */
static void *big_alloc(size_t size, const void *caller)
{
	size_t pages = (size + RED_ZONE + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > frame_free_count()) /* no use mapping all memory to find out */
		return NULL;
	struct big *b = small_alloc(class_for(sizeof(*b) + RED_ZONE), sizeof(*b), MIN_ALIGN, false, NULL);
	if (!b)
		return NULL;
	char *start = pages_map(pages, false);
	if (!start) {
		small_free(page_of((uintptr_t)b), slot_index(page_of((uintptr_t)b), (uintptr_t)b), false);
		return NULL;
	}
	*b = (struct big){bigs, start, size, pages};
	bigs = b;
	memset(start, JUNK, size);
	memset(start + size, RED, pages * PAGE_SIZE - size);
	stats.pages += pages;
	kasan_heap_alloc(start, size, start, pages * PAGE_SIZE, caller);
	return start;
}

/* Unlink a big block (link points at the pointer to it) and give its pages back. */
static void big_free(struct big **link)
{
	struct big *b = *link;
	*link = b->next;
	pages_unmap(b->start, b->pages, b->start, b->pages * PAGE_SIZE, b->start, b->size);
	stats.pages -= b->pages;
	struct slab *s = page_of((uintptr_t)b);
	small_free(s, slot_index(s, (uintptr_t)b), false);
}

/* --- finding the block a pointer names ------------------------------------------------------ */

enum verdict {
	LIVE,	  /* the start of a live block */
	INSIDE,	  /* inside a live block (or its red zone), not at its start */
	FREED,	  /* the start of a block freed already */
	NO_BLOCK, /* in the heap's area, but no live block is there */
	NOT_HEAP, /* nowhere near the heap: a global, a local variable, code */
};

/* The block a pointer is in: where its slot and payload start and how big it is. */
struct place {
	struct slab *slab; /* a small block's slab and slot, or NULL */
	unsigned slot;
	struct big **link; /* a big block: the pointer to it in bigs */
	char *first;	   /* its slot or run */
	char *start, *end; /* its payload, and the end of its slot or run */
	size_t size;
};

static enum verdict find_small(struct slab *s, uintptr_t addr, struct place *pl)
{
	if (s->own || !in_slots(s, addr))
		return NO_BLOCK; /* the heap's own blocks, the slab's header, or the slack at the end of the page */
	unsigned i = slot_index(s, addr);
	char *slot = slot_start(s, i);
	*pl = (struct place){.slab = s,
			     .slot = i,
			     .first = slot,
			     .start = slot + s->slot[i].offset,
			     .end = slot + class_size[s->cls],
			     .size = s->slot[i].size};
	if (slot_free(s, i) || s->slot[i].held)
		return addr == (uintptr_t)pl->start && s->slot[i].size != NEVER_USED ? FREED : NO_BLOCK;
	return addr == (uintptr_t)pl->start ? LIVE : INSIDE;
}

/* Where addr lies, filling *pl unless the verdict is NO_BLOCK or NOT_HEAP. */
static enum verdict find(uintptr_t addr, struct place *pl)
{
	if (addr - HEAP_AREA_BASE >= HEAP_AREA_SIZE)
		return NOT_HEAP;
	if (!heap_page_mapped(addr))
		return NO_BLOCK; /* never used, or given back */
	struct slab *s = slab_of(addr);
	if (s)
		return find_small(s, addr, pl);
	for (struct big **link = &bigs; *link; link = &(*link)->next) {
		struct big *b = *link;
		if (addr - (uintptr_t)b->start < b->pages * PAGE_SIZE) {
			*pl = (struct place){.link = link,
					     .first = b->start,
					     .start = b->start,
					     .end = b->start + b->pages * PAGE_SIZE,
					     .size = b->size};
			return addr == (uintptr_t)b->start ? LIVE : INSIDE;
		}
	}
	return NO_BLOCK;
}

bool heap_block_of(uint64_t addr, uint64_t *start, size_t *size, bool *live)
{
	IRQ_OFF_SCOPE();
	uint64_t i = page_index(addr);
	if (i == NONE)
		return false;
	if (!bit(ring.mapped, i)) { /* given back: the block freed last there, if still known */
		for (unsigned n = 1; n <= GIVEN_BACK; n++) {
			const struct given_back *g = &given_back[(given_back_next + GIVEN_BACK - n) % GIVEN_BACK];
			if (g->slot_size && addr - g->slot < g->slot_size) {
				*start = g->start, *size = g->size, *live = false;
				return true;
			}
		}
		return false;
	}
	struct slab *s = slab_of(addr);
	if (s) { /* live, or freed (junk, or in the quarantine) */
		unsigned k = in_slots(s, addr) ? slot_index(s, addr) : 0;
		if (s->own || !in_slots(s, addr) || s->slot[k].size == NEVER_USED)
			return false;
		*start = (uintptr_t)slot_start(s, k) + s->slot[k].offset, *size = s->slot[k].size;
		*live = !slot_free(s, k) && !s->slot[k].held;
		return true;
	}
	struct place pl;
	if (find(addr, &pl) == NO_BLOCK)
		return false;
	*start = (uintptr_t)pl.start, *size = pl.size, *live = true;
	return true;
}

static const char *first_not_red(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*(const unsigned char *)p != RED)
			return p;
	return NULL;
}

/* The first byte of a block's red zones (the padding before it, the zone after it) that is not
 * red any more, or NULL. */
static const char *red_zone_damage(const struct place *pl)
{
	const char *bad = first_not_red(pl->first, pl->start);
	return bad ? bad : first_not_red(pl->start + pl->size, pl->end);
}

/* --- the public API ----------------------------------------------------------------------- */

#define ALIGN_RULE "align (%zu) must be a power of two, at most 4096"

static bool align_ok(size_t align)
{
	return align && !(align & (align - 1)) && align <= PAGE_SIZE;
}

/* caller: the code that called the public function, the block's owner (the frame or a client). */
static void *alloc(size_t size, size_t align, bool zero, const void *caller)
{
	if (align < MIN_ALIGN)
		align = MIN_ALIGN;
	if (size > HEAP_AREA_SIZE)
		return NULL;
	IRQ_OFF_SCOPE();
	unsigned cls = class_for(size + (align - MIN_ALIGN) + RED_ZONE);
	char *p = cls < CLASSES ? small_alloc(cls, size, align, true, caller) : big_alloc(size, caller);
	if (!p)
		return NULL;
	if (zero)
		memset(p, 0, size);
	stats.blocks++;
	stats.bytes += size;
	return p;
}

void *heap_alloc(size_t size)
{
	return alloc(size, MIN_ALIGN, false, __builtin_return_address(0));
}

void *heap_zalloc(size_t size)
{
	return alloc(size, MIN_ALIGN, true, __builtin_return_address(0));
}

void *heap_alloc_aligned(size_t size, size_t align)
{
	REQUIRE(align_ok(align), ALIGN_RULE, align);
	return alloc(size, align, false, __builtin_return_address(0));
}

void *heap_zalloc_array(size_t n, size_t size, size_t align)
{
	REQUIRE(align_ok(align), ALIGN_RULE, align);
	if (size && n > SIZE_MAX / size)
		return NULL;
	return alloc(n * size, align, true, __builtin_return_address(0));
}

void heap_free(void *p)
{
	if (!p)
		return;
	IRQ_OFF_SCOPE();
	struct place pl;
	enum verdict v = find((uintptr_t)p, &pl);
	REQUIRE(v != NOT_HEAP,
		"%p is not heap memory (a global, a local variable?): free only what the heap handed out", p);
	REQUIRE(v != NO_BLOCK, "%p is not a live heap block: never handed out, or freed already (a double free?)", p);
	REQUIRE(v != FREED, "double free of the %zu-byte block at %p", pl.size, p);
	REQUIRE(v != INSIDE, "%p is not the start of the %zu-byte block at %p (it is %+lld bytes from it)", p, pl.size,
		(void *)pl.start, (long long)((char *)p - pl.start));
	const char *bad = red_zone_damage(&pl);
	REQUIRE(!bad || bad >= pl.start,
		"a write before the start of the %zu-byte block allocated at %p (red zone damaged at byte %lld)",
		pl.size, (void *)pl.start, (long long)(bad - pl.start));
	REQUIRE(!bad, "a write past the end of the %zu-byte block allocated at %p (red zone damaged at byte %lld)",
		pl.size, (void *)pl.start, (long long)(bad - pl.start));
	stats.blocks--;
	stats.bytes -= pl.size;
	kasan_heap_free(pl.start, pl.size, pl.first, (size_t)(pl.end - pl.first));
	if (pl.slab)
		small_free(pl.slab, pl.slot, true);
	else
		big_free(pl.link);
}

struct heap_stats heap_stats(void)
{
	IRQ_OFF_SCOPE(); /* a handler must not change it halfway through the copy */
	return stats;
}
