/* Device I/O's private side: how the frame makes a window onto device memory it has found (a
 * PCI BAR, the framebuffer) for a driver. */
#ifndef FRAME_IO_IO_H
#define FRAME_IO_IO_H

#include <frame/io.h>
#include <stdbool.h>
#include <stdint.h>

/* A window onto [phys, phys + size) of device memory, mapped uncached (write-combining if
 * write_combining). Device-reported ranges are hostile: ERR_INVAL for an empty range or one past
 * the CPU's physical address width, ERR_DENIED for RAM, the frame's own registers or more than
 * one guarded range (a warning names them), ERR_BUSY for a range in another window, ERR_NOMEM
 * when the area or memory is out. A window over a guarded range has a hole there: an access that
 * touches it panics. */
enum err io_mem_create(struct io_mem **out, uint64_t phys, uint64_t size, bool write_combining);

/* The boot memory map's name for the first region that is not reserved and overlaps [phys,
 * phys + size), or NULL: RAM, ACPI tables and firmware state are never device memory. */
const char *io_mem_ram_in(uint64_t phys, uint64_t size);

/* Mask every channel of the two ISA DMA controllers (8237): the frame never uses them, and a
 * device on a port drivers may have (the floppy controller) could otherwise start ISA DMA to
 * any memory below 16 MiB. At boot. */
void io_isa_dma_off(void);

/* Why the frame must not map [phys, phys + size) for a device of its own that a firmware table
 * names (an IOMMU unit): "RAM", the owner of a reserved range or mapping that overlaps it ("PCI
 * configuration space (ECAM)", "the local APIC", a driver's window...), "a PCI device's BAR", or
 * "past the CPU's physical address width"; NULL when it may. */
const char *io_mem_frame_refuses(uint64_t phys, uint64_t size);

/* Keep [phys, phys + size) from every window, for good: device memory the frame owns but has
 * not mapped (all of PCI configuration space). owner names it in the refusal's warning. */
void io_mem_reserve(uint64_t phys, uint64_t size, const char *owner);

/* Guard [phys, phys + size), for good: a range the frame programs inside device memory a driver
 * may map (an MSI-X table, inside a BAR). owner names it ("the MSI-X table of 00:03.0"; copied).
 * Returns the guard's number for io_mem_guard_map(), or -1 when the frame keeps too many. */
int io_mem_guard(uint64_t phys, uint64_t size, const char *owner);
/* The frame's own uncached mapping of a guarded range, made on the first call and kept: NULL
 * when the range may not be mapped (absurd, RAM, the frame's registers: a warning says which) or
 * the kernel area is full. Drivers' windows over it do not matter: they have a hole there. */
volatile void *io_mem_guard_map(int guard);

#endif
