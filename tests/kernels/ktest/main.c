// Runs every in-kernel test (the frame's own and the ones below) and reports in KTAP.
#include <frame/frame.h>

KTEST(console_printf_counts_characters)
{
	KTEST_ASSERT_EQ(console_printf("# counting: %d %s\n", 12345, "abc"), 22);
}

KTEST(boot_regions_are_consistent)
{
	uint64_t usable = 0;
	KTEST_ASSERT(boot_memory_region_count() > 0);
	for (size_t i = 0; i < boot_memory_region_count(); i++) {
		struct boot_memory_region r = boot_memory_region(i);
		KTEST_EXPECT(r.base + r.length >= r.base);
		if (r.type == BOOT_MEMORY_USABLE)
			usable += r.length;
	}
	KTEST_ASSERT_EQ(usable, boot_usable_memory());
	KTEST_ASSERT(strcmp(boot_memory_type_name(BOOT_MEMORY_USABLE), "usable") == 0);
	KTEST_ASSERT(strcmp(boot_memory_type_name((enum boot_memory_type)99), "unknown") == 0);
}

KTEST(console_write_prints_bytes_as_given)
{
	console_write("# written%d\n", 12); /* no formatting: the % stays */
	console_write(NULL, 0);		    /* nothing to print: allowed */
}

static size_t print_via_va_list(const char *fmt, ...) FRAME_PRINTF(1, 2);
static size_t print_via_va_list(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = console_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

KTEST(console_vprintf_serves_printf_wrappers)
{
	KTEST_ASSERT_EQ(print_via_va_list("# via va_list: %s %d\n", "ok", 7), 20);
}

KTEST(error_codes_have_names)
{
	KTEST_ASSERT(strcmp(err_name(ERR_OK), "ERR_OK (success)") == 0);
	KTEST_ASSERT(strcmp(err_name(ERR_NOMEM), "ERR_NOMEM (out of memory)") == 0);
	KTEST_ASSERT(strcmp(err_name((enum err)1000), "unknown error") == 0);
}

KTEST(log_level_round_trip)
{
	enum log_level old = log_get_level();
	log_set_level(LOG_ERROR);
	KTEST_ASSERT_EQ(log_get_level(), LOG_ERROR);
	log_info("this line must not appear");
	log_set_level(old);
}

void kernel_main(void)
{
	ktest_main();
}
