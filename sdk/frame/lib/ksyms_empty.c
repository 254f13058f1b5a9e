/* The symbol table of the first link pass: empty. The final link brings the real one (sdk/tools/ksyms). */
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
};

__attribute__((weak, section(".ksyms"))) const struct ksym ksyms[1];
__attribute__((weak, section(".ksyms"))) const uint64_t ksyms_count = 0;
__attribute__((weak, section(".ksyms"))) const uint64_t ksyms_text_end = 0;

struct kline {
	uint32_t addr;
	uint16_t line, file;
};

__attribute__((weak, section(".ksyms"))) const struct kline klines[1];
__attribute__((weak, section(".ksyms"))) const uint64_t klines_count = 0;
__attribute__((weak, section(".ksyms"))) const char *const kfiles[1];
