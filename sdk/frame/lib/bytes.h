/* Little-endian values at any alignment in bytes someone else laid out (boot information, ACPI tables). */
#ifndef FRAME_LIB_BYTES_H
#define FRAME_LIB_BYTES_H

#include <frame/string.h>
#include <stdint.h>

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

#endif
