// The framebuffer console: the command line picks a case.
//   (none)         draw the status line and more lines than the screen holds (it scrolls), with
//                  a tab, a backspace, a carriage return and a line that wraps; then wait (at
//                  most 30 s) for a key, so a test can take a screenshot first
//   before-open    misuse: fbcon_putc() before fbcon_open()
//   null           misuse: fbcon_write(NULL)
//   null-status    misuse: fbcon_status(NULL)
//   in-interrupt   misuse: fbcon_write() in a timer callback
#include <drivers/fbcon.h>
#include <drivers/keyboard.h>
#include <frame/frame.h>

static void open_console(void)
{
	enum err e = fbcon_open();
	if (e != ERR_OK)
		panic("fbcon_open: %s", err_name(e));
}

static void case_draw(void)
{
	open_console();
	enum err e = fbcon_open();
	console_printf("fbcon: a second fbcon_open() returns %s\n", err_name(e));
	fbcon_status("status: ok");
	for (int i = 1; i <= 60; i++) {
		char line[] = "line 00\n";
		line[5] = (char)('0' + i / 10);
		line[6] = (char)('0' + i % 10);
		fbcon_write(line);
	}
	fbcon_write("a\tb\nabc\bd\nzzz\rq\n");
	for (int i = 0; i < 130; i++)
		fbcon_putc('x');
	if (keyboard_open() != ERR_OK)
		panic("no keyboard");
	console_printf("fbcon: drawn; waiting for a key\n");
	char c;
	e = keyboard_getchar(&c, SEC(30));
	console_printf("fbcon: then %s\n", err_name(e));
}

static void write_in_timer(struct timer *timer, void *ctx)
{
	(void)timer, (void)ctx;
	fbcon_write("from a timer");
}

void kernel_main(void)
{
	const char *cmd = boot_cmdline();
	if (strcmp(cmd, "before-open") == 0) {
		fbcon_putc('a');
	} else if (strcmp(cmd, "null") == 0) {
		open_console();
		fbcon_write(NULL);
	} else if (strcmp(cmd, "null-status") == 0) {
		open_console();
		fbcon_status(NULL);
	} else if (strcmp(cmd, "in-interrupt") == 0) {
		static struct timer timer = TIMER_INIT(write_in_timer, NULL);
		open_console();
		timer_start(&timer, MSEC(1), NSEC(0));
		task_sleep(SEC(1));
	} else {
		case_draw();
	}
}
