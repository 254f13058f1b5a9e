/*
 * The kernel address sanitizer's runtime (docs/safety.md, layer 4): client code is built with
 * -fsanitize=kernel-address and calls __asan_load/store for every access; the frame keeps the
 * shadow (one byte for every 8 of the kernel's memory) that says what a client may touch. The
 * frame itself is not instrumented: these hooks are how its allocators tell the shadow.
 */
#ifndef FRAME_MM_KASAN_H
#define FRAME_MM_KASAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Shadow byte values: 0 all 8 bytes may be used, 1..7 the first k, and these poisons. GCC's
 * stack instrumentation writes 0xf1..0xf8 itself. */
#define KASAN_STACK_LEFT 0xf1
#define KASAN_STACK_MID 0xf2
#define KASAN_STACK_RIGHT 0xf3
#define KASAN_STACK_SCOPE 0xf8
#define KASAN_GLOBAL_RED 0xf9 /* after a client's global */
#define KASAN_HEAP_RED 0xfa   /* a heap block's red zone, its slot's padding */
#define KASAN_HEAP_FREED 0xfb /* a freed heap block (in quarantine, or junk) */
#define KASAN_HEAP_META 0xfc  /* heap bookkeeping, slots never handed out */
#define KASAN_LENT 0xf6	      /* the frame's, lent read-only (a task's name): clients may read */
#define KASAN_READ_ONLY 0xfd  /* code and constants: clients may read, never write */
#define KASAN_FRAME 0xfe      /* the frame's own data: no client access */

/* Set up the shadow of the kernel image and the stacks (after kernel_area_init()). */
void kasan_init(void);
/* The heap mapped (mapped true) or unmapped pages of its area at va: their shadow is made, or
 * may go. New pages' shadow is KASAN_HEAP_META until blocks are handed out. False when there was
 * no memory for the shadow: the heap unmaps the pages again (kasan_heap_pages(..., false)) and
 * fails the allocation. */
bool kasan_heap_pages(uint64_t va, size_t pages, bool mapped);
/* A heap block of size bytes at block was handed out in the slot [slot, slot + slot_size) to the
 * code at caller (what called the public allocator). A client's block becomes usable, the rest of
 * the slot red, and its stack is recorded; a block the frame allocated for itself stays the
 * frame's. */
void kasan_heap_alloc(const void *block, size_t size, const void *slot, size_t slot_size, const void *caller);
/* The block at block (size bytes, in that slot) was freed: all of the slot is poisoned as
 * freed, and the freeing stack recorded for reports. */
void kasan_heap_free(const void *block, size_t size, const void *slot, size_t slot_size);
/* Whether a client may write all of [p, p + len) (its global, stack or live heap block): for the
 * frame, before it follows a link a client could have overwritten (a timer list's). */
bool kasan_client_owns(const void *p, size_t len);
/* Whether all of [p, p + len) is the frame's own memory (its data, or a heap block it allocated
 * for itself): for the frame, before it trusts a pointer to one of its objects that it read from
 * a client's memory (a lock's owner, a waiting task). */
bool kasan_frame_owns(const void *p, size_t len);
/* Frame memory a public function hands out read-only (a task's name, the command line): clients
 * may read [p, p + len), never write it. */
void kasan_readable(const void *p, size_t len);
/* A new kernel stack [low, low + size) (mapped true): its shadow is made, all usable; false when
 * there is no memory for it. A stack given back (mapped false): its shadow goes. */
bool kasan_stack(uint64_t low, size_t size, bool mapped);
/* For a frame function that reads (write false) or writes len bytes of a client's buffer at p:
 * panics as if the client code at caller had made the access, if it may not. A caller in the
 * frame's own code is not checked. */
void kasan_client_access(const void *p, size_t len, bool write, const void *caller);
extern char __client_text_start[], __client_text_end[];
static inline void kasan_check_client(const void *p, size_t len, bool write, const void *caller)
{
	if ((uintptr_t)caller - (uintptr_t)__client_text_start < (uintptr_t)(__client_text_end - __client_text_start))
		kasan_client_access(p, len, write, caller);
}
/* In a public function: the client's object (a lock, a timer, an out-parameter) it writes. */
#define CLIENT_OBJECT(p) CLIENT_WRITES((p), sizeof(*(p)))
/* In a public function: the client's buffer it is about to read or write. */
#define CLIENT_READS(p, len) kasan_check_client((p), (len), false, __builtin_return_address(0))
#define CLIENT_WRITES(p, len) kasan_check_client((p), (len), true, __builtin_return_address(0))

#endif
