/*
 * Timer callbacks: a list of pending timers sorted by expiry (in jiffies), run from the tick in
 * interrupt context. Interrupts are off while the list changes, so any context may use it.
 */
#include "core/trace.h"
#include <frame/timer.h>
#include "mm/kasan.h"
#include "arch/x86_64/x86.h"
#include "check.h"
#include "timer/clock.h"
#include "timer/timer.h"
#include <stddef.h>

static struct timer *pending;  /* sorted by expires_, earliest first */
static uint64_t pending_count; /* how many: no walk of the list goes further */

uint64_t ticks_for(struct duration d)
{
	uint64_t per_tick = 1000000000ull / TIMER_HZ;
	uint64_t t = d.ns / per_tick + (d.ns % per_tick != 0);
	return t ? t : 1;
}

uint64_t deadline_after(struct duration d)
{
	if (d.ns == UINT64_MAX)
		return UINT64_MAX;
	/* Jiffy n begins when time_now_ns() reaches n ms, and the clock's jiffy is partly over
	 * already (+ 1): the deadline is at least d after now by time_now_ns(). */
	return clock_jiffy_now() + ticks_for(d) + 1;
}

#define REQUIRE_TIMER(t) \
	REQUIRE((t) != NULL && (t)->magic_ == TIMER_MAGIC_, \
		"%p is not a timer set up with TIMER_INIT() or timer_init()", (const void *)(t))

/* The timer a link points at, checked: the links live in the clients' struct timers, where a
 * stray write can change them, so each must lead to a pending timer in a client's memory or in
 * the frame's (a task's sleep), and no walk goes past pending_count of them. */
static struct timer *follow(struct timer *t, uint64_t steps)
{
	if (!t)
		return NULL;
	if (steps > pending_count || !(kasan_client_owns(t, sizeof(*t)) || kasan_frame_owns(t, sizeof(*t))) ||
	    t->magic_ != TIMER_MAGIC_ || !t->pending_)
		panic("the list of pending timers was overwritten: %p is not a pending timer (a write into a "
		      "struct timer, past the end of its neighbour?)",
		      (void *)t);
	return t;
}

static void insert(struct timer *t)
{
	struct timer **p = &pending;
	for (uint64_t n = 1; follow(*p, n) && (*p)->expires_ <= t->expires_; n++)
		p = &(*p)->next_;
	t->next_ = *p;
	*p = t;
	t->pending_ = true;
	pending_count++;
}

static bool unlink_timer(struct timer *t)
{
	uint64_t n = 1;
	for (struct timer **p = &pending; follow(*p, n); p = &(*p)->next_, n++)
		if (*p == t) {
			*p = t->next_;
			t->pending_ = false;
			pending_count--;
			return true;
		}
	return false;
}

void timer_init(struct timer *timer, timer_fn fn, void *ctx)
{
	REQUIRE(timer != NULL && fn != NULL, "timer and fn must not be NULL");
	REQUIRE(timer->magic_ != TIMER_MAGIC_ || !timer->pending_, "the timer is pending: timer_cancel() it first");
	CLIENT_OBJECT(timer);
	*timer = (struct timer)TIMER_INIT(fn, ctx);
}

void timer_start(struct timer *timer, struct duration delay, struct duration period)
{
	IRQ_OFF_SCOPE(); /* first: a handler could start it between check and insert */
	REQUIRE_TIMER(timer);
	CLIENT_OBJECT(timer);
	REQUIRE(timer->fn_ != NULL, "the timer has no callback");
	REQUIRE(!timer->pending_, "the timer is pending already: timer_cancel() it before starting it again");
	timer->expires_ = deadline_after(delay);
	timer->period_ = period.ns ? ticks_for(period) : 0;
	insert(timer);
}

void timer_start_at(struct timer *timer, uint64_t expires)
{
	timer->expires_ = expires;
	timer->period_ = 0;
	insert(timer);
}

bool timer_cancel(struct timer *timer)
{
	REQUIRE_TIMER(timer);
	CLIENT_OBJECT(timer);
	IRQ_OFF_SCOPE();
	return unlink_timer(timer);
}

bool timer_pending(const struct timer *timer)
{
	REQUIRE_TIMER(timer);
	return timer->pending_;
}

void timer_tick(void)
{
	uint64_t now = jiffies();
	while (follow(pending, 1) && pending->expires_ <= now) {
		struct timer *t = pending;
		pending = t->next_;
		t->pending_ = false;
		pending_count--;
		if (t->period_) {
			t->expires_ += t->period_;
			insert(t);
		}
		trace_event(TRACE_TIMER_START, 0, (uint64_t)t->fn_, (uint64_t)t);
		t->fn_(t, t->ctx_);
		trace_event(TRACE_TIMER_END, 0, (uint64_t)t->fn_, (uint64_t)t);
	}
}

bool timer_any_pending(void)
{
	return pending != NULL;
}
