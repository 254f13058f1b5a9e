/**
 * @file boot.h
 * @brief What the bootloader told the kernel: memory map, command line, modules, framebuffer.
 * @ingroup frame_boot
 */
#ifndef FRAME_BOOT_H
#define FRAME_BOOT_H

#include <frame/compiler.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup frame_boot Boot information
 * @brief The facts the bootloader (GRUB with multiboot2, or QEMU `-kernel` through the PVH
 * entry) handed over, parsed and copied by the frame before `kernel_main()` runs.
 *
 * The frame reads the bootloader's structures defensively: a malformed or truncated list is
 * reported with a warning and parsing stops there, never past its end. All functions here only
 * read data the frame owns, so they may be called from any context.
 * @{
 */

/** @brief What a range of physical memory is for. */
enum boot_memory_type {
	BOOT_MEMORY_USABLE = 1,		  /**< RAM the kernel may use. */
	BOOT_MEMORY_RESERVED = 2,	  /**< Firmware, devices or anything else; never use it. */
	BOOT_MEMORY_ACPI_RECLAIMABLE = 3, /**< ACPI tables; RAM once they have been read. */
	BOOT_MEMORY_ACPI_NVS = 4,	  /**< Firmware state that must be kept across sleep. */
	BOOT_MEMORY_BAD = 5,		  /**< Defective RAM. */
};

/** @brief One entry of the physical memory map, as the bootloader reported it. */
struct boot_memory_region {
	uint64_t base;		    /**< First physical address of the range. */
	uint64_t length;	    /**< Size of the range in bytes. */
	enum boot_memory_type type; /**< What the range is for. */
};

/** @brief The kind of a framebuffer. */
enum boot_framebuffer_type {
	BOOT_FRAMEBUFFER_INDEXED = 0, /**< Pixels are palette indices. */
	BOOT_FRAMEBUFFER_RGB = 1,     /**< Pixels are direct RGB colours. */
	BOOT_FRAMEBUFFER_TEXT = 2,    /**< EGA text mode: width and height count characters. */
};

/** @brief Where each colour sits in an RGB pixel: its lowest bit and its width in bits. */
struct boot_framebuffer_colours {
	uint8_t red_shift;   /**< The lowest bit of red. */
	uint8_t red_bits;    /**< How many bits red has. */
	uint8_t green_shift; /**< The lowest bit of green. */
	uint8_t green_bits;  /**< How many bits green has. */
	uint8_t blue_shift;  /**< The lowest bit of blue. */
	uint8_t blue_bits;   /**< How many bits blue has. */
};

/** @brief The framebuffer the bootloader set up: its shape. io_mem_map_framebuffer() gives a window to draw in. */
struct boot_framebuffer {
	uint32_t width;				 /**< Pixels (or characters in text mode) per line. */
	uint32_t height;			 /**< Lines. */
	uint32_t pitch;				 /**< Bytes from one line to the next. */
	uint8_t bits_per_pixel;			 /**< Bits per pixel (16 per character in text mode). */
	enum boot_framebuffer_type type;	 /**< Indexed, RGB or text. */
	struct boot_framebuffer_colours colours; /**< For #BOOT_FRAMEBUFFER_RGB: where red, green and blue are. */
};

/**
 * @brief The name of the bootloader, e.g. "GRUB 2.06", or "PVH" for a direct boot (QEMU
 * `-kernel`: the PVH start info names no loader).
 * @return A NUL-terminated string owned by the frame; "unknown" if the bootloader gave none.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *boot_loader_name(void);

/**
 * @brief The kernel command line (GRUB's `multiboot2` line after the file name, QEMU's `-append`
 * exactly as given, whatever the kernel file's path).
 * @return A NUL-terminated string owned by the frame; empty if there is none. A command line
 * longer than 8191 bytes is cut there, with a warning at boot. QEMU's PVH boot (7.2) carries at
 * most 4095 bytes of `-append` (`make` and the test harness refuse a longer one): past that it
 * cuts the line without a word when there are boot modules, and otherwise overwrites its start
 * info, which the frame detects and stops with a panic that says so.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *boot_cmdline(void);

/**
 * @brief How many entries the physical memory map has.
 * @return The number of regions; boot_memory_region() takes indexes below it.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t boot_memory_region_count(void);

/**
 * @brief One entry of the physical memory map, in the bootloader's order.
 * @param index which entry; must be below boot_memory_region_count().
 * @return A copy of the entry.
 * @par Panics
 * If @p index is out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
struct boot_memory_region boot_memory_region(size_t index);

/**
 * @brief A short name for a memory type ("usable", "reserved", "ACPI reclaimable", ...).
 * @param type any value; unknown ones are named "unknown".
 * @return A NUL-terminated constant string.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *boot_memory_type_name(enum boot_memory_type type);

/**
 * @brief The total size of all #BOOT_MEMORY_USABLE regions, in bytes.
 * @return The sum, including memory above 4 GiB.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t boot_usable_memory(void);

/**
 * @brief How many boot modules were loaded (GRUB's `module2` lines, the members of QEMU's
 * `-initrd` archive). A module the loader placed where the frame must not read for you (outside
 * the memory map's RAM, over the kernel image, past 64 GiB) is left out, with a
 * warning.
 * @return The number of modules; the module functions take indexes below it.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t boot_module_count(void);

/**
 * @brief A module's name, the same on both boot paths.
 *
 * `make run`, `run-direct` and `debug` with `MODULES="path[=name] ..."`, and the test harness's
 * `boot(modules=[...])`, give each module a name (by default its file's base name) and make
 * both paths carry it:
 * - through GRUB (multiboot2), the name is the module's string: the ISO's menu has
 *   `module2 /boot/modules/NAME NAME`, and GRUB passes what follows the file (a `module2` line
 *   of your own with nothing after the file gives an empty name);
 * - directly (QEMU's `-kernel`, PVH), which takes one initrd, `sdk/tools/modules initrd` and
 *   the harness pack the modules into one cpio "newc" archive (`build/.../modules.cpio`), a
 *   member per module named NAME; the frame makes each regular-file member a module. A broken
 *   archive is reported and the members before the damage are kept; an initrd that is not such
 *   an archive is one module named "initrd".
 * @param index which module; must be below boot_module_count().
 * @return A NUL-terminated string owned by the frame (at most 255 bytes).
 * @par Panics
 * If @p index is out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *boot_module_name(size_t index);

/**
 * @brief A module's size in bytes.
 * @param index which module; must be below boot_module_count().
 * @return The size.
 * @par Panics
 * If @p index is out of range.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
size_t boot_module_size(size_t index);

/**
 * @brief Copy bytes of a module into a buffer of yours.
 * @param index which module; must be below boot_module_count().
 * @param offset where to start reading inside the module.
 * @param buf where to copy to; must not be NULL unless @p len is 0.
 * @param len how many bytes; @p offset + @p len must not exceed boot_module_size().
 * @par Panics
 * If @p index is out of range, @p buf is NULL with a non-zero @p len, or the range runs past
 * the end of the module.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void boot_module_read(size_t index, size_t offset, void *buf, size_t len);

/**
 * @brief The framebuffer the bootloader set up, if any.
 * @param out where to store the description; must not be NULL.
 * @retval true there is one, and @p out describes it.
 * @retval false there is none; @p out is untouched.
 * @par Panics
 * If @p out is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
FRAME_MUST_CHECK bool boot_framebuffer(struct boot_framebuffer *out);

/** @} */
#endif
