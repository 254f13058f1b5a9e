// A program in plain C with the SDK's runtime: its arguments, its pid, and what it reads on stdin
// (the kernel command line, in this kernel).
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[128];
	ssize_t n = read(0, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	printf("hello from C: I am %s, argc %d, pid %d\n", argv[0], argc, getpid());
	printf("stdin: %zd bytes: '%s'\n", n, line);
	return 0;
}
