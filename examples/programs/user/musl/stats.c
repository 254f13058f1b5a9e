// A program built with musl: malloc, and printf with floating point. musl's start-up sets the
// thread pointer (arch_prctl), its stdio asks whether stdout is a terminal (ioctl) and writes with
// writev, malloc grows the heap with brk and mmap: the kernel implements each.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = 1000;
	double *v = malloc(n * sizeof(double));
	char *big = malloc(200000); // more than musl keeps in its brk heap: an mmap
	if (!v || !big)
		return 1;
	for (int i = 0; i < n; i++)
		v[i] = (i + 1) * 0.5;
	big[199999] = 'x';
	double mean = 0;
	for (int i = 0; i < n; i++)
		mean += v[i] / n;
	printf("%s %d %.3f\n", "mean of", n, mean);
	printf("%s %d %.3f\n", argv[0], argc, 22.0 / 7.0);
	free(big);
	free(v);
	return 0;
}
