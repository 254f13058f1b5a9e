/*
 * The kernel heap. Small blocks live in slots of a fixed size, many to a typed page (a "slab",
 * one size class per page); a big block gets a typed run of pages of its own. The heap's
 * bookkeeping never sits next to a payload, where an overflow would reach it: a slab keeps the
 * size and state of every slot in a header at the start of its page, and big blocks are listed
 * in descriptors of their own. Every payload is followed by a red zone, checked when the block
 * is freed; freed memory is junk, checked when it is handed out again. One CPU: every call
 * does its work with interrupts off, so tasks and interrupt handlers may all call in.
 */
#include <frame/heap.h>
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "boot/bootinfo.h"
#include "check.h"
#include "mm/frame_alloc.h"
#include <frame/panic.h>
#include <frame/string.h>
#include <stdbool.h>
#include <stdint.h>

#define MIN_ALIGN 16				/* every payload starts at a multiple of this */
#define RED_ZONE 16				/* at least this many red bytes follow every payload */
#define RED 0xbb				/* the red-zone pattern */
#define JUNK 0x6b				/* freed memory, and memory never handed out */
#define SLAB_MAGIC 0x68656170736c6162ull	/* "heapslab", XORed with the page's address */
#define MAX_SIZE ((size_t)LINEAR_MAX_GIB << 30) /* more than all memory: no need to try */
#define NEVER_USED UINT16_MAX			/* slot_info.size of a slot never handed out */
#define MAX_SLOTS 128				/* slots a slab can track (the smallest class has 112) */

/* Slot sizes in bytes (payload, alignment padding and red zone): every 16 bytes up to 96, then
 * sizes that fill a page after its header: 2016 fits twice, 1344 three times, 1008 four times... */
static const uint16_t class_size[] = {32,  48,	64,  80,  96,  128,  160,  192, 256,
				      320, 400, 496, 656, 800, 1008, 1344, 2016};
#define CLASSES (sizeof(class_size) / sizeof(class_size[0]))

struct slot_info {
	uint16_t size;	 /* bytes asked for (kept after the free, for the double-free report) */
	uint16_t offset; /* where the payload starts in the slot: alignment padding, red like the zone */
};

/* The header at the start of every page of small blocks; the slots follow it. */
struct slab {
	uint64_t magic;			   /* SLAB_MAGIC ^ the page's address: this page is a slab */
	struct slab *prev, *next;	   /* in partial[cls]: the class's slabs with a free slot */
	uint16_t cls;			   /* index in class_size[] */
	uint16_t slots, free;		   /* slots in the page; how many are free */
	uint16_t first;			   /* where slot 0 starts in the page */
	uint64_t free_map[MAX_SLOTS / 64]; /* bit i set: slot i is free */
	struct slot_info slot[];
};

/* A big block: its own run of pages, payload first, then the red zone to the end of the run. */
struct big {
	struct big *next; /* in bigs */
	char *start;
	size_t size, pages;
};

static struct slab *partial[CLASSES]; /* per size class: the slabs with a free slot */
static struct big *bigs;	      /* every live big block */
static struct heap_stats stats;

static size_t round_up(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

/* --- slabs: pages of small blocks --------------------------------------------------------- */

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

static void partial_push(struct slab *s)
{
	s->prev = NULL;
	s->next = partial[s->cls];
	if (s->next)
		s->next->prev = s;
	partial[s->cls] = s;
}

static void partial_remove(struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		partial[s->cls] = s->next;
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

/* A new slab for class cls, all slots free and junk, on the partial list; NULL if memory is out. */
static struct slab *slab_create(unsigned cls)
{
	uint64_t phys = typed_frame_alloc();
	if (!phys)
		return NULL;
	struct slab *s = (struct slab *)(LINEAR_BASE + phys);
	s->magic = SLAB_MAGIC ^ (uintptr_t)s;
	s->cls = (uint16_t)cls;
	s->slots = s->free = (uint16_t)slots_in_page(class_size[cls]);
	s->first = (uint16_t)header_size(s->slots);
	for (unsigned i = 0; i < s->slots; i++) {
		s->free_map[i / 64] |= 1ull << (i % 64);
		s->slot[i].size = NEVER_USED;
	}
	memset((char *)s + s->first, JUNK, PAGE_SIZE - s->first);
	partial_push(s);
	stats.pages++;
	return s;
}

/* Give an empty slab's page back, all junk (the slots are already): no slab magic any more. */
static void slab_destroy(struct slab *s)
{
	partial_remove(s);
	memset(s, JUNK, s->first);
	typed_frame_free((uintptr_t)s - LINEAR_BASE);
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

/* A block of size bytes at a multiple of align in a slot of class cls; NULL if memory is out. */
static void *small_alloc(unsigned cls, size_t size, size_t align)
{
	struct slab *s = partial[cls] ? partial[cls] : slab_create(cls);
	if (!s)
		return NULL;
	unsigned w = 0;
	while (!s->free_map[w])
		w++;
	unsigned i = w * 64 + (unsigned)__builtin_ctzll(s->free_map[w]);
	if (s->slot[i].size != NEVER_USED)
		check_junk(s, i);
	s->free_map[w] &= ~(1ull << (i % 64));
	if (--s->free == 0)
		partial_remove(s);
	char *slot = slot_start(s, i);
	size_t offset = round_up((uintptr_t)slot, align) - (uintptr_t)slot;
	s->slot[i] = (struct slot_info){(uint16_t)size, (uint16_t)offset};
	memset(slot, RED, offset);
	memset(slot + offset + size, RED, class_size[cls] - offset - size);
	return slot + offset;
}

/* Make slot i junk and free again; the slab goes back to the frame allocator once all are. */
static void small_free(struct slab *s, unsigned i)
{
	memset(slot_start(s, i), JUNK, class_size[s->cls]);
	s->free_map[i / 64] |= 1ull << (i % 64);
	if (++s->free == 1)
		partial_push(s);
	if (s->free == s->slots)
		slab_destroy(s);
}

/* True if the page of addr is RAM in the linear map, so that reading it cannot fault. */
static bool in_ram(uintptr_t addr)
{
	if (addr < LINEAR_BASE || addr - LINEAR_BASE >= MAX_SIZE)
		return false;
	uint64_t phys = addr - LINEAR_BASE;
	for (size_t i = 0; i < boot_info.region_count; i++) {
		const struct boot_memory_region *r = &boot_info.regions[i];
		if (r->type == BOOT_MEMORY_USABLE && phys >= r->base && phys - r->base < r->length)
			return true;
	}
	return false;
}

/* The slab addr lies in, or NULL. */
static struct slab *slab_of(uintptr_t addr)
{
	if (!in_ram(addr))
		return NULL;
	struct slab *s = (struct slab *)(addr & ~(uintptr_t)(PAGE_SIZE - 1));
	return s->magic == (SLAB_MAGIC ^ (uintptr_t)s) ? s : NULL;
}

/* --- big blocks ----------------------------------------------------------------------------- */

/* A block of size bytes at the start of its own pages (so aligned for anything up to a page). */
static void *big_alloc(size_t size)
{
	size_t pages = (size + RED_ZONE + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t phys = pages == 1 ? typed_frame_alloc() : typed_run_alloc(pages);
	if (!phys)
		return NULL;
	struct big *b = small_alloc(class_for(sizeof(*b) + RED_ZONE), sizeof(*b), MIN_ALIGN);
	if (!b) {
		typed_run_free(phys, pages);
		return NULL;
	}
	*b = (struct big){bigs, (char *)(LINEAR_BASE + phys), size, pages};
	bigs = b;
	memset(b->start, JUNK, size);
	memset(b->start + size, RED, pages * PAGE_SIZE - size);
	stats.pages += pages;
	return b->start;
}

/* Unlink a big block (link points at the pointer to it), give its pages back as junk. */
static void big_free(struct big **link)
{
	struct big *b = *link;
	*link = b->next;
	memset(b->start, JUNK, b->pages * PAGE_SIZE);
	typed_run_free((uintptr_t)b->start - LINEAR_BASE, b->pages);
	stats.pages -= b->pages;
	struct slab *s = slab_of((uintptr_t)b);
	small_free(s, slot_index(s, (uintptr_t)b));
}

/* --- finding the block a pointer names ------------------------------------------------------ */

enum verdict {
	LIVE,	  /* the start of a live block */
	INSIDE,	  /* inside a live block (or its red zone), not at its start */
	FREED,	  /* the start of a block freed already */
	NO_BLOCK, /* in the kernel's memory, but no live block is there */
	NOT_HEAP, /* nowhere near the heap: a global, a local variable, code */
};

/* The block a pointer is in: where its payload starts and how big it is. */
struct place {
	struct slab *slab; /* a small block's slab and slot, or NULL */
	unsigned slot;
	struct big **link; /* a big block: the pointer to it in bigs */
	char *start, *end; /* its payload, and the end of its slot or run */
	size_t size;
};

static enum verdict find_small(struct slab *s, uintptr_t addr, struct place *pl)
{
	size_t size = class_size[s->cls], off = addr - (uintptr_t)s;
	if (off < s->first || off >= s->first + s->slots * size)
		return NO_BLOCK; /* the slab's own header, or the slack at the end of the page */
	unsigned i = slot_index(s, addr);
	char *slot = slot_start(s, i);
	*pl = (struct place){
		.slab = s, .slot = i, .start = slot + s->slot[i].offset, .end = slot + size, .size = s->slot[i].size};
	if (slot_free(s, i))
		return addr == (uintptr_t)pl->start && s->slot[i].size != NEVER_USED ? FREED : NO_BLOCK;
	return addr == (uintptr_t)pl->start ? LIVE : INSIDE;
}

/* Where addr lies, filling *pl unless the verdict is NO_BLOCK or NOT_HEAP. */
static enum verdict find(uintptr_t addr, struct place *pl)
{
	struct slab *s = slab_of(addr);
	if (s)
		return find_small(s, addr, pl);
	for (struct big **link = &bigs; *link; link = &(*link)->next) {
		struct big *b = *link;
		if (addr - (uintptr_t)b->start < b->pages * PAGE_SIZE) {
			*pl = (struct place){.link = link,
					     .start = b->start,
					     .end = b->start + b->pages * PAGE_SIZE,
					     .size = b->size};
			return addr == (uintptr_t)b->start ? LIVE : INSIDE;
		}
	}
	return addr >= LINEAR_BASE && addr - LINEAR_BASE < MAX_SIZE ? NO_BLOCK : NOT_HEAP;
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
	const char *bad = pl->slab ? first_not_red(slot_start(pl->slab, pl->slot), pl->start) : NULL;
	return bad ? bad : first_not_red(pl->start + pl->size, pl->end);
}

/* --- the public API ----------------------------------------------------------------------- */

#define ALIGN_RULE "align (%zu) must be a power of two, at most 4096"

static bool align_ok(size_t align)
{
	return align && !(align & (align - 1)) && align <= PAGE_SIZE;
}

static void *alloc(size_t size, size_t align, bool zero)
{
	if (align < MIN_ALIGN)
		align = MIN_ALIGN;
	if (size > MAX_SIZE)
		return NULL;
	IRQ_OFF_SCOPE();
	unsigned cls = class_for(size + (align - MIN_ALIGN) + RED_ZONE);
	char *p = cls < CLASSES ? small_alloc(cls, size, align) : big_alloc(size);
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
	return alloc(size, MIN_ALIGN, false);
}

void *heap_zalloc(size_t size)
{
	return alloc(size, MIN_ALIGN, true);
}

void *heap_alloc_aligned(size_t size, size_t align)
{
	REQUIRE(align_ok(align), ALIGN_RULE, align);
	return alloc(size, align, false);
}

void *heap_zalloc_array(size_t n, size_t size, size_t align)
{
	REQUIRE(align_ok(align), ALIGN_RULE, align);
	if (size && n > SIZE_MAX / size)
		return NULL;
	return alloc(n * size, align, true);
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
	if (pl.slab)
		small_free(pl.slab, pl.slot);
	else
		big_free(pl.link);
}

struct heap_stats heap_stats(void)
{
	IRQ_OFF_SCOPE(); /* a handler must not change it halfway through the copy */
	return stats;
}
