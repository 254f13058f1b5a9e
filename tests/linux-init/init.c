// /init for make bench-linux: a static Linux program (musl) that the host boots as the only thing in an initramfs,
// under Debian's kernel in the same QEMU as the frame's kernels. It measures the rows of the figure contract that
// Linux has (null_syscall, user_switch, map_touch_unmap, copy_from_user_4k) with the TSC, prints one
// "figure: <key> <median_ns> ns (...)" line per row on the console, and powers the machine off.
// With linux_bench=boot on the kernel's command line it powers off at once: the host times that boot.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 1001 // timed runs per row; a row's figure is their median
#define PAGE 4096

static double tsc_per_ns; // TSC ticks per nanosecond, calibrated against CLOCK_MONOTONIC

// Stop: flush what was printed and power the machine off (QEMU then exits with status 0).
static void power_off(void)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	printf("linux-init: reboot(RB_POWER_OFF) failed\n");
	fflush(stdout);
	for (;;)
		pause();
}

// Report a failed step and stop: the host finds the row missing and says so.
static void fail(const char *what)
{
	printf("linux-init: error: %s: %s\n", what, strerror(errno));
	power_off();
}

static uint64_t tsc(void)
{
	return __builtin_ia32_rdtsc();
}

static uint64_t monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// The TSC's rate, against the kernel's CLOCK_MONOTONIC over 200 ms (whatever clock source the kernel chose).
static void calibrate(void)
{
	uint64_t n0 = monotonic_ns(), t0 = tsc(), n1;
	while ((n1 = monotonic_ns()) - n0 < 200000000u)
		;
	tsc_per_ns = (double)(tsc() - t0) / (double)(n1 - n0);
	printf("linux-init: TSC %.1f MHz (against CLOCK_MONOTONIC)\n", tsc_per_ns * 1000);
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

// Print the figure line of one row: ticks[i] is the TSC time of run i, which did `per` operations.
static void report(const char *key, uint64_t *ticks, unsigned per, const char *note)
{
	qsort(ticks, RUNS, sizeof ticks[0], by_value);
	double scale = 1.0 / (tsc_per_ns * per);
	printf("figure: %s %.1f ns (%d runs of %u, min %.1f, max %.1f)%s%s\n", key, ticks[RUNS / 2] * scale, RUNS, per,
	       ticks[0] * scale, ticks[RUNS - 1] * scale, note ? " " : "", note ? note : "");
	fflush(stdout);
}

static uint64_t ticks[RUNS];

// One null system call: getppid through syscall(), which no C library caches.
static void bench_null_syscall(void)
{
	enum { PER = 100 };
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = tsc();
		for (int i = 0; i < PER; i++)
			syscall(SYS_getppid);
		ticks[r] = tsc() - t0;
	}
	report("null_syscall", ticks, PER, "getppid");
}

// Two processes (two address spaces) pinned to CPU 0 call sched_yield in turn; the time per switch. Both run
// SCHED_FIFO at one priority, where a yield always hands the CPU to the other (under SCHED_OTHER, CFS often picks the
// yielding task again and the pair does not alternate). The child counts its yields in a shared page, so the line
// shows that the yields did alternate.
static void bench_user_switch(void)
{
	enum { PER = 10 }; // a short run (20 switches, ~0.25 ms): fewer runs straddle the host descheduling QEMU
	cpu_set_t cpu0;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof cpu0, &cpu0) != 0)
		fail("sched_setaffinity");
	// Through syscall(): musl's sched_setscheduler() refuses (ENOSYS), as Linux's call sets one thread's policy.
	struct sched_param fifo = {.sched_priority = 1}, other = {.sched_priority = 0};
	if (syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &fifo) != 0)
		fail("sched_setscheduler SCHED_FIFO");
	volatile uint64_t *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		fail("mmap of the shared page");
	pid_t child = fork();
	if (child < 0)
		fail("fork");
	if (child == 0) {
		shared[0] = 1;
		for (;;) {
			shared[1]++;
			sched_yield();
		}
	}
	while (!shared[0])
		sched_yield();
	uint64_t before = shared[1];
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = tsc();
		for (int i = 0; i < PER; i++)
			sched_yield();
		ticks[r] = tsc() - t0;
	}
	uint64_t child_yields = shared[1] - before;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &other) != 0)
		fail("sched_setscheduler SCHED_OTHER");
	char note[128];
	snprintf(note, sizeof note,
		 "sched_yield, two SCHED_FIFO processes on one CPU; the other yielded %llu times to our %u",
		 (unsigned long long)child_yields, RUNS * PER);
	report("user_switch", ticks, 2 * PER, note); // each of our yields is two switches: there and back
}

// Map one fresh anonymous page, write it (the fault allocates and zeroes it), unmap it.
static void bench_map_touch_unmap(void)
{
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = tsc();
		volatile char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			fail("mmap");
		p[0] = 1;
		if (munmap((void *)p, PAGE) != 0)
			fail("munmap");
		ticks[r] = tsc() - t0;
	}
	report("map_touch_unmap", ticks, 1, "mmap, write, munmap");
}

// 4 KiB of user memory copied into the kernel by one system call: pwrite to offset 0 of a file on ramfs (after the
// first run, the copy lands in a page the file already has).
static void bench_copy_from_user_4k(void)
{
	enum { PER = 10 };
	static char buf[PAGE];
	memset(buf, 'x', sizeof buf);
	if (mount("ramfs", "/mnt", "ramfs", 0, NULL) != 0)
		fail("mount ramfs on /mnt");
	int fd = open("/mnt/f", O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		fail("open /mnt/f");
	if (pwrite(fd, buf, sizeof buf, 0) != sizeof buf)
		fail("pwrite");
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = tsc();
		for (int i = 0; i < PER; i++)
			if (pwrite(fd, buf, sizeof buf, 0) != sizeof buf)
				fail("pwrite");
		ticks[r] = tsc() - t0;
	}
	close(fd);
	report("copy_from_user_4k", ticks, PER, "pwrite to ramfs");
}

// Print one line of a small file (under /sys), to say what this kernel runs with.
static void show(const char *label, const char *path)
{
	char line[160] = "?";
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(line, sizeof line, f))
			strcpy(line, "?");
		fclose(f);
	}
	line[strcspn(line, "\n")] = 0;
	printf("linux-init: %s: %s\n", label, line);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("linux-init: started\n");
	const char *mode = getenv("linux_bench"); // linux_bench=boot on the command line reaches init's environment
	if (mode && strcmp(mode, "boot") == 0)
		power_off();
	struct utsname u;
	if (uname(&u) == 0)
		printf("linux-init: Linux %s %s\n", u.release, u.version);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) == 0) {
		show("clock source", "/sys/devices/system/clocksource/clocksource0/current_clocksource");
		show("meltdown", "/sys/devices/system/cpu/vulnerabilities/meltdown");
		show("spectre_v2", "/sys/devices/system/cpu/vulnerabilities/spectre_v2");
	}
	calibrate();
	bench_null_syscall();
	bench_user_switch();
	bench_map_touch_unmap();
	bench_copy_from_user_4k();
	printf("linux-init: done\n");
	power_off();
}
