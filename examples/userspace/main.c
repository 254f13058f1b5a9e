// userspace: a kernel in 100 lines that runs a real user program (hello.S) in ring 3.
// Every operation that would need unsafe code in a C kernel is a checked frame call:
// no page-table bits, no physical pointers, no privileged registers, no assembly.
#include <frame/frame.h>
#include "user_programs.h" // hello.S, assembled and embedded by the SDK

#define STACK_TOP 0x800000ull // the user stack: one page below this address
#define ENOSYS 38	      // Linux error numbers, returned negated
#define EFAULT 14
#define EBADF 9

// Put a program image into fresh page frames, mapped at USER_PROGRAM_BASE.
static struct vm_space *load(const unsigned char *image, size_t size)
{
	struct vm_space *space;
	if (vm_space_create(&space) != ERR_OK) // replaces: allocating and linking page tables
		panic("no memory for an address space");
	for (size_t off = 0; off < size + PAGE_SIZE; off += PAGE_SIZE) { // the image, then the stack
		bool stack = off >= size;
		struct frame frame; // replaces: a raw physical page
		if (frame_alloc(&frame, FRAME_ALLOC_ZEROED) != ERR_OK)
			panic("out of memory loading the program");
		if (!stack) // replaces: memcpy through a physical pointer
			frame_write(frame, 0, image + off, size - off < PAGE_SIZE ? size - off : PAGE_SIZE);
		uint64_t where = stack ? STACK_TOP - PAGE_SIZE : USER_PROGRAM_BASE + off;
		if (vm_space_map(space, where, frame, stack ? VM_READ | VM_WRITE : VM_READ | VM_EXEC) != ERR_OK)
			panic("cannot map 0x%llx", (unsigned long long)where); // replaces: writing PTE bits
		frame_put(frame); // the address space keeps its own reference
	}
	return space;
}

// write(fd, buf, count): copy from user memory (checked, never trusted) to the console.
static uint64_t sys_write(struct vm_space *space, uint64_t fd, uint64_t buf, uint64_t count)
{
	char chunk[256];
	uint64_t done = 0;
	if (fd != 1 && fd != 2)
		return (uint64_t)-EBADF;
	while (done < count) {
		size_t n = count - done < sizeof(chunk) ? (size_t)(count - done) : sizeof(chunk);
		if (vm_copy_from_user(space, chunk, buf + done, n) != ERR_OK) // replaces: a raw user pointer
			return done ? done : (uint64_t)-EFAULT;
		console_write(chunk, n);
		done += n;
	}
	return done;
}

// One system call; returns false when the program has exited.
static bool syscall(struct user_mode *um)
{
	struct user_context *c = &um->context;
	switch (c->rax) {
	case 1: // write
		c->rax = sys_write(um->space, c->rdi, c->rsi, c->rdx);
		return true;
	case 60: // exit
		console_printf("user program exited with status %llu\n", (unsigned long long)c->rdi);
		return false;
	default:
		console_printf("user program: unknown system call %llu\n", (unsigned long long)c->rax);
		c->rax = (uint64_t)-ENOSYS;
		return true;
	}
}

void kernel_main(void)
{
	struct user_mode um; // the program's registers: replaces a hand-built trap frame
	user_mode_init(&um, load(user_program_hello, user_program_hello_size), USER_PROGRAM_BASE, STACK_TOP);
	for (;;) {
		enum user_return why = user_mode_run(&um); // replaces: sysret, iret and the entry stubs
		if (why == USER_RETURN_SYSCALL && syscall(&um))
			continue;
		if (why == USER_RETURN_PREEMPTED) // its time slice is over: let other tasks run
			task_yield();
		if (why == USER_RETURN_EXCEPTION) {
			console_printf("user program: %s at 0x%llx (address 0x%llx, error code 0x%llx)\n",
				       user_exception_name(um.exception.vector), (unsigned long long)um.context.rip,
				       (unsigned long long)um.exception.fault_address,
				       (unsigned long long)um.exception.error_code);
			break;
		}
		if (why == USER_RETURN_SYSCALL)
			break; // exit
	}
	uint64_t status = um.exception.vector || um.context.rdi ? 1 : 0;
	vm_space_destroy(um.space); // frees its page tables and drops its frames
	power_off(status ? POWER_EXIT_FAILURE : POWER_EXIT_SUCCESS);
}
