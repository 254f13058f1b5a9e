// A hostile program (bad input): it asks for absurd amounts of memory with brk and mmap, then
// takes memory 8 MiB at a time with mmap, touching every page, until it runs out; gives it back
// with munmap; and takes it again with brk. Each request too big is an error; running out of
// memory is an error, or the kernel kills it for touching a page no frame is left for; nothing
// panics the kernel, and every frame comes back when it ends.
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MIB (1ul << 20)
#define CHUNK (8 * MIB)
#define PROT_RW 3
#define MAP_PRIVATE_ANONYMOUS 0x22

static long map(unsigned long len)
{
	return syscall(SYS_mmap, 0, len, PROT_RW, MAP_PRIVATE_ANONYMOUS, -1, 0);
}

static void touch(char *p, unsigned long len)
{
	for (unsigned long i = 0; i < len; i += 4096)
		p[i] = 1;
}

int main(void)
{
	unsigned long absurd[] = {1ul << 40, 1ul << 47, 1ul << 63, ~0ul};
	for (unsigned i = 0; i < sizeof(absurd) / sizeof(absurd[0]); i++)
		printf("mmap(0x%lx) = %ld\n", absurd[i], map(absurd[i]));
	char *start = brk(0);
	for (unsigned i = 0; i < sizeof(absurd) / sizeof(absurd[0]); i++)
		printf("brk(+0x%lx) moved it by %ld\n", absurd[i], (long)((char *)brk(start + absurd[i]) - start));
	long chunks[64], n = 0;
	while (n < 64 && (chunks[n] = map(CHUNK)) > 0)
		touch((char *)chunks[n++], CHUNK);
	printf("mmap ran out after %ld MiB: %ld\n", n * CHUNK / MIB, chunks[n]);
	while (n > 0)
		if (syscall(SYS_munmap, chunks[--n], CHUNK, 0, 0, 0, 0) != 0)
			printf("munmap failed\n");
	char *end = start;
	for (; (char *)brk(end + CHUNK) == end + CHUNK; end += CHUNK)
		touch(end, CHUNK);
	printf("brk ran out after %ld MiB\n", (long)(end - start) / (long)MIB);
	return 0;
}
