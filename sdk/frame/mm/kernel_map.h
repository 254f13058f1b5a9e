/* The kernel image's own mapping: 4 KiB pages, W^X by section, a guard page under the boot stack. */
#ifndef FRAME_MM_KERNEL_MAP_H
#define FRAME_MM_KERNEL_MAP_H

#include <stdint.h>

/* Replace the boot-time 2 MiB mapping of the kernel image by the final one. */
void kernel_map_init(void);
/* The name of the stack whose guard page holds addr, or NULL. */
const char *kernel_map_guard_owner(uint64_t addr);

#endif
