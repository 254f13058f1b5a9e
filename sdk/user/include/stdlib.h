/* The SDK's user runtime: ending the program. */
#ifndef USER_STDLIB_H
#define USER_STDLIB_H

#include <stddef.h>

/* End the program with status (exit_group: the kernel decides what a status means). */
_Noreturn void exit(int status);
int abs(int v);

#endif
