// Makes, on purpose, the memory mistakes the address sanitizer catches (the command line names
// one); each must be reported at the access. "ok" touches only what it owns, and returns.
#include <frame/frame.h>

// Indexes and pointers pass through volatile variables, so GCC cannot see the mistake at build
// time and the run-time check is what is tested.
static volatile size_t ten = 10, sixteen = 16;
static void *volatile hidden;
static char global_array[10];

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

static void global_overrun(void)
{
	global_array[ten] = 1;
}

static void stack_overrun(void)
{
	char local[16];
	local[sixteen] = 1;
	console_printf("%c\n", local[0]);
}

static void heap_overflow(void)
{
	char *p = alloc_or_panic(24);
	p[24] = 1; // one past the end: caught here, not at heap_free()
	heap_free(p);
}

static void heap_read_after_free(void)
{
	char *p = alloc_or_panic(40), *stale = hide(p);
	heap_free(p);
	console_printf("%d\n", stale[8]);
}

static void heap_write_after_free(void)
{
	char *keep = alloc_or_panic(40); // keeps the page mapped
	char *p = alloc_or_panic(40), *stale = hide(p);
	heap_free(p);
	stale[0] = 1;
	heap_free(keep);
}

// A number turned into a pointer by a union: the safe subset forbids the cast, not the pun.
static void forged_linear_write(void)
{
	union {
		uint64_t n;
		char *p;
	} pun = {.n = 0xffff8000000b8000ull}; // VGA text memory, through the linear map
	pun.p[0] = 'X';
}

// The frame's own memory: the command line it keeps (a const string the frame owns).
static void frame_memory_write(void)
{
	char *cmdline = hide((void *)boot_cmdline());
	cmdline[0] = 'X';
}

// The frame's bookkeeping of a task, behind the opaque handle task_spawn() gives.
static long task_body(void *arg)
{
	(void)arg;
	return 0;
}

static void frame_object_write(void)
{
	struct task *t;
	if (task_spawn(&t, "victim", task_body, NULL, NULL) != ERR_OK)
		panic("task_spawn failed");
	char *inside = hide(t);
	inside[0] = 1;
}

static void constant_write(void)
{
	char *s = hide((void *)"a string constant");
	s[0] = 'X';
}

static void null_read(void)
{
	int *p = hide(NULL);
	console_printf("%d\n", *p);
}

// A frame function writing a client's buffer is checked as if the client wrote it.
static void frame_read_overrun(void)
{
	struct frame f;
	if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("frame_alloc failed");
	char small[16];
	frame_read(f, 0, small, PAGE_SIZE);
	console_printf("%c\n", small[0]);
}

static void memcpy_overrun(void)
{
	char *dst = alloc_or_panic(32);
	char src[64] = {0};
	memcpy(dst, src, sixteen * 4);
	heap_free(dst);
}

// A local used after the block that declared it ended, through a pointer that outlived it.
static void scope_escape(void)
{
	char *escaped = NULL;
	{
		char inner[32];
		inner[0] = 'i';
		escaped = hide(inner);
	}
	escaped[1] = 'x';
}

// A double free is still the heap's to catch, with the sanitizer on too.
static void double_free(void)
{
	char *keep = alloc_or_panic(24); // keeps the page, so the heap still knows the freed block
	char *p = alloc_or_panic(24), *again = hide(p);
	heap_free(p);
	heap_free(again);
	heap_free(keep);
}

// Memory in user space is reached by copies (vm_copy_from_user()), never by pointer.
static void user_address_read(void)
{
	union {
		uint64_t n;
		const char *p;
	} pun = {.n = 0x400000};
	console_printf("%d\n", pun.p[0]);
}

// A frame function's out-parameter is checked like a buffer: frame_alloc() into the frame's memory.
static void out_param_frame(void)
{
	struct frame *f = hide((void *)boot_cmdline());
	if (frame_alloc(f, 0) != ERR_OK)
		panic("frame_alloc failed");
}

// The links of the frame's lists that live in the client's structs are checked before they are
// followed: a pending timer's link overwritten with the address of the frame's memory.
static void timer_fired(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
}

static void timer_link(void)
{
	static struct timer first, second;
	timer_init(&first, timer_fired, NULL);
	timer_init(&second, timer_fired, NULL);
	timer_start(&first, MSEC(1000), MSEC(0));
	first.next_ = hide((void *)boot_cmdline());
	timer_start(&second, MSEC(2000), MSEC(0)); // walks past first
}

static void wait_queue_head(void)
{
	static struct wait_queue wq = WAIT_QUEUE_INIT("forged");
	static char fake[64];
	wq.head_ = hide(fake);
	(void)wait_queue_wake_one(&wq);
}

// The frame's string functions read for the client only what the client may read.
static void strncmp_frame(void)
{
	const char *task = hide(task_current()); // the frame's bookkeeping of this task
	console_printf("%d\n", strncmp(task, "x", 1));
}

static void printf_frame(void)
{
	console_printf("%s\n", (const char *)hide(task_current()));
}

static void ok(void)
{
	char *p = alloc_or_panic(24);
	p[23] = 1;
	char local[16];
	local[sixteen - 1] = 2;
	global_array[ten - 1] = 3;
	memcpy(p, local, 16);
	console_printf("ok: %d %d %d\n", p[23], local[15], global_array[9]);
	heap_free(p);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{"global-overrun", global_overrun},
	{"stack-overrun", stack_overrun},
	{"heap-overflow", heap_overflow},
	{"heap-read-after-free", heap_read_after_free},
	{"heap-write-after-free", heap_write_after_free},
	{"forged-linear-write", forged_linear_write},
	{"frame-memory-write", frame_memory_write},
	{"frame-object-write", frame_object_write},
	{"constant-write", constant_write},
	{"null-read", null_read},
	{"frame-read-overrun", frame_read_overrun},
	{"memcpy-overrun", memcpy_overrun},
	{"scope-escape", scope_escape},
	{"double-free", double_free},
	{"user-address-read", user_address_read},
	{"out-param-frame", out_param_frame},
	{"timer-link", timer_link},
	{"wait-queue-head", wait_queue_head},
	{"strncmp-frame", strncmp_frame},
	{"printf-frame", printf_frame},
	{"ok", ok},
};

void kernel_main(void)
{
	const char *how = boot_cmdline();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(how, cases[i].name) == 0) {
			console_printf("case %s\n", how);
			cases[i].run();
			console_printf("%s was not caught\n", how);
			return;
		}
	}
	console_printf("unknown case '%s'\n", how);
}
