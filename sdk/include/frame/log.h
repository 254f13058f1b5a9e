/**
 * @file log.h
 * @brief Log messages with a severity level.
 * @ingroup frame_log
 */
#ifndef FRAME_LOG_H
#define FRAME_LOG_H

#include <frame/compiler.h>

/**
 * @defgroup frame_log Logging
 * @brief Console messages tagged with a level, filtered by a threshold.
 *
 * Each message is printed as one line, `[LEVEL] text`. Messages less severe than the current
 * threshold are dropped. The threshold starts at #LOG_INFO; the kernel command line option
 * `loglevel=error|warn|info|debug` changes it at boot, log_set_level() at run time.
 * Logging may be used from any context, including interrupt handlers.
 * @{
 */

/** @brief Severity of a log message, most severe first. */
enum log_level {
	LOG_ERROR = 0, /**< Something failed. */
	LOG_WARN = 1,  /**< Something looks wrong, and the kernel goes on. */
	LOG_INFO = 2,  /**< Normal progress. The default threshold. */
	LOG_DEBUG = 3, /**< Details for whoever is debugging. */
};

/**
 * @brief Print one log line at @p level if the threshold lets it through.
 *
 * Use the macros log_error(), log_warn(), log_info() and log_debug() instead of calling this.
 * A trailing newline is added; do not put one in @p fmt.
 * @param level the message's severity; must be a valid ::log_level.
 * @param fmt printf-style format; must not be NULL.
 * @par Panics
 * If @p level is not a ::log_level or @p fmt is NULL.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void log_printf(enum log_level level, const char *fmt, ...) FRAME_PRINTF(2, 3);

/**
 * @brief Set the threshold: messages less severe than @p level are dropped.
 * @param level the new threshold; must be a valid ::log_level.
 * @par Panics
 * If @p level is not a ::log_level.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void log_set_level(enum log_level level);

/**
 * @brief The current threshold.
 * @return The least severe level that is printed.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
enum log_level log_get_level(void);

/**
 * @brief Log an error (see log_printf()).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)
/**
 * @brief Log a warning (see log_printf()).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
#define log_warn(...) log_printf(LOG_WARN, __VA_ARGS__)
/**
 * @brief Log normal progress (see log_printf()).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
#define log_info(...) log_printf(LOG_INFO, __VA_ARGS__)
/**
 * @brief Log a debugging detail (see log_printf()).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

/** @} */
#endif
