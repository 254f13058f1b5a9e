/*
 * The framebuffer console, as a client of the frame: glyphs from a Debian console font drawn
 * through a memory window, a pixel row at a time, onto GRUB's framebuffer or onto QEMU's
 * standard VGA after setting its mode through the Bochs display interface. A copy of the text
 * lets scrolling redraw the screen without reading it back.
 */
#include "fbcon_font.h"
#include <drivers/fbcon.h>
#include <frame/boot.h>
#include <frame/io.h>
#include <frame/irq.h>
#include <frame/panic.h>
#include <frame/pci.h>
#include <frame/string.h>
#include <frame/sync.h>
#include <stdbool.h>

#define MAX_COLS 160
#define MAX_ROWS 64
#define FOREGROUND 0xffffff /* white, as 8-bit red, green, blue */

/* QEMU's standard VGA: the Bochs display interface (DISPI) registers. */
#define BOCHS_VENDOR 0x1234
#define BOCHS_DEVICE 0x1111
#define DISPI_BAR 2 /* QEMU's MMIO BAR: the DISPI registers, 16 bits each, at 0x500 */
#define DISPI_REG(index) (0x500 + (index)*2)
#define DISPI_ID 0
#define DISPI_XRES 1
#define DISPI_YRES 2
#define DISPI_BPP 3
#define DISPI_ENABLE 4
#define DISPI_REG_COUNT 5 /* the registers used: ID to ENABLE */
#define DISPI_ID_MIN 0xb0c0
#define DISPI_ID_MAX 0xb0c5
#define DISPI_ENABLED 0x01
#define DISPI_LFB 0x40
#define BOCHS_WIDTH 1024
#define BOCHS_HEIGHT 768

static struct mutex lock = MUTEX_INIT("fbcon");
static bool opened;
static struct io_mem *screen;
static uint32_t pitch, cols, rows, row = 1, col, foreground;
static char text[MAX_ROWS][MAX_COLS];	     /* what is on the screen, ' ' where nothing is */
static uint32_t line[MAX_COLS * FONT_WIDTH]; /* one row of pixels being drawn */

/* The glyph of c: ASCII's own, '?' for the rest. */
static const uint8_t *glyph(char c)
{
	unsigned char u = (unsigned char)c;
	return fbcon_font[u < 128 ? u : '?'];
}

/* Draw the cells [from, to) of text row r. */
static void draw_cells(uint32_t r, uint32_t from, uint32_t to)
{
	for (uint32_t y = 0; y < FONT_HEIGHT; y++) {
		for (uint32_t c = from; c < to; c++) {
			uint8_t bits = glyph(text[r][c])[y];
			for (uint32_t x = 0; x < FONT_WIDTH; x++)
				line[(c - from) * FONT_WIDTH + x] = bits & (0x80 >> x) ? foreground : 0;
		}
		io_mem_write(screen, (uint64_t)(r * FONT_HEIGHT + y) * pitch + from * FONT_WIDTH * 4, line,
			     (to - from) * FONT_WIDTH * 4);
	}
}

/* Move the console's rows (all but the status line) up one, and start the last one empty. */
static void scroll(void)
{
	memmove(text[1], text[2], sizeof(text[0]) * (rows - 2));
	memset(text[rows - 1], ' ', sizeof(text[0]));
	for (uint32_t r = 1; r < rows; r++)
		draw_cells(r, 0, cols);
}

static void newline(void)
{
	col = 0;
	if (row + 1 < rows)
		row++;
	else
		scroll();
}

static void put(char c)
{
	if (c == '\n') {
		newline();
	} else if (c == '\r') {
		col = 0;
	} else if (c == '\b') {
		if (col > 0) {
			text[row][--col] = ' ';
			draw_cells(row, col, col + 1);
		}
	} else if (c == '\t') {
		col = (col / 8 + 1) * 8;
		if (col >= cols)
			newline();
	} else {
		text[row][col] = c >= ' ' && c != 127 ? c : '?';
		draw_cells(row, col, col + 1);
		if (++col == cols)
			newline();
	}
}

/* Whether the boot loader's colour layout is one a 32-bit pixel can hold (hostile input: the
 * fields become shift counts). */
static bool colours_sane(const struct boot_framebuffer_colours *c)
{
	return c->red_bits >= 1 && c->red_bits <= 8 && c->red_shift + c->red_bits <= 32 && c->green_bits >= 1 &&
	       c->green_bits <= 8 && c->green_shift + c->green_bits <= 32 && c->blue_bits >= 1 && c->blue_bits <= 8 &&
	       c->blue_shift + c->blue_bits <= 32;
}

/* An 8-bit-per-colour RGB value as a pixel of this framebuffer (its colours sane). */
static uint32_t pixel(const struct boot_framebuffer_colours *c, uint32_t rgb)
{
	return (rgb >> 16 & 0xff) >> (8 - c->red_bits) << c->red_shift |
	       (rgb >> 8 & 0xff) >> (8 - c->green_bits) << c->green_shift |
	       (rgb & 0xff) >> (8 - c->blue_bits) << c->blue_shift;
}

/* GRUB's framebuffer, if it is one the console draws on. */
static enum err open_boot_framebuffer(uint32_t *width, uint32_t *height)
{
	struct boot_framebuffer fb;
	if (!boot_framebuffer(&fb) || fb.type != BOOT_FRAMEBUFFER_RGB || fb.bits_per_pixel != 32 ||
	    fb.width < FONT_WIDTH || fb.height < 2 * FONT_HEIGHT) /* a column, a status line, a line */
		return ERR_UNSUPPORTED;
	if (!colours_sane(&fb.colours)) /* none given, or nonsense: the usual x8r8g8b8 */
		fb.colours = (struct boot_framebuffer_colours){16, 8, 8, 8, 0, 8};
	enum err e = io_mem_map_framebuffer(&screen);
	if (e != ERR_OK)
		return e;
	*width = fb.width;
	*height = fb.height;
	pitch = fb.pitch;
	foreground = pixel(&fb.colours, FOREGROUND);
	return ERR_OK;
}

/* QEMU's standard VGA, set to 1024x768x32 with its linear framebuffer (BAR 0) on. */
static enum err open_bochs_vga(uint32_t *width, uint32_t *height)
{
	struct pci_device *dev = pci_find(BOCHS_VENDOR, BOCHS_DEVICE, NULL);
	if (dev == NULL || pci_device_bar(dev, 0).kind != PCI_BAR_MEMORY ||
	    pci_device_bar(dev, DISPI_BAR).kind != PCI_BAR_MEMORY ||
	    pci_device_bar(dev, DISPI_BAR).size < DISPI_REG(DISPI_REG_COUNT))
		return ERR_UNSUPPORTED;
	struct io_mem *regs;
	enum err e = pci_bar_map(&regs, dev, DISPI_BAR);
	if (e != ERR_OK)
		return e;
	uint16_t id = io_mem_read16(regs, DISPI_REG(DISPI_ID));
	if (id < DISPI_ID_MIN || id > DISPI_ID_MAX || (e = pci_bar_map(&screen, dev, 0)) != ERR_OK) {
		io_mem_release(regs);
		return e != ERR_OK ? e : ERR_UNSUPPORTED;
	}
	io_mem_write16(regs, DISPI_REG(DISPI_ENABLE), 0);
	io_mem_write16(regs, DISPI_REG(DISPI_XRES), BOCHS_WIDTH);
	io_mem_write16(regs, DISPI_REG(DISPI_YRES), BOCHS_HEIGHT);
	io_mem_write16(regs, DISPI_REG(DISPI_BPP), 32);
	io_mem_write16(regs, DISPI_REG(DISPI_ENABLE), DISPI_ENABLED | DISPI_LFB);
	bool set = io_mem_read16(regs, DISPI_REG(DISPI_XRES)) == BOCHS_WIDTH &&
		   io_mem_read16(regs, DISPI_REG(DISPI_BPP)) == 32;
	io_mem_release(regs); /* the mode stays */
	if (!set || io_mem_size(screen) < (uint64_t)BOCHS_WIDTH * BOCHS_HEIGHT * 4) {
		io_mem_release(screen);
		return ERR_UNSUPPORTED;
	}
	*width = BOCHS_WIDTH;
	*height = BOCHS_HEIGHT;
	pitch = BOCHS_WIDTH * 4;
	foreground = FOREGROUND; /* x8r8g8b8 */
	return ERR_OK;
}

enum err fbcon_open(void)
{
	precondition(!in_interrupt(), "the console is opened by a task, not in interrupt context");
	mutex_lock(&lock);
	uint32_t width, height;
	enum err e = ERR_BUSY;
	if (!opened) {
		e = open_boot_framebuffer(&width, &height);
		if (e == ERR_UNSUPPORTED)
			e = open_bochs_vga(&width, &height);
	}
	if (e == ERR_OK) {
		cols = width / FONT_WIDTH < MAX_COLS ? width / FONT_WIDTH : MAX_COLS;
		rows = height / FONT_HEIGHT < MAX_ROWS ? height / FONT_HEIGHT : MAX_ROWS;
		memset(text, ' ', sizeof(text));
		for (uint32_t r = 0; r < rows; r++)
			draw_cells(r, 0, cols);
		opened = true;
	}
	mutex_unlock(&lock);
	return e;
}

/* The rules of drawing, checked in each public function itself so a panic names its caller. */
#define DRAWING_RULES() \
	do { \
		precondition(opened, "fbcon_open() must succeed before the console is drawn on"); \
		precondition(!in_interrupt(), "the console is drawn on by tasks, not in interrupt context"); \
	} while (0)

void fbcon_putc(char c)
{
	DRAWING_RULES();
	mutex_lock(&lock);
	put(c);
	mutex_unlock(&lock);
}

void fbcon_write(const char *s)
{
	DRAWING_RULES();
	precondition(s != NULL, "text must not be NULL");
	mutex_lock(&lock);
	while (*s != '\0')
		put(*s++);
	mutex_unlock(&lock);
}

void fbcon_status(const char *s)
{
	DRAWING_RULES();
	precondition(s != NULL, "text must not be NULL");
	mutex_lock(&lock);
	size_t n = strlen(s);
	for (uint32_t c = 0; c < cols; c++)
		text[0][c] = c < n && s[c] >= ' ' && s[c] != 127 ? s[c] : (c < n ? '?' : ' ');
	draw_cells(0, 0, cols);
	mutex_unlock(&lock);
}
