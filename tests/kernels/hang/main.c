// Hangs on purpose, as the command line says:
//   spin      kernel_main spins in spin_forever(), never waiting;
//   deadlock  two tasks, "left" and "right", each holding one mutex and waiting for the other's,
//             while main sleeps in a loop: a periodic timer stays pending, so the frame cannot
//             call it a deadlock, and the CPU idles.
// Anything else (or nothing): main sleeps forever, a kernel that waits.
#include <frame/frame.h>

static struct mutex mutex_a, mutex_b;
static volatile uint64_t spins;

static void spin_forever(void)
{
	for (;;)
		spins++;
}

static void take_both(struct mutex *first, struct mutex *second)
{
	mutex_lock(first);
	task_sleep(MSEC(50)); // the other task takes its first mutex meanwhile
	mutex_lock(second);
}

static int64_t left(void *arg)
{
	(void)arg;
	take_both(&mutex_a, &mutex_b);
	return 0;
}

static int64_t right(void *arg)
{
	(void)arg;
	take_both(&mutex_b, &mutex_a);
	return 0;
}

static void deadlock(void)
{
	struct task *l, *r;
	mutex_init(&mutex_a, "a");
	mutex_init(&mutex_b, "b");
	if (task_spawn(&l, "left", left, NULL, NULL) != ERR_OK || task_spawn(&r, "right", right, NULL, NULL) != ERR_OK)
		panic("hang: cannot spawn the tasks");
	console_printf("hang: deadlock\n");
}

void kernel_main(void)
{
	const char *how = boot_cmdline();
	if (strcmp(how, "spin") == 0) {
		console_printf("hang: spinning\n");
		spin_forever();
	}
	if (strcmp(how, "deadlock") == 0)
		deadlock();
	else
		console_printf("hang: waiting\n");
	for (;;)
		task_sleep(MSEC(100));
}
