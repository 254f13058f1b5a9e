// Long arithmetic in double precision, preempted many times on the way: the sum of 1/k^2 for k
// from 1 to 2,000,000, in order, computed 30 times over. Printed as its bits (the runtime's printf
// has no %f), which are exactly what any IEEE 754 machine computes in this order, so the test
// predicts them; a round that came out different (registers another program changed) is counted.
#include <stdio.h>
#include <string.h>

#define ROUNDS 30

static volatile int terms = 2000000; // read each round: the compiler cannot compute one round for all

static double round_sum(void)
{
	double sum = 0;
	for (int k = 1; k <= terms; k++)
		sum += 1.0 / ((double)k * (double)k);
	return sum;
}

int main(void)
{
	double first = round_sum();
	int differ = 0;
	for (int r = 1; r < ROUNDS; r++)
		differ += round_sum() != first;
	unsigned long long bits;
	memcpy(&bits, &first, sizeof(bits));
	printf("sum of 1/k^2 for k = 1..%d: 0x%016llx, %d of %d rounds differ\n", terms, bits, differ, ROUNDS);
	return differ;
}
