// Shows what the SDK embedded for user/hello.c and user/musl/mhello.c (each an ELF64 x86-64 executable, its entry
// point and its size), then loads user/hello.c with the ELF loader and runs it in user mode, with just the system
// calls the SDK's runtime needs for it (write, exit_group). tests/test_gdb.py debugs that program in its C source.
#include <frame/frame.h>
#include <loader/elf.h>
#include "user_programs.h"

static uint64_t le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i--;)
		v = v << 8 | p[i];
	return v;
}

static void show(const char *name, const unsigned char *e, size_t size)
{
	bool elf = size > 64 && e[0] == 0x7f && e[1] == 'E' && e[2] == 'L' && e[3] == 'F';
	console_printf("%s: %s, class %u, machine 0x%llx, type %llu, entry 0x%llx, %zu bytes\n", name,
		       elf ? "ELF" : "not ELF", e[4], (unsigned long long)le(e + 18, 2),
		       (unsigned long long)le(e + 16, 2), (unsigned long long)le(e + 24, 8), size);
}

// write(fd, buf, count): the bytes go to the console, in pieces of at most 128.
static uint64_t sys_write(struct vm_space *space, uint64_t buf, uint64_t count)
{
	char text[128];
	for (uint64_t done = 0; done < count;) {
		size_t n = count - done < sizeof(text) ? count - done : sizeof(text);
		if (vm_copy_from_user(space, text, buf + done, n) != ERR_OK)
			return (uint64_t)-14; // -EFAULT
		console_write(text, n);
		done += n;
	}
	return count;
}

// Run user/hello.c to its exit; return its exit status, or -1 after an exception.
static int64_t run_hello(void)
{
	const char *const argv[] = {"hello", "frame", NULL};
	struct elf_args args = {.argv = argv};
	struct elf_program p;
	enum elf_error e = elf_load(&p, user_elf_hello, user_elf_hello_size, &args);
	if (e != ELF_OK)
		panic("user-c: elf_load: %s", elf_error_name(e));
	static struct user_mode um; // aligned to 64, as user_mode_init() requires
	user_mode_init(&um, p.space, p.entry, p.stack_pointer);
	struct user_context *c = &um.context;
	for (;;) {
		switch (user_mode_run(&um)) {
		case USER_RETURN_SYSCALL:
			if (c->rax == 231 || c->rax == 60) { // exit_group, exit
				vm_space_destroy(p.space);
				return (int64_t)c->rdi;
			}
			c->rax = c->rax == 1 ? sys_write(p.space, c->rsi, c->rdx) : (uint64_t)-38; // write; -ENOSYS
			break;
		case USER_RETURN_EXCEPTION:
			console_printf("hello: %s at 0x%llx\n", user_exception_name(um.exception.vector),
				       (unsigned long long)c->rip);
			vm_space_destroy(p.space);
			return -1;
		case USER_RETURN_PREEMPTED:
			task_yield();
			break;
		case USER_RETURN_INTERRUPT:
			break;
		}
	}
}

void kernel_main(void)
{
	show("user/hello.c", user_elf_hello, user_elf_hello_size);
	show("user/musl/mhello.c", user_elf_mhello, user_elf_mhello_size);
	console_printf("hello exited with %lld\n", (long long)run_hello());
}
