// Prints the date and time from the CMOS clock driver (<drivers/rtc.h>) twice, a second apart.
// With the command line "null": a misuse, which must panic naming rtc_read and this file.
#include <drivers/rtc.h>
#include <frame/frame.h>

static void print_time(void)
{
	struct rtc_time t;
	enum err e = rtc_read(&t);
	if (e != ERR_OK)
		panic("rtc_read: %s", err_name(e));
	console_printf("rtc: %04u-%02u-%02u %02u:%02u:%02u\n", t.year, t.month, t.day, t.hour, t.minute, t.second);
}

static void case_null(void)
{
	if (rtc_read(NULL) == ERR_OK)
		console_printf("rtc: read into nothing\n");
}

void kernel_main(void)
{
	if (strcmp(boot_cmdline(), "null") == 0) {
		case_null();
		return;
	}
	print_time();
	task_sleep(SEC(1));
	print_time();
}
