/**
 * @file vm.h
 * @brief User address spaces: map page frames at user addresses, and copy to and from them.
 * @ingroup frame_vm
 */
#ifndef FRAME_VM_H
#define FRAME_VM_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/mm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup frame_vm User address spaces
 * @brief The lower half of the address space, as a user program sees it.
 *
 * A `vm_space` maps page frames (see @ref frame_mm) at page-aligned user addresses, from
 * #VM_USER_MIN up to #VM_USER_END, with read, write and execute rights. Mapping takes a
 * reference to the frame; unmapping, or destroying the space, drops it. The kernel half is
 * the same in every space and never reachable from user mode.
 *
 * A space grows and shrinks by ranges (vm_space_map_range(), vm_space_unmap_range(),
 * vm_space_protect_range()); vm_space_next_mapping() walks what is mapped, to copy or share a
 * space for `fork`; the `_partial` copies report the first address that faulted, where a kernel
 * that fills memory on first touch maps a page and goes on (see @ref userspace).
 *
 * The kernel reads and writes user memory only with vm_copy_from_user() and vm_copy_to_user():
 * an address that is unmapped, lacks the right, or is not a user address gives #ERR_FAULT,
 * never a crash. Treat every user address as hostile: these functions are how. The copies
 * honour the rights the kernel asked for (#VM_READ to copy from, #VM_WRITE to copy to), even
 * though x86 itself lets a program read every page mapped for it.
 *
 * None of these functions sleeps. None may be called from interrupt context (each panics
 * there): they walk and change a space's page tables in several steps with interrupts on, and
 * a handler using the same space would cut a task's step in two.
 * @{
 */

/** @brief The lowest address a user mapping may have (page 0 stays unmapped: NULL faults). */
#define VM_USER_MIN 0x1000ull
/** @brief One past the highest user address (the end of the canonical lower half). */
#define VM_USER_END 0x0000800000000000ull

/** @brief Access rights of a user mapping; combine with `|`. */
enum vm_prot {
	VM_READ = 1,  /**< The program may read the page. */
	VM_WRITE = 2, /**< The program may write it (implies nothing else). */
	VM_EXEC = 4,  /**< The program may execute it. */
};

/** @brief A user address space (opaque). */
struct vm_space;

/**
 * @brief Create an empty user address space.
 * @param out where to store it; must not be NULL.
 * @retval ERR_OK @p out holds the new space.
 * @retval ERR_NOMEM no memory for its page tables.
 * @par Panics
 * If @p out is NULL; in interrupt context.
 * @par Context
 * Not from interrupt context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_create(struct vm_space **out);

/**
 * @brief Destroy a space: unmap everything (dropping each frame's reference) and free its
 * page tables. If it is the active space, the kernel-only space becomes active.
 * @param space a space from vm_space_create(), not destroyed before.
 * @par Panics
 * If @p space is NULL or not a live space; in interrupt context.
 * @par Context
 * Not from interrupt context (panics).
 */
void vm_space_destroy(struct vm_space *space);

/**
 * @brief Map a frame at a user address; the space takes its own reference to the frame.
 * @param space a live space.
 * @param uaddr page-aligned, in [#VM_USER_MIN, #VM_USER_END).
 * @param frame a live frame.
 * @param prot a non-empty combination of ::vm_prot.
 * @retval ERR_OK mapped.
 * @retval ERR_INVAL @p uaddr is not a page-aligned user address.
 * @retval ERR_EXIST something is already mapped there.
 * @retval ERR_NOMEM no memory for a page table.
 * @par Panics
 * If @p space or @p frame is not live, or @p prot is empty or has unknown bits; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_map(struct vm_space *space, uint64_t uaddr, struct frame frame, enum vm_prot prot);

/**
 * @brief Remove the mapping at a user address, dropping the space's reference to its frame.
 * @param space a live space.
 * @param uaddr a page-aligned user address.
 * @retval ERR_OK unmapped.
 * @retval ERR_INVAL @p uaddr is not a page-aligned user address, or nothing is mapped there.
 * @par Panics
 * If @p space is not live; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_unmap(struct vm_space *space, uint64_t uaddr);

/**
 * @brief Change the rights of the mapping at a user address.
 * @param space a live space.
 * @param uaddr a page-aligned user address.
 * @param prot a non-empty combination of ::vm_prot.
 * @retval ERR_OK changed.
 * @retval ERR_INVAL @p uaddr is not a page-aligned user address, or nothing is mapped there.
 * @par Panics
 * If @p space is not live, or @p prot is empty or has unknown bits; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_protect(struct vm_space *space, uint64_t uaddr, enum vm_prot prot);

/**
 * @brief What is mapped at a user address.
 * @param space a live space.
 * @param uaddr any address (it is rounded down to its page).
 * @param frame_out where to store the frame (no new reference is taken); may be NULL.
 * @param prot_out where to store the rights; may be NULL.
 * @retval ERR_OK something is mapped; the outputs are filled in.
 * @retval ERR_INVAL nothing is mapped there, or @p uaddr is not a user address.
 * @par Panics
 * If @p space is not live; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_query(struct vm_space *space, uint64_t uaddr, struct frame *frame_out,
					 enum vm_prot *prot_out);

/**
 * @brief Map consecutive pages at once: @p frames[i] at @p uaddr + i × #PAGE_SIZE, all with
 * @p prot. All or nothing: on failure nothing of the range stays mapped. The space takes its own
 * reference to each frame. The range is changed with interrupts off, so a task sharing the space
 * sees all of it or none.
 * @param space a live space.
 * @param uaddr the first page's address: page-aligned, at least #VM_USER_MIN.
 * @param frames @p pages live frames (one frame may appear more than once); NULL only if
 * @p pages is 0.
 * @param pages how many pages; the range must end at or below #VM_USER_END.
 * @param prot a non-empty combination of ::vm_prot.
 * @retval ERR_OK every page mapped.
 * @retval ERR_INVAL @p pages is 0, or the range is not page-aligned user addresses.
 * @retval ERR_EXIST something is already mapped in the range; nothing changed.
 * @retval ERR_NOMEM no memory for a page table; nothing stays mapped.
 * @par Panics
 * If @p space is not live, @p frames is NULL with a non-zero @p pages, a frame of the range is
 * not live (checked only for a valid range), or @p prot is empty or has unknown bits; in
 * interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_map_range(struct vm_space *space, uint64_t uaddr, const struct frame *frames,
					     size_t pages, enum vm_prot prot);

/**
 * @brief Remove every mapping in a range, dropping the space's reference to each frame. Pages
 * of the range with nothing mapped are skipped (a lazily filled range has holes), so this is
 * what `munmap` and a shrinking `brk` need. The page tables that mapped the range stay until the
 * space is destroyed (the frame's memory, not the client's: see vm_space_next_mapping()).
 * @param space a live space.
 * @param uaddr the first page's address: page-aligned, at least #VM_USER_MIN.
 * @param pages how many pages; the range must end at or below #VM_USER_END.
 * @retval ERR_OK the range holds no mapping any more (whether it held any or not).
 * @retval ERR_INVAL @p pages is 0, or the range is not page-aligned user addresses; nothing changed.
 * @par Panics
 * If @p space is not live; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_unmap_range(struct vm_space *space, uint64_t uaddr, size_t pages);

/**
 * @brief Give every mapping in a range new rights; holes are skipped, as vm_space_unmap_range().
 * @param space a live space.
 * @param uaddr the first page's address: page-aligned, at least #VM_USER_MIN.
 * @param pages how many pages; the range must end at or below #VM_USER_END.
 * @param prot a non-empty combination of ::vm_prot.
 * @retval ERR_OK every page mapped in the range has @p prot now.
 * @retval ERR_INVAL @p pages is 0, or the range is not page-aligned user addresses; nothing changed.
 * @par Panics
 * If @p space is not live, or @p prot is empty or has unknown bits; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_space_protect_range(struct vm_space *space, uint64_t uaddr, size_t pages,
						 enum vm_prot prot);

/** @brief One mapping of a space, as vm_space_next_mapping() reports it. */
struct vm_mapping {
	uint64_t uaddr;	    /**< The page's user address. */
	struct frame frame; /**< The frame mapped there (the space's reference: see vm_space_next_mapping()). */
	enum vm_prot prot;  /**< Its rights. */
};

/**
 * @brief Find the next mapped page at or after a cursor, in increasing address order, skipping
 * the parts of the space that never had a page table; for copying or sharing a space (`fork`), or
 * walking it to free what a client keeps beside it. A page table stays until the space is
 * destroyed, also once every page it mapped was unmapped (the walk reads its 512 entries), so a
 * kernel that maps and unmaps in ever new places should bound where it lets a program map.
 *
 * Iterate with `uint64_t at = 0; struct vm_mapping m; while (vm_space_next_mapping(s, &at, &m)) ...`.
 * No new reference is taken: @p out->frame stays valid while it is mapped; frame_get() it to keep
 * it longer. The space may be changed between calls (a mapping before the cursor, or the one just
 * reported, is never reported again; one made after it is reported when the cursor reaches it).
 * @param space a live space.
 * @param cursor where to look from (any value; 0 starts at the first page); on @c true it is
 * advanced past the page found.
 * @param out where to store the mapping found.
 * @return @c true with @p out filled in, or @c false if no page at or after @p cursor is mapped
 * (@p out and @p cursor untouched).
 * @par Panics
 * If @p space is not live, or @p cursor or @p out is NULL; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
bool vm_space_next_mapping(struct vm_space *space, uint64_t *cursor, struct vm_mapping *out);

/**
 * @brief Make @p space the address space the CPU uses (user_mode_run() does this itself).
 * @param space a live space.
 * @par Panics
 * If @p space is not live; in interrupt context.
 * @par Context
 * Not from interrupt context (panics).
 */
void vm_space_activate(struct vm_space *space);

/**
 * @brief Copy bytes from user memory into a kernel buffer.
 * @param space the space @p uaddr belongs to.
 * @param dst where to copy to (kernel memory); must not be NULL unless @p len is 0.
 * @param uaddr the user address to copy from; hostile: anything is accepted.
 * @param len how many bytes.
 * @retval ERR_OK all @p len bytes copied.
 * @retval ERR_FAULT some byte is unmapped, not readable, or not at a user address; @p dst may
 * hold part of the data.
 * @par Panics
 * If @p space is not live, or @p dst is NULL with a non-zero @p len; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_copy_from_user(struct vm_space *space, void *dst, uint64_t uaddr, size_t len);

/**
 * @brief Copy bytes from a kernel buffer into user memory.
 * @param space the space @p uaddr belongs to.
 * @param uaddr the user address to copy to; hostile: anything is accepted.
 * @param src what to copy (kernel memory); must not be NULL unless @p len is 0.
 * @param len how many bytes.
 * @retval ERR_OK all @p len bytes copied.
 * @retval ERR_FAULT some byte is unmapped, not writable, or not at a user address; part of
 * the data may have been written.
 * @par Panics
 * If @p space is not live, or @p src is NULL with a non-zero @p len; in interrupt context.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_copy_to_user(struct vm_space *space, uint64_t uaddr, const void *src, size_t len);

/**
 * @brief As vm_copy_from_user(), and say how far it got: on #ERR_FAULT, `uaddr + *done` is the
 * first address that faulted, where a kernel that fills memory lazily maps a page and copies the
 * rest (from `uaddr + *done`, `len - *done` bytes).
 * @param space the space @p uaddr belongs to.
 * @param dst where to copy to (kernel memory); must not be NULL unless @p len is 0.
 * @param uaddr the user address to copy from; hostile: anything is accepted.
 * @param len how many bytes.
 * @param done where to store how many bytes were copied (into `dst[0 .. *done)`); must not be NULL.
 * @retval ERR_OK all @p len bytes copied (`*done` is @p len).
 * @retval ERR_FAULT the byte at `uaddr + *done` is unmapped, not readable, or not at a user
 * address; every byte before it was copied.
 * @par Panics
 * As vm_copy_from_user(), and if @p done is NULL.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_copy_from_user_partial(struct vm_space *space, void *dst, uint64_t uaddr, size_t len,
						    size_t *done);

/**
 * @brief As vm_copy_to_user(), and say how far it got: on #ERR_FAULT, `uaddr + *done` is the
 * first address that faulted (see vm_copy_from_user_partial()).
 * @param space the space @p uaddr belongs to.
 * @param uaddr the user address to copy to; hostile: anything is accepted.
 * @param src what to copy (kernel memory); must not be NULL unless @p len is 0.
 * @param len how many bytes.
 * @param done where to store how many bytes were copied (from `src[0 .. *done)`); must not be NULL.
 * @retval ERR_OK all @p len bytes copied (`*done` is @p len).
 * @retval ERR_FAULT the byte at `uaddr + *done` is unmapped, not writable, or not at a user
 * address; every byte before it was written.
 * @par Panics
 * As vm_copy_to_user(), and if @p done is NULL.
 * @par Context
 * Tasks, and fast system-call handlers (user_mode_set_fast_handler()); not from interrupt
 * context (panics).
 */
FRAME_MUST_CHECK enum err vm_copy_to_user_partial(struct vm_space *space, uint64_t uaddr, const void *src, size_t len,
						  size_t *done);

/** @} */
#endif
