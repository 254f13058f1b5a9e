// userloop: a user program stuck in an endless loop (loop.S) must not hang the machine. The tick
// takes the CPU back from it (user_mode_run() returns USER_RETURN_PREEMPTED) and the task running
// it, "looper", yields each time, so a second task, "ticker", runs meanwhile. After its third
// tick the ticker asks the looper to stop; the looper destroys the program's address space and
// returns. main joins both, checks that no page frame leaked and powers off with success.
#include <frame/frame.h>
#include "user_programs.h" // loop.S, assembled and embedded by the SDK

#define STACK_TOP 0x800000ull
#define TICKS 3
#define MAX_PREEMPTIONS 1000 // seconds of guest time: the ticker never asked to stop

static atomic_t preemptions = ATOMIC_INIT(0);
static atomic_t stop = ATOMIC_INIT(0);

// The program image at USER_PROGRAM_BASE, and one page of stack below STACK_TOP.
static struct vm_space *load(const unsigned char *image, size_t size)
{
	struct vm_space *space;
	if (vm_space_create(&space) != ERR_OK)
		panic("no memory for an address space");
	for (size_t off = 0; off < size + PAGE_SIZE; off += PAGE_SIZE) {
		bool stack = off >= size;
		struct frame frame;
		if (frame_alloc(&frame, FRAME_ALLOC_ZEROED) != ERR_OK)
			panic("out of memory loading the program");
		if (!stack)
			frame_write(frame, 0, image + off, size - off < PAGE_SIZE ? size - off : PAGE_SIZE);
		uint64_t where = stack ? STACK_TOP - PAGE_SIZE : USER_PROGRAM_BASE + off;
		if (vm_space_map(space, where, frame, stack ? VM_READ | VM_WRITE : VM_READ | VM_EXEC) != ERR_OK)
			panic("cannot map 0x%llx", (unsigned long long)where);
		frame_put(frame);
	}
	return space;
}

// Runs the endless loop until the ticker says stop; 0 if all went as it should.
static int64_t looper(void *arg)
{
	(void)arg;
	struct user_mode um;
	int64_t result = 0;
	user_mode_init(&um, load(user_program_loop, user_program_loop_size), USER_PROGRAM_BASE, STACK_TOP);
	console_printf("looper: running the user program (an endless loop)\n");
	for (;;) {
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_INTERRUPT)
			continue; // a tick that did not end the time slice
		if (why != USER_RETURN_PREEMPTED) {
			console_printf("looper: user_mode_run() returned %d, not USER_RETURN_PREEMPTED (rip 0x%llx)\n",
				       (int)why, (unsigned long long)um.context.rip);
			result = -1;
			break;
		}
		int64_t n = atomic_inc(&preemptions);
		if (um.context.rip != USER_PROGRAM_BASE) {
			console_printf("looper: preempted at rip 0x%llx, outside the loop\n",
				       (unsigned long long)um.context.rip);
			result = -1;
			break;
		}
		if (atomic_load(&stop)) {
			console_printf("looper: user program preempted %lld times: an endless loop; stopped\n",
				       (long long)n);
			break;
		}
		if (n >= MAX_PREEMPTIONS) {
			console_printf("looper: preempted %lld times and nobody asked to stop\n", (long long)n);
			result = -1;
			break;
		}
		task_yield(); // let the ticker run
	}
	vm_space_destroy(um.space);
	return result;
}

// Ticks while the looper's program runs, then asks the looper to stop; returns its tick count.
static int64_t ticker(void *arg)
{
	(void)arg;
	for (int i = 1; i <= TICKS; i++) {
		task_sleep(MSEC(5));
		console_printf("ticker: tick %d, the user program was preempted %lld times so far\n", i,
			       (long long)atomic_load(&preemptions));
	}
	console_printf("ticker: asking the looper to stop\n");
	atomic_store(&stop, 1);
	return TICKS;
}

static struct task *spawn(const char *name, task_fn fn)
{
	struct task *t;
	if (task_spawn(&t, name, fn, NULL, NULL) != ERR_OK)
		panic("no memory for task '%s'", name);
	return t;
}

void kernel_main(void)
{
	size_t before = frame_free_count();
	struct task *loop_task = spawn("looper", looper);
	struct task *tick_task = spawn("ticker", ticker);
	int64_t looped = task_join(loop_task);
	int64_t ticked = task_join(tick_task);
	size_t after = frame_free_count();
	console_printf("main: looper returned %lld, ticker returned %lld\n", (long long)looped, (long long)ticked);
	if (after != before) {
		console_printf("main: page frames leaked: %zu free before, %zu after\n", before, after);
		power_off(POWER_EXIT_FAILURE);
	}
	console_printf("main: no page frame leaked (%zu free before and after)\n", before);
	console_printf("userloop: done\n");
	power_off(looped == 0 && ticked == TICKS ? POWER_EXIT_SUCCESS : POWER_EXIT_FAILURE);
}
