/*
 * Panic reports: message, location, task, registers and a backtrace, printed on the serial port
 * (set up on the spot if nobody has yet), then power-off with failure. The format is a contract
 * with the test harness (harness/frameharness/panic.py).
 */
#include "core/trace.h"
#include <frame/panic.h>
#include <frame/power.h>
#include "arch/x86_64/layout.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "console/serial.h"
#include "lib/format.h"
#include "mm/heap.h"
#include "mm/kernel_map.h"
#include "mm/linear_map.h"
#include "core/panic_report.h"
#include "lib/ksyms.h"
#include "task/sched.h"
#include <stdarg.h>
#include <stdbool.h>

#define MAX_FRAMES 32

/* Where the panic being reported was raised, kept for the nested-panic message. */
static struct {
	bool active;
	const char *file, *func;
	int line;
} panicking;

static void serial_sink(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	serial_write(s, len);
}

/* Print straight to the serial port: no buffer to cut long lines. */
static void vout(const char *fmt, va_list ap)
{
	format_v(serial_sink, NULL, fmt, ap);
}

static void out(const char *fmt, ...) FRAME_PRINTF(1, 2);
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vout(fmt, ap);
	va_end(ap);
}

/* "name+0xoff (file:line)" for addr (in_words: "name+0xoff at file:line"), or as much of it as
 * the kernel's tables know. */
static const char *where(uint64_t addr, bool is_return, bool in_words, char *buf, size_t size)
{
	char sym[96];
	const char *file;
	int line;
	symbolize(addr, is_return, sym, sizeof(sym));
	if (ksym_line(addr, is_return, &file, &line))
		format_buf(buf, size, in_words ? "%s at %s:%d" : "%s (%s:%d)", sym, file, line);
	else
		format_buf(buf, size, "%s", sym);
	return buf;
}

/* One backtrace line; note (" (faulting instruction)", " (interrupted here)") marks an address
 * that is the instruction itself, not a return address. */
static void print_frame(int n, uint64_t addr, const char *note)
{
	char sym[160];
	out("    #%d 0x%016llx %s%s\n", n, (unsigned long long)addr, where(addr, !note, false, sym, sizeof(sym)),
	    note ? note : "");
}

/* Walk the frame-pointer chain from rbp, checking each frame lies on a known stack. Through a
 * trap (an interrupt, an exception): the interrupted instruction from the trap frame, then on
 * with the interrupted code's frames; a trap from user mode ends the walk. */
static void print_backtrace(int first, uint64_t rbp)
{
	for (int n = first; n < MAX_FRAMES && rbp; n++) {
		if (rbp % 8 || !kernel_stack_contains(rbp, rbp + 16))
			break;
		const uint64_t *frame = (const uint64_t *)rbp;
		if (!frame[1])
			break;
		print_frame(n, frame[1], NULL);
		rbp = frame[0];
		const struct trap_frame *tf = (const void *)(frame + 2); /* trap_handler's frame: the trap's above */
		if (frame[1] != (uint64_t)trap_common_return ||
		    !kernel_stack_contains((uint64_t)tf, (uint64_t)(tf + 1)))
			continue;
		if ((tf->cs & 3) == 3) {
			out("    #%d (user mode, rip=0x%016llx)\n", n + 1, (unsigned long long)tf->rip);
			break;
		}
		if (++n < MAX_FRAMES)
			print_frame(n, tf->rip, " (interrupted here)");
		rbp = tf->rbp;
	}
}

static void print_control_registers(void)
{
	out("  CR0=0x%016llx CR2=0x%016llx CR3=0x%016llx CR4=0x%016llx\n", (unsigned long long)read_cr0(),
	    (unsigned long long)read_cr2(), (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}

/* Where GDB stops at a panic under make debug (sdk/tools/debug breaks here): the report is out,
 * the machine not yet off. It does nothing; noipa keeps it and every call to it. */
__attribute__((noipa)) static void frame_panic_stop(void)
{
}

/* The start of every report. A fault while reporting ends at once, saying where the first
 * panic came from and where the second one happened (rip). */
static void report_begin(const char *file, int line, const char *func, uint64_t rip)
{
	cli();
	if (panicking.active) {
		out("\nPANIC: nested panic at %p while reporting the panic raised at %s:%d in %s\nend of panic "
		    "report\n",
		    (void *)rip, panicking.file, panicking.line, panicking.func);
		frame_panic_stop();
		power_off(POWER_EXIT_FAILURE);
	}
	panicking.active = true;
	trace_event(TRACE_PANIC, 0, rip, 0);
	panicking.file = file;
	panicking.line = line;
	panicking.func = func;
	serial_write("\n", 1);
}

static const char *details;

void panic_details(const char *text)
{
	details = text;
}

static FRAME_NORETURN void report_end(void)
{
	if (details)
		out("%s", details);
	out("end of panic report\n");
	frame_panic_stop();
	power_off(POWER_EXIT_FAILURE);
}

/* A report raised at file:line in func. A broken precondition (caller: the return address into
 * the client's code, else 0) is placed at the caller's line first, then at the check. */
static FRAME_NORETURN void vpanic(const char *file, int line, const char *func, uint64_t caller, uint64_t rip,
				  uint64_t rbp, const char *fmt, va_list ap)
{
	const char *caller_file, *caller_func;
	int caller_line;
	uint64_t off;
	report_begin(file, line, func, rip);
	out("PANIC: ");
	vout(fmt, ap);
	if (caller && ksym_line(caller, true, &caller_file, &caller_line) &&
	    (caller_func = ksym_lookup(caller - 1, &off)))
		out("\n  at %s:%d in %s (the caller); checked in %s at %s:%d\n", caller_file, caller_line, caller_func,
		    func, file, line);
	else
		out("\n  at %s:%d in %s\n", file, line, func);
	out("  task: %s\n", sched_current_name());
	out("  RIP=0x%016llx RSP=0x%016llx RBP=0x%016llx RFLAGS=0x%016llx\n", (unsigned long long)rip,
	    (unsigned long long)read_rsp(), (unsigned long long)rbp, (unsigned long long)read_rflags());
	print_control_registers();
	out("  backtrace:\n");
	print_backtrace(0, rbp);
	report_end();
}

void panic_at(const char *file, int line, const char *func, const char *fmt, ...)
{
	uint64_t rbp = (uint64_t)__builtin_frame_address(0);
	va_list ap;
	va_start(ap, fmt);
	vpanic(file, line, func, 0, (uint64_t)__builtin_return_address(0), rbp, fmt, ap);
}

uint64_t panic_frame_of(uint64_t ret)
{
	uint64_t here = (uint64_t)__builtin_frame_address(0);
	for (uint64_t rbp = here; rbp % 8 == 0 && kernel_stack_contains(rbp, rbp + 16);) {
		const uint64_t *frame = (const uint64_t *)rbp;
		if (frame[1] == ret)
			return rbp;
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	return here;
}

void panic_from(uint64_t rbp, const char *file, int line, const char *func, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpanic(file, line, func, 0, (uint64_t)__builtin_return_address(0), rbp, fmt, ap);
}

/* panic_at() for a broken precondition checked at file:line in func, called from caller. */
static FRAME_NORETURN __attribute__((noinline)) void precondition_at(uint64_t caller, const char *file, int line,
								     const char *func, const char *fmt, ...)
{
	uint64_t rbp = (uint64_t)__builtin_frame_address(0);
	va_list ap;
	va_start(ap, fmt);
	vpanic(file, line, func, caller, (uint64_t)__builtin_return_address(0), rbp, fmt, ap);
}

void panic_precondition(const char *func, void *caller, const char *file, int line, const char *fmt, ...)
{
	char rule[256], from[160];
	va_list ap;
	va_start(ap, fmt);
	format_vbuf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	precondition_at((uint64_t)caller, file, line, func, "%s: %s (called from %s)", func, rule,
			where((uint64_t)caller, true, true, from, sizeof(from)));
}

/* A page fault on a page of the heap's area that is not mapped: one the heap gave back (or never
 * used). Names the block freed last there while the heap still knows it. */
static void describe_heap_fault(const char *access, uint64_t cr2, char *buf, size_t size)
{
	uint64_t start;
	size_t bytes;
	bool live;
	if (heap_block_of(cr2, &start, &bytes, &live) && !live)
		format_buf(buf, size,
			   "use after free: %s of address 0x%llx, in the freed %zu-byte heap block at 0x%llx "
			   "(its page was given back)",
			   access, (unsigned long long)cr2, bytes, (unsigned long long)start);
	else
		format_buf(buf, size, "use after free: %s of address 0x%llx, a heap page given back (or never used)",
			   access, (unsigned long long)cr2);
}

/* One sentence on what the exception most likely means, for the report's first line. */
static void describe(const struct trap_frame *tf, char *buf, size_t size)
{
	uint64_t cr2 = read_cr2();
	const struct stack_guard *stack =
		tf->vector == VECTOR_PF || tf->vector == VECTOR_DF ? kernel_map_guard_of(cr2) : NULL;
	const char *access = tf->error_code & PF_FETCH	 ? "instruction fetch"
			     : tf->error_code & PF_WRITE ? "write"
							 : "read";
	if (stack) {
		format_buf(buf, size, "stack overflow: %s is full (%zu KiB); deep recursion or large local arrays?",
			   stack->owner, stack->size / 1024);
	} else if (tf->vector == VECTOR_PF && (tf->error_code & (PF_PRESENT | PF_WRITE)) == (PF_PRESENT | PF_WRITE) &&
		   ksym_lookup(cr2, &(uint64_t){0})) {
		uint64_t off;
		const char *fn = ksym_lookup(cr2, &off);
		format_buf(buf, size,
			   "write of address 0x%llx, inside the code of %s (+0x%llx): kernel code is read-only",
			   (unsigned long long)cr2, fn, (unsigned long long)off);
	} else if (tf->vector == VECTOR_PF && !(tf->error_code & PF_PRESENT) && cr2 - HEAP_AREA_BASE < HEAP_AREA_SIZE) {
		describe_heap_fault(access, cr2, buf, size);
	} else if (tf->vector == VECTOR_PF && (tf->error_code & (PF_PRESENT | PF_WRITE)) == (PF_PRESENT | PF_WRITE) &&
		   linear_map_read_only(cr2)) {
		format_buf(buf, size,
			   "write of address 0x%llx: the linear map's view of %s is read-only - a pointer made from a "
			   "number?",
			   (unsigned long long)cr2, linear_map_read_only(cr2));
	} else if (tf->vector == VECTOR_PF) {
		format_buf(buf, size, "%s of address 0x%llx (%s)%s", access, (unsigned long long)cr2,
			   tf->error_code & PF_PRESENT ? "protection violation" : "page not mapped",
			   cr2 < 4096 ? " - a NULL pointer dereference?" : "");
	} else if (tf->vector == VECTOR_DE) {
		format_buf(buf, size, "division by zero (or a quotient too large)");
	} else {
		format_buf(buf, size, "%s", exception_description(tf->vector));
	}
}

void panic_exception(const struct trap_frame *tf)
{
	report_begin("a CPU exception", 0, exception_mnemonic(tf->vector), tf->rip);
	char what[192];
	describe(tf, what, sizeof(what));
	out("PANIC: CPU exception %s in the kernel: %s\n", exception_mnemonic(tf->vector), what);
	out("  task: %s\n", sched_current_name());
	out("  exception: %s %s (vector %llu), error code 0x%llx", exception_mnemonic(tf->vector),
	    exception_description(tf->vector), (unsigned long long)tf->vector, (unsigned long long)tf->error_code);
	if (tf->vector == VECTOR_PF)
		out(", CR2=0x%016llx", (unsigned long long)read_cr2());
	out("\n");
	out("  RIP=0x%016llx RSP=0x%016llx RBP=0x%016llx RFLAGS=0x%016llx\n", (unsigned long long)tf->rip,
	    (unsigned long long)tf->rsp, (unsigned long long)tf->rbp, (unsigned long long)tf->rflags);
	out("  RAX=0x%016llx RBX=0x%016llx RCX=0x%016llx RDX=0x%016llx\n", (unsigned long long)tf->rax,
	    (unsigned long long)tf->rbx, (unsigned long long)tf->rcx, (unsigned long long)tf->rdx);
	out("  RSI=0x%016llx RDI=0x%016llx R8=0x%016llx R9=0x%016llx\n", (unsigned long long)tf->rsi,
	    (unsigned long long)tf->rdi, (unsigned long long)tf->r8, (unsigned long long)tf->r9);
	out("  R10=0x%016llx R11=0x%016llx R12=0x%016llx R13=0x%016llx\n", (unsigned long long)tf->r10,
	    (unsigned long long)tf->r11, (unsigned long long)tf->r12, (unsigned long long)tf->r13);
	out("  R14=0x%016llx R15=0x%016llx CS=0x%llx SS=0x%llx\n", (unsigned long long)tf->r14,
	    (unsigned long long)tf->r15, (unsigned long long)tf->cs, (unsigned long long)tf->ss);
	print_control_registers();
	out("  backtrace:\n");
	print_frame(0, tf->rip, " (faulting instruction)");
	print_backtrace(1, tf->rbp);
	report_end();
}
