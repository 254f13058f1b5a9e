// Overruns a local array on purpose, in the way the first word of the command line names, to
// prove that the stack protector alone catches it: the functions that write are built without
// the sanitizers' instrumentation (NO_SANITIZER), so only the canary GCC puts after their
// arrays is left to notice. Each overrun must end in "stack smashing detected in <the function
// whose array it was>"; a case that comes back prints "was not caught" and fails.
//   smash         a loop writes 8 bytes past the end of a 16-byte local array
//   smash-callee  a function handed a local array writes past its end: the owner is reported
//   ok            the same functions within bounds: nothing is reported, the kernel succeeds
#include <frame/frame.h>

#define NO_SANITIZER __attribute__((noinline, no_sanitize_address, no_sanitize("undefined")))

static volatile size_t past = 8; // bytes past the end; volatile, so the compiler cannot warn

NO_SANITIZER static char overrun_local_array(size_t extra)
{
	char buf[16];
	for (size_t i = 0; i < sizeof(buf) + extra; i++)
		buf[i] = 'A'; // the overrun
	return buf[0];
}

NO_SANITIZER static void fill(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = 'B';
}

NO_SANITIZER static char hand_out_local_array(size_t extra)
{
	char buf[16];
	fill(buf, sizeof(buf) + extra); // fill() writes, this function's frame is smashed
	return buf[0];
}

// The command line's first word is the case (loglevel=debug may follow).
static bool is_case(const char *cmdline, const char *name)
{
	size_t n = strlen(name);
	return strncmp(cmdline, name, n) == 0 && (cmdline[n] == ' ' || cmdline[n] == '\0');
}

void kernel_main(void)
{
	const char *how = boot_cmdline();
	if (is_case(how, "smash")) {
		overrun_local_array(past);
		console_printf("stack-smash: the overrun in overrun_local_array was not caught\n");
	} else if (is_case(how, "smash-callee")) {
		hand_out_local_array(past);
		console_printf("stack-smash: the overrun in hand_out_local_array was not caught\n");
	} else if (is_case(how, "ok")) {
		console_printf("stack-smash: ok, %c%c\n", overrun_local_array(0), hand_out_local_array(0));
		return;
	} else {
		console_printf("stack-smash: unknown case '%s'\n", how);
	}
	power_off(POWER_EXIT_FAILURE);
}
