/* Records for the host through QEMU's isa-debugcon (core/hostlink.h). */
#include "core/hostlink.h"
#include "arch/x86_64/x86.h"
#include <frame/panic.h>

#define DEBUGCON_PORT 0xe9 /* QEMU's isa-debugcon default; it reads back this value */
#define MAGIC "FRHL"

static int present = -1;
static void (*at_exit[HOSTLINK_AT_EXIT])(void);
static unsigned at_exit_count;

int hostlink_present(void)
{
	if (present < 0)
		present = inb(DEBUGCON_PORT) == DEBUGCON_PORT;
	return present;
}

void hostlink_write(const void *data, uint32_t len)
{
	if (!hostlink_present())
		return;
	const uint8_t *p = data;
	__asm__ volatile("rep outsb" : "+S"(p), "+c"(len) : "d"((uint16_t)DEBUGCON_PORT) : "memory");
}

void hostlink_begin(uint32_t kind, uint32_t len)
{
	uint32_t header[3];
	__builtin_memcpy(header, MAGIC, 4);
	header[1] = kind;
	header[2] = len;
	hostlink_write(header, sizeof(header));
}

void hostlink_record(uint32_t kind, const void *data, uint32_t len)
{
	uint64_t flags = cli_save();
	hostlink_begin(kind, len);
	hostlink_write(data, len);
	cli_restore(flags);
}

void hostlink_at_exit(void (*fn)(void))
{
	if (at_exit_count == HOSTLINK_AT_EXIT)
		panic("hostlink_at_exit: more than %d functions", HOSTLINK_AT_EXIT);
	at_exit[at_exit_count++] = fn;
}

void hostlink_exit(void)
{
	static int done;
	if (done++ || !hostlink_present())
		return;
	for (unsigned i = 0; i < at_exit_count; i++)
		at_exit[i]();
	hostlink_record(HOSTLINK_END, NULL, 0);
}
