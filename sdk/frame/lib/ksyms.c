/* The kernel's function names and source lines, for panic reports and lock reports: tables
 * sorted by address, made at link time (sdk/tools/ksyms; lib/ksyms_empty.c stands in during the first link). */
#include "lib/ksyms.h"
#include "lib/format.h"

struct ksym {
	uint64_t addr;
	const char *name;
};
extern const struct ksym ksyms[];
extern const uint64_t ksyms_count, ksyms_text_end;

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;
	while (lo < hi) { /* lo: how many functions start at or below addr */
		uint64_t mid = (lo + hi) / 2;
		if (ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= ksyms_text_end)
		return NULL;
	*offset = addr - ksyms[lo - 1].addr;
	return ksyms[lo - 1].name;
}

const char *symbolize(uint64_t addr, bool is_return, char *buf, size_t size)
{
	uint64_t off;
	const char *name = ksym_lookup(addr - is_return, &off);
	if (name)
		format_buf(buf, size, "%s+0x%llx", name, (unsigned long long)(off + is_return));
	else
		format_buf(buf, size, "?");
	return buf;
}

struct kline {
	uint32_t addr; /* the low 32 bits: all code lies in the top 2 GiB */
	uint16_t line, file;
};
extern const struct kline klines[];
extern const uint64_t klines_count;
extern const char *const kfiles[];

bool ksym_line(uint64_t addr, bool is_return, const char **file, int *line)
{
	addr -= is_return;
	if (addr >> 32 != 0xffffffffu || addr >= ksyms_text_end)
		return false;
	uint64_t lo = 0, hi = klines_count;
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (klines[mid].addr <= (uint32_t)addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || klines[lo - 1].line == 0)
		return false;
	*file = kfiles[klines[lo - 1].file];
	*line = klines[lo - 1].line;
	return true;
}
