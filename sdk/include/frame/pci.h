/**
 * @file pci.h
 * @brief PCI devices: find them, read what they are, and change what a driver may change.
 * @ingroup frame_pci
 */
#ifndef FRAME_PCI_H
#define FRAME_PCI_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/io.h>
#include <frame/irq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup frame_pci PCI
 * @brief Every PCI function on every bus, found at boot; configuration reads, and the few
 * writes a driver may make.
 *
 * @code
 * struct pci_device *edu = pci_find(0x1234, 0x11e8, NULL);   // QEMU's teaching device
 * if (!edu)
 *         panic("no edu device: run QEMU with -device edu");
 * struct pci_info info = pci_device_info(edu);
 * console_printf("edu at %02x:%02x.%x, revision %u\n", info.bus, info.slot, info.function, info.revision);
 * struct pci_bar regs = pci_device_bar(edu, 0);             // memory, 1 MiB
 * @endcode
 *
 * The frame enumerates the buses once at boot: through memory-mapped configuration space (ECAM,
 * from the ACPI MCFG table) where the machine has it (`-M q35`), else through the legacy
 * configuration ports 0xCF8/0xCFC (`-M pc`). It scans bus 0, then the bus behind each bridge
 * (as the firmware numbered it), each bus once, and sizes every BAR. A device is hostile input:
 * an absent function (all ones), an absurd BAR size (a memory BAR over 2^40 bytes, an I/O BAR
 * over 256 ports, a size that is not a power of two), a capability list that loops, a bridge
 * that leads back to a bus seen already: the work stays bounded, the oddity is logged as a
 * warning, and the BAR or the rest of the list is left out.
 *
 * Configuration space is the frame's. Reads are free. A driver may write only device-specific
 * registers: offsets 0x40 to 0xff, outside the capability list's headers and outside the MSI,
 * MSI-X, power-management and PCI Express capabilities, on a device that is not a bridge (class 0x06: host, ISA,
 * PCI-to-PCI and other bridges route the machine's own traffic). Of the standard header, pci_enable() sets the command
 * register's I/O and memory enable bits. The BARs, the bus-master and interrupt disable bits, MSI and MSI-X and
 * extended configuration space are programmed by the frame.
 *
 * **Device interrupts.** pci_irq_alloc() gives a device's interrupt as an interrupt line
 * (`<frame/irq.h>`), which a driver uses as any other: attach a handler, enable, disable, count,
 * free. The frame picks the best kind the device and the machine have, of those the driver
 * allows: MSI-X, then MSI, then legacy INTx.
 *
 * @code
 * static bool on_edu(void *ctx)                        // interrupt context: must not sleep
 * {
 *         uint32_t status = io_mem_read32(regs, 0x24);  // edu's interrupt status
 *         if (!status)
 *                 return false;                         // not edu: another device on a shared line
 *         io_mem_write32(regs, 0x64, status);           // acknowledge
 *         sem_up(&done);
 *         return true;
 * }
 *
 * struct irq_line *line;
 * if (pci_irq_alloc(&line, edu, PCI_IRQ_ANY) != ERR_OK)
 *         panic("edu cannot interrupt");
 * irq_line_attach_shared(line, on_edu, NULL);
 * irq_line_enable(line);
 * @endcode
 *
 * - **MSI and MSI-X** send a message (a memory write by the device) to the boot CPU's local
 *   APIC on a vector of the frame's choosing, edge triggered; one per device (MSI: one message;
 *   MSI-X: entry 0 of the table, every other entry masked). A message is DMA, so the frame turns
 *   the device's bus mastering on while the line lives (as a DMA object does, see
 *   `<frame/dma.h>`: with it, the device's own DMA engine may run too). Disabling the line sets
 *   the device's mask bit (MSI-X, and MSI where the device has one); a message that comes
 *   while the line is disabled anyway is delivered when it is enabled again. Messages need a
 *   local APIC: without one (`-cpu qemu64,-apic`) only INTx is possible.
 * - **The MSI-X table** lies in one of the device's memory BARs, where the device's registers
 *   may lie too. It is the frame's: each entry says where the device writes. The frame checks at
 *   boot that it lies inside its BAR (else MSI-X is not used) and maps it for itself when it
 *   first programs it. A driver may still map the whole BAR with pci_bar_map(), before or after,
 *   but the table is a hole in that window: an access that touches it panics. (The pending bits,
 *   outside the table, stay readable.) A window over the tables of two devices is refused.
 * - **INTx** is the line the firmware routed the device's interrupt pin to (the Interrupt Line
 *   register: an ISA line, 1 to 15), level triggered, through the IOAPIC (or the PIC without
 *   one, whose trigger modes the firmware sets). Several devices may share the line, so its
 *   handler must say whether the interrupt was its device's: lines from pci_irq_alloc() take
 *   irq_line_attach_shared() (whatever their kind, so that a driver has one handler). Disabling
 *   the line masks the device alone (the command register's interrupt disable bit). An interrupt
 *   no handler claims counts as spurious (irq_spurious_count()); see `<frame/irq.h>` for a line
 *   that keeps on interrupting with nobody claiming it. The Interrupt Line register is right on
 *   QEMU (`pc` and `q35`) and on machines that route PCI interrupts to the ISA line of that
 *   number; a machine that routes them only to IOAPIC inputs 16-23 needs ACPI's `_PRT`, which the
 *   frame does not read: use MSI there.
 *
 * Until its driver allocates its interrupt, a device's INTx is masked (the frame sets the
 * interrupt disable bit at boot), so a device nobody drives cannot disturb a shared line.
 * @{
 */

/** @brief A PCI function found at boot. Opaque; never freed, so a pointer to one stays valid. */
struct pci_device;

/** @brief What a PCI function is: its identity and where it sits. */
struct pci_info {
	uint16_t vendor;       /**< Vendor id (0x1234 for QEMU's own devices). */
	uint16_t device;       /**< Device id, the vendor's. */
	uint8_t class_code;    /**< Base class (0x01 storage, 0x02 network, 0x03 display, 0x06 bridge, ...). */
	uint8_t subclass;      /**< Sub-class within the base class. */
	uint8_t prog_if;       /**< Programming interface. */
	uint8_t revision;      /**< Revision id. */
	uint8_t bus;	       /**< Bus number. */
	uint8_t slot;	       /**< Device number on the bus (0-31). */
	uint8_t function;      /**< Function number (0-7). */
	uint8_t interrupt_pin; /**< 0: none; 1-4: INTA#-INTD#. */
	bool is_bridge;	       /**< A PCI-to-PCI bridge (header type 1), with a bus behind it. */
};

/** @brief What a base address register (BAR) decodes. */
enum pci_bar_kind {
	PCI_BAR_NONE = 0, /**< Not implemented, absurd, or the upper half of a 64-bit BAR. */
	PCI_BAR_IO,	  /**< A range of I/O ports. */
	PCI_BAR_MEMORY,	  /**< A range of memory-mapped registers or memory. */
};

/** @brief One BAR of a device, as sized at boot. Its address stays the frame's. */
struct pci_bar {
	enum pci_bar_kind kind; /**< What it decodes; #PCI_BAR_NONE for an unused BAR. */
	uint64_t size;		/**< Its size in bytes (a power of two), 0 for #PCI_BAR_NONE. */
	bool is_64bit;		/**< A 64-bit memory BAR (the next BAR reads as #PCI_BAR_NONE). */
	bool prefetchable;	/**< Memory without side effects on reads. */
};

/** @brief How many BARs a device (header type 0) has; a bridge has 2, the rest read as #PCI_BAR_NONE. */
#define PCI_BAR_COUNT 6

/** @brief Capability ids (PCI specification, appendix H) for pci_find_capability(). */
enum pci_capability {
	PCI_CAP_POWER = 0x01,	/**< Power management. */
	PCI_CAP_MSI = 0x05,	/**< Message signalled interrupts (the frame's). */
	PCI_CAP_VENDOR = 0x09,	/**< Vendor specific (virtio uses it). */
	PCI_CAP_EXPRESS = 0x10, /**< PCI Express. */
	PCI_CAP_MSIX = 0x11,	/**< MSI-X (the frame's). */
};

/**
 * @brief How many PCI functions the frame found at boot.
 * @return The count: 0 on a machine without PCI, at most 256 (more are ignored with a warning).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t pci_device_count(void);

/**
 * @brief The PCI function number @p index, in bus, slot, function order.
 * @param index less than pci_device_count().
 * @return The device.
 * @par Panics
 * If @p index is out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
struct pci_device *pci_device_at(size_t index);

/**
 * @brief The next device with a vendor and device id, after @p after.
 * @param vendor the vendor id.
 * @param device the device id.
 * @param after NULL to start from the first device, or a device returned before.
 * @return The device, or NULL if there is no (further) one.
 * @par Panics
 * If @p after is not NULL and not a device.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
struct pci_device *pci_find(uint16_t vendor, uint16_t device, const struct pci_device *after);

/**
 * @brief The next device of a class and subclass, after @p after.
 * @param class_code the base class.
 * @param subclass the subclass.
 * @param after NULL to start from the first device, or a device returned before.
 * @return The device, or NULL if there is no (further) one.
 * @par Panics
 * If @p after is not NULL and not a device.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
struct pci_device *pci_find_class(uint8_t class_code, uint8_t subclass, const struct pci_device *after);

/**
 * @brief What a device is and where it sits.
 * @param dev a device.
 * @return Its identity, class and position.
 * @par Panics
 * If @p dev is not a device.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
struct pci_info pci_device_info(const struct pci_device *dev);

/**
 * @brief One of a device's BARs.
 * @param dev a device.
 * @param index 0 to #PCI_BAR_COUNT - 1.
 * @return The BAR's kind and size.
 * @par Panics
 * If @p dev is not a device or @p index is out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
struct pci_bar pci_device_bar(const struct pci_device *dev, unsigned index);

/**
 * @brief Where a capability starts in configuration space.
 *
 * The list is read at boot: at most 48 entries, cut (with a warning) where it loops or points
 * into the standard header.
 * @param dev a device.
 * @param id the capability id (see enum pci_capability; any id may be asked for).
 * @param after 0 for the first one, or an offset returned before, for the next of that id.
 * @return Its offset in configuration space, or 0 if the device has no (further) such capability.
 * @par Panics
 * If @p dev is not a device, or @p after is neither 0 nor one of its capabilities.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint8_t pci_find_capability(const struct pci_device *dev, uint8_t id, uint8_t after);

/**
 * @brief How many bytes of configuration space a device has.
 * @param dev a device.
 * @return 4096 for a PCI Express device on a machine with ECAM, else 256.
 * @par Panics
 * If @p dev is not a device.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint16_t pci_config_size(const struct pci_device *dev);

/**
 * @brief Read an 8-bit configuration register.
 * @param dev a device.
 * @param offset a byte offset below pci_config_size().
 * @return The register's value.
 * @par Panics
 * If @p dev is not a device, or @p offset is out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint8_t pci_config_read8(const struct pci_device *dev, uint16_t offset);

/**
 * @brief Read a 16-bit configuration register.
 * @param dev a device.
 * @param offset a byte offset, aligned to 2, below pci_config_size().
 * @return The register's value.
 * @par Panics
 * If @p dev is not a device, or @p offset is misaligned or out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint16_t pci_config_read16(const struct pci_device *dev, uint16_t offset);

/**
 * @brief Read a 32-bit configuration register.
 * @param dev a device.
 * @param offset a byte offset, aligned to 4, below pci_config_size().
 * @return The register's value.
 * @par Panics
 * If @p dev is not a device, or @p offset is misaligned or out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint32_t pci_config_read32(const struct pci_device *dev, uint16_t offset);

/**
 * @brief Write an 8-bit device-specific configuration register.
 * @param dev a device that is not a bridge.
 * @param offset 0x40 to 0xff, outside the capability list's headers and the MSI, MSI-X,
 *        power-management and PCI Express capabilities.
 * @param value what to write.
 * @par Panics
 * If @p dev is not a device or is a bridge (class 0x06); if @p offset is out of range, inside
 * the standard header (a BAR or another register: use pci_enable() for the command register),
 * in extended configuration space, in a capability's header, or inside the MSI, MSI-X,
 * power-management or PCI Express capability (they program interrupts, or reset the function
 * behind the frame's back). Each rule has its own message.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void pci_config_write8(struct pci_device *dev, uint16_t offset, uint8_t value);

/**
 * @brief Write a 16-bit device-specific configuration register.
 * @param dev a device that is not a bridge.
 * @param offset aligned to 2, otherwise as for pci_config_write8().
 * @param value what to write.
 * @par Panics
 * If @p offset is misaligned, and as pci_config_write8().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void pci_config_write16(struct pci_device *dev, uint16_t offset, uint16_t value);

/**
 * @brief Write a 32-bit device-specific configuration register.
 * @param dev a device that is not a bridge.
 * @param offset aligned to 4, otherwise as for pci_config_write8().
 * @param value what to write.
 * @par Panics
 * If @p offset is misaligned, and as pci_config_write8().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void pci_config_write32(struct pci_device *dev, uint16_t offset, uint32_t value);

/** @brief What pci_enable() may turn on in the command register. */
enum pci_enable_flags {
	PCI_ENABLE_IO = 1,     /**< Decode the device's I/O BARs. */
	PCI_ENABLE_MEMORY = 2, /**< Decode the device's memory BARs. */
};

/**
 * @brief Let the device decode its I/O and/or memory BARs (the command register's enable bits).
 *
 * The bus-master bit, which lets a device start DMA, is the frame's to set, never a driver's.
 * @param dev a device.
 * @param flags a combination of enum pci_enable_flags.
 * @par Panics
 * If @p dev is not a device or is a bridge, or @p flags has other bits.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void pci_enable(struct pci_device *dev, unsigned flags);

/**
 * @brief A window onto a memory BAR: the device's registers or memory, mapped uncached.
 *
 * Read and write it with io_mem_read32() and friends (`<frame/io.h>`); the frame also turns the
 * device's memory decoding on. A BAR the device claims over RAM, over the frame's own registers
 * or over PCI configuration space is refused (a warning says which).
 * @param out receives the window; untouched unless the result is #ERR_OK.
 * @param dev a device.
 * @param index a BAR of kind #PCI_BAR_MEMORY (pci_device_bar()).
 * @retval ERR_OK @p out holds the window; io_mem_release() gives it back.
 * @retval ERR_INVAL the firmware assigned the BAR no address.
 * @retval ERR_BUSY the BAR is in another window already.
 * @retval ERR_DENIED it lies over RAM or the frame's own device memory.
 * @retval ERR_NOMEM no room to map it.
 * @par Panics
 * If @p out is NULL, @p dev is not a device, @p index is out of range or not a memory BAR.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err pci_bar_map(struct io_mem **out, struct pci_device *dev, unsigned index);

/**
 * @brief A window onto an I/O BAR's ports; the frame also turns the device's I/O decoding on.
 * @param out receives the window; untouched unless the result is #ERR_OK.
 * @param dev a device.
 * @param index a BAR of kind #PCI_BAR_IO (pci_device_bar()).
 * @param access #IO_PORTS_READ or #IO_PORTS_READ_WRITE.
 * @retval ERR_OK @p out holds the window; io_ports_release() gives it back.
 * @retval ERR_INVAL the firmware assigned the BAR no ports, or ports past 0xffff.
 * @retval ERR_BUSY a port of it is in another window.
 * @retval ERR_DENIED a port of it is one the frame keeps (see `<frame/io.h>`).
 * @retval ERR_NOMEM no memory for the window's bookkeeping.
 * @par Panics
 * If @p out is NULL, @p dev is not a device, @p index is out of range or not an I/O BAR, or
 * @p access is not an io_ports_access.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err pci_bar_ports(struct io_ports **out, struct pci_device *dev, unsigned index,
					enum io_ports_access access);

/** @brief The kinds of interrupt a PCI device may send: bits for pci_irq_alloc(), the result of pci_irq_kind(). */
enum pci_irq_kind {
	PCI_IRQ_MSIX = 1, /**< MSI-X: a message the device writes, from entry 0 of its MSI-X table. */
	PCI_IRQ_MSI = 2,  /**< MSI: a message the device writes, from its MSI capability. */
	PCI_IRQ_INTX = 4, /**< Legacy INTx: a level-triggered ISA line, perhaps shared with other devices. */
};

/** @brief Every kind: pci_irq_alloc() takes the best one the device and the machine have. */
#define PCI_IRQ_ANY (PCI_IRQ_MSIX | PCI_IRQ_MSI | PCI_IRQ_INTX)

/**
 * @brief The device's interrupt as a line: MSI-X, MSI or INTx, the first of those @p allowed that
 * the device and the machine have (see "Device interrupts" above).
 *
 * The line comes disabled and without a handler: attach one with irq_line_attach_shared() (not
 * irq_line_attach(), which panics on it), then irq_line_enable(). irq_line_free() undoes the
 * device's programming (MSI or MSI-X off, INTx masked), after which pci_irq_alloc() may be called
 * again, with other kinds if need be.
 * @param out receives the line; untouched unless the result is #ERR_OK.
 * @param dev a device that is not a bridge.
 * @param allowed a mix of #PCI_IRQ_MSIX, #PCI_IRQ_MSI and #PCI_IRQ_INTX (#PCI_IRQ_ANY for all):
 *        a driver that must have one kind names just that one.
 * @retval ERR_OK @p out holds the line; pci_irq_kind() tells its kind.
 * @retval ERR_UNSUPPORTED none of the allowed kinds is possible: the device lacks the capability
 *         or the interrupt pin, its MSI-X table does not lie inside its BAR or over device memory
 *         (a warning says so), the firmware routed its pin nowhere, or (MSI, MSI-X) the CPU has
 *         no local APIC.
 * @retval ERR_BUSY the device has a line from pci_irq_alloc() already; or an allowed kind was
 *         possible but taken: no vector is free, or (INTx) the ISA line is allocated unshared
 *         (irq_line_alloc_isa()) or is the frame's.
 * @retval ERR_NOMEM no memory for the line's bookkeeping.
 * @par Panics
 * If @p out is NULL, @p dev is not a device or is a bridge (class 0x06), or @p allowed is 0 or
 * has other bits.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err pci_irq_alloc(struct irq_line **out, struct pci_device *dev, unsigned allowed);

/**
 * @brief The kind of a line from pci_irq_alloc().
 * @param line a live line from pci_irq_alloc().
 * @return #PCI_IRQ_MSIX, #PCI_IRQ_MSI or #PCI_IRQ_INTX.
 * @par Panics
 * If @p line is not a live line from pci_irq_alloc() (a line from irq_line_alloc(), or freed).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
enum pci_irq_kind pci_irq_kind(const struct irq_line *line);

/** @} */
#endif
