// A user program in C: the SDK's runtime gives it main(argc, argv), printf and exit.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[64];
	snprintf(line, sizeof(line), "%-6s|%5d|%05x|%c|%s", "left", 42, 255, '!', argc > 1 ? argv[1] : "-");
	printf("hello from C: argc %d, %s, %zu bytes\n", argc, line, strlen(line));
	return argc > 1 ? (int)strlen(argv[1]) : 3;
}
