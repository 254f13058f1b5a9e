/* Device I/O's private side: how the frame makes a window onto device memory it has found (a
 * PCI BAR, the framebuffer) for a driver. */
#ifndef FRAME_IO_IO_H
#define FRAME_IO_IO_H

#include <frame/io.h>
#include <stdbool.h>
#include <stdint.h>

/* A window onto [phys, phys + size) of device memory, mapped uncached (write-combining if
 * write_combining). Device-reported ranges are hostile: ERR_INVAL for an empty range or one past
 * the CPU's physical address width, ERR_DENIED for RAM or the frame's own registers (a warning
 * names them), ERR_BUSY for a range in another window, ERR_NOMEM when the area or memory is out. */
enum err io_mem_create(struct io_mem **out, uint64_t phys, uint64_t size, bool write_combining);

/* Keep [phys, phys + size) from every window, for good: device memory the frame owns but has
 * not mapped (all of PCI configuration space). owner names it in the refusal's warning. */
void io_mem_reserve(uint64_t phys, uint64_t size, const char *owner);

#endif
