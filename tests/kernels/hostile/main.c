// Runs every attack of hostile.S in a fresh address space and says what came of it; then runs
// report_flags with registers the kernel itself set to hostile values, which the frame must
// sanitize or refuse. The kernel must survive them all and power off with success.
#include <frame/frame.h>
#include "user_programs.h"

#define STACK_TOP 0x800000ull
#define TOP_PAGE 0x7ffffffff000ull

static const char *const attacks[] = {
	"write_null",
	"write_kernel",
	"write_noncanonical",
	"write_into_unmapped",
	"halt",
	"clear_interrupts",
	"port_in",
	"port_out",
	"write_msr",
	"write_cr3",
	"read_kernel",
	"write_kernel_memory",
	"jump_to_kernel",
	"syscall_at_the_top",
	"raise_iopl_with_popf",
	"divide_by_zero",
	"breakpoint",
	"invalid_opcode",
	"garbage_stack_then_syscall",
	"single_step_into_syscall",
	"mmx_register",
	"store_gdt_address",
	"report_flags",
};
#define REPORT_FLAGS (sizeof(attacks) / sizeof(attacks[0]) - 1) // the last attack

#define NONCANONICAL 0x800000000000ull

// Registers a kernel may set wrongly before a run (user_mode.context is the client's to write).
static void all_flags(struct user_context *c)
{
	c->rflags = ~0ull; // IOPL 3, TF, NT, AC, ID, VM...: only the arithmetic flags may stay
}

static void all_flags_sysret(struct user_context *c)
{
	all_flags(c);
	c->rcx = c->rip; // RCX and R11 as SYSCALL leaves them: the frame may return by SYSRET
	c->r11 = 0xed7;	 // the flags once sanitized
}

static void rsp_noncanonical(struct user_context *c)
{
	c->rsp = NONCANONICAL; // RCX is not RIP: the frame would return by IRET
}

static void fs_base_noncanonical(struct user_context *c)
{
	c->fs_base = NONCANONICAL;
}

static const struct {
	const char *name;
	void (*set)(struct user_context *c);
} contexts[] = {
	{"all_flags", all_flags},
	{"all_flags_sysret", all_flags_sysret},
	{"rsp_noncanonical", rsp_noncanonical},
	{"fs_base_noncanonical", fs_base_noncanonical},
};

static void map_page(struct vm_space *space, uint64_t where, const void *bytes, size_t off, size_t len, unsigned prot)
{
	struct frame f;
	if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("out of memory");
	frame_write(f, off, bytes, len);
	if (vm_space_map(space, where, f, prot) != ERR_OK)
		panic("cannot map 0x%llx", (unsigned long long)where);
	frame_put(f);
}

static struct vm_space *load(void)
{
	struct vm_space *space;
	if (vm_space_create(&space) != ERR_OK)
		panic("out of memory");
	for (size_t off = 0; off < user_program_hostile_size; off += PAGE_SIZE)
		map_page(space, USER_PROGRAM_BASE + off, user_program_hostile + off, 0,
			 user_program_hostile_size - off < PAGE_SIZE ? user_program_hostile_size - off : PAGE_SIZE,
			 VM_READ | VM_EXEC);
	map_page(space, STACK_TOP - PAGE_SIZE, "", 0, 0, VM_READ | VM_WRITE);
	map_page(space, TOP_PAGE, "\x0f\x05", PAGE_SIZE - 2, 2, VM_READ | VM_EXEC); // syscall at the very top
	return space;
}

// Run one attack until it exits or faults (with the registers of contexts[context] set first, if
// context >= 0); print what happened.
static void run(uint64_t which, int context)
{
	struct user_mode um;
	user_mode_init(&um, load(), USER_PROGRAM_BASE, STACK_TOP);
	um.context.rdi = which;
	if (context >= 0)
		contexts[context].set(&um.context);
	const char *kind = context >= 0 ? "context" : "attack";
	const char *name = context >= 0 ? contexts[context].name : attacks[which];
	for (;;) {
		enum user_return why = user_mode_run(&um);
		struct user_context *c = &um.context;
		if (why == USER_RETURN_EXCEPTION) {
			console_printf("%s %s: %s at 0x%llx, address 0x%llx\n", kind, name,
				       user_exception_name(um.exception.vector), (unsigned long long)c->rip,
				       (unsigned long long)um.exception.fault_address);
			break;
		}
		if (why != USER_RETURN_SYSCALL)
			continue;
		if (c->rax == 60) {
			console_printf("%s %s: exit(%lld)\n", kind, name, (long long)c->rdi);
			break;
		}
		char buf[64];
		if (c->rax == 1) // write: the whole buffer must be readable
			c->rax = vm_copy_from_user(um.space, buf, c->rsi, c->rdx < 64 ? c->rdx : 64) == ERR_OK
					 ? c->rdx
					 : (uint64_t)-14;
		else
			c->rax = (uint64_t)-38;
	}
	vm_space_destroy(um.space);
}

void kernel_main(void)
{
	size_t before = frame_free_count();
	for (uint64_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		run(i, -1);
	for (int i = 0; i < (int)(sizeof(contexts) / sizeof(contexts[0])); i++)
		run(REPORT_FLAGS, i);
	console_printf("hostile: %zu attacks, the kernel survived them all; frames leaked: %zu\n",
		       sizeof(attacks) / sizeof(attacks[0]), before - frame_free_count());
}
