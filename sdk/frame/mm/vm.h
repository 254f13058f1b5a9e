/* The frame's side of user address spaces. */
#ifndef FRAME_MM_VM_H
#define FRAME_MM_VM_H

#include <frame/vm.h>
#include <stdbool.h>

/* Whether space is a live space. */
bool vm_space_live(const struct vm_space *space);
/* Make a live space the active one, interrupts off (vm_space_activate() without its checks, for
 * a caller that made them). */
void vm_space_switch(struct vm_space *space);
/* The active space (vm.c's, read-only elsewhere): NULL while none is, or after it was destroyed. */
extern struct vm_space *vm_active;

#endif
