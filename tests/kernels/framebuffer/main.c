// The framebuffer as a driver meets it: ask what the bootloader set up, get a window onto its
// memory, draw eight colour bars and read them back. Then wait (at most 10 s) for a key on the
// PS/2 keyboard, read through port windows, so a test can take a screenshot of the bars first.
#include <frame/frame.h>

// White, yellow, cyan, green, magenta, red, blue, black: the classic colour bars.
static const uint8_t bars[8][3] = {{255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0},
				   {255, 0, 255},   {255, 0, 0},   {0, 0, 255},	  {0, 0, 0}};

static uint32_t pixel(const struct boot_framebuffer *fb, const uint8_t rgb[3])
{
	const struct boot_framebuffer_colours *c = &fb->colours;
	return (uint32_t)(rgb[0] >> (8 - c->red_bits)) << c->red_shift |
	       (uint32_t)(rgb[1] >> (8 - c->green_bits)) << c->green_shift |
	       (uint32_t)(rgb[2] >> (8 - c->blue_bits)) << c->blue_shift;
}

static void draw(struct io_mem *mem, const struct boot_framebuffer *fb)
{
	static uint32_t line[4096];
	for (uint32_t x = 0; x < fb->width && x < 4096; x++)
		line[x] = pixel(fb, bars[x * 8 / fb->width]);
	for (uint32_t y = 0; y < fb->height; y++)
		io_mem_write(mem, (uint64_t)y * fb->pitch, line, fb->width * sizeof(uint32_t));
}

static bool check(struct io_mem *mem, const struct boot_framebuffer *fb)
{
	for (uint32_t bar = 0; bar < 8; bar++) {
		uint32_t x = (2 * bar + 1) * fb->width / 16, y = fb->height / 2;
		if (io_mem_read32(mem, (uint64_t)y * fb->pitch + x * 4) != pixel(fb, bars[bar]))
			return false;
	}
	return true;
}

// The first scancode from the keyboard, or 0 after 10 s.
static uint8_t wait_for_key(void)
{
	struct io_ports *data, *status;
	if (io_ports_acquire(&data, 0x60, 1, IO_PORTS_READ) != ERR_OK ||
	    io_ports_acquire(&status, 0x64, 1, IO_PORTS_READ) != ERR_OK)
		panic("the i8042's ports are taken");
	uint64_t until = time_now_ns() + 10 * 1000000000ull;
	while (time_now_ns() < until) {
		if (io_in8(status, 0) & 1)
			return io_in8(data, 0);
		task_sleep(MSEC(10));
	}
	return 0;
}

void kernel_main(void)
{
	struct boot_framebuffer fb;
	struct io_mem *mem;
	if (!boot_framebuffer(&fb)) {
		console_printf("fb: none (the direct boot path sets up no framebuffer)\n");
		return;
	}
	console_printf("fb: %ux%u, %u bits per pixel, type %d, pitch %u\n", fb.width, fb.height, fb.bits_per_pixel,
		       (int)fb.type, fb.pitch);
	enum err e = io_mem_map_framebuffer(&mem);
	if (e != ERR_OK)
		panic("io_mem_map_framebuffer: %s", err_name(e));
	console_printf("fb: window of %llu bytes\n", (unsigned long long)io_mem_size(mem));
	if (fb.type != BOOT_FRAMEBUFFER_RGB || fb.bits_per_pixel != 32) {
		console_printf("fb: not a 32-bit RGB mode; nothing drawn\n");
		return;
	}
	draw(mem, &fb);
	console_printf("fb: read back %s\n", check(mem, &fb) ? "ok" : "WRONG");
	console_printf("fb: drawn; waiting for a key\n");
	console_printf("fb: key 0x%02x\n", wait_for_key());
	io_mem_release(mem);
}
