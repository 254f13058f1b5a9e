/* The SDK's user runtime: system calls (Linux x86-64 convention) and the wrappers over them. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

long syscall(long number, ...)
{
	va_list ap;
	va_start(ap, number);
	long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
	long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
	va_end(ap);
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

ssize_t read(int fd, void *buf, size_t count)
{
	return syscall(SYS_read, fd, buf, count, 0, 0, 0);
}

ssize_t write(int fd, const void *buf, size_t count)
{
	return syscall(SYS_write, fd, buf, count, 0, 0, 0);
}

int getpid(void)
{
	return (int)syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

int sched_yield(void)
{
	return (int)syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

void *brk(void *addr)
{
	return (void *)syscall(SYS_brk, addr, 0, 0, 0, 0, 0);
}

_Noreturn void _exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status, 0, 0, 0, 0, 0);
}

_Noreturn void exit(int status)
{
	_exit(status);
}

int abs(int v)
{
	return v < 0 ? -v : v;
}
