// The PS/2 keyboard driver (<drivers/keyboard.h>), driven by a test that types through QEMU's
// monitor. The command line picks the case:
//   (none)         echo the characters of one line, as typed ("\b" for backspace, "^C" for a
//                  control character) and as edited (backspace removes a character); then
//                  print the next seven key events (enter's release first), then the result of a read that times out
//   drop           read nothing until the keys stop coming (dropped events counted), then count
//                  the events that arrived; then echo one more character
//   before-open    misuse: keyboard_read_event() before keyboard_open()
//   null           misuse: keyboard_getchar() into NULL
//   in-interrupt   misuse: keyboard_read_event() in a timer callback
#include <drivers/keyboard.h>
#include <frame/frame.h>

#define LINE_MAX 80

static void open_keyboard(void)
{
	enum err e = keyboard_open();
	if (e != ERR_OK)
		panic("keyboard_open: %s", err_name(e));
	e = keyboard_open();
	console_printf("keyboard: a second keyboard_open() returns %s\n", err_name(e));
}

static char next_char(void)
{
	char c;
	enum err e = keyboard_getchar(&c, SEC(20));
	if (e != ERR_OK)
		panic("keyboard_getchar: %s", err_name(e));
	return c;
}

// Append @c to @s (of @size bytes, NUL-terminated) as it was typed: "\b" for backspace, "^C" for
// a control character.
static void append_typed(char *s, size_t size, char c)
{
	size_t n = strlen(s);
	char shown[3] = {c, '\0', '\0'};
	if (c == '\b')
		shown[0] = '\\', shown[1] = 'b';
	else if (c < ' ')
		shown[0] = '^', shown[1] = (char)(c + '@');
	if (n + strlen(shown) < size)
		memcpy(s + n, shown, strlen(shown) + 1);
}

static void case_echo(void)
{
	open_keyboard();
	console_printf("keyboard: ready\n");
	char typed[4 * LINE_MAX] = "", line[LINE_MAX];
	size_t len = 0;
	for (char c = next_char(); c != '\n'; c = next_char()) {
		append_typed(typed, sizeof(typed), c);
		if (c == '\b' && len > 0)
			len--;
		else if (c >= ' ' && len < LINE_MAX - 1)
			line[len++] = c;
	}
	line[len] = '\0';
	console_printf("keyboard: typed '%s'\n", typed);
	console_printf("keyboard: line '%s'\n", line);
	console_printf("keyboard: dropped %llu\n", (unsigned long long)keyboard_dropped());
	console_printf("keyboard: events\n");
	for (int i = 0; i < 7; i++) {
		struct key_event ev;
		enum err e = keyboard_read_event(&ev, SEC(20));
		if (e != ERR_OK)
			panic("keyboard_read_event: %s", err_name(e));
		console_printf("keyboard: event 0x%04x %s modifiers %u ascii %u\n", ev.code, ev.pressed ? "down" : "up",
			       ev.modifiers, (unsigned)(unsigned char)ev.ascii);
	}
	struct key_event ev;
	console_printf("keyboard: then %s\n", err_name(keyboard_read_event(&ev, MSEC(100))));
}

#define DROP_KEYS 42 // as many as tests/test_keyboard.py types in the drop test

static void case_drop(void)
{
	open_keyboard();
	console_printf("keyboard: ready, not reading\n");
	// The test types DROP_KEYS keys (a press and a release each): wait until every event that
	// cannot fit has been dropped (at most 20 s), however slowly the host delivers them.
	uint64_t until = time_now_ns() + 20 * 1000000000ull;
	while (keyboard_dropped() < 2 * DROP_KEYS - KEYBOARD_BUFFER_EVENTS && time_now_ns() < until)
		task_sleep(MSEC(50));
	task_sleep(MSEC(200)); // a stray extra event would show in the counts
	unsigned events = 0, presses = 0;
	struct key_event ev;
	while (keyboard_read_event(&ev, MSEC(0)) == ERR_OK) {
		events++;
		presses += ev.pressed;
	}
	console_printf("keyboard: %u events arrived (%u presses), %llu dropped\n", events, presses,
		       (unsigned long long)keyboard_dropped());
	console_printf("keyboard: ready again\n");
	console_printf("keyboard: then '%c'\n", next_char());
}

static void case_before_open(void)
{
	struct key_event ev;
	if (keyboard_read_event(&ev, MSEC(10)) == ERR_OK)
		console_printf("keyboard: an event before opening\n");
}

static void case_null(void)
{
	open_keyboard();
	if (keyboard_getchar(NULL, MSEC(10)) == ERR_OK)
		console_printf("keyboard: a character into nothing\n");
}

static void read_in_timer(struct timer *timer, void *ctx)
{
	(void)timer, (void)ctx;
	struct key_event ev;
	if (keyboard_read_event(&ev, MSEC(10)) == ERR_OK)
		console_printf("keyboard: an event in interrupt context\n");
}

static void case_in_interrupt(void)
{
	static struct timer timer = TIMER_INIT(read_in_timer, NULL);
	open_keyboard();
	timer_start(&timer, MSEC(1), NSEC(0));
	task_sleep(SEC(1));
}

void kernel_main(void)
{
	const char *cmd = boot_cmdline();
	if (strcmp(cmd, "drop") == 0)
		case_drop();
	else if (strcmp(cmd, "before-open") == 0)
		case_before_open();
	else if (strcmp(cmd, "null") == 0)
		case_null();
	else if (strcmp(cmd, "in-interrupt") == 0)
		case_in_interrupt();
	else
		case_echo();
}
