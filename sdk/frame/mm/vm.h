/* The frame's side of user address spaces: the page table a space uses. */
#ifndef FRAME_MM_VM_H
#define FRAME_MM_VM_H

#include <frame/vm.h>
#include <stdbool.h>

/* The physical address of a live space's top-level page table (for CR3). */
uint64_t vm_space_root(struct vm_space *space);
/* Whether space is a live space. */
bool vm_space_live(const struct vm_space *space);

#endif
