// programs: runs every ELF program among the boot modules, each in its own task and address space,
// with the Linux system calls C programs need (SDK runtime, musl); brk and mmap memory is lazy.
#include <frame/frame.h>
#include <loader/elf.h> // the SDK's ELF loader: a client library, in the safe subset too

#define MAX_PROGRAMS 16
#define MMAP_BASE 0x100000000000ull // mmap hands out addresses from here up, never the same twice,
#define MMAP_END 0x700000000000ull  // ...to here, far below the stack
#define PAGE_UP(a) (((a) + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))
enum { ENOMEM = 12, EFAULT = 14, EINVAL = 22, ENOTTY = 25, ENOSYS = 38 }; // Linux's, returned negated

struct program {
	struct user_mode um;	       // first: it must be 64-byte aligned (HEAP_NEW does it)
	const char *name;	       // its boot module's name (the frame keeps the string)
	char line[160];		       // its output, until a line is complete
	size_t line_len, stdin_read;   // how much of line is used; how much of stdin it has read
	uint64_t heap, brk, mmap_next; // its memory, mapped on first touch: [heap, brk), [MMAP_BASE, mmap_next)
	uint64_t preempted, pid;       // how many time slices it used up; its process id
};

// Print the program's line, prefixed with its name, in one piece: never mixed with another's.
static void flush(struct program *p)
{
	if (p->line_len)
		console_printf("[%s] %.*s\n", p->name, (int)p->line_len, p->line);
	p->line_len = 0;
}

// A first touch of memory it asked for maps a zeroed frame: 0, else -EFAULT (a real fault) or -ENOMEM.
static int64_t touch(struct program *p, uint64_t addr)
{
	uint64_t page = addr & ~(uint64_t)(PAGE_SIZE - 1);
	struct frame f;
	if (!((page >= p->heap && page < p->brk) || (page >= MMAP_BASE && page < p->mmap_next)) ||
	    vm_space_query(p->um.space, page, NULL, NULL) == ERR_OK)
		return -EFAULT;
	if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		return -ENOMEM;
	enum err e = vm_space_map(p->um.space, page, f, VM_READ | VM_WRITE);
	frame_put(f); // the space keeps its own reference
	return e == ERR_OK ? 0 : -ENOMEM;
}

// Copy to or from (hostile) user memory, mapping what it touches first: 0, -EFAULT or -ENOMEM.
static int64_t copy(struct program *p, uint64_t uaddr, void *kbuf, size_t len, bool to_user)
{
	for (size_t done;; uaddr += done, kbuf = (char *)kbuf + done, len -= done) {
		enum err e = to_user ? vm_copy_to_user_partial(p->um.space, uaddr, kbuf, len, &done)
				     : vm_copy_from_user_partial(p->um.space, kbuf, uaddr, len, &done);
		int64_t r = e == ERR_OK ? 0 : touch(p, uaddr + done);
		if (e == ERR_OK || r)
			return r;
	}
}

// write(fd, buf, count) to stdout or stderr: the console, a line at a time.
static int64_t sys_write(struct program *p, uint64_t fd, uint64_t buf, uint64_t count)
{
	char chunk[128];
	for (uint64_t done = 0; done < count; done += sizeof(chunk)) {
		size_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
		int64_t r = fd == 1 || fd == 2 ? copy(p, buf + done, chunk, n, false) : -EINVAL;
		if (r)
			return done ? (int64_t)done : r;
		for (size_t i = 0; i < n; i++) {
			if (chunk[i] != '\n')
				p->line[p->line_len++] = chunk[i];
			if (chunk[i] == '\n' || p->line_len == sizeof(p->line))
				flush(p);
		}
	}
	return (int64_t)count;
}

// writev(fd, iov, iovcnt): each {base, len} of the array in turn; how much was written, or an error.
static int64_t sys_writev(struct program *p, uint64_t fd, uint64_t iov, uint64_t iovcnt)
{
	int64_t total = 0, r = iovcnt > 1024 ? -EINVAL : 0;
	for (uint64_t i = 0, v[2]; i < iovcnt && r >= 0; i++) // v: base, len
		if ((r = copy(p, iov + 16 * i, v, sizeof(v), false)) == 0 && (r = sys_write(p, fd, v[0], v[1])) > 0)
			total += r;
	return total ? total : r;
}

// One system call, by its Linux number; returns its result. Arguments: rdi, rsi, rdx, r10.
static int64_t syscall(struct program *p, struct user_context *c)
{
	const char *in = boot_cmdline() + p->stdin_read;
	uint64_t a = c->rdi, b = c->rsi, len = PAGE_UP(b), up = PAGE_UP(a), end = PAGE_UP(p->brk), ts[2], n;
	int64_t r;
	switch (c->rax) {
	case 0: // read(0, buf, count): stdin holds the kernel command line, then end of file
		n = c->rdx < strlen(in) ? c->rdx : strlen(in);
		r = a == 0 ? copy(p, b, (char *)in, n, true) : -EINVAL;
		p->stdin_read += r ? 0 : n;
		return r ? r : (int64_t)n;
	case 1:
		return sys_write(p, a, b, c->rdx);
	case 9: // mmap(0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0): zeroed memory, read-write
		if (c->r10 != 0x22 || b == 0)
			return -EINVAL;
		if (b > MMAP_END || len + PAGE_SIZE > MMAP_END - p->mmap_next || len / PAGE_SIZE > frame_free_count())
			return -ENOMEM;
		p->mmap_next += len + PAGE_SIZE; // and a guard page
		return (int64_t)(p->mmap_next - len - PAGE_SIZE);
	case 11: // munmap(addr, len): the pages touched go back; the addresses are never given again
		if (a % PAGE_SIZE || b == 0 || a < MMAP_BASE || a > p->mmap_next || len > p->mmap_next - a)
			return -EINVAL;
		return vm_space_unmap_range(p->um.space, a, len / PAGE_SIZE) == ERR_OK ? 0 : -EINVAL;
	case 12: // brk(addr): move the heap's end, not below its start nor by more than the free memory
		if (a < p->heap || (a > p->brk && a - p->brk > frame_free_count() * PAGE_SIZE) ||
		    (up < end && vm_space_unmap_range(p->um.space, up, (end - up) / PAGE_SIZE) != ERR_OK))
			return (int64_t)p->brk; // refused: the end stays
		return (int64_t)(p->brk = a);
	case 16: // ioctl: no file is a terminal
		return -ENOTTY;
	case 20:
		return sys_writev(p, a, b, c->rdx);
	case 35: // nanosleep(req, rem): sleep for req = {seconds, nanoseconds}
		if ((r = copy(p, a, ts, sizeof(ts), false)) != 0 || ts[1] >= 1000000000ull || ts[0] > 1000000ull)
			return r ? r : -EINVAL;
		task_sleep(NSEC(ts[0] * 1000000000ull + ts[1]));
		return 0;
	case 39:  // getpid
	case 218: // set_tid_address: one thread per program, so its thread id is its pid
		return (int64_t)p->pid;
	case 158: // arch_prctl(ARCH_SET_FS, addr): the thread pointer, for thread-local storage
		if (a != 0x1002 || b >= VM_USER_END)
			return -EINVAL;
		c->fs_base = b;
		return 0;
	default:
		return -ENOSYS;
	}
}

// A program's task: run it, serve its system calls and first touches, until it exits or faults.
static int64_t run(void *arg)
{
	struct program *p = arg;
	struct user_context *c = &p->um.context;
	struct user_exception *x = &p->um.exception;
	int64_t r = 0; // 0 while it runs; -EFAULT or -ENOMEM when it faulted
	while (r == 0) {
		enum user_return why = user_mode_run(&p->um);
		if (why == USER_RETURN_SYSCALL && (c->rax == 60 || c->rax == 231)) // exit, exit_group
			break;
		if (why == USER_RETURN_SYSCALL)
			c->rax = (uint64_t)syscall(p, c);
		if (why == USER_RETURN_PREEMPTED) // its time slice is over: the others' turn
			p->preempted++, task_yield();
		if (why == USER_RETURN_EXCEPTION) // a first touch maps the page, and the instruction runs again
			r = x->vector == 14 ? touch(p, x->fault_address) : -EFAULT;
	}
	flush(p);
	if (r)
		console_printf("programs: %s: %s at address 0x%llx (instruction 0x%llx)%s: killed\n", p->name,
			       user_exception_name(x->vector), (unsigned long long)x->fault_address,
			       (unsigned long long)c->rip, r == -ENOMEM ? ", out of memory" : "");
	else
		console_printf("programs: %s exited with status %d, preempted %llu times\n", p->name, (int)c->rdi,
			       (unsigned long long)p->preempted);
	vm_space_destroy(p->um.space); // its page tables and every frame it had
	heap_free(p);
	return 0;
}

void kernel_main(void)
{
	size_t free_before = frame_free_count();
	struct task *tasks[MAX_PROGRAMS];
	int n = 0;
	for (size_t i = 0; i < boot_module_count() && n < MAX_PROGRAMS; i++) { // load each module
		size_t size = boot_module_size(i);
		uint8_t *bytes = size ? heap_alloc(size) : NULL; // the ELF file, read whole
		struct program *p = HEAP_NEW(struct program);
		if ((size && !bytes) || !p)
			panic("no memory for boot module %zu", i);
		boot_module_read(i, 0, bytes, size);
		struct elf_program prog;
		const char *const argv[] = {p->name = boot_module_name(i), NULL};
		enum elf_error e = elf_load(&prog, bytes, size, &(struct elf_args){.argv = argv});
		heap_free(bytes);
		if (e != ELF_OK) {
			console_printf("programs: %s: not loaded: %s\n", p->name, elf_error_name(e));
			heap_free(p);
			continue;
		}
		user_mode_init(&p->um, prog.space, prog.entry, prog.stack_pointer);
		p->pid = n + 1, p->heap = p->brk = prog.brk, p->mmap_next = MMAP_BASE;
		if (task_spawn(&tasks[n++], p->name, run, p, NULL) != ERR_OK) // the timer tick interleaves them
			panic("no memory for a task");
	}
	for (int i = 0; i < n; i++) // wait for all
		task_join(tasks[i]);
	console_printf("programs: %d ran; free frames before %zu, after %zu\n", n, free_before, frame_free_count());
	power_off(frame_free_count() == free_before ? POWER_EXIT_SUCCESS : POWER_EXIT_FAILURE); // none leaked?
}
