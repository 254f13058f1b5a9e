/* Records for the host, through QEMU's isa-debugcon (port 0xe9), apart from the serial console:
 * the trace and the coverage counters leave the machine this way at power-off. The host gives the
 * device only when it wants the records (make trace, make coverage); without it nothing is sent.
 * Each record: the magic "FRHL", a kind (u32), a length (u32), then that many bytes, little-endian
 * (harness/frameharness/hostlink.py reads them). */
#ifndef FRAME_CORE_HOSTLINK_H
#define FRAME_CORE_HOSTLINK_H

#include <stddef.h>
#include <stdint.h>

enum hostlink_kind {
	HOSTLINK_TRACE = 1,    /* trace events (core/trace.c) */
	HOSTLINK_COVERAGE = 2, /* gcov data of one object file */
	HOSTLINK_END = 0xffff, /* the last record of a run */
};

/* Whether QEMU's isa-debugcon answers at port 0xe9 (it reads back 0xe9). */
int hostlink_present(void);
/* One record, whole, or nothing when the device is absent. A record is sent with interrupts off. */
void hostlink_record(uint32_t kind, const void *data, uint32_t len);
/* The same, in pieces: begin with the total length, then write exactly that many bytes. */
void hostlink_begin(uint32_t kind, uint32_t len);
void hostlink_write(const void *data, uint32_t len);
/* At power-off (after the serial console is flushed): each function registered here runs once, in
 * order, to send its records; then the END record. At most HOSTLINK_AT_EXIT functions. */
#define HOSTLINK_AT_EXIT 4
void hostlink_at_exit(void (*fn)(void));
/* Run them: power_off() calls it. */
void hostlink_exit(void);

#endif
