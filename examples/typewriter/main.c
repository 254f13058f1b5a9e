// typewriter: the date and time from the real-time clock at the top of the screen, and every key
// typed drawn on the framebuffer console below it and echoed on serial, until Ctrl-D.
#include <drivers/fbcon.h>
#include <drivers/keyboard.h>
#include <drivers/rtc.h>
#include <frame/frame.h>

#define CTRL_D 4

// Write v as n decimal digits at p.
static void digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

// The clock on the status line, redrawn when its second has changed.
static void show_clock(void)
{
	static uint8_t shown = 0xff;
	struct rtc_time now;
	if (rtc_read(&now) != ERR_OK || now.second == shown)
		return;
	shown = now.second;
	char line[] = "typewriter  yyyy-mm-dd hh:mm:ss  (Ctrl-D ends)";
	digits(line + 12, now.year, 4);
	digits(line + 17, now.month, 2);
	digits(line + 20, now.day, 2);
	digits(line + 23, now.hour, 2);
	digits(line + 26, now.minute, 2);
	digits(line + 29, now.second, 2);
	fbcon_status(line);
}

void kernel_main(void)
{
	enum err e = fbcon_open();
	if (e != ERR_OK)
		panic("no screen: fbcon_open: %s", err_name(e));
	if ((e = keyboard_open()) != ERR_OK)
		panic("no keyboard: keyboard_open: %s", err_name(e));
	show_clock();
	fbcon_write("Type; Ctrl-D ends.\n");
	console_printf("typewriter: ready\n");
	for (;;) {
		char c;
		// Wait for a key a fifth of a second at a time, so the clock ticks while nobody types.
		e = keyboard_getchar(&c, MSEC(200));
		show_clock();
		if (e == ERR_TIMEOUT)
			continue;
		if (e != ERR_OK)
			panic("keyboard_getchar: %s", err_name(e));
		if (c == CTRL_D)
			break;
		fbcon_putc(c); // the screen first: once serial shows a key, it is drawn
		console_printf("%c", c);
	}
	console_printf("\ntypewriter: bye\n");
}
