// fpu: user programs with their own floating-point state. "dirty" fills its xmm registers and
// control words and yields; two instances of doubles.S, then two of avx.S, compute with
// different constants in the same registers, interleaved by the timer tick (each in its own task);
// then dirty runs on and checks it got its own registers back. xm.S and mf.S raise SIMD and x87
// floating-point exceptions, which come back as their own. The test checks every result bit for
// bit (tests/test_fpu.py); the kernel prints them.
#include <frame/frame.h>
#include "user_programs.h" // the *.S programs, assembled and embedded by the SDK

#define STACK_TOP 0x800000ull
#define ITERATIONS 20000000
#define SYS_YIELD 24
#define SYS_EXIT 60

struct program {
	struct user_mode um; // first: it must be 64-byte aligned, and so is the struct
	const char *name;
	int64_t preempted;
};

static struct program dirty, doubles[2], avx[2], xm, mf, corrupt;
static struct program *last_ran; // which program came back last, to count the switches between them
static atomic_t switches = ATOMIC_INIT(0);

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

static void start(struct program *p, const char *name, const unsigned char *image, size_t size)
{
	p->name = name;
	user_mode_init(&p->um, load(image, size), USER_PROGRAM_BASE, STACK_TOP);
}

// Run p until it exits, yields (a system call) or faults; print how it ended. True if it yielded.
static bool run(struct program *p)
{
	struct user_context *c = &p->um.context;
	for (;;) {
		enum user_return why = user_mode_run(&p->um);
		if (last_ran != p)
			atomic_inc(&switches);
		last_ran = p;
		if (why == USER_RETURN_INTERRUPT)
			continue;
		if (why == USER_RETURN_PREEMPTED) {
			p->preempted++;
			task_yield();
			continue;
		}
		if (why == USER_RETURN_EXCEPTION) {
			console_printf("%s: exception %llu (%s) at 0x%llx\n", p->name,
				       (unsigned long long)p->um.exception.vector,
				       user_exception_name(p->um.exception.vector), (unsigned long long)c->rip);
		} else if (c->rax == SYS_YIELD) {
			console_printf("%s: yielded\n", p->name);
			return true;
		} else if (c->rax == SYS_EXIT) {
			console_printf("%s: 0x%016llx 0x%016llx 0x%llx %s\n", p->name, (unsigned long long)c->rdi,
				       (unsigned long long)c->rsi, (unsigned long long)c->rdx,
				       c->r10 == 0 ? "clean" : "dirty at start");
		} else {
			console_printf("%s: unknown system call %llu\n", p->name, (unsigned long long)c->rax);
		}
		vm_space_destroy(p->um.space);
		return false;
	}
}

static int64_t run_task(void *arg)
{
	run(arg);
	return 0;
}

// Run a and b each in its own task, at once: the tick interleaves them.
static void run_pair(struct program *a, struct program *b, const char *what)
{
	struct task *ta, *tb;
	atomic_store(&switches, 0);
	if (task_spawn(&ta, a->name, run_task, a, NULL) != ERR_OK ||
	    task_spawn(&tb, b->name, run_task, b, NULL) != ERR_OK)
		panic("no memory for a task");
	(void)task_join(ta);
	(void)task_join(tb);
	console_printf("main: %s: %lld switches between them, preempted %lld and %lld times\n", what,
		       (long long)atomic_load(&switches), (long long)a->preempted, (long long)b->preempted);
}

// A program computing t = t * m + c; s += t, n times; m and c are the bits of doubles.
static void setup_sum(struct program *p, const char *name, const unsigned char *image, size_t size, uint64_t m,
		      uint64_t c, uint64_t mxcsr, uint64_t fcw)
{
	start(p, name, image, size);
	p->um.context.rdi = m;
	p->um.context.rsi = c;
	p->um.context.rdx = ITERATIONS;
	p->um.context.r8 = mxcsr;
	p->um.context.r9 = fcw;
}

void kernel_main(void)
{
	size_t before = frame_free_count();
	start(&dirty, "dirty", user_program_dirty, user_program_dirty_size);
	if (!run(&dirty))
		power_off(POWER_EXIT_FAILURE);

	// 0.999 and 1/3 with the default control words; 0.5 and 2.5 with flush-to-zero and 24-bit
	// x87 precision, which change nothing in this sum but show in the other's control words.
	setup_sum(&doubles[0], "doubles0", user_program_doubles, user_program_doubles_size, 0x3feff7ced916872bull,
		  0x3fd5555555555555ull, 0x1f80, 0x37f);
	setup_sum(&doubles[1], "doubles1", user_program_doubles, user_program_doubles_size, 0x3fe0000000000000ull,
		  0x4004000000000000ull, 0x9f80, 0x07f);
	run_pair(&doubles[0], &doubles[1], "doubles");

	// 0.9 and 0.7; 0.3 and 1.1.
	setup_sum(&avx[0], "avx0", user_program_avx, user_program_avx_size, 0x3feccccccccccccdull,
		  0x3fe6666666666666ull, 0, 0);
	setup_sum(&avx[1], "avx1", user_program_avx, user_program_avx_size, 0x3fd3333333333333ull,
		  0x3ff199999999999aull, 0, 0);
	run_pair(&avx[0], &avx[1], "avx");

	if (run(&dirty))
		power_off(POWER_EXIT_FAILURE);
	// The CPU still holds dirty's registers (it ran last); set up again in the same place, the
	// program must start from its own fresh state, not from what the CPU holds.
	setup_sum(&dirty, "again", user_program_doubles, user_program_doubles_size, 0x3fe0000000000000ull,
		  0x3ff0000000000000ull, 0x1f80, 0x37f);
	dirty.um.context.rdx = 1000;
	(void)run(&dirty);
	start(&xm, "xm", user_program_xm, user_program_xm_size);
	(void)run(&xm);
	start(&mf, "mf", user_program_mf, user_program_mf_size);
	(void)run(&mf);

	// The saved state is the client's memory: every byte of it overwritten (MXCSR with reserved
	// bits, XSTATE_BV and XCOMP_BV with bits the CPU refuses) must still give a clean run, never a
	// #GP in the frame's restore.
	setup_sum(&corrupt, "corrupt", user_program_doubles, user_program_doubles_size, 0x3fe0000000000000ull,
		  0x3ff0000000000000ull, 0x1f80, 0x37f);
	corrupt.um.context.rdx = 1000;
	memset(corrupt.um.fpu_, 0xff, sizeof(corrupt.um.fpu_));
	(void)run(&corrupt);

	size_t after = frame_free_count();
	if (after != before) {
		console_printf("main: page frames leaked: %zu free before, %zu after\n", before, after);
		power_off(POWER_EXIT_FAILURE);
	}
	console_printf("fpu: done\n");
}
