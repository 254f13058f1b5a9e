// Calls an address-space function from a timer callback (interrupt context), the one the
// command line names (see the table below). Each must panic naming the frame function, the
// rule and the caller, timer_calls_vm(). A case that comes back prints "did not panic" and
// powers off with failure.
#include <frame/frame.h>

#define MAPPED 0x10000 // a page the task maps before the timer fires

enum vm_call { VM_CREATE, VM_DESTROY, VM_MAP, VM_UNMAP, VM_PROTECT, VM_QUERY, VM_ACTIVATE, VM_COPY_FROM, VM_COPY_TO };

static const char *const cases[] = {
	[VM_CREATE] = "vm-create",     [VM_DESTROY] = "vm-destroy",	[VM_MAP] = "vm-map",
	[VM_UNMAP] = "vm-unmap",       [VM_PROTECT] = "vm-protect",	[VM_QUERY] = "vm-query",
	[VM_ACTIVATE] = "vm-activate", [VM_COPY_FROM] = "vm-copy-from", [VM_COPY_TO] = "vm-copy-to",
};

static struct vm_space *space;
static struct frame frame;
static enum vm_call call;
static atomic_t came_back = ATOMIC_INIT(0);

// The timer callback: makes the call the command line picked, in interrupt context.
static void timer_calls_vm(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	struct vm_space *other;
	char byte = 0;
	enum err e = ERR_OK;
	switch (call) {
	case VM_CREATE:
		e = vm_space_create(&other);
		break;
	case VM_DESTROY:
		vm_space_destroy(space);
		break;
	case VM_MAP:
		e = vm_space_map(space, MAPPED + PAGE_SIZE, frame, VM_READ);
		break;
	case VM_UNMAP:
		e = vm_space_unmap(space, MAPPED);
		break;
	case VM_PROTECT:
		e = vm_space_protect(space, MAPPED, VM_READ);
		break;
	case VM_QUERY:
		e = vm_space_query(space, MAPPED, NULL, NULL);
		break;
	case VM_ACTIVATE:
		vm_space_activate(space);
		break;
	case VM_COPY_FROM:
		e = vm_copy_from_user(space, &byte, MAPPED, 1);
		break;
	case VM_COPY_TO:
		e = vm_copy_to_user(space, MAPPED, &byte, 1);
		break;
	}
	atomic_store(&came_back, 1 + (int64_t)e);
}

void kernel_main(void)
{
	static struct timer timer = TIMER_INIT(timer_calls_vm, NULL);
	const char *how = boot_cmdline();
	console_printf("mm-context: %s\n", how);
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&frame, FRAME_ALLOC_ZEROED) != ERR_OK ||
	    vm_space_map(space, MAPPED, frame, VM_READ | VM_WRITE) != ERR_OK)
		panic("out of memory");
	for (call = 0; call < sizeof(cases) / sizeof(cases[0]); call++) {
		if (strcmp(how, cases[call]) == 0) {
			timer_start(&timer, MSEC(1), NSEC(0));
			uint64_t until = jiffies() + TIMER_HZ; // busy-wait (no sleeping) for at most a second
			while (!atomic_load(&came_back) && jiffies() < until)
				;
			console_printf("mm-context: case '%s' did not panic\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	console_printf("mm-context: unknown case '%s'\n", how);
	power_off(POWER_EXIT_FAILURE);
}
