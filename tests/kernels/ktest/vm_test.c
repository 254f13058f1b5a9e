// In-kernel tests of user address spaces, written as a client would (public API only).
#include <frame/frame.h>

static struct frame zeroed_frame(void)
{
	struct frame f;
	if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("out of memory");
	return f;
}

KTEST(vm_map_query_protect_unmap)
{
	size_t before = frame_free_count();
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct frame f = zeroed_frame(), got;
	enum vm_prot prot = 0;
	KTEST_ASSERT(vm_space_map(s, 0x10000, f, VM_READ | VM_WRITE) == ERR_OK);
	KTEST_ASSERT_EQ(frame_refs(f), 2); // the space holds its own reference
	KTEST_ASSERT(vm_space_map(s, 0x10000, f, VM_READ) == ERR_EXIST);
	KTEST_ASSERT(vm_space_query(s, 0x10abc, &got, &prot) == ERR_OK);
	KTEST_EXPECT(frame_refs(got) == 2 && prot == (VM_READ | VM_WRITE));
	KTEST_ASSERT(vm_space_protect(s, 0x10000, VM_READ | VM_EXEC) == ERR_OK);
	KTEST_ASSERT(vm_space_query(s, 0x10000, NULL, &prot) == ERR_OK);
	KTEST_EXPECT(prot == (VM_READ | VM_EXEC));
	KTEST_ASSERT(vm_space_unmap(s, 0x10000) == ERR_OK);
	KTEST_EXPECT(vm_space_unmap(s, 0x10000) == ERR_INVAL);
	KTEST_EXPECT(vm_space_query(s, 0x10000, NULL, NULL) == ERR_INVAL);
	KTEST_ASSERT_EQ(frame_refs(f), 1);
	frame_put(f);
	vm_space_destroy(s);
	KTEST_ASSERT_EQ(frame_free_count(), before); // page tables freed too
}

KTEST(vm_refuses_what_is_not_a_user_page)
{
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct frame f = zeroed_frame();
	KTEST_EXPECT(vm_space_map(s, 0, f, VM_READ) == ERR_INVAL);		       // page 0: NULL stays unmapped
	KTEST_EXPECT(vm_space_map(s, 0x10001, f, VM_READ) == ERR_INVAL);	       // not page-aligned
	KTEST_EXPECT(vm_space_map(s, VM_USER_END, f, VM_READ) == ERR_INVAL);	       // the kernel half
	KTEST_EXPECT(vm_space_map(s, 0xffffffff80200000ull, f, VM_READ) == ERR_INVAL); // the kernel image
	KTEST_ASSERT_EQ(frame_refs(f), 1);
	frame_put(f);
	vm_space_destroy(s);
}

KTEST(vm_user_copies_cross_pages_and_stop_at_holes)
{
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct frame a = zeroed_frame(), b = zeroed_frame(), ro = zeroed_frame();
	KTEST_ASSERT(vm_space_map(s, 0x20000, a, VM_READ | VM_WRITE) == ERR_OK);
	KTEST_ASSERT(vm_space_map(s, 0x21000, b, VM_READ | VM_WRITE) == ERR_OK);
	KTEST_ASSERT(vm_space_map(s, 0x30000, ro, VM_READ) == ERR_OK);
	char out[16] = {0};
	KTEST_ASSERT(vm_copy_to_user(s, 0x20ffa, "across pages", 13) == ERR_OK); // 6 bytes in a, 7 in b
	KTEST_ASSERT(vm_copy_from_user(s, out, 0x20ffa, 13) == ERR_OK);
	KTEST_EXPECT(strcmp(out, "across pages") == 0);
	frame_read(b, 0, out, 7); // the bytes really are in the second frame
	KTEST_EXPECT(memcmp(out, " pages", 7) == 0);
	KTEST_EXPECT(vm_copy_from_user(s, out, 0x21ffc, 8) == ERR_FAULT); // runs into a hole
	KTEST_EXPECT(vm_copy_to_user(s, 0x30000, "x", 1) == ERR_FAULT);	  // read-only
	KTEST_ASSERT(vm_space_protect(s, 0x21000, VM_WRITE) == ERR_OK);
	KTEST_EXPECT(vm_copy_from_user(s, out, 0x21000, 1) == ERR_FAULT); // not readable: the rights asked for count
	KTEST_EXPECT(vm_copy_to_user(s, 0x21000, "w", 1) == ERR_OK);
	KTEST_EXPECT(vm_copy_from_user(s, out, 0, 1) == ERR_FAULT);			// NULL
	KTEST_EXPECT(vm_copy_from_user(s, out, 0xffffffff80200000ull, 1) == ERR_FAULT); // kernel
	KTEST_EXPECT(vm_copy_from_user(s, out, VM_USER_END - 1, 2) == ERR_FAULT);	// past the user half
	KTEST_EXPECT(vm_copy_from_user(s, out, ~0ull, 2) == ERR_FAULT);			// wraps around
	frame_put(a);
	frame_put(b);
	frame_put(ro);
	vm_space_destroy(s); // drops the last references: the frames are freed
}

// --- ranges, iteration, partial copies ---------------------------------------------------------

// A copy of a frame handle is the same frame.
static bool same(struct frame a, struct frame b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static bool mapped(struct vm_space *s, uint64_t uaddr)
{
	return vm_space_query(s, uaddr, NULL, NULL) == ERR_OK;
}

KTEST(vm_range_map_protect_unmap)
{
	size_t before = frame_free_count();
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct frame f[3] = {zeroed_frame(), zeroed_frame(), zeroed_frame()}, got;
	enum vm_prot prot;
	KTEST_ASSERT(vm_space_map_range(s, 0x1ff000, f, 3, VM_READ | VM_WRITE) == ERR_OK); // across a page table
	for (int i = 0; i < 3; i++) {
		KTEST_ASSERT(vm_space_query(s, 0x1ff000 + i * PAGE_SIZE, &got, &prot) == ERR_OK);
		KTEST_EXPECT(same(got, f[i]) && prot == (VM_READ | VM_WRITE)); // in order
		KTEST_EXPECT(frame_refs(f[i]) == 2);
	}
	KTEST_EXPECT(!mapped(s, 0x1fe000) && !mapped(s, 0x202000));
	KTEST_ASSERT(vm_space_protect_range(s, 0x1fe000, 5, VM_READ) == ERR_OK); // holes on both sides skipped
	KTEST_EXPECT(!mapped(s, 0x1fe000) && !mapped(s, 0x202000));
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT(vm_space_query(s, 0x1ff000 + i * PAGE_SIZE, NULL, &prot) == ERR_OK && prot == VM_READ);
	KTEST_EXPECT(vm_copy_to_user(s, 0x1ff000, "x", 1) == ERR_FAULT); // the new rights hold
	KTEST_ASSERT(vm_space_unmap_range(s, 0x200000, 1) == ERR_OK);	 // the middle page
	KTEST_EXPECT(mapped(s, 0x1ff000) && !mapped(s, 0x200000) && mapped(s, 0x201000));
	KTEST_EXPECT(frame_refs(f[1]) == 1);
	KTEST_ASSERT(vm_space_unmap_range(s, 0x1000, 0x300) == ERR_OK); // everything, holes included
	for (int i = 0; i < 3; i++) {
		KTEST_EXPECT(!mapped(s, 0x1ff000 + i * PAGE_SIZE));
		KTEST_EXPECT(frame_refs(f[i]) == 1);
		frame_put(f[i]);
	}
	KTEST_ASSERT(vm_space_unmap_range(s, 0x1000, 0x300) == ERR_OK); // nothing there: still fine
	vm_space_destroy(s);
	KTEST_ASSERT_EQ(frame_free_count(), before);
}

KTEST(vm_range_map_over_a_mapping_changes_nothing)
{
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct frame f[4] = {zeroed_frame(), zeroed_frame(), zeroed_frame(), zeroed_frame()};
	KTEST_ASSERT(vm_space_map(s, 0x42000, f[3], VM_READ) == ERR_OK);
	KTEST_EXPECT(vm_space_map_range(s, 0x40000, f, 3, VM_READ) == ERR_EXIST); // its last page is taken
	KTEST_EXPECT(!mapped(s, 0x40000) && !mapped(s, 0x41000));
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT(frame_refs(f[i]) == 1);
	KTEST_EXPECT(frame_refs(f[3]) == 2); // the mapping that was there stays
	struct frame same[2] = {f[0], f[0]}; // one frame twice: allowed
	KTEST_ASSERT(vm_space_map_range(s, 0x40000, same, 2, VM_READ) == ERR_OK);
	KTEST_EXPECT(frame_refs(f[0]) == 3);
	for (int i = 0; i < 4; i++)
		frame_put(f[i]);
	vm_space_destroy(s);
}

KTEST(vm_range_refuses_what_is_not_a_run_of_user_pages)
{
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct frame f[2] = {zeroed_frame(), zeroed_frame()};
	KTEST_EXPECT(vm_space_map_range(s, 0x10000, f, 0, VM_READ) == ERR_INVAL);		  // empty
	KTEST_EXPECT(vm_space_map_range(s, 0x10800, f, 2, VM_READ) == ERR_INVAL);		  // not page-aligned
	KTEST_EXPECT(vm_space_map_range(s, 0, f, 2, VM_READ) == ERR_INVAL);			  // page 0
	KTEST_EXPECT(vm_space_map_range(s, VM_USER_END - PAGE_SIZE, f, 2, VM_READ) == ERR_INVAL); // past the end
	KTEST_EXPECT(vm_space_map_range(s, 0x10000, f, SIZE_MAX / 2, VM_READ) == ERR_INVAL);	  // would wrap
	KTEST_EXPECT(vm_space_map_range(s, VM_USER_END, f, 1, VM_READ) == ERR_INVAL);		  // the kernel half
	KTEST_EXPECT(vm_space_unmap_range(s, 0x10800, 1) == ERR_INVAL);
	KTEST_EXPECT(vm_space_unmap_range(s, 0x10000, 0) == ERR_INVAL);
	KTEST_EXPECT(vm_space_unmap_range(s, 0x10000, SIZE_MAX / 2) == ERR_INVAL);
	KTEST_EXPECT(vm_space_protect_range(s, VM_USER_END - PAGE_SIZE, 2, VM_READ) == ERR_INVAL);
	KTEST_EXPECT(vm_space_protect_range(s, 0, 1, VM_READ) == ERR_INVAL);
	KTEST_ASSERT(vm_space_map_range(s, VM_USER_END - 2 * PAGE_SIZE, f, 2, VM_READ) == ERR_OK); // the very top
	KTEST_EXPECT(vm_space_unmap_range(s, VM_USER_END - 2 * PAGE_SIZE, 2) == ERR_OK);
	KTEST_EXPECT(frame_refs(f[0]) == 1 && frame_refs(f[1]) == 1);
	frame_put(f[0]);
	frame_put(f[1]);
	vm_space_destroy(s);
}

KTEST(vm_next_mapping_walks_a_sparse_space_in_order)
{
	static const uint64_t where[] = {0x1000,     0x2000,	      0x200000,
					 0x40000000, 0x8000000000ull, VM_USER_END - PAGE_SIZE};
	const size_t n = sizeof(where) / sizeof(where[0]);
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct vm_mapping m;
	uint64_t at = 0;
	KTEST_EXPECT(!vm_space_next_mapping(s, &at, &m) && at == 0); // empty
	struct frame f = zeroed_frame();
	for (size_t i = n; i--;) // mapped backwards: the order comes from the addresses
		KTEST_ASSERT(vm_space_map(s, where[i], f, i % 2 ? VM_READ : VM_READ | VM_WRITE) == ERR_OK);
	size_t seen = 0;
	while (vm_space_next_mapping(s, &at, &m)) {
		KTEST_ASSERT(seen < n);
		KTEST_EXPECT(m.uaddr == where[seen]);
		KTEST_EXPECT(same(m.frame, f) && m.prot == (seen % 2 ? VM_READ : VM_READ | VM_WRITE));
		KTEST_EXPECT(at == where[seen] + PAGE_SIZE);
		seen++;
	}
	KTEST_EXPECT(seen == n);
	KTEST_EXPECT(frame_refs(f) == n + 1); // no reference taken by the walk
	at = 0x2001;			      // mid-page: the next page on
	KTEST_EXPECT(vm_space_next_mapping(s, &at, &m) && m.uaddr == 0x200000);
	at = ~0ull; // past the user half
	KTEST_EXPECT(!vm_space_next_mapping(s, &at, &m) && at == ~0ull);
	vm_space_destroy(s);
	KTEST_EXPECT(frame_refs(f) == 1);
	frame_put(f);
}

KTEST(vm_partial_copies_report_the_first_address_that_faulted)
{
	struct vm_space *s;
	KTEST_ASSERT(vm_space_create(&s) == ERR_OK);
	struct frame a = zeroed_frame(), ro = zeroed_frame();
	KTEST_ASSERT(vm_space_map(s, 0x50000, a, VM_READ | VM_WRITE) == ERR_OK);
	KTEST_ASSERT(vm_space_map(s, 0x52000, ro, VM_READ) == ERR_OK);
	char text[8000], out[8000];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	size_t done = 1234;
	// 0x50f00..0x52c40: 0x100 bytes in a, then a hole at 0x51000
	KTEST_EXPECT(vm_copy_to_user_partial(s, 0x50f00, text, sizeof(text), &done) == ERR_FAULT);
	KTEST_EXPECT(done == 0x100);
	// a kernel filling memory lazily: map a page where it faulted, and go on from there
	struct frame lazy = zeroed_frame();
	KTEST_ASSERT(vm_space_map(s, 0x50f00 + done, lazy, VM_READ | VM_WRITE) == ERR_OK);
	frame_put(lazy); // the space holds it now
	size_t more;
	KTEST_EXPECT(vm_copy_to_user_partial(s, 0x50f00 + done, text + done, sizeof(text) - done, &more) == ERR_FAULT);
	KTEST_EXPECT(0x50f00 + done + more == 0x52000); // now the read-only page stops it
	KTEST_EXPECT(vm_copy_from_user_partial(s, out, 0x50f00, sizeof(out), &done) == ERR_OK); // readable: all of it
	KTEST_EXPECT(done == sizeof(out));
	KTEST_EXPECT(memcmp(out, text, 0x1100) == 0);
	KTEST_EXPECT(vm_copy_from_user_partial(s, out, 0x52ff0, 0x20, &done) == ERR_FAULT); // a hole after ro
	KTEST_EXPECT(done == 0x10);
	KTEST_EXPECT(vm_copy_from_user_partial(s, out, 0x30, 4, &done) == ERR_FAULT && done == 0);  // NULL page
	KTEST_EXPECT(vm_copy_from_user_partial(s, out, ~0ull, 2, &done) == ERR_FAULT && done == 0); // wraps
	KTEST_EXPECT(vm_copy_to_user_partial(s, 0x50000, "", 0, &done) == ERR_OK && done == 0);
	frame_put(a);
	frame_put(ro);
	vm_space_destroy(s);
}

// --- fork with copy-on-write, as a client kernel would write it -------------------------------
//
// The program stores AL at DATA and makes a system call: `mov [DATA], al; syscall`. Parent and
// child run the same code from the same frame, and tell themselves apart by RAX, as after fork.
#define CODE 0x400000
#define DATA 0x20000
static const unsigned char store_al[] = {0x88, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x05};

#define PF_WRITE 2 // bit 1 of a page fault's error code: the access was a write

// The copy-on-write pages of one fork: writable for the program, mapped read-only until written.
static uint64_t cow[8];
static size_t cow_count;

// A copy of parent that shares every frame; writable pages become copy-on-write in both.
static enum err fork_space(struct vm_space *parent, struct vm_space **child)
{
	enum err e = vm_space_create(child);
	struct vm_mapping m;
	for (uint64_t at = 0; e == ERR_OK && vm_space_next_mapping(parent, &at, &m);) {
		enum vm_prot prot = m.prot;
		if (prot & VM_WRITE) {
			prot &= ~VM_WRITE;
			if (prot == 0) // write-only: readable while it is shared
				prot = VM_READ;
			e = vm_space_protect_range(parent, m.uaddr, 1, prot);
			if (cow_count < sizeof(cow) / sizeof(cow[0]))
				cow[cow_count++] = m.uaddr;
		}
		if (e == ERR_OK)
			e = vm_space_map_range(*child, m.uaddr, &m.frame, 1, prot);
	}
	return e;
}

static bool is_cow(uint64_t page)
{
	for (size_t i = 0; i < cow_count; i++)
		if (cow[i] == page)
			return true;
	return false;
}

// A write to a copy-on-write page: the last sharer takes the frame back writable, the others copy.
static enum err break_cow(struct vm_space *s, uint64_t page)
{
	struct frame shared, mine;
	enum vm_prot prot;
	enum err e = vm_space_query(s, page, &shared, &prot);
	if (e != ERR_OK)
		return e;
	if (frame_refs(shared) == 1)
		return vm_space_protect(s, page, prot | VM_WRITE);
	e = frame_alloc(&mine, 0);
	if (e != ERR_OK)
		return e;
	frame_copy(mine, 0, shared, 0, PAGE_SIZE);
	e = vm_space_unmap(s, page); // drops this space's reference to the shared frame
	if (e == ERR_OK)
		e = vm_space_map(s, page, mine, prot | VM_WRITE);
	frame_put(mine); // the space holds it now (or it is freed)
	return e;
}

// Run the program with RAX = value until its system call, breaking copy-on-write where it writes.
// Returns how many faults were copy-on-write breaks, or -1 on any other outcome.
static int run_until_syscall(struct vm_space *s, uint64_t value)
{
	struct user_mode um;
	user_mode_init(&um, s, CODE, 0);
	um.context.rax = value;
	int breaks = 0;
	for (;;) {
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_SYSCALL)
			return breaks;
		if (why == USER_RETURN_PREEMPTED)
			task_yield();
		if (why != USER_RETURN_EXCEPTION)
			continue;
		uint64_t page = um.exception.fault_address & ~(uint64_t)(PAGE_SIZE - 1);
		if (um.exception.vector != 14 || !(um.exception.error_code & PF_WRITE) || !is_cow(page) ||
		    break_cow(s, page) != ERR_OK || breaks++ > 4)
			return -1;
	}
}

KTEST(vm_fork_with_copy_on_write_gives_each_its_own_copy)
{
	size_t before = frame_free_count();
	struct vm_space *parent, *child;
	KTEST_ASSERT(vm_space_create(&parent) == ERR_OK);
	struct frame code = zeroed_frame(), data = zeroed_frame();
	frame_write(code, 0, store_al, sizeof(store_al));
	frame_write(data, 0, "?shared", 8);
	KTEST_ASSERT(vm_space_map(parent, CODE, code, VM_READ | VM_EXEC) == ERR_OK);
	KTEST_ASSERT(vm_space_map(parent, DATA, data, VM_READ | VM_WRITE) == ERR_OK);
	frame_put(code); // the spaces hold the frames from here on
	frame_put(data);
	cow_count = 0;
	KTEST_ASSERT(fork_space(parent, &child) == ERR_OK);
	KTEST_EXPECT(cow_count == 1 && cow[0] == DATA);
	KTEST_EXPECT(frame_refs(code) == 2 && frame_refs(data) == 2); // shared, not copied

	KTEST_EXPECT(run_until_syscall(parent, 'P') == 1); // faults once: copies the page
	KTEST_EXPECT(frame_refs(data) == 1);		   // the child alone has the old frame
	KTEST_EXPECT(run_until_syscall(child, 'C') == 1);  // faults once: takes the frame back writable
	KTEST_EXPECT(frame_refs(data) == 1);

	char p[8], c[8];
	KTEST_ASSERT(vm_copy_from_user(parent, p, DATA, 8) == ERR_OK);
	KTEST_ASSERT(vm_copy_from_user(child, c, DATA, 8) == ERR_OK);
	KTEST_EXPECT(memcmp(p, "Pshared", 8) == 0); // each its own write, and the bytes it shared
	KTEST_EXPECT(memcmp(c, "Cshared", 8) == 0);
	struct frame pf, cf;
	KTEST_ASSERT(vm_space_query(parent, DATA, &pf, NULL) == ERR_OK &&
		     vm_space_query(child, DATA, &cf, NULL) == ERR_OK);
	KTEST_EXPECT(!same(pf, cf) && same(cf, data));
	KTEST_EXPECT(run_until_syscall(parent, 'Q') == 0); // its own page now: no fault
	KTEST_ASSERT(vm_copy_from_user(child, c, DATA, 1) == ERR_OK && c[0] == 'C');
	vm_space_destroy(child);
	vm_space_destroy(parent);
	KTEST_ASSERT_EQ(frame_free_count(), before);
}
