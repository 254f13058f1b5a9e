/* The stack protector's runtime: the canary GCC's -fstack-protector-strong code checks, and the
 * report when a check fails (docs/safety.md, layer 4). */
#ifndef FRAME_CORE_STACK_PROTECTOR_H
#define FRAME_CORE_STACK_PROTECTOR_H

#include <frame/compiler.h>
#include <stdint.h>

/* The canary: copied below the return address on entry to every protected function, compared on
 * return. One global (-mstack-protector-guard=global): one CPU, and every task shares it. */
extern uint64_t __stack_chk_guard;

/* Choose the canary (RDRAND, else the TSC). The first thing frame_main() does: a function that
 * is running when it changes must not be protected, or its check fails on return. */
void stack_protector_init(void);
/* Log the canary and where it came from, at loglevel=debug (tests see it change between boots). */
void stack_protector_log(void);
/* Called by a protected function whose canary changed: panics naming that function. */
FRAME_NORETURN void __stack_chk_fail(void);

#endif
