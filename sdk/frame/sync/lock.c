/*
 * Spinlocks, mutexes and reader-writer locks, each checking how it is used. On one CPU a
 * spinlock never needs to spin: the holder cannot be preempted, so finding it locked means this
 * CPU holds it, a certain deadlock, and that is what it reports.
 */
#include <frame/sync.h>
#include "mm/kasan.h"
#include "arch/x86_64/x86.h"
#include "lib/ksyms.h"
#include "sync/lock.h"
#include "sync/wait.h"
#include "task/sched.h"
#include <frame/panic.h>

/* The name of a lock's owner for a report; the owner field lives in the client's lock, so it is
 * read only if it still points at a live task. */
static const char *task_name_of(const struct task *t)
{
	return task_live(t) ? t->name : "a task that is not live (was the lock overwritten?)";
}

static const char *holder(const struct spinlock *l)
{
	return l->owner_ ? task_name_of(l->owner_) : "an interrupt handler";
}

/* --- spinlocks ------------------------------------------------------------------------------ */

#define REQUIRE_SPIN(l) \
	REQUIRE((l) != NULL && (l)->magic_ == SYNC_MAGIC_SPIN_, \
		"%p is not a spinlock set up with SPINLOCK_INIT() or spin_init()", (const void *)(l))
/* buf: room for the symbol of the caller that took l. */
#define REQUIRE_NOT_HELD_HERE(l, buf) \
	REQUIRE(!(l)->locked_, "deadlock: spinlock \"%s\" is held on this CPU already (by %s, taken at %s)%s", \
		(l)->name_, holder(l), symbolize((uint64_t)(l)->caller_, true, buf, sizeof(buf)), \
		in_interrupt() && (l)->owner_ ? "; tasks must take a lock that handlers take with spin_lock_irqsave()" \
					      : "")
#define REQUIRE_HELD_HERE(l) \
	do { \
		REQUIRE((l)->locked_, "spinlock \"%s\" is not held", (l)->name_); \
		REQUIRE((l)->owner_ == (in_interrupt() ? NULL : cpu_local.current), \
			"spinlock \"%s\" is held by %s, not by the caller", (l)->name_, holder(l)); \
	} while (0)

static void take(struct spinlock *l, void *caller, bool irqsave, uint64_t flags)
{
	l->locked_ = true;
	l->irqsave_ = irqsave;
	l->owner_ = in_interrupt() ? NULL : cpu_local.current;
	l->caller_ = caller;
	l->saved_.flags_ = flags;
	cpu_local.spin_count++;
	cpu_local.last_spin = l->name_;
}

/* Release l; returns the interrupt flags saved when it was taken. */
static uint64_t release(struct spinlock *l)
{
	l->locked_ = false;
	l->owner_ = NULL;
	cpu_local.spin_count--;
	return l->saved_.flags_;
}

/* A switch that came due while the lock was held happens now. Interrupts off. */
static void preempt_point(uint64_t flags)
{
	if ((flags & RFLAGS_IF) && !cpu_local.irq_depth)
		sched_irq_exit();
}

void spin_init(struct spinlock *lock, const char *name)
{
	REQUIRE(lock != NULL, "lock must not be NULL");
	CLIENT_OBJECT(lock);
	*lock = (struct spinlock)SPINLOCK_INIT(name);
}

void spin_lock(struct spinlock *lock)
{
	char buf[96];
	REQUIRE_SPIN(lock);
	CLIENT_OBJECT(lock);
	IRQ_OFF_SCOPE();
	REQUIRE_NOT_HELD_HERE(lock, buf);
	take(lock, __builtin_return_address(0), false, 0);
}

bool spin_trylock(struct spinlock *lock)
{
	REQUIRE_SPIN(lock);
	CLIENT_OBJECT(lock);
	IRQ_OFF_SCOPE();
	bool free = !lock->locked_;
	if (free)
		take(lock, __builtin_return_address(0), false, 0);
	return free;
}

void spin_unlock(struct spinlock *lock)
{
	REQUIRE_SPIN(lock);
	REQUIRE_HELD_HERE(lock);
	REQUIRE(!lock->irqsave_,
		"spinlock \"%s\" was taken with spin_lock_irqsave(): release it with "
		"spin_unlock_irqrestore()",
		lock->name_);
	CLIENT_OBJECT(lock);
	uint64_t f = cli_save();
	release(lock);
	preempt_point(f);
	cli_restore(f);
}

void spin_lock_irqsave(struct spinlock *lock)
{
	char buf[96];
	REQUIRE_SPIN(lock);
	CLIENT_OBJECT(lock);
	uint64_t f = cli_save(); /* restored by spin_unlock_irqrestore() */
	REQUIRE_NOT_HELD_HERE(lock, buf);
	take(lock, __builtin_return_address(0), true, f);
}

void spin_unlock_irqrestore(struct spinlock *lock)
{
	REQUIRE_SPIN(lock);
	REQUIRE_HELD_HERE(lock);
	REQUIRE(lock->irqsave_, "spinlock \"%s\" was taken with spin_lock(): release it with spin_unlock()",
		lock->name_);
	CLIENT_OBJECT(lock);
	uint64_t f = release(lock);
	preempt_point(f);
	cli_restore(f);
}

bool spin_is_locked(const struct spinlock *lock)
{
	REQUIRE_SPIN(lock);
	return lock->locked_;
}

/* --- mutexes -------------------------------------------------------------------------------- */

#define REQUIRE_MUTEX(m) \
	REQUIRE((m) != NULL && (m)->magic_ == SYNC_MAGIC_MUTEX_, \
		"%p is not a mutex set up with MUTEX_INIT() or mutex_init()", (const void *)(m))

void mutex_init(struct mutex *mutex, const char *name)
{
	REQUIRE(mutex != NULL, "mutex must not be NULL");
	CLIENT_OBJECT(mutex);
	*mutex = (struct mutex)MUTEX_INIT(name);
}

static void take_mutex(struct mutex *mutex, void *caller)
{
	mutex->owner_ = cpu_local.current;
	mutex->caller_ = caller;
	cpu_local.current->mutexes++;
	cpu_local.current->last_mutex = mutex;
}

const char *mutex_name(const struct mutex *mutex)
{
	return mutex->name_;
}

static bool mutex_free(void *ctx)
{
	return ((struct mutex *)ctx)->owner_ == NULL;
}

void mutex_lock(struct mutex *mutex)
{
	char buf[96];
	REQUIRE_MUTEX(mutex);
	CLIENT_OBJECT(mutex);
	REQUIRE_MAY_SLEEP();
	REQUIRE(mutex->owner_ != cpu_local.current,
		"deadlock: mutex \"%s\" is held by the calling task already (taken at %s)", mutex->name_,
		symbolize((uint64_t)mutex->caller_, true, buf, sizeof(buf)));
	IRQ_OFF_SCOPE();
	(void)wait_until(&mutex->waiters_, mutex_free, mutex, UINT64_MAX);
	take_mutex(mutex, __builtin_return_address(0));
}

bool mutex_trylock(struct mutex *mutex)
{
	REQUIRE_MUTEX(mutex);
	REQUIRE(!in_interrupt(), "a mutex belongs to a task: not in interrupt context");
	CLIENT_OBJECT(mutex);
	IRQ_OFF_SCOPE();
	bool free = mutex->owner_ == NULL;
	if (free)
		take_mutex(mutex, __builtin_return_address(0));
	return free;
}

void mutex_unlock(struct mutex *mutex)
{
	REQUIRE_MUTEX(mutex);
	REQUIRE(!in_interrupt(), "a mutex belongs to a task: not in interrupt context");
	REQUIRE(mutex->owner_ != NULL, "mutex \"%s\" is not held", mutex->name_);
	REQUIRE(mutex->owner_ == cpu_local.current, "mutex \"%s\" is held by task '%s', not by the calling task '%s'",
		mutex->name_, task_name_of(mutex->owner_), cpu_local.current->name);
	CLIENT_OBJECT(mutex);
	IRQ_OFF_SCOPE();
	mutex->owner_ = NULL;
	cpu_local.current->mutexes--;
	wake_one(&mutex->waiters_);
}

bool mutex_held(const struct mutex *mutex)
{
	REQUIRE_MUTEX(mutex);
	REQUIRE(!in_interrupt(), "a mutex belongs to a task: not in interrupt context");
	return mutex->owner_ == cpu_local.current;
}

/* --- reader-writer locks -------------------------------------------------------------------- */

#define REQUIRE_RW(l) \
	REQUIRE((l) != NULL && (l)->magic_ == SYNC_MAGIC_RW_, \
		"%p is not a rwlock set up with RWLOCK_INIT() or rwlock_init()", (const void *)(l))

void rwlock_init(struct rwlock *lock, const char *name)
{
	REQUIRE(lock != NULL, "lock must not be NULL");
	CLIENT_OBJECT(lock);
	*lock = (struct rwlock)RWLOCK_INIT(name);
}

static bool no_writer(void *ctx)
{
	return ((struct rwlock *)ctx)->writer_ == NULL;
}

static bool nobody(void *ctx)
{
	struct rwlock *l = ctx;
	return l->writer_ == NULL && l->readers_ == 0;
}

void rwlock_read_lock(struct rwlock *lock)
{
	REQUIRE_RW(lock);
	REQUIRE_MAY_SLEEP();
	REQUIRE(lock->writer_ != cpu_local.current, "deadlock: the calling task holds rwlock \"%s\" for writing",
		lock->name_);
	CLIENT_OBJECT(lock);
	IRQ_OFF_SCOPE();
	(void)wait_until(&lock->waiters_, no_writer, lock, UINT64_MAX);
	lock->readers_++;
}

void rwlock_read_unlock(struct rwlock *lock)
{
	REQUIRE_RW(lock);
	REQUIRE(!in_interrupt(), "a rwlock belongs to tasks: not in interrupt context");
	REQUIRE(lock->readers_ > 0, "rwlock \"%s\" is not held for reading", lock->name_);
	CLIENT_OBJECT(lock);
	IRQ_OFF_SCOPE();
	if (--lock->readers_ == 0)
		wake_one(&lock->waiters_);
}

void rwlock_write_lock(struct rwlock *lock)
{
	REQUIRE_RW(lock);
	REQUIRE_MAY_SLEEP();
	REQUIRE(lock->writer_ != cpu_local.current,
		"deadlock: the calling task holds rwlock \"%s\" for writing already", lock->name_);
	CLIENT_OBJECT(lock);
	IRQ_OFF_SCOPE();
	(void)wait_until(&lock->waiters_, nobody, lock, UINT64_MAX);
	lock->writer_ = cpu_local.current;
}

void rwlock_write_unlock(struct rwlock *lock)
{
	REQUIRE_RW(lock);
	REQUIRE(!in_interrupt(), "a rwlock belongs to tasks: not in interrupt context");
	REQUIRE(lock->writer_ == cpu_local.current, "rwlock \"%s\" is not held for writing by the calling task",
		lock->name_);
	CLIENT_OBJECT(lock);
	IRQ_OFF_SCOPE();
	lock->writer_ = NULL;
	while (wake_one(&lock->waiters_))
		;
}
