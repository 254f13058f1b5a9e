/* The names of the CPU exceptions, for panic reports and user_exception_name(). */
#include "arch/x86_64/trap.h"

/* Mnemonic, description, and both together ("#GP general protection"). */
#define EXCEPTION(mnemonic, description) \
	{ \
		mnemonic, description, mnemonic " " description \
	}
static const char *const names[VECTOR_FIRST_IRQ][3] = {
	EXCEPTION("#DE", "divide error"),
	EXCEPTION("#DB", "debug"),
	EXCEPTION("NMI", "non-maskable interrupt"),
	EXCEPTION("#BP", "breakpoint"),
	EXCEPTION("#OF", "overflow"),
	EXCEPTION("#BR", "bound range exceeded"),
	EXCEPTION("#UD", "invalid opcode"),
	EXCEPTION("#NM", "device not available"),
	EXCEPTION("#DF", "double fault"),
	EXCEPTION("#CSO", "coprocessor segment overrun"),
	EXCEPTION("#TS", "invalid TSS"),
	EXCEPTION("#NP", "segment not present"),
	EXCEPTION("#SS", "stack-segment fault"),
	EXCEPTION("#GP", "general protection"),
	EXCEPTION("#PF", "page fault"),
	EXCEPTION("#15", "reserved"),
	EXCEPTION("#MF", "x87 floating-point error"),
	EXCEPTION("#AC", "alignment check"),
	EXCEPTION("#MC", "machine check"),
	EXCEPTION("#XM", "SIMD floating-point error"),
	EXCEPTION("#VE", "virtualization exception"),
	EXCEPTION("#CP", "control protection"),
	EXCEPTION("#22", "reserved"),
	EXCEPTION("#23", "reserved"),
	EXCEPTION("#24", "reserved"),
	EXCEPTION("#25", "reserved"),
	EXCEPTION("#26", "reserved"),
	EXCEPTION("#27", "reserved"),
	EXCEPTION("#HV", "hypervisor injection"),
	EXCEPTION("#VC", "VMM communication"),
	EXCEPTION("#SX", "security exception"),
	EXCEPTION("#31", "reserved"),
};

const char *exception_mnemonic(uint64_t vector)
{
	return vector < VECTOR_FIRST_IRQ ? names[vector][0] : "IRQ";
}

const char *exception_description(uint64_t vector)
{
	return vector < VECTOR_FIRST_IRQ ? names[vector][1] : "interrupt";
}

const char *exception_name(uint64_t vector)
{
	return vector < VECTOR_FIRST_IRQ ? names[vector][2] : "interrupt";
}
