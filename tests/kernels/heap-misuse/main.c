// Misuses the kernel heap on purpose, in the way the command line names; each must panic naming
// the rule and the function below that broke it. "ok" uses the heap correctly and returns.
#include <frame/frame.h>

// GCC catches most of these misuses at build time (freeing a variable, using a freed pointer,
// constant out-of-bounds indexes); passing pointers and indexes through volatile variables
// hides them from it, so that the run-time checks are what is tested.
static void *volatile hidden;
static volatile size_t one = 1;
static int global;

static void *hide(void *p)
{
	hidden = p;
	return hidden;
}

static char *alloc_or_panic(size_t size)
{
	char *p = heap_alloc(size);
	if (!p)
		panic("out of memory");
	return p;
}

static void double_free(void)
{
	char *keep = alloc_or_panic(24); // keeps the page, so the heap still knows the freed block
	char *p = alloc_or_panic(24), *again = hide(p);
	heap_free(p);
	heap_free(again);
	heap_free(keep);
}

static void double_free_big(void)
{
	char *p = alloc_or_panic(3 * PAGE_SIZE), *again = hide(p);
	heap_free(p);
	heap_free(again);
}

static void free_middle(void)
{
	char *p = alloc_or_panic(64);
	heap_free(hide(p + 8));
}

static void free_local(void)
{
	int local = 0;
	heap_free(hide(&local));
}

static void free_global(void)
{
	heap_free(hide(&global));
}

static void write_past_end(void)
{
	char *p = alloc_or_panic(24);
	p[24 * one] = '!'; // one byte past the end
	heap_free(p);
}

static void write_past_end_big(void)
{
	char *p = alloc_or_panic(10000);
	p[10000 * one] = '!';
	heap_free(p);
}

static void write_before_start(void)
{
	char *p = heap_alloc_aligned(8, 1024); // a block with alignment padding before it
	if (!p)
		panic("out of memory");
	p[-(long)one] = '!';
	heap_free(p);
}

static void use_after_free(void)
{
	char *keep = alloc_or_panic(24);
	char *p = alloc_or_panic(24), *dangling = hide(p);
	heap_free(p);
	dangling[3] = '!';
	char *again = alloc_or_panic(24); // the heap hands the freed slot out again and checks it
	heap_free(again);
	heap_free(keep);
}

static void bad_alignment(void)
{
	char *p = heap_alloc_aligned(16, 48);
	heap_free(p);
}

struct point {
	int x, y;
};

static void use_correctly(void)
{
	struct point *pt = HEAP_NEW(struct point);
	int *v = HEAP_NEW_ARRAY(int, 100);
	char *big = heap_alloc(20000);
	if (!pt || !v || !big)
		panic("out of memory");
	pt->x = 1;
	v[99] = 2;
	memset(big, 'x', 20000);
	console_printf("heap-misuse: %d blocks, %zu bytes, %zu pages\n", (int)heap_stats().blocks, heap_stats().bytes,
		       heap_stats().pages);
	heap_free(big);
	heap_free(v);
	heap_free(pt);
	heap_free(NULL);
	console_printf("heap-misuse: ok, %d blocks left\n", (int)heap_stats().blocks);
}

static const struct {
	const char *name;
	void (*fn)(void);
} misuses[] = {
	{"double-free", double_free},
	{"double-free-big", double_free_big},
	{"free-middle", free_middle},
	{"free-local", free_local},
	{"free-global", free_global},
	{"write-past-end", write_past_end},
	{"write-past-end-big", write_past_end_big},
	{"write-before-start", write_before_start},
	{"use-after-free", use_after_free},
	{"bad-alignment", bad_alignment},
};

void kernel_main(void)
{
	const char *how = boot_cmdline();
	console_printf("heap-misuse: %s\n", how);
	if (strcmp(how, "ok") == 0) {
		use_correctly();
		return;
	}
	for (size_t i = 0; i < sizeof(misuses) / sizeof(misuses[0]); i++) {
		if (strcmp(how, misuses[i].name) == 0) {
			misuses[i].fn();
			console_printf("heap-misuse: %s was not caught\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	console_printf("heap-misuse: unknown misuse '%s'\n", how);
	power_off(POWER_EXIT_FAILURE);
}
