/**
 * @file atomic.h
 * @brief Atomic integers: read-modify-write operations no interrupt or other task can split.
 * @ingroup frame_sync
 */
#ifndef FRAME_ATOMIC_H
#define FRAME_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

/**
 * @addtogroup frame_sync
 * @{
 */

/**
 * @brief A 64-bit integer changed only atomically (sequentially consistent). Declare with
 * ATOMIC_INIT(); touch it only through the atomic_* functions.
 */
typedef struct {
	int64_t value_; /**< @private */
} atomic_t;

/**
 * @brief A static initializer: `static atomic_t hits = ATOMIC_INIT(0);`.
 * @par Context
 * Any, including interrupt handlers and timer callbacks (an initializer: it runs no code).
 */
#define ATOMIC_INIT(v) \
	{ \
		(v) \
	}

/**
 * @brief Read the value.
 * @param a the atomic integer.
 * @return The current value.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
static inline int64_t atomic_load(const atomic_t *a)
{
	return __atomic_load_n(&a->value_, __ATOMIC_SEQ_CST);
}
/**
 * @brief Set the value to @p v.
 * @param a the atomic integer.
 * @param v the new value.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
static inline void atomic_store(atomic_t *a, int64_t v)
{
	__atomic_store_n(&a->value_, v, __ATOMIC_SEQ_CST);
}
/**
 * @brief Add @p v to the value.
 * @param a the atomic integer.
 * @param v what to add; may be negative.
 * @return The new value (after the addition).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
static inline int64_t atomic_add(atomic_t *a, int64_t v)
{
	return __atomic_add_fetch(&a->value_, v, __ATOMIC_SEQ_CST);
}
/**
 * @brief Add one to the value.
 * @param a the atomic integer.
 * @return The new value (after the increment).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
static inline int64_t atomic_inc(atomic_t *a)
{
	return atomic_add(a, 1);
}
/**
 * @brief Subtract one from the value.
 * @param a the atomic integer.
 * @return The new value (after the decrement): 0 means the count just reached zero.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
static inline int64_t atomic_dec(atomic_t *a)
{
	return atomic_add(a, -1);
}
/**
 * @brief Set the value to @p v and return what it was, in one step.
 * @param a the atomic integer.
 * @param v the new value.
 * @return The old value (before the exchange).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
static inline int64_t atomic_exchange(atomic_t *a, int64_t v)
{
	return __atomic_exchange_n(&a->value_, v, __ATOMIC_SEQ_CST);
}
/**
 * @brief If the value is @p expected, set it to @p desired; otherwise leave it alone.
 * @param a the atomic integer.
 * @param expected the value it must have for the change to happen.
 * @param desired the value to store if it has.
 * @return true if it was @p expected (and is now @p desired), false if it was something else
 * (and is unchanged).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
static inline bool atomic_compare_exchange(atomic_t *a, int64_t expected, int64_t desired)
{
	return __atomic_compare_exchange_n(&a->value_, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/** @} */
#endif
