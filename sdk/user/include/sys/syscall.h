/* The SDK's user runtime: Linux x86-64 system call numbers (the ones the runtime uses), and
 * syscall(), which makes any call: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9. */
#ifndef USER_SYS_SYSCALL_H
#define USER_SYS_SYSCALL_H

#define SYS_read 0
#define SYS_write 1
#define SYS_mmap 9
#define SYS_munmap 11
#define SYS_brk 12
#define SYS_writev 20
#define SYS_sched_yield 24
#define SYS_nanosleep 35
#define SYS_getpid 39
#define SYS_exit 60
#define SYS_arch_prctl 158
#define SYS_exit_group 231

long syscall(long number, ...);

#endif
