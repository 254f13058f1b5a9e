/**
 * @file error.h
 * @brief Error codes for failures a kernel must handle (out of memory, bad user pointer, ...).
 * @ingroup frame_base
 */
#ifndef FRAME_ERROR_H
#define FRAME_ERROR_H

/**
 * @addtogroup frame_base
 * @{
 */

/**
 * @brief What went wrong, for recoverable failures. Functions that can fail return one of
 * these (#ERR_OK on success) and are marked #FRAME_MUST_CHECK: ignoring the result does not compile.
 */
enum err {
	ERR_OK = 0,	     /**< Success. */
	ERR_NOMEM = 1,	     /**< Not enough free memory (or no free run of the size and alignment asked for). */
	ERR_INVAL = 2,	     /**< An argument the function may legitimately be given, but cannot serve. */
	ERR_FAULT = 3,	     /**< A user address that is unmapped, forbidden or in the kernel half. */
	ERR_EXIST = 4,	     /**< Something is already there (e.g. a mapping). */
	ERR_BUSY = 5,	     /**< The resource is taken. */
	ERR_TIMEOUT = 6,     /**< The time allowed ran out before the awaited event happened. */
	ERR_UNSUPPORTED = 7, /**< This machine lacks what the call needs (e.g. a local APIC). */
	ERR_DENIED = 8,	     /**< The frame keeps it: its own device, or one that could take the machine over. */
	ERR_IO = 9,	     /**< A device reported an error, or answered with nonsense. */
};

/**
 * @brief The name of an error code, e.g. "ERR_NOMEM (out of memory)".
 * @param e any value; unknown ones are named "unknown error".
 * @return A constant string.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *err_name(enum err e);

/** @} */
#endif
