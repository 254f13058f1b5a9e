/**
 * @file mm.h
 * @brief Physical memory: page frames and contiguous segments, reached only by copying.
 * @ingroup frame_mm
 */
#ifndef FRAME_MM_H
#define FRAME_MM_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup frame_mm Physical memory
 * @brief Page frames (4 KiB) and segments (runs of contiguous frames) as reference-counted
 * handles. Their bytes are read and written by copy functions with an offset and a length;
 * no function hands out a pointer into physical memory.
 *
 * Every handle starts with one reference. frame_get() takes another, frame_put() drops one,
 * and the last drop frees the frame. A handle used after its frame was freed (its last
 * reference dropped), or dropped once too often, is caught: the call panics naming the rule.
 * Pages the frame uses itself (page tables, stacks, its heap) are never handed out.
 *
 * None of these functions sleeps, and every one may be called from interrupt context: the
 * allocator changes its lists with interrupts off, so a handler never finds them half-changed.
 * @{
 */

/** @brief Size of a page frame in bytes. */
#define PAGE_SIZE 4096u

/** @brief A page frame. Copy it freely: a copy is the same frame, not a new reference. */
struct frame {
	uint64_t handle_; /**< Private: frame number and generation. */
};

/** @brief A run of physically contiguous page frames, allocated and freed as one; its length
 * is segment_pages(). Copy it freely: a copy is the same segment, not a new reference. */
struct segment {
	uint64_t handle_; /**< Private: first frame number and generation. */
};

/** @brief Options for frame_alloc() and segment_alloc(). */
enum frame_alloc_flags {
	FRAME_ALLOC_ZEROED = 1, /**< Fill the memory with zeros (otherwise its content is whatever was there). */
};

/**
 * @brief Allocate one page frame.
 * @param out where to store the new handle (one reference); must not be NULL.
 * @param flags 0 or #FRAME_ALLOC_ZEROED.
 * @retval ERR_OK @p out holds the frame.
 * @retval ERR_NOMEM no frame is free; @p out is untouched.
 * @par Panics
 * If @p out is NULL or @p flags has unknown bits.
 * @par Context
 * May be called from interrupt context.
 */
FRAME_MUST_CHECK enum err frame_alloc(struct frame *out, unsigned flags);

/**
 * @brief Take one more reference to a frame.
 * @param f a live frame.
 * @par Panics
 * If @p f was freed.
 * @par Context
 * May be called from interrupt context.
 */
void frame_get(struct frame f);

/**
 * @brief Drop one reference; the last drop frees the frame.
 * @param f a live frame.
 * @par Panics
 * If @p f was already freed (a double drop), or if this is the last reference and the frame
 * is still mapped in an address space.
 * @par Context
 * May be called from interrupt context.
 */
void frame_put(struct frame f);

/**
 * @brief How many references a frame has.
 * @param f a live frame.
 * @return The count (at least 1).
 * @par Panics
 * If @p f was freed.
 * @par Context
 * May be called from interrupt context.
 */
uint32_t frame_refs(struct frame f);

/**
 * @brief Copy bytes out of a frame.
 * @param f a live frame.
 * @param offset where to start, in bytes from the start of the frame.
 * @param buf where to copy to; must not be NULL unless @p len is 0.
 * @param len how many bytes; @p offset + @p len must not exceed #PAGE_SIZE.
 * @par Panics
 * If @p f was freed, @p buf is NULL with a non-zero @p len, or the range leaves the frame.
 * @par Context
 * May be called from interrupt context.
 */
void frame_read(struct frame f, size_t offset, void *buf, size_t len);

/**
 * @brief Copy bytes into a frame.
 * @param f a live frame.
 * @param offset where to start, in bytes from the start of the frame.
 * @param buf what to copy; must not be NULL unless @p len is 0.
 * @param len how many bytes; @p offset + @p len must not exceed #PAGE_SIZE.
 * @par Panics
 * If @p f was freed, @p buf is NULL with a non-zero @p len, or the range leaves the frame.
 * @par Context
 * May be called from interrupt context.
 */
void frame_write(struct frame f, size_t offset, const void *buf, size_t len);

/**
 * @brief Fill part of a frame with zeros.
 * @param f a live frame.
 * @param offset where to start.
 * @param len how many bytes; @p offset + @p len must not exceed #PAGE_SIZE.
 * @par Panics
 * If @p f was freed or the range leaves the frame.
 * @par Context
 * May be called from interrupt context.
 */
void frame_zero(struct frame f, size_t offset, size_t len);

/**
 * @brief Copy bytes from one frame to another (or within one frame; the ranges may overlap).
 * @param dst a live frame.
 * @param dst_offset where to write in @p dst.
 * @param src a live frame.
 * @param src_offset where to read in @p src.
 * @param len how many bytes; both ranges must stay inside their frames.
 * @par Panics
 * If either frame was freed or either range leaves its frame.
 * @par Context
 * May be called from interrupt context.
 */
void frame_copy(struct frame dst, size_t dst_offset, struct frame src, size_t src_offset, size_t len);

/**
 * @brief Allocate physically contiguous frames.
 * @param out where to store the new segment (one reference); must not be NULL.
 * @param pages how many frames; at least 1.
 * @param align_pages the first frame's number is a multiple of this; a power of two, at least 1.
 * @param flags 0 or #FRAME_ALLOC_ZEROED.
 * @retval ERR_OK @p out holds the segment.
 * @retval ERR_NOMEM no free run that long and aligned; @p out is untouched.
 * @par Panics
 * If @p out is NULL, @p pages is 0, @p align_pages is not a power of two, or @p flags has
 * unknown bits.
 * @par Context
 * May be called from interrupt context.
 */
FRAME_MUST_CHECK enum err segment_alloc(struct segment *out, size_t pages, size_t align_pages, unsigned flags);

/**
 * @brief Take one more reference to a segment.
 * @param s a live segment.
 * @par Panics
 * If @p s was freed.
 * @par Context
 * May be called from interrupt context.
 */
void segment_get(struct segment s);

/**
 * @brief Drop one reference; the last drop frees every frame of the segment.
 * @param s a live segment.
 * @par Panics
 * If @p s was already freed, or if this is the last reference and a frame of it is mapped.
 * @par Context
 * May be called from interrupt context.
 */
void segment_put(struct segment s);

/**
 * @brief How many frames a segment spans.
 * @param s a live segment.
 * @return Its length in frames, as given to segment_alloc().
 * @par Panics
 * If @p s was freed.
 * @par Context
 * May be called from interrupt context.
 */
size_t segment_pages(struct segment s);

/**
 * @brief Copy bytes out of a segment.
 * @param s a live segment.
 * @param offset where to start, in bytes from the segment's start.
 * @param buf where to copy to; must not be NULL unless @p len is 0.
 * @param len how many bytes; @p offset + @p len must not exceed the segment's size.
 * @par Panics
 * If @p s was freed, @p buf is NULL with a non-zero @p len, or the range leaves the segment.
 * @par Context
 * May be called from interrupt context.
 */
void segment_read(struct segment s, size_t offset, void *buf, size_t len);

/**
 * @brief Copy bytes into a segment.
 * @param s a live segment.
 * @param offset where to start, in bytes from the segment's start.
 * @param buf what to copy; must not be NULL unless @p len is 0.
 * @param len how many bytes; @p offset + @p len must not exceed the segment's size.
 * @par Panics
 * If @p s was freed, @p buf is NULL with a non-zero @p len, or the range leaves the segment.
 * @par Context
 * May be called from interrupt context.
 */
void segment_write(struct segment s, size_t offset, const void *buf, size_t len);

/**
 * @brief A position inside a frame or segment, for reading or writing it piece by piece.
 *
 * Made by frame_cursor() or segment_cursor(); holds no reference, so the frame or segment
 * must stay live while the cursor is used (each call checks). As in every struct of the API,
 * fields whose names end in `_` are private and the others public: `pos` may be read and set
 * directly (each call checks it).
 */
struct mem_cursor {
	uint64_t handle_; /**< Private: the frame or segment. */
	size_t size_;	  /**< Private: its size in bytes. */
	size_t pos;	  /**< Where the next read or write starts, in bytes from the beginning. */
	int kind_;	  /**< Private: frame or segment. */
};

/**
 * @brief A cursor at the start of a frame.
 * @param f a live frame.
 * @return The cursor.
 * @par Panics
 * If @p f was freed.
 * @par Context
 * May be called from interrupt context.
 */
struct mem_cursor frame_cursor(struct frame f);

/**
 * @brief A cursor at the start of a segment.
 * @param s a live segment.
 * @return The cursor.
 * @par Panics
 * If @p s was freed.
 * @par Context
 * May be called from interrupt context.
 */
struct mem_cursor segment_cursor(struct segment s);

/**
 * @brief How many bytes lie between the cursor and the end.
 * @param c a cursor; must not be NULL.
 * @return The count (0 at the end).
 * @par Panics
 * If @p c is NULL or its `pos` is past the end.
 * @par Context
 * May be called from interrupt context.
 */
size_t cursor_remaining(const struct mem_cursor *c);

/**
 * @brief Copy up to @p len bytes from the cursor's position into @p buf, and move past them.
 * @param c a cursor over a live frame or segment; must not be NULL.
 * @param buf where to copy to; must not be NULL unless @p len is 0.
 * @param len the most bytes to copy.
 * @return How many bytes were copied: @p len, or fewer at the end.
 * @par Panics
 * If @p c is NULL, its frame or segment was freed, its `pos` is past the end, or @p buf is
 * NULL with a non-zero @p len.
 * @par Context
 * May be called from interrupt context.
 */
size_t cursor_read(struct mem_cursor *c, void *buf, size_t len);

/**
 * @brief Copy up to @p len bytes from @p buf to the cursor's position, and move past them.
 * @param c a cursor over a live frame or segment; must not be NULL.
 * @param buf what to copy; must not be NULL unless @p len is 0.
 * @param len the most bytes to copy.
 * @return How many bytes were copied: @p len, or fewer at the end.
 * @par Panics
 * As cursor_read().
 * @par Context
 * May be called from interrupt context.
 */
size_t cursor_write(struct mem_cursor *c, const void *buf, size_t len);

/**
 * @brief The frames that are free now.
 * @return A count of 4 KiB frames.
 * @par Context
 * May be called from interrupt context.
 */
size_t frame_free_count(void);

/** @} */
#endif
