/*
 * Wait queues and semaphores. A waiter puts an entry (on its own stack) at the tail of the
 * queue and blocks; a waker takes entries from the head and makes their tasks runnable. The
 * condition is checked with interrupts off, so no wake-up is lost between check and sleep.
 */
#include <frame/sync.h>
#include "mm/kasan.h"
#include "arch/x86_64/x86.h"
#include "sync/wait.h"
#include "timer/timer.h"
#include "task/sched.h"
#include "core/trace.h"
#include "mm/kernel_map.h"

struct wait_entry_ {
	struct task *task;
	struct wait_queue *wq;
	struct wait_entry_ *prev, *next;
};

#define REQUIRE_WQ(wq) \
	REQUIRE((wq) != NULL && (wq)->magic_ == SYNC_MAGIC_WQ_, \
		"%p is not a wait queue set up with WAIT_QUEUE_INIT() or wait_queue_init()", (const void *)(wq))

/* An entry a link leads to, checked: the head and tail live in the client's struct wait_queue and
 * the links on the waiters' stacks, where a stray write can change them, so each must be the
 * entry of a live task that waits on wq with it. */
static struct wait_entry_ *follow(struct wait_queue *wq, struct wait_entry_ *w)
{
	if (w && !(kernel_stack_contains((uint64_t)w, (uint64_t)(w + 1)) && task_live(w->task) &&
		   w->task->waiting == w && w->wq == wq))
		panic("the wait queue at %p was overwritten: %p is not the entry of a task waiting on it (a write "
		      "into a struct wait_queue, past the end of its neighbour?)",
		      (void *)wq, (void *)w);
	return w;
}

void wait_entry_unlink(struct wait_entry_ *w)
{
	struct wait_queue *wq = w->wq;
	if (!wq)
		return;
	follow(wq, w->prev);
	follow(wq, w->next);
	if (w->prev)
		w->prev->next = w->next;
	else
		wq->head_ = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		wq->tail_ = w->prev;
	w->wq = NULL;
}

enum err wait_until(struct wait_queue *wq, wait_cond_fn cond, void *ctx, uint64_t deadline)
{
	struct task *me = cpu_local.current;
	while (!cond(ctx)) {
		struct wait_entry_ w = {me, wq, follow(wq, wq->tail_), NULL};
		if (wq->tail_)
			wq->tail_->next = &w;
		else
			wq->head_ = &w;
		wq->tail_ = &w;
		me->waiting = &w;
		trace_event(TRACE_WAIT, 0, (uint64_t)me, (uint64_t)wq->name_);
		bool timed_out = sched_block(deadline);
		wait_entry_unlink(&w);
		me->waiting = NULL;
		if (timed_out && !cond(ctx))
			return ERR_TIMEOUT;
	}
	return ERR_OK;
}

void wait_queue_init(struct wait_queue *wq, const char *name)
{
	REQUIRE(wq != NULL, "wq must not be NULL");
	CLIENT_OBJECT(wq);
	*wq = (struct wait_queue)WAIT_QUEUE_INIT(name);
}

enum err wait_queue_wait(struct wait_queue *wq, wait_cond_fn cond, void *ctx, struct duration timeout)
{
	REQUIRE_WQ(wq);
	REQUIRE(cond != NULL, "cond must not be NULL");
	REQUIRE_MAY_SLEEP();
	CLIENT_OBJECT(wq);
	IRQ_OFF_SCOPE();
	return wait_until(wq, cond, ctx, deadline_after(timeout));
}

bool wake_one(struct wait_queue *wq)
{
	struct wait_entry_ *w = follow(wq, wq->head_);
	if (!w)
		return false;
	wait_entry_unlink(w);
	sched_wake(w->task);
	return true;
}

bool wait_queue_wake_one(struct wait_queue *wq)
{
	REQUIRE_WQ(wq);
	CLIENT_OBJECT(wq);
	IRQ_OFF_SCOPE();
	return wake_one(wq);
}

unsigned wait_queue_wake_all(struct wait_queue *wq)
{
	REQUIRE_WQ(wq);
	CLIENT_OBJECT(wq);
	IRQ_OFF_SCOPE();
	unsigned n = 0;
	while (wake_one(wq))
		n++;
	return n;
}

/* --- semaphores ----------------------------------------------------------------------------- */

#define REQUIRE_SEM(s) \
	REQUIRE((s) != NULL && (s)->magic_ == SYNC_MAGIC_SEM_, \
		"%p is not a semaphore set up with SEMAPHORE_INIT() or sem_init()", (const void *)(s))

void sem_init(struct semaphore *sem, const char *name, uint64_t count)
{
	REQUIRE(sem != NULL, "sem must not be NULL");
	CLIENT_OBJECT(sem);
	*sem = (struct semaphore)SEMAPHORE_INIT(name, count);
}

static bool has_units(void *ctx)
{
	return ((struct semaphore *)ctx)->count_ > 0;
}

enum err sem_down(struct semaphore *sem, struct duration timeout)
{
	REQUIRE_SEM(sem);
	REQUIRE_MAY_SLEEP();
	CLIENT_OBJECT(sem);
	IRQ_OFF_SCOPE();
	enum err e = wait_until(&sem->waiters_, has_units, sem, deadline_after(timeout));
	if (e == ERR_OK)
		sem->count_--;
	return e;
}

bool sem_trydown(struct semaphore *sem)
{
	REQUIRE_SEM(sem);
	CLIENT_OBJECT(sem);
	IRQ_OFF_SCOPE();
	bool taken = sem->count_ > 0;
	if (taken)
		sem->count_--;
	return taken;
}

void sem_up(struct semaphore *sem)
{
	REQUIRE_SEM(sem);
	CLIENT_OBJECT(sem);
	IRQ_OFF_SCOPE();
	REQUIRE(sem->count_ < UINT64_MAX, "the semaphore's count would overflow");
	sem->count_++;
	wake_one(&sem->waiters_);
}
