// A program that writes to its own code, which is mapped read-only and executable: a page fault
// the kernel reports, killing this program and no other.
#include <stdio.h>

int main(void)
{
	volatile unsigned char *code = (volatile unsigned char *)(unsigned long)&main;
	printf("writing to my own code at %p\n", (void *)code);
	*code = 0xcc;
	printf("still here: the write went through\n");
	return 0;
}
