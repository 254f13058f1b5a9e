/*
 * The trace: every hook (task switch, sleep, wait, wake, exit, interrupt entry and exit, timer
 * callback, user-mode entry and exit, panic, trace_mark()) stores one fixed-size event in a ring,
 * always, unless the command line says trace=off. At power-off, when the host gave the channel
 * (core/hostlink.h) and something was recorded, the ring goes out as one HOSTLINK_TRACE record with the TSC's rate and
 * the names the host needs to label it: the tasks', the callbacks', the marks' and wait queues'.
 *
 * The record: a header (version, event size, ring size, number of names, TSC Hz, events
 * recorded in all), the names (each: key, TSC from which it holds, 48 bytes of text), then the
 * events still in the ring, oldest first. harness/frameharness/trace.py reads it.
 */
#include "core/trace.h"
#include "core/hostlink.h"
#include "core/cpu_local.h"
#include "arch/x86_64/x86.h"
#include "lib/ksyms.h"
#include "mm/kernel_map.h"
#include "timer/clock.h"
#include <frame/boot.h>
#include <frame/panic.h>
#include <frame/string.h>
#include <frame/trace.h>

#define TRACE_RING 8192	      /* events kept: the newest (a power of two) */
#define TRACE_TASK_NAMES 64   /* task names kept: the newest */
#define TRACE_OTHER_NAMES 256 /* callbacks, marks and wait queues named at power-off */
#define TRACE_NAME_LEN 48

struct trace_event {
	uint64_t tsc;
	uint32_t kind, arg;
	uint64_t a, b;
};

struct trace_name {
	uint64_t key;	/* a task, a function or a string */
	uint64_t since; /* the TSC from which it names key (a task's memory may hold a later task) */
	char text[TRACE_NAME_LEN];
};

struct trace_header {
	uint32_t version, event_size, ring_size, names;
	uint64_t tsc_hz, recorded;
};

HOT_DATA static bool on = true;
static bool off_by_cmdline;    /* trace=off: no trace is sent (an empty ring still is: a kernel that did nothing) */
HOT_DATA static uint64_t head; /* events recorded in all; the next goes to ring[head % TRACE_RING] */
static struct trace_event ring[TRACE_RING] __attribute__((aligned(64)));
static struct trace_name names[TRACE_TASK_NAMES + TRACE_OTHER_NAMES];
static unsigned task_names; /* task names recorded in all (names[0..TRACE_TASK_NAMES) is their ring) */

HOT_PATH void trace_event(enum trace_kind kind, uint32_t arg, uint64_t a, uint64_t b)
{
	if (!on)
		return;
	ring[head % TRACE_RING] = (struct trace_event){rdtsc(), kind, arg, a, b};
	head++; /* after the slot is whole: an NMI's panic in between sends a ring with no stale slot */
}

static void copy_name(char *dst, const char *src)
{
	size_t n = 0;
	while (n < TRACE_NAME_LEN - 1 && src[n])
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void trace_task_name(const void *task, const char *name)
{
	uint64_t flags = cli_save();
	struct trace_name *n = &names[task_names++ % TRACE_TASK_NAMES];
	n->key = (uint64_t)task;
	n->since = rdtsc();
	copy_name(n->text, name);
	cli_restore(flags);
}

void trace_enable(bool enable)
{
	on = enable;
}

bool trace_enabled(void)
{
	return on;
}

static bool in_rodata(const char *s)
{
	return s >= __rodata_start && s < __data_start;
}

void trace_mark(const char *name, uint64_t value)
{
	REQUIRE(name != NULL, "name must not be NULL");
	REQUIRE(in_rodata(name),
		"name %p is not in the kernel's read-only data: give a string literal, which the kernel keeps (a "
		"buffer may be gone or changed by the time the trace is sent)",
		(const void *)name);
	uint64_t flags = cli_save();
	trace_event(TRACE_MARK, cpu_local.irq_depth, (uint64_t)name, value);
	cli_restore(flags);
}

/* Name key (a function, or a string in .rodata) once among names[from..*count); a key without
 * a name is left out, and the host shows its address. */
static void add_name(unsigned from, unsigned *count, uint64_t key, bool function)
{
	if (!key || *count == from + TRACE_OTHER_NAMES)
		return;
	for (unsigned i = from; i < *count; i++)
		if (names[i].key == key)
			return;
	uint64_t off;
	const char *text = function ? ksym_lookup(key, &off) : (const char *)key;
	if (function ? !text || off : !in_rodata(text))
		return;
	names[*count] = (struct trace_name){.key = key};
	copy_name(names[(*count)++].text, text);
}

/* At power-off (hostlink_exit(), interrupts off): the ring, named, to the host. */
static void send(void)
{
	if (off_by_cmdline)
		return;
	on = false;
	uint64_t n = head < TRACE_RING ? head : TRACE_RING, first = head - n;
	/* the tasks' names first, then the others */
	unsigned from = task_names < TRACE_TASK_NAMES ? task_names : TRACE_TASK_NAMES, count = from;
	for (uint64_t i = first; i < head; i++) {
		const struct trace_event *e = &ring[i % TRACE_RING];
		if (e->kind == TRACE_TIMER_START)
			add_name(from, &count, e->a, true);
		else if (e->kind == TRACE_MARK)
			add_name(from, &count, e->a, false);
		else if (e->kind == TRACE_WAIT)
			add_name(from, &count, e->b, false);
	}
	struct trace_header h = {1, sizeof(struct trace_event), TRACE_RING, count, clock_tsc_hz(), head};
	hostlink_begin(HOSTLINK_TRACE, sizeof(h) + count * sizeof(struct trace_name) + n * sizeof(struct trace_event));
	hostlink_write(&h, sizeof(h));
	hostlink_write(names, count * sizeof(struct trace_name));
	uint64_t start = first % TRACE_RING, wrap = start + n > TRACE_RING ? TRACE_RING - start : n;
	hostlink_write(&ring[start], wrap * sizeof(struct trace_event));
	hostlink_write(&ring[0], (n - wrap) * sizeof(struct trace_event));
}

void trace_init(void)
{
	const char *c = boot_cmdline();
	for (const char *p = c; *p; p++)
		if ((p == c || p[-1] == ' ') && !strncmp(p, "trace=off", 9) && (p[9] == ' ' || !p[9]))
			on = false, off_by_cmdline = true;
	hostlink_at_exit(send);
}
