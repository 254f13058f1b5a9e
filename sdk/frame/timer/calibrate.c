/*
 * Calibration at boot: how fast the TSC and the local APIC timer run. CPUID 0x15 says it exactly
 * where the CPU has it; otherwise, and as a cross-check, the TSC is measured over two windows of
 * 2.5 ms against the first reference clock that works: the HPET, the ACPI PM timer, PIT channel 2
 * (gated through port 0x61), PIT channel 0. Each reading is bracketed by two TSC reads, so a
 * reading delayed (an SMI, the emulator's thread preempted) shows as uncertainty instead of
 * error. A window that may hide a wrap of the counter (the emulator stopped) is measured again.
 * Every wait is bounded; a reference that is absent, does not move or gives an implausible rate is
 * skipped; two references that keep disagreeing are settled by a third; if nothing works, or no
 * third agrees with either, the boot stops rather than run with a wrong clock.
 */
#include "timer/calibrate.h"
#include "acpi/acpi.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "io/io.h"
#include "lib/bytes.h"
#include "lib/format.h"
#include "mm/kernel_area.h"
#include "mm/page_table.h"
#include <frame/log.h>
#include <frame/panic.h>
#include <stdarg.h>

#define WINDOW_US 5000			      /* each of the two windows compared (PIT, PM timer) */
#define WINDOW_US_FINE 2000		      /* the same against the HPET: fine and read in one access */
#define WAIT_TSC_MAX (TSC_MAX_HZ / 1000 * 50) /* 50 ms at the fastest plausible TSC: a window's bound */
#define POLLS_MAX (1u << 22)		      /* and the bound on reads, should the TSC stand still */
#define ATTEMPTS 5			      /* windows that disagree are measured again, this often */
#define AGREE_PPM 5000			      /* the two windows within 0.5% */
#define CROSS_PPM 20000			      /* CPUID and a measurement within 2%, or a warning */
#define RECHECKS 3			      /* two references that disagree are measured again, this often */
#define CRYSTAL_PPM 200			      /* CPUID 0x15's crystal, unmeasured: its tolerance, generously */
#define SLACK_PPM 20			      /* added to every error bound: rounding, the emulator's clock */
#define HPET_SIZE 4096			      /* its 1 KiB of registers, mapped and checked by the page */
#define HPET_CAPS 0x00
#define HPET_CONFIG 0x10
#define HPET_ENABLE 1u
#define HPET_COUNTER 0xf0

uint64_t clock_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 n = (unsigned __int128)a * b, r = 0;
	if (!c || (uint64_t)(n >> 64) >= c)
		return UINT64_MAX;
	uint64_t q = 0; /* binary long division: the frame has no 128-bit division routine */
	for (int i = 127; i >= 0; i--) {
		r = r << 1 | ((n >> i) & 1);
		if (r >= c) {
			r -= c;
			q |= i < 64 ? 1ull << i : 0;
		}
	}
	return q;
}

bool clock_rate_plausible(uint64_t hz)
{
	return hz >= TSC_MIN_HZ && hz <= TSC_MAX_HZ;
}

bool clock_rates_agree(uint64_t a, uint64_t b, uint32_t ppm)
{
	uint64_t hi = a > b ? a : b, lo = a > b ? b : a;
	return hi && (unsigned __int128)(hi - lo) * 1000000 <= (unsigned __int128)hi * ppm;
}

uint64_t clock_cpuid_tsc_hz(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t base_mhz)
{
	if (!eax || !ebx)
		return 0;
	if (ecx)				  /* crystal Hz × numerator / denominator */
		return (uint64_t)ecx * ebx / eax; /* < 2^64: two 32-bit factors */
	return (uint64_t)base_mhz * 1000000;	  /* the crystal is base × denominator / numerator */
}

uint64_t clock_span_hz(uint32_t ticks1, uint32_t ticks2, uint64_t cycles, uint64_t ref_hz)
{
	uint64_t ticks = (uint64_t)ticks1 + ticks2; /* each window below the wrap: their sum is exact */
	return ticks ? clock_muldiv(cycles, ref_hz, ticks) : 0;
}

bool clock_window_sound(uint32_t ticks, uint64_t cycles, uint32_t gap_ticks, uint64_t gap_cycles, uint32_t mask)
{
	uint64_t half = ((uint64_t)mask + 1) / 2;
	if (ticks >= half || gap_ticks > ticks || gap_cycles >= cycles)
		return false;
	uint64_t rest = ticks - gap_ticks; /* counted over cycles - gap_cycles, reads close together */
	if (rest < 16)
		return false; /* too few ticks outside the gap to tell how many it hid */
	uint64_t in_gap = clock_muldiv(gap_cycles, rest, cycles - gap_cycles);
	return in_gap < half && rest + in_gap < half;
}

uint64_t clock_hpet_base(const uint8_t *t, size_t len)
{
	if (!acpi_table_ok(t, len, "HPET", 56, "HPET"))
		return 0;
	uint64_t base = get64(t + 44);
	if (t[40] != 0 || !base ||
	    (base & (HPET_SIZE - 1))) { /* page-aligned, or the page holds more */ /* address space 0: system memory */
		log_warn("acpi: HPET table names no usable register block (space %u, 0x%llx)", t[40],
			 (unsigned long long)base);
		return 0;
	}
	return base;
}

bool clock_fadt_pm_timer(const uint8_t *t, size_t len, uint16_t *port, unsigned *bits)
{
	if (!acpi_table_ok(t, len, "FACP", 116, "FADT"))
		return false;
	uint32_t flags = get32(t + 112), total = get32(t + 4);
	if (flags & (1u << 20)) /* HW_REDUCED_ACPI: there is no PM timer */
		return false;
	uint64_t blk = get32(t + 76); /* PM_TMR_BLK, PM_TMR_LEN must be 4 */
	if (blk && t[91] != 4)
		return false;
	if (!blk && total >= 220 && t[208] == 1) /* X_PM_TMR_BLK in system I/O space */
		blk = get64(t + 212);
	if (!blk || blk > 0xfffc)
		return false;
	*port = (uint16_t)blk;
	*bits = flags & (1u << 8) ? 32 : 24; /* TMR_VAL_EXT */
	return true;
}

/* A reference clock: a counter that counts up at hz, mask wide. */
struct ref {
	const char *name;
	uint64_t hz;
	uint32_t mask;
	uint32_t (*read)(void);
	uint32_t window_us;
};

static volatile void *hpet;
static uint16_t pm_port;

static uint32_t hpet_read(void)
{
	return mmio_read32(hpet, HPET_COUNTER);
}

static uint32_t pm_read(void)
{
	return inl(pm_port);
}

/* PIT channel ch's count, latched, made to count up. */
static uint32_t pit_read(unsigned ch)
{
	outb(0x43, (uint8_t)(ch << 6)); /* counter latch command */
	uint8_t lo = inb((uint16_t)(0x40 + ch));
	uint8_t hi = inb((uint16_t)(0x40 + ch));
	return (uint32_t) - (lo | hi << 8) & 0xffff;
}

static uint32_t pit2_read(void)
{
	return pit_read(2);
}

static uint32_t pit0_read(void)
{
	return pit_read(0);
}

/* Start PIT channel ch counting down from 65536 (mode 0, binary), for good. */
static void pit_start(unsigned ch)
{
	outb(0x43, (uint8_t)(ch << 6 | 0x30)); /* lobyte/hibyte, mode 0 */
	outb((uint16_t)(0x40 + ch), 0);
	outb((uint16_t)(0x40 + ch), 0);
}

static bool apic;     /* whether each sample reads the local APIC timer too */
static bool pit_dead; /* PIT channel 0 was measured and did not count */

/* A reading of a reference (and of the APIC timer), and the TSC at that moment. */
struct sample {
	uint32_t ref, apic;
	uint64_t tsc, spread; /* the middle of the TSC values around the reads, their distance */
};

/* Read r (NULL: no reference) and the APIC timer (if apic) between two TSC reads, three
 * times, and keep the tightest bracket: a read delayed (the emulator's thread preempted, an
 * SMI) shows as a wide one. */
static struct sample sample(const struct ref *r)
{
	struct sample best = {0, 0, 0, UINT64_MAX};
	for (int i = 0; i < 3; i++) {
		uint64_t t0 = rdtsc();
		uint32_t v = r ? r->read() : 0, count = apic ? lapic_count_now() : 0;
		uint64_t t1 = rdtsc();
		if (t1 - t0 < best.spread)
			best = (struct sample){v, count, t0 + (t1 - t0) / 2, t1 - t0};
	}
	return best;
}

/* What a window gave: a sample at its end, or nothing because the counter never moved, or
 * nothing because it was held up (moved, but not to the end within the bounds: the emulator
 * stopped, an SMI, a 16-bit counter that wrapped past the end meanwhile). */
enum window_result { WINDOW_OK, WINDOW_DEAD, WINDOW_HELD_UP };

/* Wait until r has counted ticks past s, then sample it into *end. *sound says whether the window
 * can be trusted not to hide a wrap of the counter: the longest stretch between two reads is
 * timed by the TSC. */
static enum window_result window(const struct ref *r, struct sample s, uint32_t ticks, struct sample *end, bool *sound)
{
	uint32_t prev = s.ref, gap_ticks = 0;
	uint64_t prev_tsc = s.tsc, gap = 0;
	bool moved = false;
	for (uint32_t n = 0; n < POLLS_MAX; n++) {
		uint64_t t = rdtsc();
		uint32_t v = r->read();
		if (t - prev_tsc > gap)
			gap = t - prev_tsc, gap_ticks = (v - prev) & r->mask;
		moved |= v != s.ref;
		prev = v, prev_tsc = t;
		if (((v - s.ref) & r->mask) >= ticks) {
			*end = sample(r);
			if (end->tsc - t > gap)
				gap = end->tsc - t, gap_ticks = (end->ref - v) & r->mask;
			*sound = end->tsc > s.tsc && clock_window_sound((end->ref - s.ref) & r->mask, end->tsc - s.tsc,
									gap_ticks, gap, r->mask);
			return WINDOW_OK;
		}
		if (t - s.tsc > WAIT_TSC_MAX)
			break;
	}
	return moved ? WINDOW_HELD_UP : WINDOW_DEAD;
}

/* The APIC timer's rate between samples a and b, the TSC running at tsc_hz. */
static uint64_t apic_rate(struct sample a, struct sample b, uint64_t tsc_hz)
{
	return b.tsc > a.tsc ? clock_muldiv(b.apic - a.apic, tsc_hz, b.tsc - a.tsc) : 0;
}

/* Collects, for the panic, what each source said. */
static char tried[320];
static size_t tried_len;

/* Log (at debug) and keep for the panic why a source gave no rate. */
__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	char line[96];
	va_list ap;
	va_start(ap, fmt);
	format_vbuf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("clock: %s", line);
	if (tried_len < sizeof(tried))
		tried_len +=
			format_buf(tried + tried_len, sizeof(tried) - tried_len, "%s%s", tried_len ? "; " : "", line);
}

/* The TSC rate measured against r, with *first and *last the samples it spans and *ppm its
 * uncertainty; 0 after a log line saying why when r does not move or gives nothing plausible. */
static uint64_t measure(const struct ref *r, struct sample *first, struct sample *last, uint32_t *ppm)
{
	uint32_t ticks = (uint32_t)(r->hz * r->window_us / 1000000);
	uint64_t r1 = 0, r2 = 0, hz = 0;
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		struct sample a = sample(r), b, c;
		bool sound1 = false, sound2 = false;
		enum window_result w1 = window(r, a, ticks, &b, &sound1);
		enum window_result w2 = w1 == WINDOW_OK ? window(r, b, ticks, &c, &sound2) : w1;
		if (w1 == WINDOW_DEAD || w2 == WINDOW_DEAD) {
			log_warn("clock: %s %s: skipped", r->name,
				 w1 == WINDOW_DEAD ? "does not count" : "stopped counting");
			note("%s: %s", r->name, w1 == WINDOW_DEAD ? "does not count" : "stopped counting");
			return 0;
		}
		if (w2 == WINDOW_HELD_UP) { /* moving, but held up past the bound: as a window that may hide a wrap */
			log_debug("clock: %s: a window was held up past %u ms: measuring again", r->name,
				  (unsigned)(WAIT_TSC_MAX / (TSC_MAX_HZ / 1000)));
			continue;
		}
		uint32_t n1 = (b.ref - a.ref) & r->mask, n2 = (c.ref - b.ref) & r->mask;
		uint64_t all = clock_span_hz(n1, n2, c.tsc - a.tsc, r->hz);
		r1 = clock_span_hz(n1, 0, b.tsc - a.tsc, r->hz), r2 = clock_span_hz(n2, 0, c.tsc - b.tsc, r->hz);
		if (!sound1 || !sound2 || !clock_rate_plausible(r1) || !clock_rate_plausible(r2) ||
		    !clock_rate_plausible(all) || !clock_rates_agree(r1, r2, AGREE_PPM) ||
		    !clock_rates_agree(all, r1, AGREE_PPM) || !clock_rates_agree(all, r2, AGREE_PPM)) {
			log_debug("clock: %s: windows of %u and %u ticks give %llu and %llu kHz%s: measuring again",
				  r->name, n1, n2, (unsigned long long)(r1 / 1000), (unsigned long long)(r2 / 1000),
				  sound1 && sound2 ? "" : " (held up long enough to hide a wrap)");
			continue;
		}
		hz = all;
		*first = a, *last = c;
		/* the reads' latency, plus a tick of the reference at each end (a read truncates) */
		*ppm = (uint32_t)clock_muldiv((a.spread + c.spread) / 2, 1000000, c.tsc - a.tsc) +
		       (uint32_t)(2000000 / (n1 + n2)) + SLACK_PPM;
		if (!apic || clock_rates_agree(apic_rate(a, b, hz), apic_rate(b, c, hz), AGREE_PPM))
			return hz;
	}
	if (hz) { /* the TSC's rate is sound: only the APIC timer's windows disagreed */
		log_warn("clock: the local APIC timer's rate against %s is not steady; the tick may be off", r->name);
		return hz;
	}
	log_warn("clock: %s gives no steady, plausible TSC rate in %d attempts (last %llu and %llu kHz): skipped",
		 r->name, ATTEMPTS, (unsigned long long)(r1 / 1000), (unsigned long long)(r2 / 1000));
	note("%s: no plausible rate", r->name);
	return 0;
}

static uint32_t hpet_period_fs; /* set once the HPET is mapped: a re-measurement reuses it */

static bool hpet_setup(struct ref *r, uint64_t *config)
{
	if (hpet) {
		*config = mmio_read64(hpet, HPET_CONFIG);
		mmio_write64(hpet, HPET_CONFIG, *config | HPET_ENABLE);
		*r = (struct ref){"the HPET", 1000000000000000ull / hpet_period_fs, UINT32_MAX, hpet_read,
				  WINDOW_US_FINE};
		return true;
	}
	uint32_t len;
	const uint8_t *t = acpi_find_table("HPET", &len);
	uint64_t base = t ? clock_hpet_base(t, len) : 0;
	if (!base) {
		note("HPET: none in ACPI");
		return false;
	}
	const char *why = io_mem_frame_refuses(base, HPET_SIZE);
	volatile void *probe = why ? NULL : kernel_area_map_device(base, HPET_SIZE, PTE_CACHE_UC, NULL);
	if (!probe) {
		log_warn("clock: HPET at 0x%llx not mapped (%s)", (unsigned long long)base, why ? why : "no room");
		note("HPET: not mapped");
		return false;
	}
	uint32_t period_fs = (uint32_t)(mmio_read64(probe, HPET_CAPS) >> 32);
	kernel_area_unmap_device(probe); /* mapped for good, as the frame's, only if it is one */
	if (period_fs < HPET_MIN_PERIOD_FS || period_fs > HPET_MAX_PERIOD_FS) {
		log_warn("clock: HPET at 0x%llx has a period of %u fs: skipped", (unsigned long long)base, period_fs);
		note("HPET: implausible period");
		return false;
	}
	if (!(hpet = kernel_area_map_mmio(base, HPET_SIZE, "the HPET"))) {
		log_warn("clock: HPET at 0x%llx not mapped (no room)", (unsigned long long)base);
		note("HPET: not mapped");
		return false;
	}
	hpet_period_fs = period_fs;
	return hpet_setup(r, config);
}

static bool pm_setup(struct ref *r)
{
	uint32_t len;
	unsigned bits;
	const uint8_t *t = acpi_find_table("FACP", &len);
	if (!t || !clock_fadt_pm_timer(t, len, &pm_port, &bits)) {
		note("ACPI PM timer: none in the FADT");
		return false;
	}
	/* The port must not be one the frame denies drivers (the console, the exit device...),
	 * other than the ACPI power-management block the PM timer belongs to. */
	const char *owner = io_ports_owner(pm_port, 4), *pm = "the ACPI power-management registers";
	size_t n = 0;
	while (owner && pm[n] && owner[n] == pm[n])
		n++;
	if (owner && pm[n]) {
		log_warn("clock: the FADT puts the ACPI PM timer at port 0x%x, which is %s: skipped", pm_port, owner);
		note("ACPI PM timer: port denied");
		return false;
	}
	*r = (struct ref){"the ACPI PM timer", PM_TIMER_HZ, bits == 32 ? UINT32_MAX : 0xffffff, pm_read, WINDOW_US};
	return true;
}

/* PIT channel 2 counts only with its gate (port 0x61 bit 0) up; the bit must read back. */
static bool pit2_setup(struct ref *r)
{
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
	if ((inb(0x61) & 0x03) != 0x01) {
		note("PIT channel 2: no gate at port 0x61");
		return false;
	}
	pit_start(2);
	*r = (struct ref){"PIT channel 2", PIT_HZ, 0xffff, pit2_read, WINDOW_US};
	return true;
}

static bool pit0_setup(struct ref *r)
{
	pit_start(0);
	*r = (struct ref){"PIT channel 0", PIT_HZ, 0xffff, pit0_read, WINDOW_US};
	return true;
}

/* Measure against one reference; false when it is absent or gives no rate. */
static bool measure_one(int which, struct ref *r, uint64_t *hz, struct sample *first, struct sample *last,
			uint32_t *ppm)
{
	uint64_t hpet_config;
	*hz = 0;
	switch (which) {
	case 0:
		if (hpet_setup(r, &hpet_config)) {
			*hz = measure(r, first, last, ppm);
			mmio_write64(hpet, HPET_CONFIG, hpet_config); /* as the firmware left it */
		}
		break;
	case 1:
		if (pm_setup(r))
			*hz = measure(r, first, last, ppm);
		break;
	case 2:
		if (pit2_setup(r)) {
			*hz = measure(r, first, last, ppm);
			outb(0x61, inb(0x61) & ~0x03); /* gate off */
		}
		break;
	default:
		pit0_setup(r);
		*hz = measure(r, first, last, ppm);
		pit_dead = !*hz;
	}
	return *hz != 0;
}

/* Two references, r (number ri, rate hz) and o (number oi, rate check, a 0 for one that gave
 * none when measured again), keep disagreeing: a third that agrees with one of them decides (two
 * of three), and the winner is measured again with the APIC timer; with none, the boot stops. */
static uint64_t arbitrate(struct calibration *out, struct ref *r, uint64_t hz, int ri, struct ref *o, uint64_t check,
			  uint32_t o_ppm, int oi, struct sample *first, struct sample *last, bool had_apic)
{
	struct ref t = {0};
	struct sample a, b;
	uint32_t ppm = 0;
	uint64_t third = 0;
	for (int ti = oi + 1; ti < 4 && !third; ti++)
		measure_one(ti, &t, &third, &a, &b, &ppm);
	int winner = third && hz && clock_rates_agree(hz, third, out->error_ppm + ppm) ? ri
		     : third && check && clock_rates_agree(check, third, o_ppm + ppm)  ? oi
										       : -1;
	if (winner < 0)
		panic("clock_init: %s gives a TSC rate of %llu kHz and %s %llu kHz (0: none when measured again), "
		      "%d times, and %s: nothing says which is right, and the frame will not run with a wrong clock",
		      r->name, (unsigned long long)(hz / 1000), o->name, (unsigned long long)(check / 1000),
		      RECHECKS + 1, third ? "a third reference agrees with neither" : "there is no third reference");
	log_warn("clock: %s and %s disagree; %s (%llu kHz) agrees with %s: taking it", r->name, o->name, t.name,
		 (unsigned long long)(third / 1000), winner == ri ? r->name : o->name);
	apic = had_apic;
	if (!measure_one(winner, r, &hz, first, last, &out->error_ppm))
		panic("clock_init: %s, which two references agreed on, gives no rate when measured again", r->name);
	out->source = r->name;
	return hz;
}

/* The TSC rate measured against the first reference that gives one, cross-checked against the
 * next that does (a reference that lies, an HPET with a wrong period, shows as a disagreement);
 * 0 when none gives one. */
static uint64_t measure_any(struct calibration *out, struct sample *first, struct sample *last)
{
	struct ref r, o;
	uint64_t hz = 0, check;
	int which = 0;
	for (; which < 4 && !hz; which++)
		if (measure_one(which, &r, &hz, first, last, &out->error_ppm))
			out->source = r.name;
	bool had_apic = apic;
	struct sample a, b;
	uint32_t ppm;
	for (int other = which; other < 4 && hz; other++) {
		apic = false; /* the APIC timer is measured with the first */
		if (!measure_one(other, &o, &check, &a, &b, &ppm))
			continue;
		/* One of the two is wrong (held up, or lying), and nothing says which: measure both
		 * again, a few times; then a third reference decides, or the boot stops rather than guess. */
		for (int n = 0; n < RECHECKS && !(hz && check && clock_rates_agree(hz, check, out->error_ppm + ppm));
		     n++) {
			log_warn("clock: %s gives a TSC rate of %llu kHz, %s %llu kHz: measuring both again", r.name,
				 (unsigned long long)(hz / 1000), o.name, (unsigned long long)(check / 1000));
			/* A measurement that gives nothing this time (a stalled host) keeps the last rate. */
			uint64_t again;
			struct sample f2, l2, a2, b2;
			uint32_t ppm2;
			apic = had_apic;
			if (measure_one(which - 1, &r, &again, &f2, &l2, &ppm2))
				hz = again, *first = f2, *last = l2, out->error_ppm = ppm2;
			apic = false;
			if (measure_one(other, &o, &again, &a2, &b2, &ppm2))
				check = again, a = a2, b = b2, ppm = ppm2;
		}
		if (!hz || !check || !clock_rates_agree(hz, check, out->error_ppm + ppm)) {
			hz = arbitrate(out, &r, hz, which - 1, &o, check, ppm, other, first, last, had_apic);
			break;
		}
		log_debug("clock: %s agrees (%llu kHz, +-%u ppm)", o.name, (unsigned long long)(check / 1000), ppm);
		break;
	}
	apic = had_apic;
	return hz;
}

/* The TSC rate CPUID 0x15 (with 0x16) states, 0 if none. */
static bool cpuid_exact; /* the crystal's rate came from 0x15 itself, not 0x16's nominal base */

static uint64_t cpuid_hz(void)
{
	uint32_t max, a, b, c, d, base = 0;
	cpuid(0, &max, &b, &c, &d);
	if (max < 0x15) {
		note("CPUID 0x15: absent");
		return 0;
	}
	if (max >= 0x16)
		cpuid(0x16, &base, &b, &c, &d);
	cpuid(0x15, &a, &b, &c, &d);
	uint64_t hz = clock_cpuid_tsc_hz(a, b, c, base & 0xffff);
	cpuid_exact = c != 0;
	if (!clock_rate_plausible(hz)) {
		log_debug("clock: CPUID 0x15 says %u/%u of %u Hz (0x16: %u MHz): not a TSC rate", b, a, c, base);
		note("CPUID 0x15: no rate");
		return 0;
	}
	return hz;
}

/* Without CPUID 0x80000007 EDX bit 8 the TSC may change rate with the CPU's clock or stop in deep
 * sleep: the rate measured at boot then holds only while the clock does not change. */
static void invariant_tsc(void)
{
	uint32_t max, a, b, c, d;
	cpuid(0x80000000u, &max, &b, &c, &d);
	d = 0; /* leaf 0x80000000's EDX is part of the vendor's name, not the flags */
	if (max >= 0x80000007u)
		cpuid(0x80000007u, &a, &b, &c, &d);
	if (d & (1u << 8))
		return;
	cpuid(1, &a, &b, &c, &d);
	if (c & (1u << 31)) /* a hypervisor's TSC: constant in practice, the bit hidden for migration */
		log_debug("clock: the hypervisor does not promise an invariant TSC; time is right only while "
			  "the TSC keeps its boot-time rate");
	else
		log_warn("clock: the CPU has no invariant TSC (CPUID 0x80000007 EDX bit 8): time is right only "
			 "while the TSC keeps its boot-time rate (no frequency changes, no deep sleep)");
}

/* Samples of the APIC timer 5 ms apart by the TSC alone (when no reference moves). */
static void apic_by_tsc(uint64_t tsc_hz, struct sample *first, struct sample *last)
{
	*first = sample(NULL);
	for (uint32_t n = 0; n < POLLS_MAX && rdtsc() - first->tsc < tsc_hz / 200; n++)
		;
	*last = sample(NULL);
}

void clock_calibrate(struct calibration *out, bool has_apic)
{
	struct sample first = {0}, last = {0};
	*out = (struct calibration){0};
	apic = has_apic;
	if (apic)
		lapic_count_begin();
	uint64_t told = cpuid_hz(), measured = measure_any(out, &first, &last);
	if (told && measured && !clock_rates_agree(told, measured, CROSS_PPM))
		log_warn("clock: CPUID 0x15 says the TSC runs at %llu kHz, %s measures %llu kHz: taking the "
			 "measurement",
			 (unsigned long long)(told / 1000), out->source, (unsigned long long)(measured / 1000));
	else if (told && measured && (!cpuid_exact || !clock_rates_agree(told, measured, out->error_ppm)))
		log_debug("clock: CPUID 0x15/0x16's %llu kHz is %s, or nominal; taking %s's measurement",
			  (unsigned long long)(told / 1000),
			  cpuid_exact ? "outside the measurement's bound" : "0x16's base", out->source);
	else if (told && measured) { /* the crystal's exact rate, within the measurement's bound (kept) */
		static char checked[48];
		format_buf(checked, sizeof(checked), "CPUID 0x15 (%s agrees)", out->source);
		out->source = checked;
		measured = told;
	} else if (told && !cpuid_exact) {
		note("CPUID 0x16: a nominal base frequency, not trusted unmeasured");
	} else if (told) { /* the crystal's rate, unchecked: trusted to a crystal's tolerance */
		apic_by_tsc(told, &first, &last);
		out->source = "CPUID 0x15 (unmeasured)";
		out->error_ppm = CRYSTAL_PPM + SLACK_PPM;
		measured = told;
	}
	if (!measured)
		panic("clock_init: no source gives a plausible TSC rate (%llu to %llu MHz), and the frame will not run "
		      "with a wrong clock; tried: %s",
		      TSC_MIN_HZ / 1000000, TSC_MAX_HZ / 1000000, tried);
	invariant_tsc();
	out->tsc_hz = measured;
	out->pit_dead = pit_dead;
	out->apic_hz = apic ? apic_rate(first, last, measured) : 0;
}
