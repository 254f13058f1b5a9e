/* The frame's side of user mode: CPU setup and the trap path's way back to the kernel. */
#ifndef FRAME_USER_USER_H
#define FRAME_USER_USER_H

#include <frame/compiler.h>
#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

/* SYSCALL MSRs and the stack traps from user mode arrive on. */
void user_cpu_init(void);
/* A trap from user mode: save the program's registers, return to the kernel. */
FRAME_NORETURN void user_trap(struct trap_frame *tf);
/* SYSCALL from user mode (user.S, the registers saved): the fast handler, or back to the kernel. */
FRAME_NORETURN void user_syscall(void);
/* #NM from user mode: if it is the program's first floating-point instruction since it entered,
 * give it the registers and return true (resume it); false for a real #NM. */
bool user_trap_nm(void);

#endif
