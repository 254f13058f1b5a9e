/**
 * @file io.h
 * @brief Windows onto device registers: I/O ports from an allow-list and device memory, each access checked.
 * @ingroup frame_io
 */
#ifndef FRAME_IO_H
#define FRAME_IO_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup frame_io Device I/O
 * @brief Reach a device's registers through a window the frame hands out and checks.
 *
 * A driver never touches a port by number. It acquires a *window* over the ports of its device,
 * then reads and writes at offsets inside it:
 *
 * @code
 * struct io_ports *cmos;
 * if (io_ports_acquire(&cmos, 0x70, 2, IO_PORTS_READ_WRITE) != ERR_OK)  // the real-time clock
 *         panic("the CMOS ports are taken");
 * io_out8(cmos, 0, 0x00);                   // port 0x70: select the seconds register
 * uint8_t seconds = io_in8(cmos, 1);        // port 0x71: read it (BCD)
 * @endcode
 *
 * **What the frame refuses.** Ports that the frame drives itself (the PIC, the PIT, COM1, ...),
 * and ports through which a driver could write any memory or take the machine over (the ISA DMA
 * controllers, system control port A, PCI configuration, QEMU's firmware configuration, ...),
 * are never handed out: io_ports_acquire() returns #ERR_DENIED, logs a warning naming the
 * owner, and io_ports_owner() gives the same text to a program. The whole list, with the reason
 * for each range, is on the @ref drivers "Drivers" page. A write to the i8042's command port
 * (0x64) of a command that gates A20 or resets the machine (0xd1, 0xdd, 0xdf, 0xf0-0xff), and a write to the
 * CMOS index port (0x70) with bit 7 set (it masks NMIs), panic.
 *
 * Two windows never overlap: a port in a window is #ERR_BUSY for everyone else until
 * io_ports_release().
 *
 * **Device memory** (a PCI device's memory BAR, the framebuffer) is reached the same way,
 * through a `struct io_mem` window that the frame makes from what it found (pci_bar_map(),
 * io_mem_map_framebuffer()): never from an address a driver names. The frame maps it uncached
 * (write-combining for the framebuffer) and refuses a range that is RAM or holds its own
 * registers (the local APIC, the IOAPIC, PCI configuration space), even when a device claims
 * it. A driver gets no pointer into the window: io_mem_read32() and friends read and write at
 * offsets, and io_mem_read() / io_mem_write() copy bytes in bulk. A PCI device's MSI-X table,
 * which the frame programs, may lie inside a BAR a driver maps: the window has a hole there, and
 * an access that touches it panics (see `<frame/pci.h>`).
 * @{
 */

/** @brief A window of consecutive I/O ports. Opaque: use the functions below. */
struct io_ports;

/** @brief What a port window allows. */
enum io_ports_access {
	IO_PORTS_READ = 1,	 /**< io_in8() and friends only. */
	IO_PORTS_READ_WRITE = 3, /**< Reads and writes. */
};

/**
 * @brief Acquire the ports [@p base, @p base + @p count).
 * @param out receives the window; untouched unless the result is #ERR_OK.
 * @param base the first port.
 * @param count how many ports, at least 1; the range must not pass port 0xffff.
 * @param access #IO_PORTS_READ or #IO_PORTS_READ_WRITE.
 * @retval ERR_OK @p out holds the window.
 * @retval ERR_DENIED a port in the range is refused (see the table above; a warning names its
 *         owner).
 * @retval ERR_BUSY a port in the range is in another window.
 * @retval ERR_NOMEM no memory for the window's bookkeeping.
 * @par Panics
 * If @p out is NULL, @p count is 0 or the range passes 0xffff, or @p access is not one of the
 * values above.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err io_ports_acquire(struct io_ports **out, uint16_t base, uint32_t count,
					   enum io_ports_access access);

/**
 * @brief Give the ports back; the window may not be used again.
 * @param ports a window from io_ports_acquire().
 * @par Panics
 * If @p ports is not a live window (released already?).
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void io_ports_release(struct io_ports *ports);

/**
 * @brief Who keeps a port range from drivers, and why.
 * @param base the first port.
 * @param count how many ports.
 * @return A constant string such as "the PIC (the frame's interrupt controller)" for the first
 *         refused port in the range, or NULL if no port in it is refused.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *io_ports_owner(uint16_t base, uint32_t count);

/**
 * @brief Read 8 bits from the port at @p offset in the window.
 * @param ports a live window.
 * @param offset from the window's first port; the access must lie inside the window.
 * @return The value read.
 * @par Panics
 * If @p ports is not a live window, or the access leaves the window.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint8_t io_in8(struct io_ports *ports, uint32_t offset);
/** @brief Read 16 bits; as io_in8(), and the port must be 2-aligned. @param ports a live window. @param offset inside
 * it. @return The value. */
uint16_t io_in16(struct io_ports *ports, uint32_t offset);
/** @brief Read 32 bits; as io_in8(), and the port must be 4-aligned. @param ports a live window. @param offset inside
 * it. @return The value. */
uint32_t io_in32(struct io_ports *ports, uint32_t offset);

/**
 * @brief Write 8 bits to the port at @p offset in the window.
 * @param ports a live window acquired with #IO_PORTS_READ_WRITE.
 * @param offset from the window's first port; the access must lie inside the window.
 * @param value what to write.
 * @par Panics
 * If @p ports is not a live window, is read-only, the access leaves the window, or the value is
 * a watched command (see the table above).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void io_out8(struct io_ports *ports, uint32_t offset, uint8_t value);
/** @brief Write 16 bits; as io_out8(), and the port must be 2-aligned. @param ports a live window. @param offset inside
 * it. @param value the value. */
void io_out16(struct io_ports *ports, uint32_t offset, uint16_t value);
/** @brief Write 32 bits; as io_out8(), and the port must be 4-aligned. @param ports a live window. @param offset inside
 * it. @param value the value. */
void io_out32(struct io_ports *ports, uint32_t offset, uint32_t value);

/** @brief A window onto a device's memory. Opaque: use the functions below. */
struct io_mem;

/**
 * @brief The window's size in bytes.
 * @param mem a live window.
 * @return Its size.
 * @par Panics
 * If @p mem is not a live window.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t io_mem_size(const struct io_mem *mem);

/**
 * @brief Read 8 bits at @p offset in the window.
 * @param mem a live window.
 * @param offset from the window's start, a multiple of the width; the access must lie inside.
 * @return The value read.
 * @par Panics
 * If @p mem is not a live window, or the access is misaligned, leaves the window or touches its
 * MSI-X table.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint8_t io_mem_read8(struct io_mem *mem, uint64_t offset);
/** @brief Read 16 bits; as io_mem_read8(). @param mem a live window. @param offset 2-aligned, inside it. @return The
 * value. */
uint16_t io_mem_read16(struct io_mem *mem, uint64_t offset);
/** @brief Read 32 bits; as io_mem_read8(). @param mem a live window. @param offset 4-aligned, inside it. @return The
 * value. */
uint32_t io_mem_read32(struct io_mem *mem, uint64_t offset);
/** @brief Read 64 bits; as io_mem_read8(). @param mem a live window. @param offset 8-aligned, inside it. @return The
 * value. */
uint64_t io_mem_read64(struct io_mem *mem, uint64_t offset);

/**
 * @brief Write 8 bits at @p offset in the window.
 * @param mem a live window.
 * @param offset from the window's start, a multiple of the width; the access must lie inside.
 * @param value what to write.
 * @par Panics
 * If @p mem is not a live window, or the access is misaligned, leaves the window or touches its
 * MSI-X table.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void io_mem_write8(struct io_mem *mem, uint64_t offset, uint8_t value);
/** @brief Write 16 bits; as io_mem_write8(). @param mem a live window. @param offset 2-aligned, inside it. @param value
 * the value. */
void io_mem_write16(struct io_mem *mem, uint64_t offset, uint16_t value);
/** @brief Write 32 bits; as io_mem_write8(). @param mem a live window. @param offset 4-aligned, inside it. @param value
 * the value. */
void io_mem_write32(struct io_mem *mem, uint64_t offset, uint32_t value);
/** @brief Write 64 bits; as io_mem_write8(). @param mem a live window. @param offset 8-aligned, inside it. @param value
 * the value. */
void io_mem_write64(struct io_mem *mem, uint64_t offset, uint64_t value);

/**
 * @brief Copy bytes out of the window (8 bytes at a time where alignment allows).
 * @param mem a live window.
 * @param offset where to start.
 * @param buf where to copy to; must not be NULL unless @p len is 0.
 * @param len how many bytes; the range must lie inside the window.
 * @par Panics
 * If @p mem is not a live window, @p buf is NULL with a non-zero @p len, or the range leaves
 * the window or touches its MSI-X table.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void io_mem_read(struct io_mem *mem, uint64_t offset, void *buf, size_t len);

/**
 * @brief Copy bytes into the window (8 bytes at a time where alignment allows).
 * @param mem a live window.
 * @param offset where to start.
 * @param buf what to copy; must not be NULL unless @p len is 0.
 * @param len how many bytes; the range must lie inside the window.
 * @par Panics
 * If @p mem is not a live window, @p buf is NULL with a non-zero @p len, or the range leaves
 * the window or touches its MSI-X table.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void io_mem_write(struct io_mem *mem, uint64_t offset, const void *buf, size_t len);

/**
 * @brief A window onto the framebuffer (boot_framebuffer()): its memory (pitch × height bytes), to draw in with
 * io_mem_write32() or io_mem_write() (`<frame/io.h>`). RGB and indexed framebuffers are mapped
 * write-combining: writes are fast, reads slow.
 *
 * Through GRUB (`make run`) the frame asks for a 1024×768, 32-bit linear mode and accepts what
 * GRUB gives (EGA text mode, 80×25, where it has no graphics mode). The direct path (`make
 * run-direct`, most tests) has no framebuffer: QEMU's multiboot1 loader sets up none.
 * @param out receives the window; untouched unless the result is #ERR_OK.
 * @retval ERR_OK @p out holds the window; io_mem_release() gives it back.
 * @retval ERR_UNSUPPORTED the bootloader set up no framebuffer.
 * @retval ERR_BUSY the framebuffer is in another window already.
 * @retval ERR_DENIED the bootloader placed it over RAM (a warning says so).
 * @retval ERR_NOMEM no room to map it.
 * @par Panics
 * If @p out is NULL.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err io_mem_map_framebuffer(struct io_mem **out);

/**
 * @brief Unmap the window; it may not be used again.
 * @param mem a live window.
 * @par Panics
 * If @p mem is not a live window (released already?).
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void io_mem_release(struct io_mem *mem);

/** @} */
#endif
