// A user program built with musl: Linux's C library, with malloc and floating point in printf.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char *text = malloc(64);
	if (!text)
		return 1;
	snprintf(text, 64, "%s %d %.3f", argc > 1 ? argv[1] : "musl", argc, 22.0 / 7.0);
	printf("hello from musl: %s (%zu bytes)\n", text, strlen(text));
	free(text);
	return 0;
}
