// gdb-tasks: a kernel in a known state for the GDB extension's tests (tests/test_gdb_frame.py).
// Three tasks block in three ways (a sleep, a wait queue, a mutex main holds), a periodic timer
// runs, a user address space maps two pages, and main then spins in spin_forever(), where the
// timer's callback interrupts it. The command line picks a panic instead: "panic" in main,
// "panic-in-timer" in the timer's callback.
#include <frame/frame.h>

static struct wait_queue never_queue = WAIT_QUEUE_INIT("never");
static struct mutex table = MUTEX_INIT("table");
static struct vm_space *space;	// what `frame vm space` lists
static struct frame page;	// what the pretty-printer shows: a live frame
static struct frame freed_page; // and one freed
static struct segment buffer;	// a segment of 4 frames
static volatile uint64_t timer_calls, spins;
static bool panic_in_timer;

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static int64_t sleeper(void *arg)
{
	(void)arg;
	task_sleep(SEC(3600));
	return 0;
}

static int64_t waiter(void *arg)
{
	(void)arg;
	if (wait_queue_wait(&never_queue, never, NULL, FOREVER) != ERR_OK)
		panic("the wait for 'never' ended");
	return 0;
}

static int64_t locker(void *arg)
{
	(void)arg;
	mutex_lock(&table); // main holds it for good
	return 0;
}

static void gdb_tasks_tick(struct timer *timer, void *ctx)
{
	(void)timer, (void)ctx;
	timer_calls++;
	if (panic_in_timer)
		panic("gdb-tasks: a panic in a timer callback, as asked");
}

static struct timer ticker = TIMER_INIT(gdb_tasks_tick, NULL);

static struct task *spawn(const char *name, task_fn fn)
{
	struct task *t;
	if (task_spawn(&t, name, fn, NULL, NULL) != ERR_OK)
		panic("no memory for task '%s'", name);
	return t;
}

static bool cmdline_is(const char *word)
{
	return strcmp(boot_cmdline(), word) == 0;
}

// Where the tests break: everything is set up.
__attribute__((noinline)) static void gdb_tasks_ready(void)
{
	console_printf("gdb-tasks: ready\n");
}

__attribute__((noinline)) static void spin_forever(void)
{
	for (;;)
		spins++; // the timer's callback interrupts here
}

void kernel_main(void)
{
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&page, FRAME_ALLOC_ZEROED) != ERR_OK ||
	    frame_alloc(&freed_page, 0) != ERR_OK || segment_alloc(&buffer, 4, 1, 0) != ERR_OK)
		panic("out of memory");
	frame_put(freed_page);
	if (vm_space_map(space, 0x400000, page, VM_READ | VM_EXEC) != ERR_OK ||
	    vm_space_map(space, 0x7ff000, page, VM_READ | VM_WRITE) != ERR_OK)
		panic("cannot map");
	mutex_lock(&table);
	spawn("sleeper", sleeper);
	spawn("waiter", waiter);
	spawn("locker", locker);
	task_sleep(MSEC(20)); // each runs until it blocks
	panic_in_timer = cmdline_is("panic-in-timer");
	timer_start(&ticker, MSEC(5), MSEC(5));
	if (cmdline_is("panic"))
		panic("gdb-tasks: a panic, as asked");
	gdb_tasks_ready();
	spin_forever();
}
