// A hostile program (bad input): it passes pointers it does not own to each system call that
// takes one (unmapped, NULL, its own read-only code for read, the kernel's half, non-canonical,
// and a range running off the end of user space). Every call must return -EFAULT (-14).
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

struct iovec {
	const void *base;
	unsigned long len;
};

int main(void)
{
	const unsigned long bad[] = {
		0x10000000,	   0, 0xffffffff80000000, 0xffff800000000000, 0x0000800000000000, 0x00007ffffffffff8,
		0x8000000000000000};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned long p = bad[i];
		struct iovec iov = {(const void *)p, 16};
		printf("0x%016lx: read %ld write %ld writev %ld %ld nanosleep %ld\n", p,
		       syscall(SYS_read, 0, p, 16, 0, 0, 0), syscall(SYS_write, 1, p, 16, 0, 0, 0),
		       syscall(SYS_writev, 1, p, 1, 0, 0, 0), syscall(SYS_writev, 1, &iov, 1, 0, 0, 0),
		       syscall(SYS_nanosleep, p, 0, 0, 0, 0, 0));
	}
	printf("read into my code: %ld\n", syscall(SYS_read, 0, (unsigned long)&main, 16, 0, 0, 0));
	return 0;
}
