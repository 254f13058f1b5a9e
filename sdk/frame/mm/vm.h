/* The frame's side of user address spaces. */
#ifndef FRAME_MM_VM_H
#define FRAME_MM_VM_H

#include <frame/vm.h>
#include <stdbool.h>

/* Whether space is a live space. */
bool vm_space_live(const struct vm_space *space);

#endif
