/**
 * @file fbcon.h
 * @brief The framebuffer console: text drawn with a bitmap font on the screen, with scrolling.
 * @ingroup drivers_fbcon
 */
#ifndef DRIVERS_FBCON_H
#define DRIVERS_FBCON_H

#include <frame/compiler.h>
#include <frame/error.h>

/**
 * @defgroup drivers_fbcon Framebuffer console (driver)
 * @brief Text on the screen: white 8×16 glyphs on black, a status line at the top, and the
 * lines below it scrolling up as they fill.
 *
 * @code
 * if (fbcon_open() != ERR_OK)
 *         panic("no screen to draw on");
 * fbcon_status("12:00:00");        // the top line, which never scrolls
 * fbcon_write("Hello, World!\n"); // the console, from the second line on
 * @endcode
 *
 * The driver is client code (sdk/drivers/fbcon.c), built in the same safe subset as your kernel.
 * **Where it draws.** Through GRUB (`make run`) it draws on the framebuffer the bootloader set
 * up (boot_framebuffer(), io_mem_map_framebuffer()), if that is a 32-bit RGB mode. Otherwise
 * (the direct path, `make run-direct`, where QEMU's loader sets no graphics mode) it sets
 * 1024×768 at 32 bits on QEMU's standard VGA (`-device VGA`, the default display of `-M pc` and
 * `-M q35`): the Bochs display interface's registers through a window on the device's BAR 2 (at 0x500, QEMU's MMIO twin
 * of ports 0x1ce-0x1cf), the screen through a window on the device's BAR 0 (pci_bar_map(), uncached).
 *
 * **The font** is a PC screen font from Debian's `console-setup-linux` package
 * (`/usr/share/consolefonts/Lat15-VGA16.psf.gz`, which `make deps` installs), converted into a C
 * array when the SDK is built (`sdk/tools/psf-font`); its ASCII glyphs are drawn, any other
 * byte as '?'.
 *
 * **Text.** A screen of W×H pixels holds W/8 columns and H/16 rows (128×48 at 1024×768; at most
 * 160×64 are used). Row 0 is the status line (fbcon_status()); the console writes from row 1 on.
 * '\\n' starts a new line, '\\r' returns to its start, '\\b' erases the character before the
 * cursor (not past the line's start), '\\t' moves to the next multiple of 8 columns; a line
 * that reaches the last column goes on on the next. When the last row is full the rows below
 * the status line move up one: the driver redraws them from its copy of the text, never reading
 * the framebuffer back (slow, and write-combined memory is not meant to be read). No cursor is
 * drawn.
 *
 * **Who may draw.** Tasks, one at a time (a mutex orders them), never interrupt handlers.
 * Misuse panics naming the function, the rule and its caller: drawing before fbcon_open()
 * succeeded, a NULL text, or a call in interrupt context.
 * @{
 */

/**
 * @brief Find a screen and clear it: GRUB's 32-bit RGB framebuffer, or else QEMU's standard
 * VGA set to 1024×768×32.
 * @retval ERR_OK the console is open; the other functions may be used.
 * @retval ERR_BUSY it is open already, or the framebuffer, the device's BAR or its ports are in
 *         another window.
 * @retval ERR_UNSUPPORTED no 32-bit RGB framebuffer of at least 8×32 pixels, and no Bochs-compatible VGA (vendor
 * 0x1234, device 0x1111) that accepts the mode.
 * @retval ERR_NOMEM no memory for a window.
 * @retval ERR_DENIED the frame refused the framebuffer's range (a warning says why).
 * @par Panics
 * In interrupt context.
 * @par Context
 * Tasks only (it maps windows; panics in interrupt context).
 */
FRAME_MUST_CHECK enum err fbcon_open(void);

/**
 * @brief Draw one character at the cursor and move it on (see the control characters above).
 * @param c the character.
 * @par Panics
 * If fbcon_open() has not succeeded, or in interrupt context.
 * @par Context
 * Tasks only (it takes a mutex; panics in interrupt context).
 */
void fbcon_putc(char c);

/**
 * @brief Draw a string as fbcon_putc() draws each of its characters.
 * @param text a NUL-terminated string; must not be NULL.
 * @par Panics
 * If fbcon_open() has not succeeded, @p text is NULL, or in interrupt context.
 * @par Context
 * Tasks only (it takes a mutex; panics in interrupt context).
 */
void fbcon_write(const char *text);

/**
 * @brief Replace the status line (row 0) with @p text, cut at the screen's width; the cursor
 * stays where it is.
 * @param text a NUL-terminated string; must not be NULL. Control characters show as '?'.
 * @par Panics
 * If fbcon_open() has not succeeded, @p text is NULL, or in interrupt context.
 * @par Context
 * Tasks only (it takes a mutex; panics in interrupt context).
 */
void fbcon_status(const char *text);

/** @} */
#endif
