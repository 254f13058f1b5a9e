// The user runtime's printf at its edges: precisions wider than any number, widths from
// arguments, saturated fields, and the truncation of snprintf.
#include <stdio.h>

int main(void)
{
	char small[8];
	int n = snprintf(small, sizeof(small), "%s", "truncated");
	printf("%.30d|%.*x|%-8.3d|%08d\n", 7, 40, 255, 5, -42);
	printf("%*d|%-*s|%hhu|%lld|%zu\n", 6, 12, 4, "ab", 300, -9000000000LL, sizeof(long));
	printf("%s|%d|%.0d|%*d|\n", small, n, 0, 1000000, 1);
	return 0;
}
