/*
 * User mode: the registers of a user program, and user_mode_run(), which enters user mode and
 * returns when the program makes a system call or causes an exception; a fast handler may
 * answer system calls without that return. Everything the program (or a handler) controls
 * (flags, instruction and stack pointers, FS base) is checked or sanitized before the CPU sees
 * it, so a hostile value can never fault inside the kernel. The program's floating-point state
 * is loaded when another program's is in the registers and saved when the program used it (see
 * fpu_enter() below).
 */
#include "core/trace.h"
#include "lib/hot.h"
#include <frame/user.h>
#include "mm/kasan.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/entry.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/user_layout.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "mm/kernel_map.h"
#include "irq/irq.h"
#include "lib/ksyms.h"
#include "mm/vm.h"
#include "core/cpu_local.h"
#include "user/user.h"
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/string.h>
#include <stddef.h>

#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define EFER_SCE 1u
#define RFLAGS_USER (0x0cd5ull | RFLAGS_IF) /* CF PF AF ZF SF DF OF may be the program's; IF forced */
#define RFLAGS_SYSCALL_MASK 0x47700ull	    /* cleared on SYSCALL: TF IF DF IOPL NT AC */
#define USER_TOP_SAFE 0x00007ffffffff000ull /* SYSRET only below this (Linux's TASK_SIZE_MAX rule) */
#define TRAP_STACK_SIZE (16 * 1024)

struct user_cpu {
	uint64_t kernel_rsp;	      /* the stack user_enter() will return on */
	struct user_context *context; /* the program running now */
	uint64_t trap_stack;	      /* top of the stack traps from user mode arrive on (TSS.rsp0) */
};
_Static_assert(offsetof(struct user_cpu, kernel_rsp) == CPU_KERNEL_RSP, "user_layout.h");
_Static_assert(offsetof(struct user_cpu, context) == CPU_CONTEXT, "user_layout.h");
_Static_assert(offsetof(struct user_cpu, trap_stack) == CPU_TRAP_STACK, "user_layout.h");
_Static_assert(offsetof(struct user_context, rax) == CTX_RAX && offsetof(struct user_context, rsp) == CTX_RSP &&
		       offsetof(struct user_context, r11) == CTX_R11 && offsetof(struct user_context, rip) == CTX_RIP &&
		       offsetof(struct user_context, rflags) == CTX_RFLAGS,
	       "user_layout.h");

HOT_DATA struct user_cpu user_cpu;
static char trap_area[4096 + TRAP_STACK_SIZE] __attribute__((aligned(4096))); /* a guard page, then the stack */
#define TRAP_STACK_LOW (trap_area + 4096)
HOT_DATA static struct user_mode *running;
HOT_DATA static uint64_t fs_base_loaded; /* the FS base MSR as the frame last wrote or read it */

void user_cpu_init(void)
{
	user_cpu.trap_stack = (uint64_t)(TRAP_STACK_LOW + TRAP_STACK_SIZE);
	kernel_map_guard(trap_area, "the user-trap stack", TRAP_STACK_SIZE);
	cpu_set_kernel_stack(user_cpu.trap_stack);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSCALL: CS 0x08, SS 0x10. SYSRET: SS = 0x10 + 8 = user data, CS = 0x10 + 16 = user code. */
	wrmsr(MSR_STAR, (uint64_t)SEL_KERNEL_CODE << 32 | (uint64_t)(SEL_KERNEL_DATA | 3) << 48);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_SYSCALL_MASK);
	wrmsr(MSR_FS_BASE, fs_base_loaded = 0);
	uint32_t a, b, c, d;
	cpuid(0xd, &a, &b, &c, &d); /* EBX: the XSAVE area's size for the features XCR0 enables */
	if (cpu_xsave_mask && b > USER_FPU_SIZE)
		panic("user_cpu_init: the XSAVE area needs %u bytes, struct user_mode keeps %u", b, USER_FPU_SIZE);
	if (cpu_xsave_mask)
		log_debug("user: floating-point state by XSAVE: x87 SSE%s, %u bytes",
			  cpu_xsave_mask & XCR0_AVX ? " AVX" : "", b);
	else
		log_debug("user: floating-point state by FXSAVE: x87 SSE, 512 bytes");
	stts(); /* from here on the registers are touched only as below */
}

/* The floating-point state, in the XSAVE layout (FXSAVE's is its first 512 bytes). */
#define FPU_FCW 0	      /* x87 control word */
#define FPU_MXCSR 24	      /* SSE control and status */
#define FPU_HEADER 512	      /* XSAVE header: XSTATE_BV, XCOMP_BV, reserved */
#define FPU_INIT_FCW 0x037f   /* after FNINIT: every x87 exception masked, 64-bit precision, round to nearest */
#define FPU_INIT_MXCSR 0x1f80 /* every SIMD exception masked, round to nearest */
#define FPU_EAGER_RUNS 16     /* runs a program that used the registers gets them without asking */
_Static_assert(offsetof(struct user_mode, fpu_) % 64 == 0, "XSAVE wants a 64-byte aligned area");

/* The state after FNINIT. XSTATE_BV 0: XRSTOR loads every component's initial state (registers
 * zero), the control words excepted, which come from the area. */
static void fpu_reset(uint8_t *area)
{
	uint16_t fcw = FPU_INIT_FCW;
	uint32_t mxcsr = FPU_INIT_MXCSR;
	memset(area, 0, USER_FPU_SIZE);
	memcpy(area + FPU_FCW, &fcw, sizeof(fcw));
	memcpy(area + FPU_MXCSR, &mxcsr, sizeof(mxcsr));
}

/* Load the program's state. The area lies in client memory: what the CPU would refuse to load
 * (reserved MXCSR bits, reserved header fields, components XCR0 lacks) is cleared first, so a
 * corrupted area can never fault inside the kernel. */
static void fpu_load(uint8_t *area)
{
	uint32_t mxcsr;
	memcpy(&mxcsr, area + FPU_MXCSR, sizeof(mxcsr));
	mxcsr &= cpu_mxcsr_mask;
	memcpy(area + FPU_MXCSR, &mxcsr, sizeof(mxcsr));
	if (!cpu_xsave_mask) {
		fxrstor(area);
		return;
	}
	uint64_t header[8]; /* XSTATE_BV, XCOMP_BV, and 48 reserved bytes: all must be 0 (Linux checks all) */
	memcpy(header, area + FPU_HEADER, sizeof(header));
	header[0] &= cpu_xsave_mask;
	for (int i = 1; i < 8; i++)
		header[i] = 0;
	memcpy(area + FPU_HEADER, header, sizeof(header));
	xrstor(area, cpu_xsave_mask);
}

static void fpu_save(uint8_t *area)
{
	if (cpu_xsave_mask)
		xsave(area, cpu_xsave_mask);
	else
		fxsave(area);
}

/*
 * Which program's floating-point state the CPU holds, and whether it changed. The kernel never
 * touches those registers, so they hold the state of the last program that ran until another is
 * loaded. CR0.TS stays set outside user mode and on every entry, so the program's first
 * floating-point instruction traps (#NM, answered at once in user_trap_nm()): only a program
 * that used the registers has its state saved when it leaves, and a program that never uses
 * them costs nothing. A program that used them keeps them without the trap for its next
 * FPU_EAGER_RUNS runs. The registers always hold the running program's own state when TS is
 * clear, so the trap never lets one program see another's.
 *
 * A program is known by its address and an id that user_mode_init() gives it and every save
 * renews, so a copy of the struct elsewhere, a struct set up again, or an older copy put back in
 * its place, loads its own state.
 */
HOT_DATA static const struct user_mode *fpu_holder;
HOT_DATA static uint64_t fpu_holder_id, fpu_next_id;
HOT_DATA static bool fpu_dirty;	    /* TS clear: the running program may have changed the registers */
HOT_DATA static bool fpu_regs_init; /* the registers hold the initial state (loaded so, unchanged since) */

/* Before entering: the program's state in the registers (loaded unless they hold it already). */
static void fpu_enter(struct user_mode *um)
{
	if (um != fpu_holder || um->fpu_id_ != fpu_holder_id) {
		if (!(um->fpu_init_ && fpu_regs_init)) {
			clts();
			fpu_load(um->fpu_);
			stts();
			fpu_regs_init = um->fpu_init_;
		}
		fpu_holder = um;
		fpu_holder_id = um->fpu_id_;
	}
	if (um->fpu_eager_) {
		um->fpu_eager_--;
		clts();
		fpu_dirty = true;
	}
}

/* On the way out to the task: save the state if the program may have changed it. */
static void fpu_leave(struct user_mode *um)
{
	if (!fpu_dirty)
		return;
	fpu_save(um->fpu_);
	stts();
	fpu_dirty = fpu_regs_init = um->fpu_init_ = false;
	um->fpu_id_ = fpu_holder_id = ++fpu_next_id; /* the saved state is the CPU's: a new version */
}

HOT_PATH bool user_trap_nm(void)
{
	if (!running || fpu_dirty)
		return false; /* TS was clear: a real #NM, the program's own */
	clts();
	fpu_dirty = true;
	fpu_regs_init = false;
	running->fpu_eager_ = FPU_EAGER_RUNS;
	return true;
}

static bool canonical_user(uint64_t addr)
{
	return addr < VM_USER_END;
}

void user_mode_init(struct user_mode *um, struct vm_space *space, uint64_t entry, uint64_t stack_top)
{
	REQUIRE(um != NULL, "um must not be NULL");
	REQUIRE((uintptr_t)um % 64 == 0, "um must be aligned to 64 bytes (its floating-point state)");
	REQUIRE(vm_space_live(space), "space is not a live vm_space");
	REQUIRE(um != running, "the program is running (a fast handler may not set up its own program again)");
	CLIENT_OBJECT(um);
	*um = (struct user_mode){.space = space, .fpu_init_ = true};
	um->fpu_id_ = ++fpu_next_id;
	fpu_reset(um->fpu_);
	um->context.rip = entry;
	um->context.rsp = stack_top;
	um->context.rflags = RFLAGS_IF;
}

void user_mode_set_fast_handler(struct user_mode *um, user_fast_handler handler, void *data)
{
	REQUIRE(um != NULL, "um must not be NULL");
	REQUIRE((uintptr_t)um % 64 == 0, "um must be aligned to 64 bytes (its floating-point state)");
	REQUIRE(vm_space_live(um->space), "um->space is not a live vm_space (set it up with user_mode_init())");
	REQUIRE(um != running, "the program is running: set its handler between runs");
	CLIENT_OBJECT(um);
	um->fast_ = handler;
	um->fast_data_ = data;
}

/* How to enter with ctx: sanitize the flags; 1 by SYSRET, 0 by IRET, -1 not at all (the CPU
 * would fault in the kernel on that instruction or stack pointer, or the FS base). */
static inline __attribute__((always_inline)) int entry_check(struct user_context *ctx)
{
	ctx->rflags = (ctx->rflags & RFLAGS_USER) | RFLAGS_IF | 2;
	if (!canonical_user(ctx->rip) || !canonical_user(ctx->fs_base))
		return -1;
	if (ctx->rip < USER_TOP_SAFE && ctx->rcx == ctx->rip && ctx->r11 == ctx->rflags)
		return 1;
	return canonical_user(ctx->rsp) ? 0 : -1; /* IRET would fault on it in ring 0 */
}

/* Come back as if the program had raised #GP: what the CPU would do, without the fault
 * happening inside the kernel. */
static enum user_return refuse(struct user_mode *um)
{
	um->exception = (struct user_exception){VECTOR_GP, 0, 0};
	return USER_RETURN_EXCEPTION;
}

HOT_PATH enum user_return user_mode_run(struct user_mode *um)
{
	REQUIRE(um != NULL, "um must not be NULL");
	REQUIRE((uintptr_t)um % 64 == 0, "um must be aligned to 64 bytes (its floating-point state)");
	IRQ_OFF_SCOPE(); /* from here to user mode: nothing may switch tasks (or destroy the space) */
	REQUIRE_MAY_SLEEP_FLAGS(irq_scope_);
	CLIENT_OBJECT(um);
	/* the active space is live (vm_space_destroy() leaves none active): no need to look */
	REQUIRE((um->space && um->space == vm_active) || vm_space_live(um->space), "um->space is not a live vm_space");
	struct user_context *ctx = &um->context;
	int how = entry_check(ctx);
	if (how < 0)
		return refuse(um);
	if (um->space != vm_active)
		vm_space_switch(um->space);
	if (ctx->fs_base != fs_base_loaded)
		wrmsr(MSR_FS_BASE, fs_base_loaded = ctx->fs_base);
	fpu_enter(um);
	running = um;
	trace_event(TRACE_USER_ENTER, 0, (uint64_t)cpu_local.current, (uint64_t)um);
	uint64_t why = user_enter(ctx, how);
	running = NULL;
	trace_event(TRACE_USER_LEAVE, (uint32_t)why, (uint64_t)cpu_local.current, 0);
	return (enum user_return)why;
}

/* Leave user mode for the task, the registers saved in um->context (the FS base read from the
 * CPU, since the program may have changed it by loading a selector; unless fs_set: a fast handler
 * set it). */
HOT_PATH static FRAME_NORETURN void leave(struct user_mode *um, enum user_return why, bool fs_set)
{
	if (!fs_set)
		um->context.fs_base = fs_base_loaded = rdmsr(MSR_FS_BASE);
	fpu_leave(um);
	user_resume(why);
}

/* The fast handler's name, for reports. */
static const char *handler_name(const struct user_mode *um)
{
	uint64_t off;
	const char *name = ksym_lookup((uint64_t)um->fast_, &off);
	return name && off == 0 ? name : "(not a function)";
}

/* From syscall_entry, on the trap stack, interrupts off, the registers already in the running
 * program's context: the fast handler, if any, then back to user mode or to the task. */
HOT_PATH void user_syscall(void)
{
	struct user_mode *um = running;
	if (!um)
		panic("user_syscall: a system call while no program runs");
	if (!um->fast_)
		leave(um, USER_RETURN_SYSCALL, false);
	struct user_context *ctx = &um->context;
	uint64_t fs_base = ctx->fs_base, fpu_id = um->fpu_id_;
	cpu_local.irq_depth++; /* interrupt context's rules, but for the program's own space */
	cpu_local.fast_syscall = true;
	enum user_fast done = um->fast_(ctx, um->fast_data_);
	cpu_local.fast_syscall = false;
	cpu_local.irq_depth--;
	if (done != USER_FAST_DONE && done != USER_FAST_SLOW)
		panic("user_syscall: the fast handler %s() returned %d, neither USER_FAST_DONE nor USER_FAST_SLOW",
		      handler_name(um), (int)done);
	if (running != um || vm_active != um->space) /* vm_space_destroy() leaves none active */
		panic("user_syscall: the fast handler %s() switched or destroyed the program's address space",
		      handler_name(um));
	if (um->fpu_id_ != fpu_id)
		panic("user_syscall: the fast handler %s() replaced the running program's struct user_mode",
		      handler_name(um));
	bool fs_set = ctx->fs_base != fs_base; /* else the CPU holds the program's own */
	int how = entry_check(ctx);
	if (how < 0) {
		if (fs_set) /* the context keeps the handler's value; the CPU still holds the program's */
			fs_base_loaded = rdmsr(MSR_FS_BASE);
		refuse(um);
		leave(um, USER_RETURN_EXCEPTION, fs_set);
	}
	if (fs_set)
		wrmsr(MSR_FS_BASE, fs_base_loaded = ctx->fs_base);
	if (done == USER_FAST_SLOW)
		leave(um, USER_RETURN_SYSCALL, fs_set);
	if (cpu_local.need_resched)
		leave(um, USER_RETURN_PREEMPTED, fs_set); /* the call is complete: the task yields, then runs on */
	user_return(ctx, how);
}

/* From the trap path, on the trap stack: save the program's registers and return to the kernel
 * from user_enter(). */
HOT_PATH void user_trap(struct trap_frame *tf)
{
	struct user_mode *um = running;
	if (!um)
		panic("user_trap: a trap from user mode while no program runs");
	struct user_context *c = &um->context;
	*c = (struct user_context){tf->rax, tf->rbx, tf->rcx, tf->rdx,	  tf->rsi, tf->rdi, tf->rbp,
				   tf->rsp, tf->r8,  tf->r9,  tf->r10,	  tf->r11, tf->r12, tf->r13,
				   tf->r14, tf->r15, tf->rip, tf->rflags, 0};
	if (tf->vector >= VECTOR_FIRST_IRQ) {
		irq_dispatch(tf->vector);
		leave(um, cpu_local.need_resched ? USER_RETURN_PREEMPTED : USER_RETURN_INTERRUPT, false);
	}
	um->exception = (struct user_exception){tf->vector, tf->error_code, tf->vector == VECTOR_PF ? read_cr2() : 0};
	leave(um, USER_RETURN_EXCEPTION, false);
}

const char *user_exception_name(uint64_t vector)
{
	return exception_name(vector);
}
