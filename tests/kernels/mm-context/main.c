// Calls an address-space function from a timer callback (interrupt context), the one the
// command line names (see the table at the end). Each must panic naming the frame function,
// the rule and the caller: the timer_* function below. A case that comes back prints "did not
// panic" and powers off with failure.
#include <frame/frame.h>

#define MAPPED 0x10000 // a page the task maps before the timer fires

static struct vm_space *space;
static struct frame frame;
static char byte;
static atomic_t fired = ATOMIC_INIT(0);

static void timer_vm_create(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	struct vm_space *s;
	if (vm_space_create(&s) == ERR_OK)
		vm_space_destroy(s);
	atomic_store(&fired, 1);
}

static void timer_vm_destroy(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	vm_space_destroy(space);
	atomic_store(&fired, 1);
}

static void timer_vm_map(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (vm_space_map(space, MAPPED + PAGE_SIZE, frame, VM_READ) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_vm_unmap(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (vm_space_unmap(space, MAPPED) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_vm_protect(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (vm_space_protect(space, MAPPED, VM_READ) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_vm_query(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (vm_space_query(space, MAPPED, NULL, NULL) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_vm_activate(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	vm_space_activate(space);
	atomic_store(&fired, 1);
}

static void timer_vm_copy_from(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (vm_copy_from_user(space, &byte, MAPPED, 1) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_vm_copy_to(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (vm_copy_to_user(space, MAPPED, &byte, 1) == ERR_OK)
		atomic_store(&fired, 1);
}

static const struct {
	const char *name;
	timer_fn fn;
} cases[] = {
	{"vm-create", timer_vm_create},	    {"vm-destroy", timer_vm_destroy},	  {"vm-map", timer_vm_map},
	{"vm-unmap", timer_vm_unmap},	    {"vm-protect", timer_vm_protect},	  {"vm-query", timer_vm_query},
	{"vm-activate", timer_vm_activate}, {"vm-copy-from", timer_vm_copy_from}, {"vm-copy-to", timer_vm_copy_to},
};

// Run fn as a timer callback and busy-wait (interrupts on, no sleeping) for at most a second.
static void run_in_timer(timer_fn fn)
{
	static struct timer timer;
	timer_init(&timer, fn, NULL);
	timer_start(&timer, MSEC(1), NSEC(0));
	uint64_t until = jiffies() + TIMER_HZ;
	while (!atomic_load(&fired) && jiffies() < until)
		;
}

void kernel_main(void)
{
	const char *how = boot_cmdline();
	console_printf("mm-context: %s\n", how);
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&frame, FRAME_ALLOC_ZEROED) != ERR_OK ||
	    vm_space_map(space, MAPPED, frame, VM_READ | VM_WRITE) != ERR_OK)
		panic("out of memory");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(how, cases[i].name) == 0) {
			run_in_timer(cases[i].fn);
			console_printf("mm-context: case '%s' did not panic\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	console_printf("mm-context: unknown case '%s'; cases:", how);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		console_printf(" %s", cases[i].name);
	console_printf("\n");
	power_off(POWER_EXIT_FAILURE);
}
