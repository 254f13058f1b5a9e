// Forges a pointer into the linear map (all RAM at 0xffff800000000000 + its physical address)
// the one way the safe subset leaves, a union pun, and writes through it, in the way the command
// line names: image (the kernel's own data), table (a page table), meta (the page metadata), or
// frame (a client frame: the control, which must work). The targets are found as an attacker
// would: a global's address, and a scan of RAM for what the frame must have written there.
#include <frame/frame.h>

#define LINEAR_BASE 0xffff800000000000ull
#define KERNEL_BASE 0xffffffff80000000ull
#define USER_PAGE 0x40000ull

union pun {
	uint64_t n;
	volatile uint64_t *p;
};

static uint64_t target = 1; // a global of the kernel image, in .data

static volatile uint64_t *forge(uint64_t phys)
{
	return (union pun){.n = LINEAR_BASE + phys}.p;
}

// The physical address of a client frame, from its handle's frame number (a private field).
static uint64_t phys_of(struct frame f)
{
	return (f.handle_ & 0xffffffffu) * PAGE_SIZE;
}

static struct frame new_frame(void)
{
	struct frame f;
	if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("out of memory");
	return f;
}

// Read every usable page of RAM through the linear map; the first address at which found()
// says yes, or 0.
static uint64_t scan(bool (*found)(uint64_t phys, void *ctx), void *ctx, uint64_t step)
{
	for (size_t i = 0; i < boot_memory_region_count(); i++) {
		struct boot_memory_region r = boot_memory_region(i);
		if (r.type != BOOT_MEMORY_USABLE)
			continue;
		for (uint64_t phys = (r.base + step - 1) / step * step; phys + 16 <= r.base + r.length; phys += step)
			if (found(phys, ctx))
				return phys;
	}
	return 0;
}

// A page table's entry for USER_PAGE: the frame's address, present.
static bool is_entry(uint64_t phys, void *ctx)
{
	uint64_t e = forge(phys + (USER_PAGE >> 12 & 511) * 8)[0];
	return (e & 0x000ffffffffff001ull) == (*(uint64_t *)ctx | 1);
}

#define REFS 4099 // references to the frame whose metadata is looked for: no other has as many

// The metadata of a frame with refs references: then the handle's generation, a client frame's
// state (2), never mapped (0), one page long.
static uint64_t meta_word(struct frame f, uint64_t refs)
{
	return refs | (f.handle_ >> 32) << 32 | 2ull << 48;
}

static bool is_meta(uint64_t phys, void *ctx)
{
	volatile uint64_t *m = forge(phys);
	return m[0] == meta_word(*(struct frame *)ctx, REFS) && m[1] == 1ull << 32;
}

static uint64_t find_page_table(void)
{
	struct vm_space *space;
	struct frame f = new_frame();
	if (vm_space_create(&space) != ERR_OK || vm_space_map(space, USER_PAGE, f, VM_READ) != ERR_OK)
		panic("out of memory");
	uint64_t want = phys_of(f), page = scan(is_entry, &want, PAGE_SIZE);
	if (!page || vm_space_unmap(space, USER_PAGE) != ERR_OK || forge(page + (USER_PAGE >> 12 & 511) * 8)[0])
		panic("no page table maps the frame at 0x%llx", (unsigned long long)want); // not the entry
	return page + (USER_PAGE >> 12 & 511) * 8;
}

static uint64_t find_metadata(void)
{
	struct frame f = new_frame();
	for (int i = 1; i < REFS; i++)
		frame_get(f);
	uint64_t at = scan(is_meta, &f, 16);
	frame_get(f);
	if (!at || forge(at)[0] != meta_word(f, REFS + 1)) // not the one that counts
		panic("no metadata of the frame at 0x%llx", (unsigned long long)phys_of(f));
	return at;
}

void kernel_main(void)
{
	const char *how = boot_cmdline();
	uint64_t phys = 0;
	const char *what = how;
	if (strcmp(how, "image") == 0) {
		target = 2; // its own mapping is writable
		phys = (uint64_t)&target - KERNEL_BASE;
		what = "the kernel image";
	} else if (strcmp(how, "table") == 0) {
		phys = find_page_table();
		what = "a page table";
	} else if (strcmp(how, "meta") == 0) {
		phys = find_metadata();
		what = "the page metadata";
	} else if (strcmp(how, "frame") == 0) {
		struct frame f = new_frame();
		uint64_t back = 0;
		*forge(phys_of(f) + 8) = 0x1234;
		frame_read(f, 8, &back, sizeof(back));
		console_printf("linear-map: a client frame written through the linear map reads 0x%llx\n",
			       (unsigned long long)back);
		power_off(back == 0x1234 ? POWER_EXIT_SUCCESS : POWER_EXIT_FAILURE);
	} else {
		console_printf("unknown case '%s'\n", how);
		power_off(POWER_EXIT_FAILURE);
	}
	console_printf("linear-map: writing 0x%llx, %s at physical 0x%llx\n", (unsigned long long)(LINEAR_BASE + phys),
		       what, (unsigned long long)phys);
	*forge(phys) = 0; // the forged write line
	console_printf("linear-map: the write went through\n");
	power_off(POWER_EXIT_FAILURE);
}
