/**
 * @file sync.h
 * @brief Spinlocks, mutexes, reader-writer locks, wait queues and semaphores.
 * @ingroup frame_sync
 */
#ifndef FRAME_SYNC_H
#define FRAME_SYNC_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/irq.h>
#include <frame/timer.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * @defgroup frame_sync Synchronization
 * @brief Locks and waiting, with every misuse detected and explained.
 *
 * Which one to pick:
 * - **mutex**: the usual lock between tasks. May sleep while it waits; never in interrupt context.
 * - **spinlock**: short sections that must not sleep. Use spin_lock_irqsave() when an interrupt
 *   handler or timer callback takes the same lock, plain spin_lock() otherwise. Holding one
 *   disables preemption.
 * - **rwlock**: many readers or one writer, between tasks; may sleep.
 * - **wait queue**: sleep until a condition holds (set by another task, a handler or a timer).
 * - **semaphore**: count events or resources; sem_up() works in interrupt context.
 *
 * Every lock can be declared at file scope with its initializer, no init call to forget:
 * @code
 * static struct mutex table_lock = MUTEX_INIT("table");
 * static struct spinlock counter_lock = SPINLOCK_INIT("counter");
 * static struct wait_queue data_ready = WAIT_QUEUE_INIT("data ready");
 * @endcode
 *
 * Misuse panics, naming the lock, the function, the rule and the caller: taking a spinlock this
 * CPU already holds ("deadlock"), unlocking a lock that is not held or that another task holds,
 * sleeping or taking a mutex while holding a spinlock or in interrupt context.
 *
 * The fields of these structs are private.
 * @{
 */

struct task;

/** @cond PRIVATE */
#define SYNC_MAGIC_SPIN_ 0x5350494eu
#define SYNC_MAGIC_MUTEX_ 0x4d555458u
#define SYNC_MAGIC_RW_ 0x52574c4bu
#define SYNC_MAGIC_WQ_ 0x57414954u
#define SYNC_MAGIC_SEM_ 0x53454d41u
struct wait_entry_;
/** @endcond */

/** @brief A wait queue: tasks sleeping until a condition holds. Declare with WAIT_QUEUE_INIT(). */
struct wait_queue {
	/** @cond PRIVATE */
	uint32_t magic_;
	const char *name_;
	struct wait_entry_ *head_, *tail_;
	/** @endcond */
};

/**
 * @brief A static initializer; @p name appears in reports.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (an initializer: it runs no code).
 */
#define WAIT_QUEUE_INIT(name) \
	{ \
		.magic_ = SYNC_MAGIC_WQ_, .name_ = (name) \
	}

/** @brief A spinlock: never sleeps; holding it disables preemption. Declare with SPINLOCK_INIT(). */
struct spinlock {
	/** @cond PRIVATE */
	uint32_t magic_;
	bool locked_;
	bool irqsave_;
	const char *name_;
	struct task *owner_; /* NULL when taken in interrupt context */
	void *caller_;	     /* where it was taken, for the deadlock report */
	irq_state saved_;
	/** @endcond */
};

/**
 * @brief A static initializer; @p name appears in reports.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (an initializer: it runs no code).
 */
#define SPINLOCK_INIT(name) \
	{ \
		.magic_ = SYNC_MAGIC_SPIN_, .name_ = (name) \
	}

/** @brief A sleeping lock between tasks, with an owner. Declare with MUTEX_INIT(). */
struct mutex {
	/** @cond PRIVATE */
	uint32_t magic_;
	const char *name_;
	struct task *owner_;
	void *caller_;
	struct wait_queue waiters_;
	/** @endcond */
};

/**
 * @brief A static initializer; @p name appears in reports.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (an initializer: it runs no code).
 */
#define MUTEX_INIT(name) \
	{ \
		.magic_ = SYNC_MAGIC_MUTEX_, .name_ = (name), .waiters_ = WAIT_QUEUE_INIT(name) \
	}

/** @brief A sleeping reader-writer lock: many readers or one writer. Declare with RWLOCK_INIT(). */
struct rwlock {
	/** @cond PRIVATE */
	uint32_t magic_;
	const char *name_;
	uint32_t readers_;
	struct task *writer_;
	struct wait_queue waiters_;
	/** @endcond */
};

/**
 * @brief A static initializer; @p name appears in reports.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (an initializer: it runs no code).
 */
#define RWLOCK_INIT(name) \
	{ \
		.magic_ = SYNC_MAGIC_RW_, .name_ = (name), .waiters_ = WAIT_QUEUE_INIT(name) \
	}

/** @brief A counting semaphore. Declare with SEMAPHORE_INIT(). */
struct semaphore {
	/** @cond PRIVATE */
	uint32_t magic_;
	uint64_t count_;
	struct wait_queue waiters_;
	/** @endcond */
};

/**
 * @brief A static initializer with @p count initial units; @p name appears in reports.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (an initializer: it runs no code).
 */
#define SEMAPHORE_INIT(name, count) \
	{ \
		.magic_ = SYNC_MAGIC_SEM_, .count_ = (count), .waiters_ = WAIT_QUEUE_INIT(name) \
	}

/**
 * @name Spinlocks
 * @{
 */

/**
 * @brief Set up @p lock, unlocked (the run-time twin of SPINLOCK_INIT()).
 * @param lock the spinlock to set up; it must not be held.
 * @param name its name in reports; kept, not copied (a string literal is best).
 * @par Panics
 * If @p lock is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void spin_init(struct spinlock *lock, const char *name);

/**
 * @brief Take @p lock, spinning while it is held. Disables preemption until spin_unlock().
 * @param lock a spinlock set up with SPINLOCK_INIT() or spin_init().
 * @par Panics
 * If this CPU holds @p lock already (a deadlock: on one CPU nobody else can release it).
 * @par Context
 * Any, including interrupt handlers and timer callbacks; a lock a handler also takes needs
 * spin_lock_irqsave() in tasks.
 */
void spin_lock(struct spinlock *lock);

/**
 * @brief Try to take @p lock without spinning; release it with spin_unlock() if taken.
 * @param lock a spinlock set up with SPINLOCK_INIT() or spin_init().
 * @return true if taken, false if it was held already (by anyone, this CPU included).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
FRAME_MUST_CHECK bool spin_trylock(struct spinlock *lock);

/**
 * @brief Release @p lock.
 * @param lock a spinlock the caller took with spin_lock() or spin_trylock().
 * @par Panics
 * If @p lock is not held, is held by another task, or was taken with spin_lock_irqsave().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void spin_unlock(struct spinlock *lock);

/**
 * @brief Turn interrupts off, then take @p lock; spin_unlock_irqrestore() turns them back on (if
 * they were on). For locks shared with interrupt handlers.
 * @param lock a spinlock set up with SPINLOCK_INIT() or spin_init().
 * @par Panics
 * As spin_lock().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void spin_lock_irqsave(struct spinlock *lock);

/**
 * @brief Release a lock taken with spin_lock_irqsave(), restoring the interrupt state.
 * @param lock a spinlock the caller took with spin_lock_irqsave().
 * @par Panics
 * As spin_unlock(), or if @p lock was taken with plain spin_lock().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void spin_unlock_irqrestore(struct spinlock *lock);

/**
 * @brief Whether @p lock is held (by anyone).
 * @param lock a spinlock set up with SPINLOCK_INIT() or spin_init().
 * @return true if it is held, false if it is free.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
bool spin_is_locked(const struct spinlock *lock);
/** @} */

/**
 * @name Mutexes
 * @{
 */

/**
 * @brief Set up @p mutex, unlocked (the run-time twin of MUTEX_INIT()).
 * @param mutex the mutex to set up; no task may hold it or wait for it.
 * @param name its name in reports; kept, not copied (a string literal is best).
 * @par Panics
 * If @p mutex is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void mutex_init(struct mutex *mutex, const char *name);

/**
 * @brief Take @p mutex, sleeping while another task holds it.
 * @param mutex a mutex set up with MUTEX_INIT() or mutex_init().
 * @par Panics
 * If the calling task holds it already (deadlock); in interrupt context; while holding a spinlock;
 * with preemption or interrupts disabled ("may not sleep ...").
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
void mutex_lock(struct mutex *mutex);

/**
 * @brief Take @p mutex if it is free, without sleeping.
 * @param mutex a mutex set up with MUTEX_INIT() or mutex_init().
 * @return true if taken (release it with mutex_unlock()), false if a task holds it (the
 * calling task included).
 * @par Panics
 * In interrupt context (a mutex belongs to a task).
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK bool mutex_trylock(struct mutex *mutex);

/**
 * @brief Release @p mutex and wake one waiter.
 * @param mutex a mutex the calling task holds.
 * @par Panics
 * If @p mutex is not held, or held by another task; in interrupt context.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void mutex_unlock(struct mutex *mutex);

/**
 * @brief Whether the calling task holds @p mutex: for checks such as `panic_if(!mutex_held(&table_lock))`.
 * @param mutex a mutex set up with MUTEX_INIT() or mutex_init().
 * @return true if the calling task holds it, false if it is free or another task holds it.
 * @par Panics
 * In interrupt context (a handler holds no mutex; the interrupted task is not the caller).
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
bool mutex_held(const struct mutex *mutex);
/** @} */

/**
 * @name Reader-writer locks
 * @{
 */

/**
 * @brief Set up @p lock, unlocked (the run-time twin of RWLOCK_INIT()).
 * @param lock the lock to set up; no task may hold it or wait for it.
 * @param name its name in reports; kept, not copied (a string literal is best).
 * @par Panics
 * If @p lock is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void rwlock_init(struct rwlock *lock, const char *name);
/**
 * @brief Take @p lock for reading, sleeping while a writer holds it. Readers do not wait
 * behind a writer that waits: a steady stream of overlapping readers can keep a writer waiting.
 * @param lock a lock set up with RWLOCK_INIT() or rwlock_init().
 * @par Panics
 * If the calling task holds it for writing; where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
void rwlock_read_lock(struct rwlock *lock);
/**
 * @brief Release a read hold of @p lock.
 * @param lock a lock taken with rwlock_read_lock().
 * @par Panics
 * If nobody holds it for reading; in interrupt context.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void rwlock_read_unlock(struct rwlock *lock);
/**
 * @brief Take @p lock for writing, sleeping while anyone holds it.
 * @param lock a lock set up with RWLOCK_INIT() or rwlock_init().
 * @par Panics
 * If the calling task holds it for writing already; where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
void rwlock_write_lock(struct rwlock *lock);
/**
 * @brief Release the write hold of @p lock.
 * @param lock a lock the calling task took with rwlock_write_lock().
 * @par Panics
 * If the calling task does not hold it for writing; in interrupt context.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void rwlock_write_unlock(struct rwlock *lock);
/** @} */

/**
 * @name Wait queues
 * @{
 */

/**
 * @brief Set up @p wq, empty (the run-time twin of WAIT_QUEUE_INIT()).
 * @param wq the queue to set up; no task may be waiting on it.
 * @param name its name in reports; kept, not copied (a string literal is best).
 * @par Panics
 * If @p wq is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void wait_queue_init(struct wait_queue *wq, const char *name);

/** @brief A condition to wait for: returns true when the wait is over. Runs with interrupts off. */
typedef bool (*wait_cond_fn)(void *ctx);

/**
 * @brief Sleep on @p wq until `cond(ctx)` is true, or @p timeout passes.
 *
 * The condition is checked first (no sleep at all if it holds), then after every wake-up, with
 * interrupts off, so a wake-up between the check and the sleep is never lost.
 * @param wq the queue wakers will wake.
 * @param cond the condition; keep it short and side-effect free.
 * @param ctx passed to @p cond.
 * @param timeout the longest wait, or #FOREVER.
 * @retval ERR_OK the condition holds.
 * @retval ERR_TIMEOUT @p timeout passed first.
 * @par Panics
 * If @p wq or @p cond is bad; where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
FRAME_MUST_CHECK enum err wait_queue_wait(struct wait_queue *wq, wait_cond_fn cond, void *ctx, struct duration timeout);

/**
 * @brief Wake the task that has waited longest on @p wq (it re-checks its condition).
 * @param wq a queue set up with WAIT_QUEUE_INIT() or wait_queue_init().
 * @return true if a task was woken, false if none was waiting.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
bool wait_queue_wake_one(struct wait_queue *wq);

/**
 * @brief Wake every task waiting on @p wq.
 * @param wq a queue set up with WAIT_QUEUE_INIT() or wait_queue_init().
 * @return How many were woken (0 if none was waiting).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
unsigned wait_queue_wake_all(struct wait_queue *wq);
/** @} */

/**
 * @name Semaphores
 * @{
 */

/**
 * @brief Set up @p sem with @p count units (the run-time twin of SEMAPHORE_INIT()).
 * @param sem the semaphore to set up; no task may be waiting on it.
 * @param name its name in reports; kept, not copied (a string literal is best).
 * @param count how many units it starts with (0: the first sem_down() waits for a sem_up()).
 * @par Panics
 * If @p sem is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void sem_init(struct semaphore *sem, const char *name, uint64_t count);
/**
 * @brief Take one unit, sleeping until one is there or @p timeout passes.
 * @param sem a semaphore set up with SEMAPHORE_INIT() or sem_init().
 * @param timeout the longest wait, or #FOREVER.
 * @retval ERR_OK a unit was taken.
 * @retval ERR_TIMEOUT @p timeout passed first.
 * @par Panics
 * Where sleeping is forbidden.
 * @par Context
 * May sleep: tasks only (panics in interrupt context, while holding a spinlock, or with
 * preemption or interrupts disabled).
 */
FRAME_MUST_CHECK enum err sem_down(struct semaphore *sem, struct duration timeout);
/**
 * @brief Take one unit if there is one, without sleeping.
 * @param sem a semaphore set up with SEMAPHORE_INIT() or sem_init().
 * @return true if a unit was taken, false if there was none.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
FRAME_MUST_CHECK bool sem_trydown(struct semaphore *sem);
/**
 * @brief Add one unit and wake a waiter.
 * @param sem a semaphore set up with SEMAPHORE_INIT() or sem_init().
 * @par Panics
 * If the count would overflow (more than `UINT64_MAX` units).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void sem_up(struct semaphore *sem);
/** @} */

/** @} */
#endif
