/* The assembly routines the C code calls or points the CPU at (switch.S, user.S). */
#ifndef FRAME_ARCH_ENTRY_H
#define FRAME_ARCH_ENTRY_H

#include <frame/compiler.h>
#include <stdint.h>

struct user_context;

/* switch.S: save the callee-saved registers on this stack, store its pointer in *save_rsp,
 * switch to next_rsp and restore that stack's registers; "returns" on the other task. */
void context_switch(uint64_t *save_rsp, uint64_t next_rsp);
/* switch.S: where a new task's first context_switch() returns to; calls task_start(). */
extern char task_trampoline[];

/* user.S: enter user mode with ctx's registers (by SYSRET if use_sysret, else IRET); returns
 * the reason user_resume() was given when the program comes back. */
uint64_t user_enter(struct user_context *ctx, int use_sysret);
/* user.S: into user mode with ctx (as user_enter() does), from the trap stack. */
FRAME_NORETURN void user_return(struct user_context *ctx, int use_sysret);
/* user.S: return from user_enter() with reason, on the stack it was called on. */
FRAME_NORETURN void user_resume(uint64_t reason);
/* user.S: the SYSCALL entry point (MSR_LSTAR). */
void syscall_entry(void);

#endif
