/*
 * The CMOS real-time clock, as a client of the frame: ports 0x70 (index) and 0x71 (data)
 * through one port window, acquired on first use. The clock updates once a second; a read that
 * straddles the update could mix two times, so it waits out the update-in-progress flag and
 * reads until two reads agree.
 */
#include <drivers/rtc.h>
#include <frame/io.h>
#include <frame/irq.h>
#include <frame/panic.h>
#include <frame/sync.h>
#include <frame/timer.h>
#include <stdbool.h>

#define CMOS_PORT 0x70
#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS 0x04
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_STATUS_A 0x0a
#define REG_STATUS_B 0x0b
#define REG_CENTURY 0x32 /* where QEMU and most PCs keep it (the ACPI FADT says so) */
#define STATUS_A_UPDATING 0x80
#define STATUS_B_24_HOUR 0x02
#define STATUS_B_BINARY 0x04
#define HOUR_PM 0x80
#define TRIES 1000		   /* read rounds until two agree */
#define UPDATE_WAIT_NS 10000000ull /* the update lasts about 2 ms: 10 ms is a dead clock */

static struct io_ports *cmos;
static struct mutex lock = MUTEX_INIT("rtc"); /* the index/data pair and the first acquire */

static uint8_t reg(uint8_t index)
{
	io_out8(cmos, 0, index);
	return io_in8(cmos, 1);
}

/* The raw registers, in the order of struct rtc_time; false if the clock stayed updating. */
static bool read_raw(uint8_t raw[7])
{
	uint64_t until = time_now_ns() + UPDATE_WAIT_NS;
	while (reg(REG_STATUS_A) & STATUS_A_UPDATING)
		if (time_now_ns() > until)
			return false;
	static const uint8_t regs[7] = {REG_CENTURY, REG_YEAR, REG_MONTH, REG_DAY, REG_HOURS, REG_MINUTES, REG_SECONDS};
	for (int i = 0; i < 7; i++)
		raw[i] = reg(regs[i]);
	return true;
}

/* A BCD byte as a number, or 0xff if it is not BCD. */
static uint8_t from_bcd(uint8_t v)
{
	return (v >> 4) < 10 && (v & 0xf) < 10 ? (uint8_t)((v >> 4) * 10 + (v & 0xf)) : 0xff;
}

/* Decode raw registers (per status B) into out; false if they are not a date. */
static bool decode(const uint8_t raw[7], uint8_t status_b, struct rtc_time *out)
{
	bool binary = status_b & STATUS_B_BINARY;
	uint8_t v[7];
	for (int i = 0; i < 7; i++) {
		uint8_t r = i == 4 ? (uint8_t)(raw[i] & ~HOUR_PM) : raw[i];
		v[i] = binary ? r : from_bcd(r);
	}
	uint8_t hour = v[4];
	if (!(status_b & STATUS_B_24_HOUR)) { /* 12-hour: 12 AM is 0, 12 PM is 12 */
		if (hour < 1 || hour > 12)
			return false;
		hour = (uint8_t)(hour % 12 + (raw[4] & HOUR_PM ? 12 : 0));
	}
	uint8_t century = v[0] >= 19 && v[0] <= 99 ? v[0] : 20; /* a clock without one: this century */
	if (v[1] > 99 || v[2] < 1 || v[2] > 12 || v[3] < 1 || v[3] > 31 || hour > 23 || v[5] > 59 || v[6] > 59)
		return false;
	*out = (struct rtc_time){(uint16_t)(century * 100 + v[1]), v[2], v[3], hour, v[5], v[6]};
	return true;
}

static enum err read_locked(struct rtc_time *out)
{
	if (!cmos) {
		enum err e = io_ports_acquire(&cmos, CMOS_PORT, 2, IO_PORTS_READ_WRITE);
		if (e != ERR_OK)
			return e;
	}
	uint8_t a[7], b[7];
	for (int round = 0; round < TRIES; round++) {
		if (!read_raw(a) || !read_raw(b))
			return ERR_TIMEOUT;
		bool same = true;
		for (int i = 0; i < 7; i++)
			same = same && a[i] == b[i];
		if (same)
			return decode(b, reg(REG_STATUS_B), out) ? ERR_OK : ERR_UNSUPPORTED;
	}
	return ERR_TIMEOUT;
}

enum err rtc_read(struct rtc_time *out)
{
	precondition(out != NULL, "out must not be NULL");
	precondition(!in_interrupt(), "the clock is read by tasks, not in interrupt context");
	mutex_lock(&lock); /* two tasks' index and data writes must not interleave */
	enum err e = read_locked(out);
	mutex_unlock(&lock);
	return e;
}
