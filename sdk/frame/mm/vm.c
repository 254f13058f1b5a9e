/*
 * User address spaces: a four-level page table per space whose lower half maps client frames
 * and whose upper half is the kernel's, shared by every space. User memory is copied by
 * walking the page table in software, so a bad user address is an error, never a fault.
 */
#include "lib/hot.h"
#include "mm/vm.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "mm/frame_alloc.h"
#include "mm/kasan.h"
#include "mm/page_table.h"
#include <frame/heap.h>
#include "core/cpu_local.h"
#include "mm/heap.h"
#include <frame/string.h>
#include <stdbool.h>

#define SPACE_MAGIC 0x5350414345u /* "SPACE" */
#define PROT_ALL (VM_READ | VM_WRITE | VM_EXEC)
#define TASKS_ONLY "address spaces are used by tasks, not in interrupt context"
/* Mapping and copying in the running program's space: tasks, and fast system-call handlers
 * (which run for the task, interrupts off, with the program's space active). */
#define TASK_OR_FAST \
	(cpu_local.irq_depth == 0 || (cpu_local.fast_syscall && cpu_local.irq_depth == 1 && space == vm_active))

struct vm_space {
	uint64_t magic;
	struct page_table pt; /* a PML4 whose lower half is the space's own */
	uint64_t root;	      /* the PML4's physical address, for CR3 */
};

HOT_DATA struct vm_space *vm_active; /* the space in CR3, or NULL: the kernel-only tables */
#define active vm_active

static bool user_page(uint64_t va)
{
	return va >= VM_USER_MIN && va < VM_USER_END && va % PAGE_SIZE == 0;
}

HOT_PATH bool vm_space_live(const struct vm_space *space)
{
	return space && heap_readable(space, sizeof(*space)) && space->magic == SPACE_MAGIC;
}

/* A user page's entry bits for prot; the rights asked for are kept in the software bits. */
static uint64_t page_flags(enum vm_prot prot)
{
	return PTE_U | (prot & VM_WRITE ? PTE_W : 0) | (prot & VM_EXEC ? 0 : PTE_NX) | (uint64_t)prot << PTE_AVL_SHIFT;
}

static enum vm_prot prot_of(uint64_t entry)
{
	return (enum vm_prot)(entry >> PTE_AVL_SHIFT & PROT_ALL);
}

/* The entry of the page at va (page-aligned), 0 if nothing is mapped there. */
static uint64_t entry_of(struct vm_space *space, uint64_t va)
{
	uint64_t *e = pt_walk(&space->pt, va, false);
	return e && (*e & PTE_P) ? *e : 0;
}

/* Whether [uaddr, uaddr + pages pages) is a non-empty run of user pages. */
static bool user_range(uint64_t uaddr, size_t pages)
{
	return pages && user_page(uaddr) && pages <= (VM_USER_END - uaddr) / PAGE_SIZE;
}

/* The entry of the first mapped page at or after *va and below end, with *va moved to it; 0 if
 * none. Tables that are not there are skipped whole. */
static uint64_t next_mapped(struct vm_space *space, uint64_t *va, uint64_t end)
{
	while (*va < end) {
		uint64_t *t = space->pt.top, e = 0;
		int level = 4;
		for (;; level--) {
			e = t[*va >> (12 + 9 * (level - 1)) & 511];
			if (!(e & PTE_P) || level == 1)
				break;
			t = pt_target(e);
		}
		if (e & PTE_P)
			return e;
		uint64_t span = (uint64_t)PAGE_SIZE << 9 * (level - 1); /* what the missing entry covers */
		*va = (*va & ~(span - 1)) + span;
	}
	return 0;
}

/* Unmap the page at va and drop the space's reference to its frame; false if it was not mapped. */
static bool unmap_page(struct vm_space *space, uint64_t va)
{
	uint64_t old = pt_unmap(&space->pt, va); /* one walk */
	if (!old)
		return false;
	struct frame f = frame_at_phys(old & PTE_ADDR);
	frame_map_count(f, -1);
	frame_put(f);
	return true;
}

enum err vm_space_create(struct vm_space **out)
{
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	REQUIRE(out != NULL, "out must not be NULL");
	CLIENT_OBJECT(out);
	struct vm_space *space = HEAP_NEW(struct vm_space);
	uint64_t root = space ? pt_table_alloc() : 0;
	if (!root) {
		heap_free(space);
		return ERR_NOMEM;
	}
	*space = (struct vm_space){SPACE_MAGIC, {pt_target(root), 4, 1, pt_table_alloc}, root};
	memcpy(space->pt.top + 256, boot_pml4 + 256, 256 * sizeof(uint64_t)); /* the shared kernel half */
	*out = space;
	return ERR_OK;
}

/* Drop every mapping below a table entry at the given level, then free the table. */
static void free_tree(uint64_t entry, int level)
{
	uint64_t *t = pt_target(entry);
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1) {
			free_tree(t[i], level - 1);
		} else {
			struct frame f = frame_at_phys(t[i] & PTE_ADDR);
			frame_map_count(f, -1);
			frame_put(f);
		}
	}
	pt_table_free(entry & PTE_ADDR);
}

void vm_space_destroy(struct vm_space *space)
{
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	IRQ_OFF_SCOPE(); /* a task sharing the space sees it whole or not at all */
	REQUIRE(vm_space_live(space), "space is not a live vm_space (destroyed twice?)");
	if (active == space) {
		write_cr3((uint64_t)boot_pml4 - KERNEL_BASE);
		active = NULL;
	}
	for (int i = 0; i < 256; i++)
		if (space->pt.top[i] & PTE_P)
			free_tree(space->pt.top[i], 3);
	pt_table_free(space->root);
	space->magic = 0;
	heap_free(space);
}

enum err vm_space_map(struct vm_space *space, uint64_t uaddr, struct frame frame, enum vm_prot prot)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(prot && !(prot & ~PROT_ALL), "prot (0x%x) must combine VM_READ, VM_WRITE and VM_EXEC", (unsigned)prot);
	uint64_t phys = frame_phys(frame);
	REQUIRE(phys != 0, "the frame was freed (its last reference dropped) or never allocated");
	if (!user_page(uaddr))
		return ERR_INVAL;
	IRQ_OFF_SCOPE();  /* a space may be shared: no other task walks it meanwhile */
	frame_get(frame); /* the space's reference first: the frame outlives the entry */
	frame_map_count(frame, 1);
	enum err e = pt_map(&space->pt, uaddr, phys, page_flags(prot));
	if (e != ERR_OK) {
		frame_map_count(frame, -1);
		frame_put(frame);
	}
	return e;
}

enum err vm_space_unmap(struct vm_space *space, uint64_t uaddr)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	IRQ_OFF_SCOPE(); /* a space may be shared: no other task walks it meanwhile */
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	return user_page(uaddr) && unmap_page(space, uaddr) ? ERR_OK : ERR_INVAL;
}

enum err vm_space_protect(struct vm_space *space, uint64_t uaddr, enum vm_prot prot)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(prot && !(prot & ~PROT_ALL), "prot (0x%x) must combine VM_READ, VM_WRITE and VM_EXEC", (unsigned)prot);
	IRQ_OFF_SCOPE(); /* a space may be shared: no other task walks it meanwhile */
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	return user_page(uaddr) && pt_protect(&space->pt, uaddr, page_flags(prot)) ? ERR_OK : ERR_INVAL;
}

enum err vm_space_query(struct vm_space *space, uint64_t uaddr, struct frame *frame_out, enum vm_prot *prot_out)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	IRQ_OFF_SCOPE(); /* a space may be shared: no other task walks it meanwhile */
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	uint64_t page = uaddr & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t e = user_page(page) ? entry_of(space, page) : 0;
	if (!e)
		return ERR_INVAL;
	if (frame_out)
		*frame_out = frame_at_phys(e & PTE_ADDR);
	if (prot_out)
		*prot_out = prot_of(e);
	return ERR_OK;
}

enum err vm_space_map_range(struct vm_space *space, uint64_t uaddr, const struct frame *frames, size_t pages,
			    enum vm_prot prot)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(prot && !(prot & ~PROT_ALL), "prot (0x%x) must combine VM_READ, VM_WRITE and VM_EXEC", (unsigned)prot);
	REQUIRE(frames != NULL || pages == 0, "frames must not be NULL (pages is %zu)", pages);
	if (!user_range(uaddr, pages))
		return ERR_INVAL;
	CLIENT_READS(frames, pages * sizeof(*frames));
	for (size_t i = 0; i < pages; i++)
		REQUIRE(frame_phys(frames[i]) != 0,
			"frames[%zu] was freed (its last reference dropped) or never allocated", i);
	IRQ_OFF_SCOPE(); /* the whole range at once: a task sharing the space sees all or nothing */
	uint64_t end = uaddr + pages * PAGE_SIZE, at = uaddr;
	if (next_mapped(space, &at, end))
		return ERR_EXIST;
	for (size_t i = 0; i < pages; i++) {
		uint64_t va = uaddr + i * PAGE_SIZE;
		frame_get(frames[i]); /* the space's reference first: the frame outlives the entry */
		frame_map_count(frames[i], 1);
		if (pt_map(&space->pt, va, frame_phys(frames[i]), page_flags(prot)) != ERR_OK) { /* ERR_NOMEM */
			frame_map_count(frames[i], -1);
			frame_put(frames[i]);
			while (va > uaddr)
				unmap_page(space, va -= PAGE_SIZE);
			return ERR_NOMEM;
		}
	}
	return ERR_OK;
}

enum err vm_space_unmap_range(struct vm_space *space, uint64_t uaddr, size_t pages)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	if (!user_range(uaddr, pages))
		return ERR_INVAL;
	IRQ_OFF_SCOPE(); /* the whole range at once: a task sharing the space sees all or nothing */
	for (uint64_t va = uaddr, end = uaddr + pages * PAGE_SIZE; next_mapped(space, &va, end); va += PAGE_SIZE)
		unmap_page(space, va);
	return ERR_OK;
}

enum err vm_space_protect_range(struct vm_space *space, uint64_t uaddr, size_t pages, enum vm_prot prot)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(prot && !(prot & ~PROT_ALL), "prot (0x%x) must combine VM_READ, VM_WRITE and VM_EXEC", (unsigned)prot);
	if (!user_range(uaddr, pages))
		return ERR_INVAL;
	IRQ_OFF_SCOPE(); /* the whole range at once: a task sharing the space sees all or nothing */
	for (uint64_t va = uaddr, end = uaddr + pages * PAGE_SIZE; next_mapped(space, &va, end); va += PAGE_SIZE)
		pt_protect(&space->pt, va, page_flags(prot));
	return ERR_OK;
}

bool vm_space_next_mapping(struct vm_space *space, uint64_t *cursor, struct vm_mapping *out)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(cursor != NULL && out != NULL, "cursor and out must not be NULL");
	CLIENT_OBJECT(cursor);
	CLIENT_OBJECT(out);
	IRQ_OFF_SCOPE(); /* a space may be shared: no other task walks it meanwhile */
	if (*cursor >= VM_USER_END)
		return false;
	uint64_t va = *cursor < VM_USER_MIN ? VM_USER_MIN : (*cursor + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t e = next_mapped(space, &va, VM_USER_END);
	if (!e)
		return false;
	*out = (struct vm_mapping){va, frame_at_phys(e & PTE_ADDR), prot_of(e)};
	*cursor = va + PAGE_SIZE;
	return true;
}

void vm_space_activate(struct vm_space *space)
{
	REQUIRE(!cpu_local.fast_syscall, "a fast system-call handler may not switch address spaces");
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	IRQ_OFF_SCOPE();
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	vm_space_switch(space);
}

HOT_PATH void vm_space_switch(struct vm_space *space)
{
	if (active != space) {
		write_cr3(space->root);
		active = space;
	}
}

/* Copy len bytes between kernel memory and user memory, page by page, checking each page's
 * rights in the page table; *done counts the bytes copied. to_user: kbuf -> uaddr, else
 * uaddr -> kbuf. */
static enum err copy_user(struct vm_space *space, uint64_t uaddr, void *kbuf, size_t len, bool to_user, size_t *done)
{
	char *k = kbuf;
	*done = 0;
	while (*done < len) {
		uint64_t page = uaddr & ~(uint64_t)(PAGE_SIZE - 1);
		size_t chunk = PAGE_SIZE - (uaddr - page) < len - *done ? PAGE_SIZE - (uaddr - page) : len - *done;
		IRQ_OFF_SCOPE(); /* a page at a time: no other task unmaps it between lookup and copy */
		uint64_t e = user_page(page) && vm_space_live(space) ? entry_of(space, page) : 0;
		if (!(e & PTE_U) || !(prot_of(e) & (to_user ? VM_WRITE : VM_READ)))
			return ERR_FAULT; /* the rights the kernel asked for, not what x86 also lets through */
		char *mem = (char *)(LINEAR_BASE + (e & PTE_ADDR) + (uaddr - page)); /* a client frame */
		memcpy(to_user ? mem : k, to_user ? k : mem, chunk);
		uaddr += chunk; /* below VM_USER_END: no wrap */
		k += chunk;
		*done += chunk;
	}
	return ERR_OK;
}

enum err vm_copy_from_user_partial(struct vm_space *space, void *dst, uint64_t uaddr, size_t len, size_t *done)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(dst != NULL || len == 0, "dst must not be NULL (len is %zu)", len);
	REQUIRE(done != NULL, "done must not be NULL (use vm_copy_from_user())");
	CLIENT_WRITES(dst, len);
	CLIENT_OBJECT(done);
	return copy_user(space, uaddr, dst, len, false, done);
}

enum err vm_copy_to_user_partial(struct vm_space *space, uint64_t uaddr, const void *src, size_t len, size_t *done)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(src != NULL || len == 0, "src must not be NULL (len is %zu)", len);
	REQUIRE(done != NULL, "done must not be NULL (use vm_copy_to_user())");
	CLIENT_READS(src, len);
	CLIENT_OBJECT(done);
	return copy_user(space, uaddr, (void *)src, len, true, done);
}

enum err vm_copy_from_user(struct vm_space *space, void *dst, uint64_t uaddr, size_t len)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(dst != NULL || len == 0, "dst must not be NULL (len is %zu)", len);
	CLIENT_WRITES(dst, len);
	size_t done;
	return copy_user(space, uaddr, dst, len, false, &done);
}

enum err vm_copy_to_user(struct vm_space *space, uint64_t uaddr, const void *src, size_t len)
{
	REQUIRE(TASK_OR_FAST, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(src != NULL || len == 0, "src must not be NULL (len is %zu)", len);
	CLIENT_READS(src, len);
	size_t done;
	return copy_user(space, uaddr, (void *)src, len, true, &done);
}
