/* The kernel address sanitizer's runtime: see mm/kasan.h. (Stubs while the runtime is built.) */
#include "mm/kasan.h"

void kasan_init(void)
{
}

void kasan_heap_pages(uint64_t va, size_t pages, bool mapped)
{
	(void)va, (void)pages, (void)mapped;
}

void kasan_heap_alloc(const void *block, size_t size, const void *slot, size_t slot_size)
{
	(void)block, (void)size, (void)slot, (void)slot_size;
}

void kasan_heap_free(const void *block, size_t size, const void *slot, size_t slot_size)
{
	(void)block, (void)size, (void)slot, (void)slot_size;
}

void kasan_stack(uint64_t low, size_t size, bool mapped)
{
	(void)low, (void)size, (void)mapped;
}

void kasan_check_client(const void *p, size_t len, bool write, const void *caller)
{
	(void)p, (void)len, (void)write, (void)caller;
}
