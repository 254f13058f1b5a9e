// Fails on purpose in the way the command line names: null, div0, panic, precondition, overflow,
// write-text (write into the kernel's own code), panic-if, long-panic, ktest (runner re-entered),
// frame-stale, frame-double-put, frame-range, frame-cursor-stale, frame-map-stale,
// frame-put-mapped (allocator misuse), deadlock
// (every task waits for nothing), return.
#include <frame/frame.h>

int *volatile nowhere; // NULL, and the compiler cannot know it

// These two reach the CPU's exception, whose report they test: the undefined-behaviour sanitizer
// (tests/test_ubsan.py) would catch them first.
__attribute__((noinline, no_sanitize("undefined"))) static int dereference_null(void)
{
	return *nowhere; // the null dereference line
}

__attribute__((noinline)) static int recurse(int depth)
{
	volatile char frame[256];
	frame[0] = (char)depth;
	if ((uint64_t)depth > boot_usable_memory()) // never true; the compiler cannot know it
		return 0;
	return recurse(depth + 1) + frame[0]; // not a tail call: every level keeps its frame
}

__attribute__((noinline, no_sanitize("undefined"))) static int divide_by_zero(int n)
{
	volatile int zero = 0;
	return n / zero; // the division line
}

// Misuses of the frame allocator: a stale handle, a double drop, a copy out of range, a freed
// frame mapped for user space, a mapped frame's last reference dropped.
static void misuse_frames(const char *how)
{
	struct frame f;
	struct vm_space *space;
	if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK || vm_space_create(&space) != ERR_OK)
		panic("out of memory");
	char byte = 0;
	if (strcmp(how, "frame-stale") == 0) {
		frame_put(f);
		frame_read(f, 0, &byte, 1); // used after its last reference was dropped
	} else if (strcmp(how, "frame-double-put") == 0) {
		frame_put(f);
		frame_put(f);
	} else if (strcmp(how, "frame-cursor-stale") == 0) {
		struct mem_cursor c = frame_cursor(f);
		frame_put(f);
		(void)cursor_read(&c, &byte, 1); // the cursor outlived its frame
	} else if (strcmp(how, "frame-range") == 0) {
		frame_write(f, 4000, "0123456789", 100); // runs past the end of the frame
	} else if (strcmp(how, "frame-map-stale") == 0) {
		frame_put(f);
		if (vm_space_map(space, 0x10000, f, VM_READ) == ERR_OK) // the page may be someone else's by now
			console_printf("a freed frame was mapped\n");
	} else if (strcmp(how, "frame-put-mapped") == 0) {
		if (vm_space_map(space, 0x10000, f, VM_READ) != ERR_OK)
			panic("cannot map");
		frame_put(f);
		frame_put(f); // drops the space's reference: the page would be freed while user space maps it
	}
}

KTEST(calls_the_runner_again)
{
	ktest_main(); // not allowed: the runner is already running
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static int64_t wait_forever(void *arg)
{
	static struct wait_queue nobody_wakes = WAIT_QUEUE_INIT("nobody wakes");
	(void)arg;
	return wait_queue_wait(&nobody_wakes, never, NULL, FOREVER);
}

// main joins a task that waits for something that never happens.
static void deadlock(void)
{
	struct task *t;
	if (task_spawn(&t, "waiter", wait_forever, NULL, NULL) != ERR_OK)
		panic("out of memory");
	task_join(t);
}

void kernel_main(void)
{
	const char *how = boot_cmdline();
	console_printf("fault: %s\n", how);
	if (strcmp(how, "null") == 0)
		console_printf("%d\n", dereference_null());
	else if (strcmp(how, "div0") == 0)
		console_printf("%d\n", divide_by_zero(7));
	else if (strcmp(how, "panic") == 0)
		panic("the answer is %d", 42);
	else if (strcmp(how, "precondition") == 0)
		console_printf("%llu\n", (unsigned long long)boot_memory_region(100000).base);
	else if (strcmp(how, "overflow") == 0)
		console_printf("%d\n", recurse(0));
	else if (strcmp(how, "write-text") == 0)
		*(volatile char *)(void *)kernel_main = 'x'; // the write into code line
	else if (strcmp(how, "panic-if") == 0)
		panic_if(strlen(how) == 8);
	else if (strcmp(how, "long-panic") == 0)
		panic("%0600d", 7);
	else if (strcmp(how, "ktest") == 0)
		ktest_main();
	else if (strncmp(how, "frame-", 6) == 0)
		misuse_frames(how);
	else if (strcmp(how, "deadlock") == 0)
		deadlock();
	else if (strcmp(how, "return") == 0)
		return;
	else
		console_printf("unknown fault '%s'\n", how);
	power_off(POWER_EXIT_FAILURE);
}
