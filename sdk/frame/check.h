/* Precondition checks for public functions: a violation panics naming the function, rule and caller. */
#ifndef FRAME_CHECK_H
#define FRAME_CHECK_H

#include <frame/panic.h>

/*
 * REQUIRE(cond, "rule", ...): if cond is false, panic with
 * "<function>: <rule> (called from <caller symbol+offset>)". Use it at the top of every public
 * function, once per documented precondition. Must be used in the public function itself (not
 * a helper), so that the caller it reports is the client's code.
 */
#define REQUIRE(cond, ...) precondition(cond, __VA_ARGS__)

#endif
