/* The public console and logging API, on top of the serial driver and the format engine. */
#include <frame/console.h>
#include <frame/log.h>
#include "check.h"
#include "mm/kasan.h"
#include "arch/x86_64/x86.h"
#include "console/console.h"
#include "console/serial.h"
#include "irq/irq.h"
#include "lib/format.h"
#include <frame/string.h>

static enum log_level threshold = LOG_INFO;

static void serial_sink(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	serial_write(s, len);
}

/* console_vprintf() for the code at caller, whose strings are checked if it is a client's. */
static size_t vprintf_for(const void *caller, const char *fmt, va_list args)
{
	IRQ_OFF_SCOPE(); /* one line at a time: tasks and handlers never interleave */
	return format_v_for(serial_sink, NULL, caller, fmt, args);
}

size_t console_vprintf(const char *fmt, va_list args)
{
	REQUIRE(fmt != NULL, "fmt must not be NULL");
	return vprintf_for(__builtin_return_address(0), fmt, args);
}

size_t console_printf(const char *fmt, ...)
{
	REQUIRE(fmt != NULL, "fmt must not be NULL");
	va_list ap;
	va_start(ap, fmt);
	size_t n = vprintf_for(__builtin_return_address(0), fmt, ap);
	va_end(ap);
	return n;
}

void console_write(const char *buf, size_t len)
{
	REQUIRE(buf != NULL || len == 0, "buf must not be NULL (len is %zu)", len);
	CLIENT_READS(buf, len);
	IRQ_OFF_SCOPE();
	serial_write(buf, len);
}

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_printf(enum log_level level, const char *fmt, ...)
{
	REQUIRE(level >= LOG_ERROR && level <= LOG_DEBUG, "level %d is not a log_level", (int)level);
	REQUIRE(fmt != NULL, "fmt must not be NULL");
	if (level > threshold)
		return;
	char line[512];
	size_t n = format_buf(line, sizeof(line), "[%s] ", level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	size_t m = format_vbuf_for(line + n, sizeof(line) - n, __builtin_return_address(0), fmt, ap);
	va_end(ap);
	size_t len = n + m;
	if (len >= sizeof(line)) { /* too long for one line: say so rather than cut silently */
		len = sizeof(line) - 1;
		memcpy(line + len - 3, "...", 3);
	}
	IRQ_OFF_SCOPE();
	serial_write(line, len);
	serial_write("\n", 1);
}

void log_set_level(enum log_level level)
{
	REQUIRE(level >= LOG_ERROR && level <= LOG_DEBUG, "level %d is not a log_level", (int)level);
	threshold = level;
}

enum log_level log_get_level(void)
{
	return threshold;
}

/* Input: the serial port interrupts on every byte from boot on. Until console_on_input() the
 * bytes are kept (up to CONSOLE_INPUT_KEPT, the rest counted); then the callback gets them
 * first, from the interrupt that serial_raise_interrupt() makes. All of it with interrupts off. */
static console_input_fn input_fn;
static void *input_ctx;
static char kept[CONSOLE_INPUT_KEPT];
static size_t kept_len;
static uint64_t dropped; /* bytes that arrived while kept[] was full */
static bool raised;	 /* serial_raise_interrupt() is on, to hand kept[] over */

static void on_serial_interrupt(void *ctx)
{
	(void)ctx;
	if (raised) {
		raised = false;
		serial_enable_rx_interrupt();
	}
	if (input_fn) {
		for (size_t i = 0; i < kept_len; i++)
			input_fn(input_ctx, kept[i]);
		kept_len = 0;
	}
	for (int c; (c = serial_read()) >= 0;) {
		if (input_fn)
			input_fn(input_ctx, (char)c);
		else if (kept_len < CONSOLE_INPUT_KEPT)
			kept[kept_len++] = (char)c;
		else
			dropped++;
	}
}

void console_input_init(void)
{
	IRQ_OFF_SCOPE();
	irq_frame_line(4, 0, on_serial_interrupt, NULL);
	serial_enable_rx_interrupt();
}

bool console_input_wakes(void)
{
	return input_fn != NULL;
}

enum err console_on_input(console_input_fn fn, void *ctx)
{
	REQUIRE(fn != NULL, "fn must not be NULL");
	REQUIRE(!in_interrupt(), "the input callback is set by a task, not in interrupt context");
	IRQ_OFF_SCOPE();
	if (input_fn)
		return ERR_BUSY;
	input_fn = fn;
	input_ctx = ctx;
	if (dropped)
		log_warn("console: %llu bytes typed before console_on_input() were dropped (it keeps the first %d)",
			 (unsigned long long)dropped, CONSOLE_INPUT_KEPT);
	if (kept_len) {
		raised = true;
		serial_raise_interrupt(); /* fn gets the kept bytes in interrupt context, as any others */
	}
	return ERR_OK;
}
