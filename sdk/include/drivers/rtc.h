/**
 * @file rtc.h
 * @brief The CMOS real-time clock: today's date and time, from a driver in the safe subset.
 * @ingroup drivers_rtc
 */
#ifndef DRIVERS_RTC_H
#define DRIVERS_RTC_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <stdint.h>

/**
 * @defgroup drivers_rtc Real-time clock (driver)
 * @brief The date and time of the PC's CMOS clock, read through a port window.
 *
 * @code
 * struct rtc_time now;
 * if (rtc_read(&now) == ERR_OK)
 *         console_printf("%04u-%02u-%02u %02u:%02u:%02u\n", now.year, now.month, now.day,
 *                        now.hour, now.minute, now.second);
 * @endcode
 *
 * The driver is client code (sdk/drivers/rtc.c), built in the same safe subset as your kernel:
 * it reaches the clock through the frame's port window on 0x70-0x71. It handles both of the
 * clock's number formats (BCD and binary) and both hour formats (12 and 24 hours), and reads
 * consistently across the clock's once-a-second update: it waits out the update-in-progress
 * flag and reads until two reads agree. Values the clock gives are checked (a month of 13, a
 * minute of 61): a clock that reads as garbage is an error, not a date.
 * @{
 */

/** @brief A date and time of day, as the clock keeps it (usually UTC under QEMU). */
struct rtc_time {
	uint16_t year;	/**< Four digits, e.g. 2026. */
	uint8_t month;	/**< 1-12. */
	uint8_t day;	/**< 1-31. */
	uint8_t hour;	/**< 0-23. */
	uint8_t minute; /**< 0-59. */
	uint8_t second; /**< 0-59. */
};

/**
 * @brief Read the date and time.
 * @param out receives it; untouched unless the result is #ERR_OK.
 * @retval ERR_OK @p out holds the time.
 * @retval ERR_BUSY the clock's ports are in another window (another driver has them).
 * @retval ERR_TIMEOUT the clock stayed in its update, or two reads never agreed.
 * @retval ERR_UNSUPPORTED the values read are not a date (no clock there, or a broken one).
 * @retval ERR_NOMEM no memory for the port window.
 * @par Panics
 * If @p out is NULL.
 * @par Context
 * Tasks only (the first call acquires the port window; panics in interrupt context).
 */
FRAME_MUST_CHECK enum err rtc_read(struct rtc_time *out);

/** @} */
#endif
