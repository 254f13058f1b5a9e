// elf: the ELF loader (sdk/loader) against a real ELF file (prog.S) and every hostile variant of
// it. The good file is loaded and run in user mode, and its report of its own initial stack is
// checked against the System V layout; each hostile case patches one field of a copy and expects
// its named error, with no frame kept; a seeded fuzz loop flips bytes and expects a clean load or
// a named error, never a panic, and every frame back. Each case is a KTEST.
#include <frame/frame.h>
#include <loader/elf.h>
#include "user_programs.h" // prog.S, linked as an ELF executable and embedded byte for byte

#define GOOD user_program_prog
#define GOOD_SIZE user_program_prog_size

// Offsets of the ELF64 fields the cases patch (System V gABI).
#define E_TYPE 16
#define E_MACHINE 18
#define E_VERSION 20
#define E_ENTRY 24
#define E_PHOFF 32
#define E_PHENTSIZE 54
#define E_PHNUM 56
#define P_TYPE 0
#define P_FLAGS 4
#define P_OFFSET 8
#define P_VADDR 16
#define P_FILESZ 32
#define P_MEMSZ 40
#define P_ALIGN 48
#define PF_RX 5
#define PF_RW 6
#define PT_LOAD 1

static uint64_t get(const uint8_t *b, size_t offset, size_t width)
{
	uint64_t v = 0;
	memcpy(&v, b + offset, width); // little-endian, like the file
	return v;
}

static void set(uint8_t *b, size_t offset, size_t width, uint64_t v)
{
	memcpy(b + offset, &v, width);
}

// The offset of the first PT_LOAD header with exactly these flags (PF_RX: the code; PF_RW: data).
static size_t segment(const uint8_t *b, uint32_t flags)
{
	for (size_t i = 0; i < get(b, E_PHNUM, 2); i++) {
		size_t ph = get(b, E_PHOFF, 8) + i * 56;
		if (get(b, ph + P_TYPE, 4) == PT_LOAD && get(b, ph + P_FLAGS, 4) == flags)
			return ph;
	}
	panic("prog.S has no segment with flags %u", flags);
}

// A copy of the good file, to patch.
struct mutant {
	uint8_t *b;
	size_t size;
	size_t text, data; // offsets of the code's and the data's program headers
};

static struct mutant mutant(void)
{
	struct mutant m = {.b = heap_alloc(GOOD_SIZE), .size = GOOD_SIZE};
	if (!m.b)
		panic("no memory for a copy of prog");
	memcpy(m.b, GOOD, GOOD_SIZE);
	m.text = segment(m.b, PF_RX);
	m.data = segment(m.b, PF_RW);
	return m;
}

// Load the mutant: it must be refused with want, named want_name, and keep no frame.
static bool refused(struct mutant *m, const struct elf_args *args, enum elf_error want, const char *want_name)
{
	struct elf_program p;
	size_t before = frame_free_count();
	enum elf_error e = elf_load(&p, m->b, m->size, args);
	size_t after = frame_free_count();
	heap_free(m->b);
	console_printf("# refused: %s\n", elf_error_name(e));
	if (e == ELF_OK)
		vm_space_destroy(p.space);
	return e == want && strcmp(elf_error_name(e), want_name) == 0 && before == after;
}

#define REFUSES(name, want, want_name, patch) \
	KTEST(refuses_##name) \
	{ \
		struct mutant m = mutant(); \
		patch; \
		KTEST_ASSERT(refused(&m, NULL, want, want_name)); \
	}

REFUSES(empty_file, ELF_ERR_TRUNCATED, "shorter than an ELF header", m.size = 0)
REFUSES(truncated_header, ELF_ERR_TRUNCATED, "shorter than an ELF header", m.size = 63)
REFUSES(text_file, ELF_ERR_NOT_ELF, "not ELF", memcpy(m.b, "#!/bin/sh\n", 10))
REFUSES(bad_magic, ELF_ERR_NOT_ELF, "not ELF", m.b[3] = 'X')
REFUSES(elf32, ELF_ERR_NOT_64BIT, "not 64-bit", m.b[4] = 1)
REFUSES(big_endian, ELF_ERR_NOT_LITTLE_ENDIAN, "not little-endian", m.b[5] = 2)
REFUSES(ident_version, ELF_ERR_BAD_VERSION, "not ELF version 1", m.b[6] = 2)
REFUSES(e_version, ELF_ERR_BAD_VERSION, "not ELF version 1", set(m.b, E_VERSION, 4, 0))
REFUSES(shared_object, ELF_ERR_NOT_EXECUTABLE, "not a static executable (ET_EXEC)", set(m.b, E_TYPE, 2, 3))
REFUSES(relocatable, ELF_ERR_NOT_EXECUTABLE, "not a static executable (ET_EXEC)", set(m.b, E_TYPE, 2, 1))
REFUSES(i386, ELF_ERR_NOT_X86_64, "not x86-64", set(m.b, E_MACHINE, 2, 3))
REFUSES(aarch64, ELF_ERR_NOT_X86_64, "not x86-64", set(m.b, E_MACHINE, 2, 183))
REFUSES(phentsize_32, ELF_ERR_BAD_PHENTSIZE, "program header size is not 56", set(m.b, E_PHENTSIZE, 2, 32))
REFUSES(phentsize_huge, ELF_ERR_BAD_PHENTSIZE, "program header size is not 56", set(m.b, E_PHENTSIZE, 2, 0xffff))
REFUSES(no_program_headers, ELF_ERR_NO_SEGMENTS, "no loadable segment", set(m.b, E_PHNUM, 2, 0))
REFUSES(no_load_segment, ELF_ERR_NO_SEGMENTS, "no loadable segment",
	for (size_t i = 0; i < get(m.b, E_PHNUM, 2); i++) set(m.b, get(m.b, E_PHOFF, 8) + i * 56 + P_TYPE, 4, 6))
REFUSES(too_many_segments, ELF_ERR_TOO_MANY_SEGMENTS, "too many segments", set(m.b, E_PHNUM, 2, 65))
REFUSES(phnum_xnum, ELF_ERR_TOO_MANY_SEGMENTS, "too many segments", set(m.b, E_PHNUM, 2, 0xffff))
REFUSES(phoff_past_end, ELF_ERR_PHDRS_OUTSIDE_FILE, "program headers outside the file",
	set(m.b, E_PHOFF, 8, GOOD_SIZE - 8))
REFUSES(phoff_wraps, ELF_ERR_PHDRS_OUTSIDE_FILE, "program headers outside the file",
	set(m.b, E_PHOFF, 8, 0xffffffffffffffc0ull))
REFUSES(truncated_in_program_headers, ELF_ERR_PHDRS_OUTSIDE_FILE, "program headers outside the file",
	m.size = get(m.b, E_PHOFF, 8) + 56)
REFUSES(interpreter, ELF_ERR_INTERP, "needs an interpreter (dynamically linked)",
	set(m.b, get(m.b, E_PHOFF, 8) + P_TYPE, 4, 3))
REFUSES(filesz_over_memsz, ELF_ERR_FILESZ_GT_MEMSZ, "p_filesz > p_memsz",
	set(m.b, m.text + P_FILESZ, 8, get(m.b, m.text + P_MEMSZ, 8) + 1))
REFUSES(segment_past_end, ELF_ERR_SEGMENT_PAST_FILE, "segment past the end of the file",
	set(m.b, m.text + P_OFFSET, 8, GOOD_SIZE))
REFUSES(truncated_in_segment, ELF_ERR_SEGMENT_PAST_FILE, "segment past the end of the file",
	m.size = get(m.b, m.text + P_OFFSET, 8) + 1)
REFUSES(offset_wraps, ELF_ERR_SEGMENT_PAST_FILE, "segment past the end of the file",
	set(m.b, m.text + P_OFFSET, 8, 0xfffffffffffff000ull))
REFUSES(filesz_huge, ELF_ERR_SEGMENT_PAST_FILE, "segment past the end of the file",
	(set(m.b, m.text + P_FILESZ, 8, 1ull << 62), set(m.b, m.text + P_MEMSZ, 8, 1ull << 62)))
REFUSES(kernel_half, ELF_ERR_SEGMENT_OUTSIDE_USER, "segment outside user space",
	set(m.b, m.text + P_VADDR, 8, 0xffffffff80000000ull))
REFUSES(non_canonical, ELF_ERR_SEGMENT_OUTSIDE_USER, "segment outside user space",
	set(m.b, m.text + P_VADDR, 8, VM_USER_END))
REFUSES(page_zero, ELF_ERR_SEGMENT_OUTSIDE_USER, "segment outside user space", set(m.b, m.text + P_VADDR, 8, 0))
REFUSES(end_past_user_space, ELF_ERR_SEGMENT_OUTSIDE_USER, "segment outside user space",
	set(m.b, m.data + P_MEMSZ, 8, VM_USER_END))
REFUSES(vaddr_plus_memsz_wraps, ELF_ERR_SEGMENT_OUTSIDE_USER, "segment outside user space",
	set(m.b, m.data + P_MEMSZ, 8, ~0ull - 0xfff))
REFUSES(misaligned_offset, ELF_ERR_MISALIGNED, "segment misaligned",
	set(m.b, m.text + P_OFFSET, 8, get(m.b, m.text + P_OFFSET, 8) + 1))
REFUSES(align_not_power_of_two, ELF_ERR_MISALIGNED, "segment misaligned", set(m.b, m.text + P_ALIGN, 8, 0x3000))
REFUSES(write_exec_code, ELF_ERR_WRITE_EXEC, "W+X segment", set(m.b, m.text + P_FLAGS, 4, 7))
REFUSES(write_exec_data, ELF_ERR_WRITE_EXEC, "W+X segment", set(m.b, m.data + P_FLAGS, 4, 3))
REFUSES(no_rights, ELF_ERR_NO_RIGHTS, "segment with no access rights", set(m.b, m.data + P_FLAGS, 4, 0))
REFUSES(data_over_code, ELF_ERR_SEGMENTS_OVERLAP, "segments overlap",
	set(m.b, m.data + P_VADDR, 8, get(m.b, m.text + P_VADDR, 8) + (get(m.b, m.data + P_VADDR, 8) & 0xfff)))
REFUSES(code_shares_a_page, ELF_ERR_SEGMENTS_OVERLAP, "segments overlap",
	set(m.b, m.text + P_MEMSZ, 8, get(m.b, m.data + P_VADDR, 8) - get(m.b, m.text + P_VADDR, 8) + 1))
REFUSES(entry_in_data, ELF_ERR_ENTRY_NOT_EXEC, "entry not in an executable segment",
	set(m.b, E_ENTRY, 8, get(m.b, m.data + P_VADDR, 8)))
REFUSES(entry_zero, ELF_ERR_ENTRY_NOT_EXEC, "entry not in an executable segment", set(m.b, E_ENTRY, 8, 0))
REFUSES(entry_in_kernel, ELF_ERR_ENTRY_NOT_EXEC, "entry not in an executable segment",
	set(m.b, E_ENTRY, 8, 0xffffffff80200000ull))
REFUSES(entry_past_code, ELF_ERR_ENTRY_NOT_EXEC, "entry not in an executable segment",
	set(m.b, E_ENTRY, 8, get(m.b, m.text + P_VADDR, 8) + get(m.b, m.text + P_MEMSZ, 8)))
// Inside user space and well formed, but more than the machine has: refused before a frame is taken.
REFUSES(absurd_bss, ELF_ERR_NOMEM, "out of memory", set(m.b, m.data + P_MEMSZ, 8, 1ull << 46))

KTEST(refuses_stack_over_code)
{
	struct mutant m = mutant();
	struct elf_args args = {.stack_top = (get(m.b, m.text + P_VADDR, 8) & ~0xfffull) + PAGE_SIZE};
	KTEST_ASSERT(refused(&m, &args, ELF_ERR_STACK_OVERLAP, "stack outside user space or overlapping a segment"));
}

KTEST(refuses_stack_bigger_than_user_space)
{
	struct mutant m = mutant();
	struct elf_args args = {.stack_top = 0x100000, .stack_pages = 1000};
	KTEST_ASSERT(refused(&m, &args, ELF_ERR_STACK_OVERLAP, "stack outside user space or overlapping a segment"));
}

KTEST(refuses_arguments_too_big)
{
	static char big[ELF_MAX_ARGS_SIZE];
	memset(big, 'a', sizeof(big) - 1);
	const char *const argv[] = {"prog", big, NULL};
	struct elf_args args = {.argv = argv};
	struct mutant m = mutant();
	KTEST_ASSERT(refused(&m, &args, ELF_ERR_ARGS_TOO_BIG, "arguments too big for the stack"));
}

// What prog.S writes to its report (system call 0x1000), in order.
struct report {
	uint64_t sp, argc, argv, envp, pagesz, entry, phdr, phnum, random, data, bss;
};

// Run a loaded program to its exit; its report is copied into *r. Returns its exit status, or -1.
static int64_t run(struct elf_program *p, struct report *r)
{
	struct user_mode um;
	user_mode_init(&um, p->space, p->entry, p->stack_pointer);
	for (;;) {
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_PREEMPTED)
			task_yield();
		if (why == USER_RETURN_EXCEPTION) {
			console_printf("# %s at 0x%llx\n", user_exception_name(um.exception.vector),
				       (unsigned long long)um.context.rip);
			return -1;
		}
		if (why != USER_RETURN_SYSCALL)
			continue;
		struct user_context *c = &um.context;
		if (c->rax == 60)
			return (int64_t)c->rdi;
		if (c->rax == 0x1000)
			c->rax = vm_copy_from_user(p->space, r, c->rdi, sizeof(*r)) == ERR_OK ? 0 : (uint64_t)-14;
		if (c->rax == 1) {
			char text[64] = {0};
			size_t n = c->rdx < sizeof(text) - 1 ? c->rdx : sizeof(text) - 1;
			c->rax = vm_copy_from_user(p->space, text, c->rsi, n) == ERR_OK ? n : (uint64_t)-14;
			console_printf("# prog wrote: %s\n", text);
		}
	}
}

// A user string at uaddr (at most 63 bytes).
static const char *user_string(struct vm_space *space, uint64_t uaddr, char *buf, size_t size)
{
	memset(buf, 0, size);
	for (size_t i = 0; i < size - 1; i++)
		if (vm_copy_from_user(space, buf + i, uaddr + i, 1) != ERR_OK || !buf[i])
			break;
	return buf;
}

KTEST(loads_and_runs_prog)
{
	const char *const argv[] = {"prog", "hello from argv[1]", "third", NULL};
	const char *const envp[] = {"HOME=/", "TERM=dumb", NULL};
	static const uint8_t random[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct elf_args args = {.argv = argv, .envp = envp, .random = random};
	size_t before = frame_free_count();
	struct elf_program p;
	enum elf_error e = elf_load(&p, GOOD, GOOD_SIZE, &args);
	KTEST_ASSERT(e == ELF_OK);
	console_printf("# entry 0x%llx, stack pointer 0x%llx, AT_PHDR 0x%llx, brk 0x%llx\n",
		       (unsigned long long)p.entry, (unsigned long long)p.stack_pointer, (unsigned long long)p.phdr,
		       (unsigned long long)p.brk);

	// Every page of the image: its rights, never both writable and executable.
	size_t rx = 0, r = 0, rw = 0;
	for (uint64_t a = 0x400000; a < p.brk; a += PAGE_SIZE) {
		enum vm_prot prot;
		if (vm_space_query(p.space, a, NULL, &prot) != ERR_OK)
			continue;
		KTEST_EXPECT(!((prot & VM_WRITE) && (prot & VM_EXEC)));
		rx += prot == (VM_READ | VM_EXEC);
		r += prot == VM_READ;
		rw += prot == (VM_READ | VM_WRITE);
	}
	console_printf("# pages: %zu r-x, %zu r--, %zu rw-\n", rx, r, rw);
	KTEST_EXPECT(rx >= 1 && r >= 1 && rw >= 4); // .data and .bss: four pages at least

	struct report rep = {0};
	int64_t status = run(&p, &rep);
	console_printf("# prog exited with %lld\n", (long long)status);
	KTEST_EXPECT(status == 3); // argc
	KTEST_EXPECT(rep.sp == p.stack_pointer && rep.sp % 16 == 0);
	KTEST_EXPECT(rep.argc == 3 && rep.argv == rep.sp + 8 && rep.envp == rep.argv + 4 * 8);
	KTEST_EXPECT(rep.pagesz == PAGE_SIZE && rep.entry == p.entry && rep.phdr == p.phdr);
	KTEST_EXPECT(rep.phnum == get(GOOD, E_PHNUM, 2) && rep.phdr == 0x400000 + get(GOOD, E_PHOFF, 8));
	KTEST_EXPECT(rep.data == 0x0123456789abcdefull && rep.bss == 0);
	console_printf(
		"# report: sp 0x%llx argc %llu AT_PAGESZ %llu AT_ENTRY 0x%llx AT_PHNUM %llu data 0x%llx bss %llu\n",
		(unsigned long long)rep.sp, (unsigned long long)rep.argc, (unsigned long long)rep.pagesz,
		(unsigned long long)rep.entry, (unsigned long long)rep.phnum, (unsigned long long)rep.data,
		(unsigned long long)rep.bss);

	// The strings the vectors point at, read back through the program's own pointers.
	char buf[64];
	uint64_t ptr = 0;
	for (size_t i = 0; i < 3; i++) {
		KTEST_ASSERT(vm_copy_from_user(p.space, &ptr, rep.argv + i * 8, 8) == ERR_OK);
		KTEST_EXPECT(strcmp(user_string(p.space, ptr, buf, sizeof(buf)), argv[i]) == 0);
		console_printf("# argv[%zu] = \"%s\"\n", i, buf);
	}
	KTEST_ASSERT(vm_copy_from_user(p.space, &ptr, rep.argv + 3 * 8, 8) == ERR_OK && ptr == 0);
	for (size_t i = 0; i < 2; i++) {
		KTEST_ASSERT(vm_copy_from_user(p.space, &ptr, rep.envp + i * 8, 8) == ERR_OK);
		KTEST_EXPECT(strcmp(user_string(p.space, ptr, buf, sizeof(buf)), envp[i]) == 0);
		console_printf("# envp[%zu] = \"%s\"\n", i, buf);
	}
	uint8_t rnd[16];
	KTEST_ASSERT(vm_copy_from_user(p.space, rnd, rep.random, sizeof(rnd)) == ERR_OK);
	KTEST_EXPECT(memcmp(rnd, random, sizeof(rnd)) == 0);

	vm_space_destroy(p.space);
	console_printf("# frames leaked: %lld\n", (long long)(before - frame_free_count()));
	KTEST_EXPECT(frame_free_count() == before);
}

// No arguments at all: argc 0, argv and envp empty, AT_RANDOM from the clock.
KTEST(loads_with_no_arguments)
{
	struct elf_program p;
	KTEST_ASSERT(elf_load(&p, GOOD, GOOD_SIZE, NULL) == ELF_OK);
	uint64_t words[3];
	KTEST_ASSERT(vm_copy_from_user(p.space, words, p.stack_pointer, sizeof(words)) == ERR_OK);
	KTEST_EXPECT(words[0] == 0 && words[1] == 0 && words[2] == 0); // argc, argv's NULL, envp's NULL
	KTEST_EXPECT(p.stack_pointer < ELF_STACK_TOP && p.stack_pointer > ELF_STACK_TOP - PAGE_SIZE);
	vm_space_destroy(p.space);
}

// Seeded byte flips, mostly in the headers: each load is an error with a name or a clean load,
// and every frame comes back.
KTEST(fuzz_flipped_bytes)
{
	enum { MUTANTS = 400 };
	uint64_t seed = 0x2545f4914f6cdd1dull;
	size_t loaded = 0, per_error[ELF_ERR_NOMEM + 1] = {0};
	size_t before = frame_free_count();
	for (int i = 0; i < MUTANTS; i++) {
		struct mutant m = mutant();
		size_t headers = get(GOOD, E_PHOFF, 8) + get(GOOD, E_PHNUM, 2) * 56;
		int flips = 1 + (int)(seed % 4);
		for (int f = 0; f < flips; f++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17; // xorshift64
			size_t at = (seed >> 8) % (seed % 4 ? headers : m.size);
			m.b[at] ^= (uint8_t)(1u << (seed >> 3) % 8);
			if (seed % 16 == 0)
				m.b[at] = (uint8_t)(seed >> 24); // a whole byte, now and then
		}
		if (seed % 32 == 1)
			m.size = (seed >> 16) % m.size; // truncated
		struct elf_program p;
		enum elf_error e = elf_load(&p, m.b, m.size, NULL);
		heap_free(m.b);
		KTEST_ASSERT((unsigned)e <= ELF_ERR_NOMEM && strcmp(elf_error_name(e), "unknown ELF error") != 0);
		per_error[e]++;
		if (e == ELF_OK) {
			loaded++;
			vm_space_destroy(p.space);
		}
	}
	console_printf("# fuzz: %d mutants, %zu loaded, %zu refused\n", MUTANTS, loaded, MUTANTS - loaded);
	for (size_t e = 1; e <= ELF_ERR_NOMEM; e++)
		if (per_error[e])
			console_printf("#   %zu: %s\n", per_error[e], elf_error_name((enum elf_error)e));
	console_printf("# fuzz: frames leaked: %lld\n", (long long)(before - frame_free_count()));
	KTEST_EXPECT(frame_free_count() == before);
	KTEST_EXPECT(loaded > 0 && loaded < MUTANTS);
}

// A figure: loading a program of 1 MiB of code (one segment, built here).
KTEST(load_time_of_one_mib)
{
	enum { SIZE = 1 << 20, ROUNDS = 5 };
	uint8_t *b = heap_zalloc(SIZE);
	KTEST_ASSERT(b);
	memcpy(b, GOOD, 64); // the ELF header of prog, with one program header right after it
	set(b, E_PHOFF, 8, 64);
	set(b, E_PHNUM, 2, 1);
	set(b, E_ENTRY, 8, 0x400000 + 120);
	uint64_t ph[7] = {PT_LOAD | (uint64_t)PF_RX << 32, 0, 0x400000, 0x400000, SIZE, SIZE, PAGE_SIZE};
	memcpy(b + 64, ph, sizeof(ph));
	uint64_t ns = 0;
	for (int i = 0; i < ROUNDS; i++) {
		struct elf_program p;
		uint64_t t = time_now_ns();
		enum elf_error e = elf_load(&p, b, SIZE, NULL);
		ns += time_now_ns() - t;
		KTEST_ASSERT(e == ELF_OK);
		vm_space_destroy(p.space);
	}
	heap_free(b);
	console_printf("# load of a 1 MiB ELF: %llu us\n", (unsigned long long)(ns / ROUNDS / 1000));
}

void kernel_main(void)
{
	ktest_main();
}
