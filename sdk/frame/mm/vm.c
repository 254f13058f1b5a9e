/*
 * User address spaces: a four-level page table per space whose lower half maps client frames
 * and whose upper half is the kernel's, shared by every space. User memory is copied by
 * walking the page table in software, so a bad user address is an error, never a fault.
 */
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

struct vm_space {
	uint64_t magic;
	struct page_table pt; /* a PML4 whose lower half is the space's own */
	uint64_t root;	      /* the PML4's physical address, for CR3 */
};

static struct vm_space *active;

static bool user_page(uint64_t va)
{
	return va >= VM_USER_MIN && va < VM_USER_END && va % PAGE_SIZE == 0;
}

bool vm_space_live(const struct vm_space *space)
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
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
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
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	IRQ_OFF_SCOPE(); /* a space may be shared: no other task walks it meanwhile */
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	uint64_t old = user_page(uaddr) ? pt_unmap(&space->pt, uaddr) : 0;
	if (!old)
		return ERR_INVAL;
	struct frame f = frame_at_phys(old & PTE_ADDR);
	frame_map_count(f, -1);
	frame_put(f);
	return ERR_OK;
}

enum err vm_space_protect(struct vm_space *space, uint64_t uaddr, enum vm_prot prot)
{
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	REQUIRE(prot && !(prot & ~PROT_ALL), "prot (0x%x) must combine VM_READ, VM_WRITE and VM_EXEC", (unsigned)prot);
	IRQ_OFF_SCOPE(); /* a space may be shared: no other task walks it meanwhile */
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	return user_page(uaddr) && pt_protect(&space->pt, uaddr, page_flags(prot)) ? ERR_OK : ERR_INVAL;
}

enum err vm_space_query(struct vm_space *space, uint64_t uaddr, struct frame *frame_out, enum vm_prot *prot_out)
{
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
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

void vm_space_activate(struct vm_space *space)
{
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	IRQ_OFF_SCOPE();
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	if (active != space) {
		write_cr3(space->root);
		active = space;
	}
}

/* Copy len bytes between kernel memory and user memory, page by page, checking each page's
 * rights in the page table. to_user: kbuf -> uaddr, else uaddr -> kbuf. */
static enum err copy_user(struct vm_space *space, uint64_t uaddr, void *kbuf, size_t len, bool to_user)
{
	if (uaddr >= VM_USER_END || len > VM_USER_END - uaddr)
		return ERR_FAULT;
	char *k = kbuf;
	while (len) {
		uint64_t page = uaddr & ~(uint64_t)(PAGE_SIZE - 1);
		size_t chunk = PAGE_SIZE - (uaddr - page) < len ? PAGE_SIZE - (uaddr - page) : len;
		IRQ_OFF_SCOPE(); /* a page at a time: no other task unmaps it between lookup and copy */
		uint64_t e = vm_space_live(space) && page >= VM_USER_MIN ? entry_of(space, page) : 0;
		if (!(e & PTE_U) || !(prot_of(e) & (to_user ? VM_WRITE : VM_READ)))
			return ERR_FAULT; /* the rights the kernel asked for, not what x86 also lets through */
		char *mem = (char *)(LINEAR_BASE + (e & PTE_ADDR) + (uaddr - page)); /* a client frame */
		memcpy(to_user ? mem : k, to_user ? k : mem, chunk);
		uaddr += chunk;
		k += chunk;
		len -= chunk;
	}
	return ERR_OK;
}

enum err vm_copy_from_user(struct vm_space *space, void *dst, uint64_t uaddr, size_t len)
{
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(dst != NULL || len == 0, "dst must not be NULL (len is %zu)", len);
	CLIENT_WRITES(dst, len);
	return copy_user(space, uaddr, dst, len, false);
}

enum err vm_copy_to_user(struct vm_space *space, uint64_t uaddr, const void *src, size_t len)
{
	REQUIRE(cpu_local.irq_depth == 0, TASKS_ONLY);
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(src != NULL || len == 0, "src must not be NULL (len is %zu)", len);
	CLIENT_READS(src, len);
	return copy_user(space, uaddr, (void *)src, len, true);
}
