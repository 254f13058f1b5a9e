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
