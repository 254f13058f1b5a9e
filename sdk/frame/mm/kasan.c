/*
 * The kernel address sanitizer's runtime. Client code (kernels and client libraries) is built
 * with -fsanitize=kernel-address: it calls __asan_loadN()/__asan_storeN() before every access,
 * and its functions poison red zones around their local arrays themselves. The shadow holds one
 * byte for every 8 bytes of the kernel's memory, at (address >> 3) + SHADOW_OFFSET (PML4 slot
 * 503): 0 if a client may use all 8, k if only the first k, a poison (mm/kasan.h) if none.
 *
 * Shadow exists only where a client may own memory: the kernel image (its own globals), the
 * stacks of the kernel area, the heap area. An address anywhere else (the linear map, device
 * memory, user space, nowhere) is a wild access without looking. The frame is not
 * instrumented; its allocators keep the shadow up to date through the hooks of mm/kasan.h.
 */
#include "lib/hot.h"
#include "mm/kasan.h"
#include "arch/x86_64/layout.h"
#include "boot/bootinfo.h"
#include "check.h"
#include "core/panic_report.h"
#include "lib/ksyms.h"
#include "mm/frame_alloc.h"
#include "mm/kernel_area.h"
#include "mm/kernel_map.h"
#include "mm/page_table.h"
#include <frame/panic.h>
#include <frame/string.h>
#include "lib/format.h"
#include <stdarg.h>
#include "mm/heap.h"

#define PAGE 4096ull
#define SHADOW_OFFSET 0xdffffc0000000000ull /* GCC's -fasan-shadow-offset (kernel.mk) */
#define SHADOW_PML4_SLOT 503		    /* where the shadow of the top 512 GiB lies */
#define STACK_DEPTH 4			    /* client frames kept for where a heap block was allocated and freed */
#define RECORDS 1024			    /* heap blocks remembered for reports */
#define MAX_GLOBALS 64			    /* registrations of client globals remembered for reports */

extern char __client_data_start[], __client_data_end[], __client_bss_start[], __client_bss_end[];

static uint64_t shadow_pdpt[512] __attribute__((aligned(4096)));
static const struct page_table shadow_pt = {shadow_pdpt, 3, 1, pt_table_alloc};
static inline __attribute__((always_inline)) bool watched(uint64_t addr, uint64_t end);
HOT_DATA static bool ready; /* the shadow is set up: checks are on */

/* --- the shadow ----------------------------------------------------------------------------- */

static int8_t *shadow(uint64_t addr)
{
	return (int8_t *)((addr >> 3) + SHADOW_OFFSET);
}

/* The shadow of the 64 bytes at addr (a multiple of 64), eight granules in one load. */
static uint64_t shadow_word(uint64_t addr)
{
	typedef uint64_t __attribute__((may_alias)) word; /* read through the int8_t shadow */
	return *(const word *)shadow(addr);
}

/* Map the shadow of [lo, hi) where it is missing; new shadow pages are filled with fill. False
 * when memory ran out (what was mapped stays: it is shadow of nothing yet). */
static bool shadow_map(uint64_t lo, uint64_t hi, uint8_t fill)
{
	for (uint64_t s = (uint64_t)shadow(lo) & ~(PAGE - 1); s < (uint64_t)shadow(hi - 1) + 1; s += PAGE) {
		uint64_t *e = pt_walk(&shadow_pt, s, false);
		if (e && (*e & PTE_P))
			continue;
		uint64_t phys = typed_frame_alloc();
		if (!phys)
			return false;
		if (pt_map(&shadow_pt, s, phys, PTE_W | PTE_NX) != ERR_OK) {
			typed_frame_free(phys);
			return false;
		}
		memset((void *)s, fill, PAGE);
	}
	return true;
}

/* Unmap the shadow page at s (if mapped) and free its frame. */
static void shadow_unmap(uint64_t s)
{
	uint64_t old = pt_unmap(&shadow_pt, s);
	if (old)
		typed_frame_free(old & PTE_ADDR);
}

/* Mark [lo, hi) (lo a multiple of 8) with code: poisoned through the granule hi falls in. */
static void poison(uint64_t lo, uint64_t hi, uint8_t code)
{
	if (hi > lo)
		memset(shadow(lo), code, (hi - lo + 7) / 8);
}

/* Make [lo, lo + len) (lo a multiple of 8) usable: the last granule may be partly so. */
static void unpoison(uint64_t lo, size_t len)
{
	memset(shadow(lo), 0, len / 8);
	if (len % 8)
		*shadow(lo + len - len % 8) = (int8_t)(len % 8);
}

void kasan_readable(const void *p, size_t len)
{
	uint64_t lo = (uint64_t)p & ~7ull;
	if (ready && watched(lo, (uint64_t)p + len))
		poison(lo, (uint64_t)p + len, KASAN_LENT);
}

void kasan_init(void)
{
	boot_pml4[SHADOW_PML4_SLOT] = ((uint64_t)shadow_pdpt - KERNEL_BASE) | PTE_P | PTE_W;
	uint64_t start = (uint64_t)__kernel_start, data = (uint64_t)__data_start, end = (uint64_t)__kernel_end;
	if (!shadow_map(start, end, KASAN_FRAME))
		panic("the address sanitizer has no memory for the shadow of the kernel image");
	poison(start, data, KASAN_READ_ONLY); /* code and constants: anyone may read them */
	poison(data, end, KASAN_FRAME);
	unpoison((uint64_t)__client_data_start, (size_t)(__client_data_end - __client_data_start));
	unpoison((uint64_t)__client_bss_start, (size_t)(__client_bss_end - __client_bss_start));
	for (const struct stack_guard *g = kernel_map_stack(0); g; g = kernel_map_stack(g))
		unpoison(g->page + PAGE, g->size); /* the boot stack, the exception stacks */
	ready = true;
	/* what <frame/boot.h> hands out: the boot loader's name, the command line, module names */
	kasan_readable(boot_info.loader, sizeof(boot_info.loader));
	kasan_readable(boot_info.cmdline, sizeof(boot_info.cmdline));
	for (size_t i = 0; i < BOOT_MAX_MODULES; i++)
		kasan_readable(boot_info.modules[i].name, sizeof(boot_info.modules[i].name));
}

/* A stack's shadow lives as long as the stack: a slot's shadow pages serve no other slot. */
static void stack_shadow_free(uint64_t low, size_t size)
{
	for (uint64_t s = (uint64_t)shadow(low) & ~(PAGE - 1); s < (uint64_t)shadow(low + size - 1) + 1; s += PAGE)
		shadow_unmap(s);
}

bool kasan_stack(uint64_t low, size_t size, bool mapped)
{
	if (mapped) {
		if (!shadow_map(low, low + size, 0)) {
			stack_shadow_free(low, size);
			return false;
		}
		unpoison(low, size); /* a new task starts with no red zones of an old one */
		return true;
	}
	stack_shadow_free(low, size);
	return true;
}

/* --- heap blocks: where they were allocated and freed ---------------------------------------- */

struct record {
	uint64_t block;
	size_t size;
	uint64_t alloc[STACK_DEPTH], free[STACK_DEPTH]; /* return addresses in client code, 0-ended */
};
static struct record records[RECORDS]; /* by the block's address, the newest wins a clash */

static bool client_code(uint64_t addr)
{
	return addr >= (uint64_t)__client_text_start && addr < (uint64_t)__client_text_end;
}

/* The return addresses of the client's functions on the stack of the heap's caller. */
static void client_stack(uint64_t *out)
{
	uint64_t rbp = (uint64_t)__builtin_frame_address(0);
	int n = 0;
	for (int depth = 0; depth < 16 && n < STACK_DEPTH; depth++) {
		if (rbp % 8 || !kernel_stack_contains(rbp, rbp + 16))
			break;
		const uint64_t *frame = (const uint64_t *)rbp;
		if (client_code(frame[1]))
			out[n++] = frame[1];
		rbp = frame[0];
	}
	if (n < STACK_DEPTH)
		out[n] = 0;
}

static struct record *record_of(uint64_t block)
{
	return &records[(block >> 4) % RECORDS];
}

void kasan_heap_alloc(const void *block, size_t size, const void *slot, size_t slot_size, const void *caller)
{
	if (!ready)
		return;
	if (!client_code((uint64_t)caller)) { /* the frame's own object (a task's bookkeeping) */
		poison((uint64_t)slot, (uint64_t)slot + slot_size, KASAN_FRAME);
		return;
	}
	poison((uint64_t)slot, (uint64_t)slot + slot_size, KASAN_HEAP_RED);
	unpoison((uint64_t)block, size);
	struct record *r = record_of((uint64_t)block);
	*r = (struct record){.block = (uint64_t)block, .size = size};
	client_stack(r->alloc);
}

void kasan_heap_free(const void *block, size_t size, const void *slot, size_t slot_size)
{
	(void)size;
	if (!ready)
		return;
	poison((uint64_t)slot, (uint64_t)slot + slot_size, KASAN_HEAP_FREED);
	struct record *r = record_of((uint64_t)block);
	if (r->block == (uint64_t)block)
		client_stack(r->free);
}

bool kasan_heap_pages(uint64_t va, size_t pages, bool mapped)
{
	if (!ready)
		return true;
	if (mapped) {
		if (!shadow_map(va, va + pages * PAGE, KASAN_HEAP_META))
			return false; /* the caller unmaps the pages again, and their shadow goes with them */
		poison(va, va + pages * PAGE, KASAN_HEAP_META);
		return true;
	}
	/* A shadow page serves 8 heap pages: it goes when none of them is mapped any more. */
	uint64_t span = 8 * PAGE;
	for (uint64_t g = va & ~(span - 1); g < va + pages * PAGE; g += span) {
		bool used = false;
		for (uint64_t p = g; p < g + span; p += PAGE)
			used |= heap_page_mapped(p);
		if (!used)
			shadow_unmap((uint64_t)shadow(g));
	}
	return true;
}

/* --- client globals ------------------------------------------------------------------------- */

/* What GCC passes for each instrumented global (the ASan ABI, version 8). */
struct asan_global {
	uint64_t beg;
	size_t size, size_with_redzone;
	const char *name, *module;
	size_t has_dynamic_init;
	void *location;
	size_t odr_indicator;
};
static struct {
	const struct asan_global *g;
	size_t n;
} globals[MAX_GLOBALS];
static unsigned global_sets;

/* Whether [beg, beg + size) lies in [lo, hi), without wrapping. */
static bool in(uint64_t beg, uint64_t size, uint64_t lo, uint64_t hi)
{
	return beg >= lo && beg <= hi && size <= hi - beg;
}

void __asan_register_globals(struct asan_global *g, size_t n);
void __asan_register_globals(struct asan_global *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (g[i].beg % 8 || g[i].size > g[i].size_with_redzone ||
		    !(in(g[i].beg, g[i].size_with_redzone, (uint64_t)__kernel_start, (uint64_t)__data_start) ||
		      in(g[i].beg, g[i].size_with_redzone, (uint64_t)__client_data_start,
			 (uint64_t)__client_data_end) ||
		      in(g[i].beg, g[i].size_with_redzone, (uint64_t)__client_bss_start, (uint64_t)__client_bss_end)))
			continue; /* not a client's constant or variable: leave it as it is */
		poison(g[i].beg, g[i].beg + g[i].size_with_redzone, KASAN_GLOBAL_RED);
		if (g[i].beg < (uint64_t)__data_start) /* a constant: read-only, to the end of its granule */
			poison(g[i].beg, g[i].beg + g[i].size, KASAN_READ_ONLY);
		else
			unpoison(g[i].beg, g[i].size);
	}
	if (global_sets < MAX_GLOBALS)
		globals[global_sets++] = (typeof(globals[0])){g, n};
}

void __asan_unregister_globals(struct asan_global *g, size_t n);
void __asan_unregister_globals(struct asan_global *g, size_t n)
{
	(void)g, (void)n; /* a kernel's globals live as long as it does */
}

/* The registered global whose red zone holds addr, or NULL. */
static const struct asan_global *global_of(uint64_t addr)
{
	for (unsigned s = 0; s < global_sets; s++)
		for (size_t i = 0; i < globals[s].n; i++) {
			const struct asan_global *g = &globals[s].g[i];
			if (addr - g->beg < g->size_with_redzone)
				return g;
		}
	return NULL;
}

/* --- reports -------------------------------------------------------------------------------- */

static const char *kind_of(int8_t code)
{
	switch ((uint8_t)code) {
	case KASAN_STACK_LEFT:
	case KASAN_STACK_MID:
	case KASAN_STACK_RIGHT:
		return "stack out of bounds";
	case KASAN_STACK_SCOPE:
		return "use of a local variable after its scope ended";
	case KASAN_GLOBAL_RED:
		return "global out of bounds";
	case KASAN_HEAP_RED:
		return "heap out of bounds";
	case KASAN_HEAP_FREED:
		return "heap use after free";
	case KASAN_HEAP_META:
		return "wild access to the heap (no block there)";
	case KASAN_READ_ONLY:
	case KASAN_LENT:
		return "write to read-only memory";
	default:
		return "wild access to the frame's own memory";
	}
}

/* What a wild address (no shadow) is, for the report. */
static const char *wild_kind(uint64_t addr)
{
	if (addr < PAGE)
		return "NULL pointer dereference";
	if (addr < 0x0000800000000000ull)
		return "wild access to a user address (copy user memory with vm_copy_from_user())";
	if (addr < LINEAR_BASE)
		return "wild access to a non-canonical address";
	if (addr < LINEAR_BASE + ((uint64_t)LINEAR_MAX_GIB << 30))
		return "wild access to physical memory through the linear map (a pointer made from a number?)";
	if (addr - HEAP_AREA_BASE < HEAP_AREA_SIZE)
		return "heap use after free (the block's page was given back)";
	if (addr - KERNEL_AREA_STACKS < KERNEL_AREA_STACKS_SIZE)
		return "wild access to a kernel stack that is not live";
	return "wild access to memory the client does not own";
}

/* A report being written: text appended with say(), cut at the end of the buffer. */
struct text {
	char *buf;
	size_t size, used;
};

static void say(struct text *t, const char *fmt, ...) FRAME_PRINTF(2, 3);
static void say(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = format_vbuf(t->buf + t->used, t->size - t->used, fmt, ap);
	va_end(ap);
	t->used = t->used + n < t->size ? t->used + n : t->size - 1;
}

/* Say which heap block addr is in (or just past), and fill where it was allocated and freed. */
static void describe_block(struct text *t, uint64_t addr, uint64_t *alloc, uint64_t *freed)
{
	uint64_t start;
	size_t bytes;
	bool live;
	if (!heap_block_of(addr, &start, &bytes, &live))
		return;
	const struct record *r = record_of(start);
	if (r->block == start) {
		memcpy(alloc, r->alloc, sizeof(r->alloc));
		if (!live)
			memcpy(freed, r->free, sizeof(r->free));
	}
	long long off = (long long)(addr - start);
	if (off >= (long long)bytes)
		say(t, ", %lld bytes past the end of the %zu-byte %sblock at %p", off - (long long)bytes, bytes,
		    live ? "" : "freed ", (void *)start);
	else
		say(t, ", %lld bytes into the %zu-byte %sblock at %p", off, bytes, live ? "" : "freed ", (void *)start);
}

static void say_stack(struct text *t, const char *title, const uint64_t *pcs)
{
	if (!pcs[0])
		return;
	say(t, "  %s:\n", title);
	for (int i = 0; i < STACK_DEPTH && pcs[i]; i++) {
		char sym[96];
		const char *file;
		int line;
		say(t, "    #%d %s", i, symbolize(pcs[i], true, sym, sizeof(sym)));
		if (ksym_line(pcs[i], true, &file, &line))
			say(t, " at %s:%d", file, line);
		say(t, "\n");
	}
}

/* Panic for a bad access by the client code at caller: the kind, the access, what was there. */
/* code: the shadow of the bad byte, or 0 for an address with no shadow (wild: what it is). */
static FRAME_NORETURN void report(uint64_t addr, size_t len, bool write, uint64_t bad, int8_t code, const char *wild,
				  uint64_t caller)
{
	const char *kind = code ? kind_of(code) : wild;
	static char what_buf[256], details_buf[1024];
	struct text what = {what_buf, sizeof(what_buf), 0}, details = {details_buf, sizeof(details_buf), 0};
	uint64_t alloc[STACK_DEPTH] = {0}, freed[STACK_DEPTH] = {0};
	say(&what, "%s of %zu byte%s at %p", write ? "write" : "read", len, len == 1 ? "" : "s", (void *)addr);
	if (bad != addr)
		say(&what, " (its byte %lld is bad)", (long long)(bad - addr));
	const struct asan_global *g = code == (int8_t)KASAN_GLOBAL_RED ? global_of(bad) : NULL;
	if (g)
		say(&what, ", %lld bytes past the end of the %zu-byte global '%s'", (long long)(bad - g->beg - g->size),
		    g->size, g->name);
	else
		describe_block(&what, bad, alloc, freed);
	say_stack(&details, "the block was allocated at", alloc);
	say_stack(&details, "and freed at", freed);
	panic_details(details_buf);
	char sym[96];
	const char *file = "?";
	int line = 0;
	ksym_line(caller, true, &file, &line);
	symbolize(caller, true, sym, sizeof(sym));
	panic_from(panic_frame_of(caller), file, line, sym, "address sanitizer: %s: %s (in %s)", kind, what_buf, sym);
}

/* --- the checks ----------------------------------------------------------------------------- */

/* Whether every heap page of [addr, end) is mapped. */
static bool heap_range_mapped(uint64_t addr, uint64_t end)
{
	for (uint64_t p = addr & ~(PAGE - 1); p < end; p += PAGE)
		if (!heap_page_mapped(p))
			return false;
	return true;
}

/* Whether [addr, end) lies where there is shadow; addr's region decides. */
static inline __attribute__((always_inline)) bool watched(uint64_t addr, uint64_t end)
{
	if (addr - HEAP_AREA_BASE < HEAP_AREA_SIZE && end - HEAP_AREA_BASE <= HEAP_AREA_SIZE)
		return heap_page_mapped(addr) && heap_page_mapped(end - 1) &&
		       (end - addr <= PAGE || heap_range_mapped(addr, end));
	if (addr >= (uint64_t)__kernel_start && end <= (uint64_t)__kernel_end)
		return true;
	if (addr - KERNEL_AREA_STACKS < KERNEL_AREA_STACKS_SIZE) /* a live stack has its shadow */
		return kernel_area_stack_contains(addr, end);
	return false;
}

/* The poison after the granule of addr (what a partly usable granule's object is: a heap block,
 * a global, a local); a heap red zone if there is nothing to look at. */
static int8_t next_code(uint64_t addr)
{
	uint64_t next = (addr | 7) + 1;
	int8_t s = watched(next, next + 1) ? *shadow(next) : 0;
	return s < 0 ? s : (int8_t)KASAN_HEAP_RED;
}

/* Whether a client may read (not write) the granule whose shadow is s. */
static bool read_only(int8_t s)
{
	return s == (int8_t)KASAN_READ_ONLY || s == (int8_t)KASAN_LENT;
}

/* The first byte of [addr, end) a client may not access, or 0; *code gets its shadow. */
static inline __attribute__((always_inline)) uint64_t first_bad(uint64_t addr, uint64_t end, bool write, int8_t *code)
{
	for (uint64_t a = addr; a < end; a = (a | 7) + 1) {
		while (a % 64 == 0 && end - a >= 64 && shadow_word(a) == 0)
			a += 64; /* eight usable granules at once: large objects and buffers are checked fast */
		if (a >= end)
			break;
		int8_t s = *shadow(a);
		if (s == 0 || (!write && read_only(s)))
			continue;
		if (s > 0 && (int8_t)(a & 7) < s) { /* the first s bytes of the granule are usable */
			uint64_t limit = (a & ~7ull) + (uint64_t)s;
			if (end <= limit)
				continue;
			*code = next_code(limit);
			return limit;
		}
		*code = s > 0 ? next_code(a) : s;
		return a;
	}
	return 0;
}

HOT_PATH static void check_slow(uint64_t addr, size_t len, bool write, uint64_t caller)
{
	uint64_t end = addr + len;
	if (end < addr)
		report(addr, len, write, addr, 0, "wild access wrapping around the address space", caller);
	if (!watched(addr, end))
		report(addr, len, write, addr, 0, wild_kind(addr), caller);
	int8_t code;
	uint64_t bad = first_bad(addr, end, write, &code);
	if (bad)
		report(addr, len, write, bad, code, NULL, caller);
}

/* The common case first, inline in every entry point: an access within one 8-byte granule of a
 * mapped heap page or of the kernel image, whose shadow allows it. Anything else takes the
 * slow path, which decides (and reports). */
static inline __attribute__((always_inline)) void check(uint64_t addr, size_t len, bool write, uint64_t caller)
{
	if (!ready || !len)
		return;
	uint64_t last = addr + len - 1;
	if (last >= addr && addr >> 3 == last >> 3 &&
	    (heap_page_mapped(addr) || (addr >= (uint64_t)__kernel_start && addr < (uint64_t)__kernel_end))) {
		int8_t s = *shadow(addr);
		if (s == 0 || (s > 0 && (int8_t)(last & 7) < s) || (!write && read_only(s)))
			return;
	}
	check_slow(addr, len, write, caller);
}

bool kasan_client_owns(const void *p, size_t len)
{
	uint64_t addr = (uint64_t)p, end = addr + len;
	int8_t code;
	return end >= addr && watched(addr, end) && !first_bad(addr, end, true, &code);
}

bool kasan_frame_owns(const void *p, size_t len)
{
	uint64_t addr = (uint64_t)p, end = addr + len;
	if (end < addr || addr % 8 || !watched(addr, end))
		return false;
	const uint64_t frame_word = 0x0101010101010101ull * (uint8_t)KASAN_FRAME;
	for (uint64_t a = addr; a < end; a += 8) {
		while (a % 64 == 0 && end - a >= 64 && shadow_word(a) == frame_word)
			a += 64; /* eight granules of the frame's at once */
		if (a >= end)
			break;
		if (*shadow(a) != (int8_t)KASAN_FRAME &&
		    *shadow(a) != (int8_t)KASAN_LENT) /* the frame's, lent or not */
			return false;
	}
	return true;
}

HOT_PATH void kasan_client_access(const void *p, size_t len, bool write, const void *caller)
{
	check((uint64_t)p, len, write, (uint64_t)caller);
}

/* The entry points GCC calls: __asan_{load,store}{1,2,4,8,16,N}[_noabort]. */
#define CALLER ((uint64_t)__builtin_return_address(0))
#define ACCESS(name, size, write) \
	void name(uint64_t addr); \
	void name(uint64_t addr) \
	{ \
		check(addr, size, write, CALLER); \
	} \
	void name##_noabort(uint64_t addr); \
	void name##_noabort(uint64_t addr) \
	{ \
		check(addr, size, write, CALLER); \
	}
ACCESS(__asan_load1, 1, false)
ACCESS(__asan_load2, 2, false)
ACCESS(__asan_load4, 4, false)
ACCESS(__asan_load8, 8, false)
ACCESS(__asan_load16, 16, false)
ACCESS(__asan_store1, 1, true)
ACCESS(__asan_store2, 2, true)
ACCESS(__asan_store4, 4, true)
ACCESS(__asan_store8, 8, true)
ACCESS(__asan_store16, 16, true)

#define ACCESS_N(name, write) \
	void name(uint64_t addr, size_t size); \
	void name(uint64_t addr, size_t size) \
	{ \
		check(addr, size, write, CALLER); \
	} \
	void name##_noabort(uint64_t addr, size_t size); \
	void name##_noabort(uint64_t addr, size_t size) \
	{ \
		check(addr, size, write, CALLER); \
	}
ACCESS_N(__asan_loadN, false)
ACCESS_N(__asan_storeN, true)

/* Before a call that does not return (a panic, task_exit()): nothing to undo, the stack's
 * shadow is reset when it is reused. */
void __asan_handle_no_return(void);
void __asan_handle_no_return(void)
{
}

/* Large locals going in and out of scope (small ones are poisoned by inline code): only ever
 * on a stack, so the shadow of nothing else can change through them. */
void __asan_poison_stack_memory(uint64_t addr, size_t size);
void __asan_poison_stack_memory(uint64_t addr, size_t size)
{
	if (addr % 8 == 0 && addr + size >= addr && kernel_stack_contains(addr, addr + size))
		poison(addr, addr + size, KASAN_STACK_SCOPE);
}

void __asan_unpoison_stack_memory(uint64_t addr, size_t size);
void __asan_unpoison_stack_memory(uint64_t addr, size_t size)
{
	if (addr % 8 == 0 && addr + size >= addr && kernel_stack_contains(addr, addr + size))
		unpoison(addr, size);
}
