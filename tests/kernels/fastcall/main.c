// fastcall: user_mode_set_fast_handler(). calls.S makes 100000 getpid calls through the fast
// handler, then a write and an exit; the task must see only the exit (and the tick). jump.S is
// hostile: the handler makes the program's registers whatever values the kernel starts it with,
// and every value the CPU would refuse comes back as #GP (or as the program's own #PF), never as
// a fault in the kernel. lazy.S checks floating-point state across slow calls. With a command
// line word, the handler breaks a rule (sleeps, switches space, returns garbage): a panic.
#include <frame/frame.h>
#include "user_programs.h"

#define STACK_TOP 0x800000ull
#define CALLS 100000	// as in calls.S
#define FLAGS_OFFSET 16 // "flags" in jump.S

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

static struct user_mode um, other;
static unsigned handled;
static const char *rule;     // the rule the handler breaks, from the command line
static irq_state task_state; // saved by the task, interrupts on

static enum user_fast fast(struct user_context *ctx, void *data)
{
	(void)data;
	if (rule && strcmp(rule, "sleep") == 0)
		task_sleep(MSEC(1));
	if (rule && strcmp(rule, "space") == 0)
		vm_space_activate(other.space);
	if (rule && strcmp(rule, "garbage") == 0)
		return (enum user_fast)7;
	if (rule && strcmp(rule, "irqon") == 0)
		irq_restore(task_state); // interrupts back on, with a state the task saved
	if (rule && strcmp(rule, "reinit") == 0)
		user_mode_init(&um, um.space, USER_PROGRAM_BASE, STACK_TOP);
	switch (ctx->rax) {
	case 39: // getpid
		handled++;
		ctx->rax = 7;
		return USER_FAST_DONE;
	case 1: { // write(1, buf, len), from user memory, in trap context
		char buf[128];
		size_t len = ctx->rdx < sizeof(buf) - 1 ? ctx->rdx : sizeof(buf) - 1;
		if (vm_copy_from_user(um.space, buf, ctx->rsi, len) != ERR_OK) {
			ctx->rax = (uint64_t)-14; // -EFAULT
			return USER_FAST_DONE;
		}
		buf[len] = 0;
		console_printf("%s", buf);
		ctx->rax = len;
		return USER_FAST_DONE;
	}
	case 504: // set the FS base, and leave the call to the task
		ctx->fs_base = ctx->rdi;
		return USER_FAST_SLOW;
	case 500: // the hostile jump: every value is the program's
		ctx->rip = ctx->rdi;
		ctx->rsp = ctx->rsi;
		ctx->fs_base = ctx->rdx;
		ctx->rflags = ctx->r10;
		ctx->rcx = ctx->r8;
		ctx->r11 = ctx->r9;
		return USER_FAST_DONE;
	default:
		return USER_FAST_SLOW;
	}
}

static void run_calls(void)
{
	user_mode_init(&um, load(user_program_calls, user_program_calls_size), USER_PROGRAM_BASE, STACK_TOP);
	user_mode_set_fast_handler(&um, fast, NULL);
	unsigned syscalls = 0, ticks = 0;
	for (;;) {
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_PREEMPTED) {
			ticks++;
			task_yield();
			continue;
		}
		if (why == USER_RETURN_INTERRUPT) {
			ticks++;
			continue;
		}
		if (why != USER_RETURN_SYSCALL)
			panic("calls: the program faulted: %s at 0x%llx", user_exception_name(um.exception.vector),
			      (unsigned long long)um.context.rip);
		syscalls++;
		if (um.context.rax == 60)
			break;
	}
	console_printf("calls: exit(%llu) after %u fast calls; the task saw %u system call(s) and %u tick(s)\n",
		       (unsigned long long)um.context.rdi, handled, syscalls, ticks);
	vm_space_destroy(um.space);
}

struct jump_case {
	const char *what;
	uint64_t rip, rsp, fs_base, rflags, rcx, r11; // what the handler makes them; rip 0: "flags"
	int vector;				      // the exception expected, or -1: flags reported
};

#define NONCANONICAL 0x0000800000000000ull
#define KERNEL 0xffffffff80200000ull
#define TOP 0x00007ffffffff000ull // the last user page: SYSRET would return past it into the gap

static const struct jump_case jumps[] = {
	{"rip non-canonical", NONCANONICAL, STACK_TOP, 0, 0x202, NONCANONICAL, 0x202, 13},
	{"rip in the kernel", KERNEL, STACK_TOP, 0, 0x202, KERNEL, 0x202, 13},
	{"rip all ones", ~0ull, STACK_TOP, 0, 0x202, ~0ull, 0x202, 13},
	{"rsp non-canonical (IRET)", 0, NONCANONICAL, 0, 0x202, 1, 0x202, 13},
	{"fs base non-canonical", 0, STACK_TOP, NONCANONICAL, 0x202, 0, 0x202, 13},
	{"fs base in the kernel", 0, STACK_TOP, KERNEL, 0x202, 0, 0x202, 13},
	{"rip in the last user page (IRET, not SYSRET)", TOP + 0xffe, STACK_TOP, 0, 0x202, TOP + 0xffe, 0x202, 14},
	{"every flag set", 0, STACK_TOP, 0, ~0ull, 0, ~0ull, -1},
	{"every flag set, RCX and R11 not RIP and flags (IRET)", 0, STACK_TOP, 0, ~0ull, 5, 6, -1},
	{"flags zero (IF forced on)", 0, STACK_TOP, 0, 0, 0, 0, -1},
};

#define RFLAGS_ALLOWED 0x0cd5ull // CF PF AF ZF SF DF OF: the program's own; IF forced, bit 1 always

static bool run_jump(const struct jump_case *c, struct vm_space *space)
{
	uint64_t flags_at = USER_PROGRAM_BASE + FLAGS_OFFSET;
	user_mode_init(&um, space, USER_PROGRAM_BASE, STACK_TOP);
	user_mode_set_fast_handler(&um, fast, NULL);
	um.context.rdi = c->rip ? c->rip : flags_at;
	um.context.rsi = c->rsp;
	um.context.rdx = c->fs_base;
	um.context.r10 = c->rflags;
	um.context.r8 = c->rcx ? c->rcx : flags_at;
	um.context.r9 = c->r11;
	enum user_return why;
	while ((why = user_mode_run(&um)) == USER_RETURN_INTERRUPT || why == USER_RETURN_PREEMPTED)
		;
	bool ok;
	if (c->vector >= 0) {
		ok = why == USER_RETURN_EXCEPTION && um.exception.vector == (uint64_t)c->vector;
		console_printf("jump: %s: %s%s\n", c->what,
			       why == USER_RETURN_EXCEPTION ? user_exception_name(um.exception.vector) : "no exception",
			       ok ? "" : " (WRONG)");
	} else {
		uint64_t want = (c->rflags & RFLAGS_ALLOWED) | 0x202;
		ok = why == USER_RETURN_SYSCALL && um.context.rax == 501 && um.context.rdi == want;
		console_printf("jump: %s: runs with flags 0x%llx%s\n", c->what, (unsigned long long)um.context.rdi,
			       ok ? "" : " (WRONG)");
	}
	return ok;
}

// A handler that sets the FS base and leaves the call to the task: the task sees the new base,
// and the program reads through it.
static void run_fsbase(void)
{
	struct vm_space *space = load(user_program_fsbase, user_program_fsbase_size);
	struct frame f;
	uint64_t marker = 0x5eed5eed5eed5eedull;
	if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("out of memory");
	frame_write(f, 0, &marker, sizeof(marker));
	if (vm_space_map(space, 0x900000, f, VM_READ) != ERR_OK)
		panic("cannot map the FS page");
	frame_put(f);
	user_mode_init(&um, space, USER_PROGRAM_BASE, STACK_TOP);
	user_mode_set_fast_handler(&um, fast, NULL);
	uint64_t seen[2] = {0, 0};
	for (int i = 0; i < 2;) {
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_EXCEPTION)
			panic("fsbase: the program faulted: %s", user_exception_name(um.exception.vector));
		if (why == USER_RETURN_SYSCALL) {
			seen[i] = i == 0 ? um.context.fs_base : um.context.rdi;
			i++;
		}
	}
	console_printf("fsbase: the task sees 0x%llx, the program reads 0x%llx through it\n",
		       (unsigned long long)seen[0], (unsigned long long)seen[1]);
	vm_space_destroy(space);
}

static void run_lazy(void)
{
	user_mode_init(&um, load(user_program_lazy, user_program_lazy_size), USER_PROGRAM_BASE, STACK_TOP);
	user_mode_init(&other, load(user_program_clobber, user_program_clobber_size), USER_PROGRAM_BASE, STACK_TOP);
	unsigned yields = 0;
	for (;;) {
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_INTERRUPT || why == USER_RETURN_PREEMPTED)
			continue;
		if (why != USER_RETURN_SYSCALL)
			panic("lazy: the program faulted: %s", user_exception_name(um.exception.vector));
		if (um.context.rax == 502)
			break;
		yields++;
		while (user_mode_run(&other) != USER_RETURN_SYSCALL) // the other program changes xmm0
			;
	}
	console_printf("lazy: xmm0 0x%llx after %u yields to a program that changes it\n",
		       (unsigned long long)um.context.rdi, yields);
	vm_space_destroy(um.space);
	vm_space_destroy(other.space);
}

void kernel_main(void)
{
	const char *how = boot_cmdline();
	if (how[0]) {
		rule = how;
		task_state = irq_save();
		irq_restore(task_state);
		console_printf("fastcall: a handler that breaks a rule: %s\n", rule);
		user_mode_init(&other, load(user_program_clobber, user_program_clobber_size), USER_PROGRAM_BASE,
			       STACK_TOP);
		run_calls();
		panic("fastcall: the handler broke a rule and nothing stopped it");
	}
	run_calls();
	if (user_program_jump[FLAGS_OFFSET] != 0x9c) // pushfq
		panic("fastcall: jump.S's \"flags\" is not at offset %d", FLAGS_OFFSET);
	struct vm_space *space = load(user_program_jump, user_program_jump_size);
	unsigned ok = 0, n = sizeof(jumps) / sizeof(jumps[0]);
	for (unsigned i = 0; i < n; i++)
		ok += run_jump(&jumps[i], space);
	vm_space_destroy(space);
	console_printf("jump: %u of %u hostile returns handled as they should\n", ok, n);
	run_fsbase();
	run_lazy();
	console_printf("fastcall: done\n");
}
