/* The SDK's user runtime: the system calls, as Linux x86-64 numbers them. Each returns what the
 * kernel returned: a negative value is -errno (there is no errno). */
#ifndef USER_UNISTD_H
#define USER_UNISTD_H

#include <stddef.h>
#include <sys/syscall.h>

typedef long ssize_t;

ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
int getpid(void);
int sched_yield(void);
/* The program break moved to addr (brk(0): where it is); returns the new break. */
void *brk(void *addr);
_Noreturn void _exit(int status);

#endif
