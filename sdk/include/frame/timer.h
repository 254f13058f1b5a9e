/**
 * @file timer.h
 * @brief Time: durations, the monotonic clock, the tick, and timer callbacks.
 * @ingroup frame_timer
 */
#ifndef FRAME_TIMER_H
#define FRAME_TIMER_H

#include <frame/compiler.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * @defgroup frame_timer Timers and time
 * @brief A periodic tick, a monotonic clock in nanoseconds, and callbacks that run after a delay.
 *
 * The frame starts a periodic tick of #TIMER_HZ interrupts a second before kernel_main() runs:
 * the local APIC timer, calibrated at boot (against the HPET, the ACPI PM timer or the PIT), or
 * the PIT itself on a CPU without a local APIC. The tick drives jiffies, timer callbacks, sleeping and preemption.
 *
 * Durations carry their unit in their type: `task_sleep(MSEC(10))`, never a bare number.
 *
 * @code
 * static void blink(struct timer *t, void *ctx) { ... }      // runs in interrupt context
 * static struct timer blinker = TIMER_INIT(blink, NULL);
 * timer_start(&blinker, MSEC(100), MSEC(100));              // every 100 ms, first in 100 ms
 * @endcode
 * @{
 */

/** @brief A span of time. Build one with NSEC(), USEC(), MSEC() or SEC(). */
struct duration {
	uint64_t ns; /**< Nanoseconds. */
};

/**
 * @brief A duration of @p n nanoseconds.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (it only builds a value).
 */
#define NSEC(n) ((struct duration){(uint64_t)(n)})
/**
 * @brief A duration of @p n microseconds.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (it only builds a value).
 */
#define USEC(n) ((struct duration){(uint64_t)(n)*1000ull})
/**
 * @brief A duration of @p n milliseconds.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (it only builds a value).
 */
#define MSEC(n) ((struct duration){(uint64_t)(n)*1000000ull})
/**
 * @brief A duration of @p n seconds.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (it only builds a value).
 */
#define SEC(n) ((struct duration){(uint64_t)(n)*1000000000ull})
/** @brief No time limit, for functions that take a timeout. */
#define FOREVER ((struct duration){UINT64_MAX})

/** @brief The tick rate: timer interrupts a second (one jiffy is 1/TIMER_HZ s, 1 ms). */
#define TIMER_HZ 1000

/**
 * @brief Nanoseconds since boot, from the CPU's time-stamp counter (calibrated at boot: CPUID,
 * the HPET, the ACPI PM timer or the PIT). Never goes backwards, and never runs ahead of the
 * reference clock it was calibrated against: the TSC is taken at the top of the calibration's
 * error bound (logged at boot, "+-N ppm"; tens to a few hundred ppm), so it may lag by up to
 * twice that bound.
 * @return The time since the frame started its clock.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t time_now_ns(void);

/**
 * @brief Timer ticks since boot.
 * @return The number of ticks so far (#TIMER_HZ a second). Never ahead of time_now_ns():
 * jiffy n is counted only once time_now_ns() has reached n ms.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t jiffies(void);

/**
 * @brief How the tick is made, e.g. "local APIC timer" or "PIT".
 * @return A constant string.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *timer_source(void);

struct timer;
/**
 * @brief A timer callback. Runs in interrupt context: it must not sleep (no mutex, no
 * task_sleep(), no wait); it may wake tasks, start or cancel timers and take IRQ-saving spinlocks.
 * @param timer the timer that fired.
 * @param ctx the context pointer given to TIMER_INIT() or timer_init().
 */
typedef void (*timer_fn)(struct timer *timer, void *ctx);

/**
 * @brief A timer: a callback run after a delay, once or periodically. Declare one with
 * TIMER_INIT() or set it up with timer_init(); the fields are private.
 */
struct timer {
	/** @cond PRIVATE */
	uint32_t magic_;
	bool pending_;
	timer_fn fn_;
	void *ctx_;
	uint64_t expires_; /* in jiffies */
	uint64_t period_;  /* in jiffies; 0 for a one-shot timer */
	struct timer *next_;
	/** @endcond */
};

/** @cond PRIVATE */
#define TIMER_MAGIC_ 0x54494d45u
/** @endcond */

/**
 * @brief A static initializer: `static struct timer t = TIMER_INIT(fn, ctx);`.
 * @param fn the callback (runs in interrupt context).
 * @param ctx passed to @p fn.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (an initializer: it runs no code).
 */
#define TIMER_INIT(fn, ctx) \
	{ \
		.magic_ = TIMER_MAGIC_, .fn_ = (fn), .ctx_ = (ctx) \
	}

/**
 * @brief Set up @p timer to call @p fn with @p ctx; it is not started.
 * @param timer the timer to set up (the run-time twin of TIMER_INIT()).
 * @param fn the callback (runs in interrupt context).
 * @param ctx passed to @p fn (may be NULL).
 * @par Panics
 * If @p timer or @p fn is NULL, or @p timer is pending (cancel it first).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void timer_init(struct timer *timer, timer_fn fn, void *ctx);

/**
 * @brief Start @p timer: it fires after @p delay, then every @p period (or once, if @p period
 * is zero). It never fires early, by time_now_ns() and so by the reference clock: @p delay is
 * rounded up to whole ticks and one more is added (the current tick is partly over), so the
 * first firing comes up to two ticks after @p delay has passed (later still while interrupts are
 * held off or the host is busy). @p period is rounded up to whole ticks, and each later firing
 * is due that many ticks after the previous one was due.
 * @param timer a timer set up with TIMER_INIT() or timer_init().
 * @param delay when it fires first.
 * @param period the time between later firings; NSEC(0) for a one-shot timer.
 * @par Panics
 * If @p timer was never set up, or is already pending (restarting needs timer_cancel() first).
 * @par Context
 * Any, including interrupt handlers and timer callbacks; also its own callback (to re-arm a
 * one-shot timer).
 */
void timer_start(struct timer *timer, struct duration delay, struct duration period);

/**
 * @brief Stop @p timer if it is pending. Its callback will not run again (unless restarted).
 * @param timer a timer set up with TIMER_INIT() or timer_init().
 * @return true if it was pending, false if it had fired (one-shot) or was never started.
 * @par Panics
 * If @p timer was never set up.
 * @par Context
 * Any, including interrupt handlers and timer callbacks; also its own callback.
 */
bool timer_cancel(struct timer *timer);

/**
 * @brief Whether @p timer is waiting to fire.
 * @param timer a timer set up with TIMER_INIT() or timer_init().
 * @return true from timer_start() until a one-shot timer fires or timer_cancel() stops it; a
 * periodic timer stays pending until it is cancelled.
 * @par Panics
 * If @p timer was never set up.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
bool timer_pending(const struct timer *timer);

/** @} */
#endif
