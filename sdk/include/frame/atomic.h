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

/** @brief A static initializer: `static atomic_t hits = ATOMIC_INIT(0);`. */
#define ATOMIC_INIT(v) \
	{ \
		(v) \
	}

/** @brief The current value. @par Context Any. */
static inline int64_t atomic_load(const atomic_t *a)
{
	return __atomic_load_n(&a->value_, __ATOMIC_SEQ_CST);
}
/** @brief Set the value to @p v. @par Context Any. */
static inline void atomic_store(atomic_t *a, int64_t v)
{
	__atomic_store_n(&a->value_, v, __ATOMIC_SEQ_CST);
}
/** @brief Add @p v (may be negative). @return The new value. @par Context Any. */
static inline int64_t atomic_add(atomic_t *a, int64_t v)
{
	return __atomic_add_fetch(&a->value_, v, __ATOMIC_SEQ_CST);
}
/** @brief Add one. @return The new value. @par Context Any. */
static inline int64_t atomic_inc(atomic_t *a)
{
	return atomic_add(a, 1);
}
/** @brief Subtract one. @return The new value. @par Context Any. */
static inline int64_t atomic_dec(atomic_t *a)
{
	return atomic_add(a, -1);
}
/** @brief Set the value to @p v. @return The old value. @par Context Any. */
static inline int64_t atomic_exchange(atomic_t *a, int64_t v)
{
	return __atomic_exchange_n(&a->value_, v, __ATOMIC_SEQ_CST);
}
/**
 * @brief If the value is @p expected, set it to @p desired.
 * @return true if it was @p expected (and is now @p desired).
 * @par Context
 * Any.
 */
static inline bool atomic_compare_exchange(atomic_t *a, int64_t expected, int64_t desired)
{
	return __atomic_compare_exchange_n(&a->value_, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/** @} */
#endif
