/*
 * The ELF64 loader, as a client of the frame: every header field of a static x86-64 executable
 * is checked first, with nothing allocated; then each PT_LOAD segment is copied page by page into
 * fresh frames of a new address space, and the System V initial stack is built below its top.
 */
#include <loader/elf.h>
#include <frame/heap.h>
#include <frame/mm.h>
#include <frame/panic.h>
#include <frame/string.h>
#include <frame/timer.h>
#include <stdbool.h>

/* ELF64, as the System V gABI and its x86-64 supplement define it. */
struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct phdr) == 56, "ELF64 program header");

#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_INTERP 3
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_ENTRY 9
#define AT_RANDOM 25
#define AUXV_PAIRS 7 /* the six above and AT_NULL */
#define PAGE_MASK ((uint64_t)PAGE_SIZE - 1)

/* The file, and what the checks found out about it. */
struct file {
	const uint8_t *bytes;
	size_t size;
	struct ehdr eh;
	uint64_t phdr;	/* AT_PHDR, or 0 if no segment holds the program headers */
	uint64_t pages; /* the segments' pages, all together */
	uint64_t brk;
};

/* Program header i (i < eh.phnum, which the checks keep inside the file); copied, so the file
 * may be unaligned. */
static struct phdr phdr_at(const struct file *f, size_t i)
{
	struct phdr ph;
	memcpy(&ph, f->bytes + f->eh.phoff + i * sizeof(ph), sizeof(ph));
	return ph;
}

static uint64_t page_down(uint64_t a)
{
	return a & ~PAGE_MASK;
}

/* a + b rounded up to a page; callers have checked that a + b <= VM_USER_END. */
static uint64_t page_end(uint64_t a, uint64_t b)
{
	return (a + b + PAGE_MASK) & ~PAGE_MASK;
}

static enum elf_error check_header(struct file *f)
{
	static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
	if (f->size < sizeof(f->eh))
		return ELF_ERR_TRUNCATED;
	memcpy(&f->eh, f->bytes, sizeof(f->eh));
	const struct ehdr *eh = &f->eh;
	if (memcmp(eh->ident, magic, sizeof(magic)) != 0)
		return ELF_ERR_NOT_ELF;
	if (eh->ident[4] != ELFCLASS64)
		return ELF_ERR_NOT_64BIT;
	if (eh->ident[5] != ELFDATA2LSB)
		return ELF_ERR_NOT_LITTLE_ENDIAN;
	if (eh->ident[6] != EV_CURRENT || eh->version != EV_CURRENT)
		return ELF_ERR_BAD_VERSION;
	if (eh->type != ET_EXEC)
		return ELF_ERR_NOT_EXECUTABLE;
	if (eh->machine != EM_X86_64)
		return ELF_ERR_NOT_X86_64;
	if (eh->phentsize != sizeof(struct phdr))
		return ELF_ERR_BAD_PHENTSIZE;
	if (eh->phnum == 0)
		return ELF_ERR_NO_SEGMENTS;
	if (eh->phnum > ELF_MAX_SEGMENTS)
		return ELF_ERR_TOO_MANY_SEGMENTS;
	uint64_t table = (uint64_t)eh->phnum * sizeof(struct phdr); /* at most 64 * 56 */
	if (eh->phoff > f->size || table > f->size - eh->phoff)
		return ELF_ERR_PHDRS_OUTSIDE_FILE;
	return ELF_OK;
}

/* One PT_LOAD segment on its own. */
static enum elf_error check_segment(const struct file *f, const struct phdr *ph)
{
	if (ph->filesz > ph->memsz)
		return ELF_ERR_FILESZ_GT_MEMSZ;
	if (ph->offset > f->size || ph->filesz > f->size - ph->offset)
		return ELF_ERR_SEGMENT_PAST_FILE;
	if (ph->vaddr < VM_USER_MIN || ph->vaddr >= VM_USER_END || ph->memsz > VM_USER_END - ph->vaddr)
		return ELF_ERR_SEGMENT_OUTSIDE_USER;
	uint64_t align = ph->align > PAGE_SIZE ? ph->align : PAGE_SIZE;
	if ((ph->align & (ph->align - 1)) != 0 || ((ph->vaddr - ph->offset) & (align - 1)) != 0)
		return ELF_ERR_MISALIGNED;
	if ((ph->flags & PF_W) && (ph->flags & PF_X))
		return ELF_ERR_WRITE_EXEC;
	if (!(ph->flags & (PF_R | PF_W | PF_X)))
		return ELF_ERR_NO_RIGHTS;
	return ELF_OK;
}

/* Do the pages of [a, a + alen) and [b, b + blen) meet? (Both inside user space.) */
static bool pages_meet(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return page_down(a) < page_end(b, blen) && page_down(b) < page_end(a, alen);
}

/* Every program header, then the segments against each other and the entry point. */
static enum elf_error check_segments(struct file *f)
{
	bool entry_ok = false;
	size_t loads = 0;
	uint64_t table = (uint64_t)f->eh.phnum * sizeof(struct phdr);
	for (size_t i = 0; i < f->eh.phnum; i++) {
		struct phdr ph = phdr_at(f, i);
		if (ph.type == PT_INTERP)
			return ELF_ERR_INTERP;
		if (ph.type != PT_LOAD)
			continue;
		loads++;
		enum elf_error e = check_segment(f, &ph);
		if (e != ELF_OK)
			return e;
		if (ph.memsz == 0)
			continue; /* maps nothing */
		for (size_t j = 0; j < i; j++) {
			struct phdr other = phdr_at(f, j);
			if (other.type == PT_LOAD && other.memsz != 0 &&
			    pages_meet(ph.vaddr, ph.memsz, other.vaddr, other.memsz))
				return ELF_ERR_SEGMENTS_OVERLAP;
		}
		if ((ph.flags & PF_X) && f->eh.entry >= ph.vaddr && f->eh.entry - ph.vaddr < ph.memsz)
			entry_ok = true;
		if (!f->phdr && f->eh.phoff >= ph.offset && f->eh.phoff - ph.offset <= ph.filesz &&
		    table <= ph.filesz - (f->eh.phoff - ph.offset))
			f->phdr = ph.vaddr + (f->eh.phoff - ph.offset);
		f->pages += (page_end(ph.vaddr, ph.memsz) - page_down(ph.vaddr)) / PAGE_SIZE;
		if (page_end(ph.vaddr, ph.memsz) > f->brk)
			f->brk = page_end(ph.vaddr, ph.memsz);
	}
	if (loads == 0)
		return ELF_ERR_NO_SEGMENTS;
	if (!entry_ok)
		return ELF_ERR_ENTRY_NOT_EXEC;
	return ELF_OK;
}

/* The initial stack, laid out before anything is allocated. */
struct stack {
	uint64_t top, bottom; /* its pages: [bottom, top) */
	size_t argc, envc;
	uint64_t strings; /* user address of AT_RANDOM's bytes, then the program headers' copy (if
			   * no segment holds them), then the argument and environment strings */
	size_t phdr_copy; /* bytes of that copy */
	uint64_t sp;
};

/* Count a NULL-terminated vector and add its strings' bytes to *bytes, up to the limit. */
static bool count_strings(const char *const *v, size_t *count, uint64_t *bytes)
{
	*count = 0;
	for (; v && v[*count]; (*count)++) {
		*bytes += strlen(v[*count]) + 1 + sizeof(uint64_t); /* the string and its pointer */
		if (*bytes > ELF_MAX_ARGS_SIZE)
			return false;
	}
	return true;
}

static enum elf_error plan_stack(const struct file *f, const struct elf_args *a, struct stack *s)
{
	s->top = a->stack_top ? a->stack_top : ELF_STACK_TOP;
	size_t pages = a->stack_pages ? a->stack_pages : ELF_STACK_PAGES;
	if (s->top > VM_USER_END || s->top < VM_USER_MIN || pages > (s->top - VM_USER_MIN) / PAGE_SIZE)
		return ELF_ERR_STACK_OVERLAP;
	s->bottom = s->top - pages * PAGE_SIZE;
	for (size_t i = 0; i < f->eh.phnum; i++) {
		struct phdr ph = phdr_at(f, i);
		if (ph.type == PT_LOAD && ph.memsz != 0 &&
		    pages_meet(ph.vaddr, ph.memsz, s->bottom, s->top - s->bottom))
			return ELF_ERR_STACK_OVERLAP;
	}
	uint64_t bytes = 0;
	if (!count_strings(a->argv, &s->argc, &bytes) || !count_strings(a->envp, &s->envc, &bytes))
		return ELF_ERR_ARGS_TOO_BIG;
	s->phdr_copy = f->phdr ? 0 : f->eh.phnum * sizeof(struct phdr);
	uint64_t strings = 16 + s->phdr_copy + bytes - sizeof(uint64_t) * (s->argc + s->envc);
	uint64_t vector = sizeof(uint64_t) * (1 + s->argc + 1 + s->envc + 1) + 2 * sizeof(uint64_t) * AUXV_PAIRS;
	if (strings + vector + 32 > ELF_MAX_ARGS_SIZE || strings + vector + 32 > s->top - s->bottom)
		return ELF_ERR_ARGS_TOO_BIG;
	s->strings = (s->top - strings) & ~15ull;
	s->sp = (s->strings - vector) & ~15ull; /* the ABI: 16-byte aligned at the entry point */
	return ELF_OK;
}

/* A value, at a byte offset of the block that becomes the top of the stack. */
static void put64(uint8_t *block, uint64_t offset, uint64_t value)
{
	memcpy(block + offset, &value, sizeof(value));
}

/* Fill in the stack's top (argc, argv, envp, auxv, the bytes they point at) and copy it in. */
static enum elf_error write_stack(struct vm_space *space, const struct file *f, const struct elf_args *a,
				  const struct stack *s)
{
	uint64_t size = s->top - s->sp;
	uint8_t *block = heap_zalloc(size);
	if (!block)
		return ELF_ERR_NOMEM;
	uint64_t str = s->strings - s->sp; /* the strings' offset in the block */
	uint8_t seed[16];
	if (a->random) {
		memcpy(seed, a->random, sizeof(seed));
	} else { /* splitmix64 of the clock: different per load, not secret */
		static uint64_t state;
		state += time_now_ns();
		for (size_t i = 0; i < sizeof(seed); i += 8) {
			uint64_t z = (state += 0x9e3779b97f4a7c15ull);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			z ^= z >> 31;
			memcpy(seed + i, &z, sizeof(z));
		}
	}
	memcpy(block + str, seed, sizeof(seed));
	uint64_t phdr = f->phdr ? f->phdr : s->strings + sizeof(seed);
	if (s->phdr_copy)
		memcpy(block + str + sizeof(seed), f->bytes + f->eh.phoff, s->phdr_copy);
	uint64_t next = str + sizeof(seed) + s->phdr_copy, at = 0;
	put64(block, at, s->argc);
	for (int v = 0; v < 2; v++) { /* argv, then envp */
		const char *const *strs = v == 0 ? a->argv : a->envp;
		size_t n = v == 0 ? s->argc : s->envc;
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(strs[i]) + 1;
			memcpy(block + next, strs[i], len);
			put64(block, at += 8, s->sp + next);
			next += len;
		}
		put64(block, at += 8, 0);
	}
	const uint64_t auxv[2 * AUXV_PAIRS] = {
		AT_PHDR,   phdr,     AT_PHENT,	  sizeof(struct phdr), AT_PHNUM,   f->eh.phnum, AT_PAGESZ,
		PAGE_SIZE, AT_ENTRY, f->eh.entry, AT_RANDOM,	       s->strings, AT_NULL,	0,
	};
	memcpy(block + at + 8, auxv, sizeof(auxv));
	enum err e = vm_copy_to_user(space, s->sp, block, size);
	heap_free(block);
	return e == ERR_OK ? ELF_OK : ELF_ERR_NOMEM;
}

/* Fresh zeroed frames for [start, end), with the file's bytes [offset, offset + filesz) placed
 * at [vaddr, vaddr + filesz), mapped with prot. */
static enum elf_error map_pages(struct vm_space *space, const struct file *f, uint64_t start, uint64_t end,
				const struct phdr *ph, enum vm_prot prot)
{
	for (uint64_t page = start; page < end; page += PAGE_SIZE) {
		struct frame frame;
		if (frame_alloc(&frame, FRAME_ALLOC_ZEROED) != ERR_OK)
			return ELF_ERR_NOMEM;
		if (ph) {
			uint64_t lo = page > ph->vaddr ? page : ph->vaddr;
			uint64_t hi =
				page + PAGE_SIZE < ph->vaddr + ph->filesz ? page + PAGE_SIZE : ph->vaddr + ph->filesz;
			if (lo < hi)
				frame_write(frame, lo - page, f->bytes + ph->offset + (lo - ph->vaddr), hi - lo);
		}
		enum err e = vm_space_map(space, page, frame, prot);
		frame_put(frame); /* the space keeps its own reference */
		if (e != ERR_OK)
			return e == ERR_EXIST ? ELF_ERR_SEGMENTS_OVERLAP : ELF_ERR_NOMEM;
	}
	return ELF_OK;
}

static enum elf_error load(struct vm_space *space, const struct file *f, const struct elf_args *a,
			   const struct stack *s)
{
	for (size_t i = 0; i < f->eh.phnum; i++) {
		struct phdr ph = phdr_at(f, i);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		enum vm_prot prot = (ph.flags & PF_R ? VM_READ : 0) | (ph.flags & PF_W ? VM_WRITE : 0) |
				    (ph.flags & PF_X ? VM_EXEC : 0);
		enum elf_error e = map_pages(space, f, page_down(ph.vaddr), page_end(ph.vaddr, ph.memsz), &ph, prot);
		if (e != ELF_OK)
			return e;
	}
	enum elf_error e = map_pages(space, f, s->bottom, s->top, NULL, VM_READ | VM_WRITE);
	return e != ELF_OK ? e : write_stack(space, f, a, s);
}

enum elf_error elf_load(struct elf_program *out, const void *bytes, size_t size, const struct elf_args *args)
{
	precondition(out, "out must not be NULL");
	precondition(bytes || !size, "bytes must not be NULL when size is %llu", (unsigned long long)size);
	static const struct elf_args defaults;
	const struct elf_args *a = args ? args : &defaults;
	precondition(!(a->stack_top & PAGE_MASK), "args->stack_top 0x%llx must be page-aligned",
		     (unsigned long long)a->stack_top);

	struct file f = {.bytes = bytes, .size = size};
	struct stack s;
	enum elf_error e = check_header(&f);
	if (e == ELF_OK)
		e = check_segments(&f);
	if (e == ELF_OK)
		e = plan_stack(&f, a, &s);
	if (e != ELF_OK)
		return e;
	/* Refuse a file that wants more than is free before touching a frame: an absurd p_memsz
	 * costs one comparison, not a loop over billions of pages. */
	if (f.pages + (s.top - s.bottom) / PAGE_SIZE > frame_free_count())
		return ELF_ERR_NOMEM;

	struct vm_space *space;
	if (vm_space_create(&space) != ERR_OK)
		return ELF_ERR_NOMEM;
	e = load(space, &f, a, &s);
	if (e != ELF_OK) {
		vm_space_destroy(space); /* every frame mapped so far goes back */
		return e;
	}
	*out = (struct elf_program){.space = space,
				    .entry = f.eh.entry,
				    .stack_pointer = s.sp,
				    .phdr = f.phdr ? f.phdr : s.strings + 16,
				    .brk = f.brk};
	return ELF_OK;
}

const char *elf_error_name(enum elf_error e)
{
	static const char *const names[] = {
		[ELF_OK] = "loaded",
		[ELF_ERR_TRUNCATED] = "shorter than an ELF header",
		[ELF_ERR_NOT_ELF] = "not ELF",
		[ELF_ERR_NOT_64BIT] = "not 64-bit",
		[ELF_ERR_NOT_LITTLE_ENDIAN] = "not little-endian",
		[ELF_ERR_BAD_VERSION] = "not ELF version 1",
		[ELF_ERR_NOT_EXECUTABLE] = "not a static executable (ET_EXEC)",
		[ELF_ERR_NOT_X86_64] = "not x86-64",
		[ELF_ERR_BAD_PHENTSIZE] = "program header size is not 56",
		[ELF_ERR_NO_SEGMENTS] = "no loadable segment",
		[ELF_ERR_TOO_MANY_SEGMENTS] = "too many segments",
		[ELF_ERR_PHDRS_OUTSIDE_FILE] = "program headers outside the file",
		[ELF_ERR_INTERP] = "needs an interpreter (dynamically linked)",
		[ELF_ERR_FILESZ_GT_MEMSZ] = "p_filesz > p_memsz",
		[ELF_ERR_SEGMENT_PAST_FILE] = "segment past the end of the file",
		[ELF_ERR_SEGMENT_OUTSIDE_USER] = "segment outside user space",
		[ELF_ERR_MISALIGNED] = "segment misaligned",
		[ELF_ERR_WRITE_EXEC] = "W+X segment",
		[ELF_ERR_NO_RIGHTS] = "segment with no access rights",
		[ELF_ERR_SEGMENTS_OVERLAP] = "segments overlap",
		[ELF_ERR_ENTRY_NOT_EXEC] = "entry not in an executable segment",
		[ELF_ERR_STACK_OVERLAP] = "stack outside user space or overlapping a segment",
		[ELF_ERR_ARGS_TOO_BIG] = "arguments too big for the stack",
		[ELF_ERR_NOMEM] = "out of memory",
	};
	return (unsigned)e < sizeof(names) / sizeof(names[0]) && names[e] ? names[e] : "unknown ELF error";
}
