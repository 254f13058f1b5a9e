// input: bytes typed on the console reach the kernel. The console_on_input() callback runs in
// interrupt context: it puts each byte into a buffer under an IRQ-safe spinlock and, at the end
// of a line, wakes kernel_main with a semaphore. kernel_main echoes each line as "got: LINE"
// until the line "bye", or gives up when no line comes within 5 s (50 ms with the command line
// "impatient"). With the command line "late" it registers the callback only after half a second,
// so that what the harness types at boot arrives before it: the frame keeps it.
#include <frame/frame.h>

#define LINE_MAX 64

static struct spinlock buffer_lock = SPINLOCK_INIT("input buffer");
static struct semaphore lines = SEMAPHORE_INIT("input lines", 0);
static char buffer[4 * LINE_MAX]; // the bytes received and not read yet, a ring
static size_t head, tail;	  // read at head, written at tail
static atomic_t dropped = ATOMIC_INIT(0);
static atomic_t outside_interrupt = ATOMIC_INIT(0);

// Interrupt context: must not sleep; takes the spinlock that tasks take with spin_lock_irqsave().
static void on_input(void *ctx, char c)
{
	(void)ctx;
	if (!in_interrupt())
		atomic_inc(&outside_interrupt);
	spin_lock_irqsave(&buffer_lock);
	bool full = tail - head == sizeof(buffer);
	if (!full)
		buffer[tail++ % sizeof(buffer)] = c;
	spin_unlock_irqrestore(&buffer_lock);
	if (full)
		atomic_inc(&dropped);
	else if (c == '\n' || c == '\r')
		sem_up(&lines);
}

// Take the next line out of the buffer (without its end), cut to LINE_MAX - 1 bytes.
static void read_line(char *line)
{
	size_t n = 0;
	spin_lock_irqsave(&buffer_lock);
	while (head != tail) {
		char c = buffer[head++ % sizeof(buffer)];
		if (c == '\n' || c == '\r')
			break;
		if (n < LINE_MAX - 1)
			line[n++] = c;
	}
	spin_unlock_irqrestore(&buffer_lock);
	line[n] = '\0';
}

void kernel_main(void)
{
	if (strcmp(boot_cmdline(), "late") == 0) {
		console_printf("input: no callback for 500 ms\n");
		task_sleep(MSEC(500));
	}
	enum err e = console_on_input(on_input, NULL);
	if (e != ERR_OK)
		panic("console_on_input: %s", err_name(e));
	e = console_on_input(on_input, NULL);
	console_printf("input: a second console_on_input() returns %s\n", err_name(e));
	bool impatient = strcmp(boot_cmdline(), "impatient") == 0;
	console_printf("ready\n");
	for (;;) {
		char line[LINE_MAX];
		e = sem_down(&lines, impatient ? MSEC(50) : SEC(5));
		if (e != ERR_OK) {
			console_printf("input: no line within %s (%s)\n", impatient ? "50 ms" : "5 s", err_name(e));
			power_off(POWER_EXIT_FAILURE);
		}
		read_line(line);
		console_printf("got: %s\n", line);
		if (strcmp(line, "bye") == 0)
			break;
	}
	console_printf("input: bytes dropped: %lld, callbacks outside interrupt context: %lld\n",
		       (long long)atomic_load(&dropped), (long long)atomic_load(&outside_interrupt));
	power_off(atomic_load(&dropped) || atomic_load(&outside_interrupt) ? POWER_EXIT_FAILURE : POWER_EXIT_SUCCESS);
}
