/* The linear map: all physical memory at LINEAR_BASE + physical address, for the frame's own use. */
#ifndef FRAME_MM_LINEAR_MAP_H
#define FRAME_MM_LINEAR_MAP_H

#include <stdint.h>

/* Make sure [phys, phys + len) is mapped; returns its linear address, or NULL if it is beyond
 * what the linear map can cover (LINEAR_MAX_GIB). */
void *linear_map_ensure(uint64_t phys, uint64_t len);
/* Map every usable RAM region and the boot modules, then drop the early identity map. */
void linear_map_init(void);

#endif
