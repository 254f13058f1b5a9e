/* Built by the harness tests (gcc) to check symbolization and ktest_names. */
__attribute__((used)) const int __ktest_alpha = 1;
__attribute__((used)) const int __ktest_beta = 2;

int second(int x)
{
	return x * 3; /* line 7 */
}

int first(int x)
{
	return second(x) + 1; /* line 12 */
}

void _start(void)
{
	for (;;)
		first(1);
}
