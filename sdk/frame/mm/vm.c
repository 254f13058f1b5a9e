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
#include <frame/heap.h>
#include <frame/string.h>
#include <stdbool.h>

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_NX (1ull << 63)
#define PTE_PROT_SHIFT 9 /* the rights asked for, kept in the entry's available bits 9..11 */
#define PTE_ADDR 0x000ffffffffff000ull
#define SPACE_MAGIC 0x5350414345u /* "SPACE" */
#define PROT_ALL (VM_READ | VM_WRITE | VM_EXEC)

struct vm_space {
	uint64_t magic;
	uint64_t root; /* physical address of the PML4 */
};

extern uint64_t boot_pml4[512];
static struct vm_space *active;

static uint64_t *table(uint64_t phys)
{
	return (uint64_t *)(LINEAR_BASE + (phys & PTE_ADDR));
}
static bool user_page(uint64_t va)
{
	return va >= VM_USER_MIN && va < VM_USER_END && va % PAGE_SIZE == 0;
}

bool vm_space_live(const struct vm_space *space)
{
	return space && space->magic == SPACE_MAGIC;
}
uint64_t vm_space_root(struct vm_space *space)
{
	return space->root;
}

/* The level-1 entry for va, creating the tables on the way if create; NULL if absent (or out of memory). */
static uint64_t *leaf(struct vm_space *space, uint64_t va, bool create)
{
	uint64_t *t = table(space->root);
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			uint64_t phys = create ? typed_frame_alloc() : 0;
			if (!phys)
				return NULL;
			*e = phys | PTE_P | PTE_W | PTE_U; /* rights are decided at the leaf */
		}
		t = table(*e);
	}
	return &t[(va >> 12) & 511];
}

static uint64_t leaf_flags(unsigned prot)
{
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) && !(prot & VM_EXEC) ? PTE_NX : 0;
	return PTE_P | PTE_U | (prot & VM_WRITE ? PTE_W : 0) | nx | (uint64_t)prot << PTE_PROT_SHIFT;
}

enum err vm_space_create(struct vm_space **out)
{
	REQUIRE(out != NULL, "out must not be NULL");
	struct vm_space *space = HEAP_NEW(struct vm_space);
	uint64_t root = space ? typed_frame_alloc() : 0;
	if (!root) {
		heap_free(space);
		return ERR_NOMEM;
	}
	memcpy(table(root) + 256, boot_pml4 + 256, 256 * sizeof(uint64_t)); /* the shared kernel half */
	*space = (struct vm_space){SPACE_MAGIC, root};
	*out = space;
	return ERR_OK;
}

/* Drop every mapping below a table entry at the given level, then free the table. */
static void free_tree(uint64_t entry, int level)
{
	uint64_t *t = table(entry);
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
	typed_frame_free(entry & PTE_ADDR);
}

void vm_space_destroy(struct vm_space *space)
{
	REQUIRE(vm_space_live(space), "space is not a live vm_space (destroyed twice?)");
	if (active == space) {
		write_cr3((uint64_t)boot_pml4 - KERNEL_BASE);
		active = NULL;
	}
	uint64_t *root = table(space->root);
	for (int i = 0; i < 256; i++)
		if (root[i] & PTE_P)
			free_tree(root[i], 3);
	typed_frame_free(space->root);
	space->magic = 0;
	heap_free(space);
}

enum err vm_space_map(struct vm_space *space, uint64_t uaddr, struct frame frame, unsigned prot)
{
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(prot && !(prot & ~PROT_ALL), "prot (0x%x) must combine VM_READ, VM_WRITE and VM_EXEC", prot);
	uint64_t phys = frame_phys(frame); /* panics on a stale frame */
	if (!user_page(uaddr))
		return ERR_INVAL;
	uint64_t *pte = leaf(space, uaddr, true);
	if (!pte)
		return ERR_NOMEM;
	if (*pte & PTE_P)
		return ERR_EXIST;
	frame_get(frame);
	frame_map_count(frame, 1);
	*pte = phys | leaf_flags(prot);
	return ERR_OK;
}

enum err vm_space_unmap(struct vm_space *space, uint64_t uaddr)
{
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	uint64_t *pte = user_page(uaddr) ? leaf(space, uaddr, false) : NULL;
	if (!pte || !(*pte & PTE_P))
		return ERR_INVAL;
	struct frame f = frame_at_phys(*pte & PTE_ADDR);
	*pte = 0;
	if (active == space)
		invlpg(uaddr);
	frame_map_count(f, -1);
	frame_put(f);
	return ERR_OK;
}

enum err vm_space_protect(struct vm_space *space, uint64_t uaddr, unsigned prot)
{
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(prot && !(prot & ~PROT_ALL), "prot (0x%x) must combine VM_READ, VM_WRITE and VM_EXEC", prot);
	uint64_t *pte = user_page(uaddr) ? leaf(space, uaddr, false) : NULL;
	if (!pte || !(*pte & PTE_P))
		return ERR_INVAL;
	*pte = (*pte & PTE_ADDR) | leaf_flags(prot);
	if (active == space)
		invlpg(uaddr);
	return ERR_OK;
}

enum err vm_space_query(struct vm_space *space, uint64_t uaddr, struct frame *frame_out, unsigned *prot_out)
{
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	uint64_t page = uaddr & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t *pte = user_page(page) ? leaf(space, page, false) : NULL;
	if (!pte || !(*pte & PTE_P))
		return ERR_INVAL;
	if (frame_out)
		*frame_out = frame_at_phys(*pte & PTE_ADDR);
	if (prot_out)
		*prot_out = (unsigned)(*pte >> PTE_PROT_SHIFT) & PROT_ALL;
	return ERR_OK;
}

void vm_space_activate(struct vm_space *space)
{
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
		uint64_t *pte = page >= VM_USER_MIN ? leaf(space, page, false) : NULL;
		unsigned prot = pte ? (unsigned)(*pte >> PTE_PROT_SHIFT) & PROT_ALL : 0;
		if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U) || !(prot & (to_user ? VM_WRITE : VM_READ)))
			return ERR_FAULT; /* the rights the kernel asked for, not what x86 also lets through */
		char *mem = (char *)table(*pte) + (uaddr - page);
		memcpy(to_user ? mem : k, to_user ? k : mem, chunk);
		uaddr += chunk;
		k += chunk;
		len -= chunk;
	}
	return ERR_OK;
}

enum err vm_copy_from_user(struct vm_space *space, void *dst, uint64_t uaddr, size_t len)
{
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(dst != NULL || len == 0, "dst must not be NULL (len is %zu)", len);
	return copy_user(space, uaddr, dst, len, false);
}

enum err vm_copy_to_user(struct vm_space *space, uint64_t uaddr, const void *src, size_t len)
{
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(src != NULL || len == 0, "src must not be NULL (len is %zu)", len);
	return copy_user(space, uaddr, (void *)src, len, true);
}
