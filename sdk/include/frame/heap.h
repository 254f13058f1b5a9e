/**
 * @file heap.h
 * @brief The kernel heap: memory for the kernel's own objects, checked on every free.
 * @ingroup frame_heap
 */
#ifndef FRAME_HEAP_H
#define FRAME_HEAP_H

#include <frame/compiler.h>
#include <stddef.h>

/**
 * @defgroup frame_heap Kernel heap
 * @brief Allocate and free the kernel's own objects: `malloc` and `free` that check their use.
 *
 * @code
 * struct task_info *t = HEAP_NEW(struct task_info);  // zeroed, sized and aligned for the type
 * if (!t)
 *         return ERR_NOMEM;                           // out of memory: NULL, never a panic
 * ...
 * heap_free(t);
 * @endcode
 *
 * Every block starts at a multiple of 16 bytes (of @p align with heap_alloc_aligned()). A
 * fresh block from heap_alloc() holds junk (bytes 0x6b), not zeros: use heap_zalloc(),
 * HEAP_NEW() or HEAP_NEW_ARRAY() when you want zeros.
 *
 * The heap checks its use, and a mistake panics with a report naming the rule and the caller:
 * - freeing a block twice, a pointer into the middle of a block, or a pointer the heap did not
 *   hand out (a global, a local variable) panics in heap_free();
 * - every block is followed by a red zone (at least 16 bytes of a known pattern); a write past
 *   the end of the block damages it, and heap_free() panics when it finds the damage;
 * - freed memory never reaches another owner while a stale pointer could still use it. The
 *   heap's pages live in an area of the kernel's address space of their own, handed out in
 *   turn round a ring of 4 times the usable RAM (rounded up to a GiB). A page none of whose
 *   blocks is live any more is unmapped at once (its page frame goes back to the allocator),
 *   and its addresses are mapped again only after the heap has gone a full round of the ring
 *   past them (wherever they stood in the ring when they were given back), handing out on the
 *   way every other page it finds free. A read or write through a stale pointer into such a
 *   page faults, and the panic report says `use after free`, with the address and the block
 *   freed there. The heap's own bookkeeping never shares a page with your blocks;
 * - a freed block whose page stays (other blocks on it are live) is filled with junk (0x6b) and
 *   is not handed out again before 256 more blocks of up to 2000 bytes were freed: a read after
 *   free reads junk, and a write after free is found when the heap hands the memory out again
 *   (it panics naming the block).
 *
 * The compiler helps too: ignoring an allocation's result is an error (#FRAME_MUST_CHECK), and
 * GCC warns, at build time, about freeing a local or global variable and about using a pointer
 * after heap_free().
 *
 * Blocks of up to 2000 bytes share pages, sorted by size (a 16-byte block costs about 37 bytes);
 * a bigger block gets whole 4 KiB page frames of its own, red zone included: 5000 bytes take two
 * pages, and so do 4096 bytes. (For memory in whole pages, page frames and segments from
 * @ref frame_mm are the better fit.) The heap's pages are taken from the page frame allocator one
 * by one (a big block needs no physically contiguous run), which counts them as used
 * (frame_free_count()), and given back as soon as no block on them is in use; so are the page
 * tables that map them.
 *
 * @par Context
 * None of these functions sleeps, and every one may be called from interrupt context: the
 * heap does its work with interrupts off, so a handler never finds it half-changed. (A big
 * block maps its pages one by one, which takes a while with interrupts off: handlers should ask
 * for small blocks.)
 * @{
 */

/** @cond HEAP_PRIVATE */
void heap_free(void *p); /* declared again, documented, below */
/* What the compiler is told about the allocators: they return fresh memory of the size their
 * arguments say, aligned as they say, which heap_free() frees (GCC 11 and later check that). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define HEAP_MALLOC_ __attribute__((malloc, malloc(heap_free, 1)))
#else
#define HEAP_MALLOC_ __attribute__((malloc))
#endif
#define HEAP_SIZED_ HEAP_MALLOC_ __attribute__((alloc_size(1)))
#define HEAP_SIZED_ALIGNED_ HEAP_MALLOC_ __attribute__((alloc_size(1), alloc_align(2)))
#define HEAP_ARRAY_ HEAP_MALLOC_ __attribute__((alloc_size(1, 2), alloc_align(3)))
/** @endcond */

/**
 * @brief Allocate a block of @p size bytes, aligned to 16 bytes.
 * @param size how many bytes; 0 gives a block of its own that holds nothing.
 * @return The block (its bytes are junk, 0x6b), or NULL when memory is out.
 * @par Panics
 * Never (out of memory is NULL). Panics later, in heap_free(), if the block's red zone was
 * written.
 * @par Context
 * May be called from interrupt context.
 */
FRAME_MUST_CHECK void *heap_alloc(size_t size) HEAP_SIZED_;

/**
 * @brief Allocate a block of @p size bytes filled with zeros, aligned to 16 bytes.
 * @param size how many bytes; 0 gives a block of its own that holds nothing.
 * @return The zeroed block, or NULL when memory is out.
 * @par Panics
 * Never (out of memory is NULL).
 * @par Context
 * May be called from interrupt context.
 */
FRAME_MUST_CHECK void *heap_zalloc(size_t size) HEAP_SIZED_;

/**
 * @brief Allocate a block of @p size bytes that starts at a multiple of @p align.
 * @param size how many bytes.
 * @param align a power of two, at most 4096 (#PAGE_SIZE); below 16 means 16.
 * @return The block (its bytes are junk, 0x6b), or NULL when memory is out.
 * @par Panics
 * If @p align is not a power of two or is above 4096.
 * @par Context
 * May be called from interrupt context.
 */
FRAME_MUST_CHECK void *heap_alloc_aligned(size_t size, size_t align) HEAP_SIZED_ALIGNED_;

/**
 * @brief Allocate a zeroed array of @p n elements of @p size bytes each (what HEAP_NEW_ARRAY()
 * calls).
 * @param n how many elements.
 * @param size bytes per element.
 * @param align the block starts at a multiple of this: a power of two, at most 4096.
 * @return The zeroed block, or NULL when memory is out or @p n × @p size does not fit in a
 * `size_t` (an overflowing count is never allocated short).
 * @par Panics
 * If @p align is not a power of two or is above 4096.
 * @par Context
 * May be called from interrupt context.
 */
FRAME_MUST_CHECK void *heap_zalloc_array(size_t n, size_t size, size_t align) HEAP_ARRAY_;

/**
 * @brief Allocate one zeroed object of type @p type: `struct foo *f = HEAP_NEW(struct foo);`.
 * @param type the object's type; the block has its size and alignment.
 * @return A `type *`, or NULL when memory is out.
 * @par Context
 * May be called from interrupt context.
 */
#define HEAP_NEW(type) ((type *)heap_zalloc_array(1, sizeof(type), _Alignof(type)))

/**
 * @brief Allocate a zeroed array of @p n objects of type @p type: `int *v = HEAP_NEW_ARRAY(int, n);`.
 * @param type the element type; the block has its alignment.
 * @param n how many elements (evaluated once).
 * @return A `type *`, or NULL when memory is out or `n * sizeof(type)` overflows.
 * @par Context
 * May be called from interrupt context.
 */
#define HEAP_NEW_ARRAY(type, n) ((type *)heap_zalloc_array((n), sizeof(type), _Alignof(type)))

/**
 * @brief Free a block, checking that it is one and that it was not written past its end.
 * @param p what heap_alloc(), heap_zalloc(), heap_alloc_aligned(), heap_zalloc_array(),
 * HEAP_NEW() or HEAP_NEW_ARRAY() returned; NULL does nothing. Its bytes become junk (0x6b).
 * @par Panics
 * If @p p was freed already (a double free), points into the middle of a block, or is not a
 * block the heap handed out (a global or local variable, a made-up address); if the block's
 * red zone was damaged (a write past its end); for blocks made with heap_alloc_aligned() or
 * heap_zalloc_array() and an alignment above 16, also if the bytes just before the block were
 * written.
 * @par Context
 * May be called from interrupt context.
 */
void heap_free(void *p);

/** @brief What the heap holds now (see heap_stats()). */
struct heap_stats {
	size_t blocks; /**< Live blocks: allocated and not freed yet. */
	size_t bytes;  /**< The sum of their sizes, as asked for. */
	size_t pages;  /**< 4 KiB page frames the heap holds for them, its own bookkeeping included. */
};

/**
 * @brief How many blocks are live and how much memory they take: for leak checks and figures.
 * @return The counts now.
 * @par Context
 * May be called from interrupt context.
 */
struct heap_stats heap_stats(void);

/** @} */
#endif
