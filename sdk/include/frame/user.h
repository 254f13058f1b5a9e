/**
 * @file user.h
 * @brief Running a user program: enter user mode until something happens, and say what.
 * @ingroup frame_user
 */
#ifndef FRAME_USER_H
#define FRAME_USER_H

#include <frame/compiler.h>
#include <frame/vm.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * @defgroup frame_user User mode
 * @brief The user program's registers, and user_mode_run(): run it until it makes a system
 * call, hits a CPU exception, or is interrupted; then return why.
 *
 * The kernel's loop over a user program is a plain `switch` on the reason:
 * @code
 * for (;;) {
 *         switch (user_mode_run(&um)) {
 *         case USER_RETURN_SYSCALL: handle_syscall(&um.context); break;
 *         case USER_RETURN_EXCEPTION: report(&um.exception); return;
 *         case USER_RETURN_PREEMPTED: task_yield(); break;
 *         case USER_RETURN_INTERRUPT: break;
 *         }
 * }
 * @endcode
 * System calls follow the Linux x86-64 convention: the number in `rax`, arguments in `rdi`,
 * `rsi`, `rdx`, `r10`, `r8`, `r9`; the kernel writes the result to `rax`. Every register value
 * the program sets is hostile, and the frame treats it so: flags are sanitized on every entry
 * (IOPL, NT, AC, TF and the rest cleared, IF set), and a return the CPU would refuse (a
 * non-canonical instruction or stack pointer) comes back as a general-protection exception (vector 13) instead of ever
 * faulting in the kernel. No exception in user mode ever panics the kernel.
 *
 * Each program has its own floating-point state: the x87 and SSE registers, and the AVX
 * registers where the CPU has AVX (AVX-512 stays off). user_mode_init() gives a program the
 * state a CPU has after reset and FNINIT (x87 control word 0x37f, MXCSR 0x1f80: every exception
 * masked, round to nearest; every register zero); the frame saves it when the program
 * leaves user mode (a system call, an exception, an interrupt) after using those registers, and
 * loads it when user_mode_run() enters after another program changed them, so no program ever
 * sees another's registers and a program that does not use them costs nothing. The kernel itself never
 * uses them (the frame and its clients are built general-registers-only). A floating-point
 * exception the program unmasked comes back as its own exception: \#XM (vector 19) for SSE, \#MF
 * (vector 16) for x87.
 *
 * After an exception, the program is resumed by IRET, which needs a canonical stack pointer:
 * one at or above #VM_USER_END comes back as a general protection exception.
 *
 * A program runs inside a task: the task that calls user_mode_run(). Interrupts stay on in user
 * mode, so the timer tick can take the CPU back (#USER_RETURN_PREEMPTED). Not for interrupt
 * handlers.
 * @{
 */

/** @brief A user program's registers: read them after a return, change them before the next run. */
struct user_context {
	uint64_t rax;	  /**< System call number on entry; its result on return. */
	uint64_t rbx;	  /**< General register. */
	uint64_t rcx;	  /**< General register (the CPU's SYSCALL puts the return address here). */
	uint64_t rdx;	  /**< Third system call argument. */
	uint64_t rsi;	  /**< Second system call argument. */
	uint64_t rdi;	  /**< First system call argument. */
	uint64_t rbp;	  /**< General register. */
	uint64_t rsp;	  /**< Stack pointer. */
	uint64_t r8;	  /**< Fifth system call argument. */
	uint64_t r9;	  /**< Sixth system call argument. */
	uint64_t r10;	  /**< Fourth system call argument. */
	uint64_t r11;	  /**< General register (the CPU's SYSCALL puts the flags here). */
	uint64_t r12;	  /**< General register. */
	uint64_t r13;	  /**< General register. */
	uint64_t r14;	  /**< General register. */
	uint64_t r15;	  /**< General register. */
	uint64_t rip;	  /**< Where the program continues. */
	uint64_t rflags;  /**< Flags; sanitized on every entry. */
	uint64_t fs_base; /**< The FS segment base (thread-local storage). */
};

/** @brief Why user_mode_run() returned. */
enum user_return {
	USER_RETURN_SYSCALL = 1,   /**< The program made a system call; see the context's rax and arguments. */
	USER_RETURN_EXCEPTION = 2, /**< The program caused a CPU exception; see user_mode::exception. */
	USER_RETURN_INTERRUPT = 3, /**< An interrupt arrived while it ran; the frame handled it. Run on. */
	USER_RETURN_PREEMPTED = 4, /**< The timer tick ended the task's time slice: call task_yield(), then
				    * run the program on. A program in an endless
				    * loop comes back this way instead of hanging the machine. */
};

/** @brief A CPU exception a user program caused. */
struct user_exception {
	uint64_t vector;	/**< The exception vector: 0 divide error, 3 breakpoint, 6 invalid opcode, 13 general
				 * protection, 14 page fault, ...
				 */
	uint64_t error_code;	/**< The CPU's error code, 0 where it gives none. */
	uint64_t fault_address; /**< For a page fault (14): the address accessed. 0 otherwise. */
};

/** @brief What a fast system-call handler did with the call (see user_mode_set_fast_handler()). */
enum user_fast {
	USER_FAST_DONE = 1, /**< Handled: the program goes on at once with the registers as the handler left them. */
	USER_FAST_SLOW = 2, /**< Not handled here: user_mode_run() returns #USER_RETURN_SYSCALL, as without a
			     * handler, with the registers as the handler left them. */
};

/**
 * @brief A fast system-call handler: looks at the call in @p ctx (number in `rax`, arguments in
 * `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`), and either handles it (sets `rax`, returns
 * #USER_FAST_DONE) or hands it to the task (#USER_FAST_SLOW).
 *
 * It runs in trap context, on the CPU's trap stack, with interrupts off and the program's
 * address space active. It is interrupt context (irq_in_interrupt() is true) with one
 * exception: it may use the program's address space (vm_copy_from_user(), vm_copy_to_user(),
 * vm_space_map(), vm_space_unmap(), vm_space_query() and the rest whose Context says so). Like
 * an interrupt handler it must be short, may not sleep (every function that may sleep panics
 * there, naming the rule), may not turn interrupts on, switch, create or destroy address
 * spaces, set up or run a program, and may take spinlocks, wake tasks and start timers.
 * `ctx->fs_base` holds the value of the program's last return to the task: change it only to
 * set it.
 * @param ctx the program's registers, as the system call left them (every value is the program's:
 * hostile).
 * @param data what user_mode_set_fast_handler() was given.
 */
typedef enum user_fast (*user_fast_handler)(struct user_context *ctx, void *data);

/** @brief Bytes of a program's floating-point state: the XSAVE layout of x87, SSE and AVX. */
#define USER_FPU_SIZE 832

/**
 * @brief A user program: its address space, registers, and the last exception.
 *
 * It holds the program's floating-point state too (#USER_FPU_SIZE bytes, aligned to 64), so it
 * needs no destructor: its memory is its own. It must start at a multiple of 64 bytes, as a
 * variable or HEAP_NEW() puts it; user_mode_init() and user_mode_run() check that. Copying it
 * copies the floating-point state with the rest, and a copy (run where it is, or put back in
 * place of the original later) runs with the state it holds.
 */
struct user_mode {
	struct vm_space *space;			  /**< Where the program lives; activated by user_mode_run(). */
	struct user_context context;		  /**< Its registers. */
	struct user_exception exception;	  /**< Filled in when user_mode_run() returns #USER_RETURN_EXCEPTION. */
	user_fast_handler fast_;		  /**< @private */
	void *fast_data_;			  /**< @private */
	uint64_t fpu_id_;			  /**< @private */
	uint32_t fpu_eager_;			  /**< @private */
	bool fpu_init_;				  /**< @private */
	_Alignas(64) uint8_t fpu_[USER_FPU_SIZE]; /**< @private */
};

/**
 * @brief Set up a program that starts at @p entry with its stack at @p stack_top, all other
 * registers zero, and its floating-point state as after FNINIT (MXCSR 0x1f80).
 * @param um the program to set up; must not be NULL, must be aligned to 64 bytes.
 * @param space a live address space; the program's code and stack must be mapped in it.
 * @param entry the first instruction's user address.
 * @param stack_top the initial stack pointer.
 * @par Panics
 * If @p um is NULL or not aligned to 64 bytes, or @p space is not a live space.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (it only fills in @p um).
 */
void user_mode_init(struct user_mode *um, struct vm_space *space, uint64_t entry, uint64_t stack_top);

/**
 * @brief Run the program until it makes a system call, causes an exception or is interrupted.
 *
 * Activates its address space, enters user mode with its registers (sanitized) and its
 * floating-point state, and returns when it comes back, with every register and the
 * floating-point state saved in @p um. Returns by SYSRET when that is
 * safe (canonical RIP, RCX and R11 holding RIP and RFLAGS), by IRET otherwise.
 * @param um a program set up with user_mode_init().
 * @return Why it came back.
 * @par Panics
 * If @p um is NULL or not aligned to 64 bytes, or its space is not live; where sleeping is
 * forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
enum user_return user_mode_run(struct user_mode *um);

/**
 * @brief Handle this program's system calls, or some of them, in trap context: the fast path.
 *
 * Without a handler, every system call returns from user_mode_run() (#USER_RETURN_SYSCALL):
 * the program leaves user mode, the task's kernel code runs, and user_mode_run() enters again.
 * With one, @p handler runs first, right where the system call arrives, and a call it handles
 * goes straight back to the program (by SYSRET where the registers allow, by IRET otherwise)
 * without returning from user_mode_run(): about a tenth of the round trip. user_mode_run()
 * returns only for what the task must see: a call the handler leaves to it (#USER_FAST_SLOW),
 * an exception, an interrupt or the end of the time slice (after a handled call too: then the
 * call is complete and the task only yields).
 *
 * The registers the handler leaves are checked like those user_mode_run() enters with (flags
 * sanitized, a non-canonical instruction or stack pointer returned as \#GP), so a handler that
 * copies hostile values through cannot fault the kernel.
 * @code
 * static enum user_fast fast(struct user_context *ctx, void *data)
 * {
 *         if (ctx->rax != SYS_GETPID)
 *                 return USER_FAST_SLOW;
 *         ctx->rax = 1;
 *         return USER_FAST_DONE;
 * }
 * ...
 * user_mode_set_fast_handler(&um, fast, NULL);
 * @endcode
 * @param um a program set up with user_mode_init().
 * @param handler the handler (see #user_fast_handler), or NULL for none.
 * @param data passed to @p handler on every call.
 * @par Panics
 * If @p um is NULL or not aligned to 64 bytes, or its space is not live.
 * @par Context
 * Any, but not for @p um while it runs (from its own handler, say): between its runs.
 */
void user_mode_set_fast_handler(struct user_mode *um, user_fast_handler handler, void *data);

/**
 * @brief A short name for an exception vector, e.g. "#PF page fault".
 * @param vector an exception vector (0-31); others are named "interrupt".
 * @return A constant string.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *user_exception_name(uint64_t vector);

/** @} */
#endif
