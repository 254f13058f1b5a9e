/*
 * Calibration at boot: how fast the TSC and the local APIC timer run. CPUID 0x15 says it exactly
 * where the CPU has it; otherwise, and as a cross-check, the TSC is measured over two windows of
 * 2.5 ms against the first reference clock that works: the HPET, the ACPI PM timer, PIT channel 2
 * (gated through port 0x61), PIT channel 0. Each reading is bracketed by two TSC reads, so a
 * reading delayed (an SMI, the emulator's thread preempted) shows as uncertainty instead of
 * error. Every wait is bounded; a reference that is absent, does not move or gives an implausible
 * rate is skipped; if nothing works the boot stops rather than run with a wrong clock.
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

/* Wait until r has counted ticks past s: false when it does not within the bounds. */
static bool wait_ticks(const struct ref *r, struct sample s, uint32_t ticks)
{
	for (uint32_t n = 0; n < POLLS_MAX; n++) {
		if (((r->read() - s.ref) & r->mask) >= ticks)
			return true;
		if (rdtsc() - s.tsc > WAIT_TSC_MAX)
			return false;
	}
	return false;
}

/* The TSC rate between samples a and b of r (0 if r did not move). */
static uint64_t rate(const struct ref *r, struct sample a, struct sample b)
{
	uint32_t ticks = (b.ref - a.ref) & r->mask;
	return ticks ? clock_muldiv(b.tsc - a.tsc, r->hz, ticks) : 0;
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
		struct sample a = sample(r);
		if (!wait_ticks(r, a, ticks)) {
			log_warn("clock: %s does not count: skipped", r->name);
			note("%s: does not count", r->name);
			return 0;
		}
		struct sample b = sample(r);
		if (!wait_ticks(r, b, ticks)) {
			log_warn("clock: %s stopped counting: skipped", r->name);
			note("%s: stopped counting", r->name);
			return 0;
		}
		struct sample c = sample(r);
		r1 = rate(r, a, b), r2 = rate(r, b, c);
		if (!clock_rates_agree(r1, r2, AGREE_PPM) || !clock_rate_plausible(r1))
			continue;
		hz = rate(r, a, c);
		*first = a, *last = c;
		/* the reads' latency, plus a tick of the reference at each end (a read truncates) */
		*ppm = (uint32_t)clock_muldiv((a.spread + c.spread) / 2, 1000000, c.tsc - a.tsc) +
		       (uint32_t)(2000000 / ((c.ref - a.ref) & r->mask)) + SLACK_PPM;
		if (!apic || clock_rates_agree(apic_rate(a, b, hz), apic_rate(b, c, hz), AGREE_PPM))
			return hz;
	}
	if (hz) { /* the TSC's rate is sound: only the APIC timer's windows disagreed */
		log_warn("clock: the local APIC timer's rate against %s is not steady; the tick may be off", r->name);
		return hz;
	}
	log_warn("clock: %s gives TSC rates of %llu and %llu kHz, not a plausible rate twice: skipped", r->name,
		 (unsigned long long)(r1 / 1000), (unsigned long long)(r2 / 1000));
	note("%s: no plausible rate", r->name);
	return 0;
}

static bool hpet_setup(struct ref *r, uint64_t *config)
{
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
	*config = mmio_read64(hpet, HPET_CONFIG);
	mmio_write64(hpet, HPET_CONFIG, *config | HPET_ENABLE);
	*r = (struct ref){"the HPET", 1000000000000000ull / period_fs, UINT32_MAX, hpet_read, WINDOW_US_FINE};
	return true;
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

/* The TSC rate measured against the first reference that gives one, cross-checked against the
 * next that does (a reference that lies, an HPET with a wrong period, shows as a disagreement);
 * 0 when none gives one. */
static uint64_t measure_any(struct calibration *out, struct sample *first, struct sample *last)
{
	struct ref r;
	uint64_t hz = 0, check;
	int which = 0;
	for (; which < 4 && !hz; which++)
		if (measure_one(which, &r, &hz, first, last, &out->error_ppm))
			out->source = r.name;
	bool had_apic = apic;
	apic = false; /* the APIC timer was measured with the first */
	struct sample a, b;
	uint32_t ppm;
	for (; which < 4 && hz; which++) {
		if (!measure_one(which, &r, &check, &a, &b, &ppm))
			continue;
		if (clock_rates_agree(hz, check, out->error_ppm + ppm)) {
			log_debug("clock: %s agrees (%llu kHz, +-%u ppm)", r.name, (unsigned long long)(check / 1000),
				  ppm);
			break;
		}
		/* One of the two is wrong, and nothing says which: take the faster TSC rate, on which
		 * the clock can only run late, and widen the bound to the disagreement. */
		uint64_t hi = hz > check ? hz : check, lo = hz > check ? check : hz;
		log_warn("clock: %s gives a TSC rate of %llu kHz, %s %llu kHz: taking the faster (the clock "
			 "can only run late)",
			 out->source, (unsigned long long)(hz / 1000), r.name, (unsigned long long)(check / 1000));
		out->error_ppm += (uint32_t)clock_muldiv(hi - lo, 1000000, hi) + ppm;
		hz = hi;
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
	else if (told) { /* the crystal's exact rate, within the measurement's bound (kept) */
		static char checked[48];
		format_buf(checked, sizeof(checked), "CPUID 0x15 (%s agrees)", measured ? out->source : "nothing");
		if (!measured)
			apic_by_tsc(told, &first, &last);
		out->source = checked;
		out->error_ppm = measured ? out->error_ppm : SLACK_PPM;
		measured = told;
	}
	if (!measured)
		panic("clock_init: no source gives a plausible TSC rate (%llu to %llu MHz), and the frame will not run "
		      "with a wrong clock; tried: %s",
		      TSC_MIN_HZ / 1000000, TSC_MAX_HZ / 1000000, tried);
	out->tsc_hz = measured;
	out->pit_dead = pit_dead;
	out->apic_hz = apic ? apic_rate(first, last, measured) : 0;
}
