/* The kernel's function names, for panic reports and lock reports: a table sorted by address,
 * made at link time (sdk/tools/ksyms; lib/ksyms_empty.c stands in during the first link). */
#include "lib/ksyms.h"
#include "lib/format.h"

struct ksym {
	uint64_t addr;
	const char *name;
};
extern const struct ksym ksyms[];
extern const uint64_t ksyms_count, ksyms_text_end;

/* How many entries of a table sorted by address (each entry's first field, stride bytes apart)
 * lie at or below addr: the last of them is the one addr belongs to. */
static uint64_t count_at_or_below(const void *table, size_t stride, uint64_t count, uint64_t addr)
{
	uint64_t lo = 0, hi = count;
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (*(const uint64_t *)((const char *)table + mid * stride) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = count_at_or_below(ksyms, sizeof(ksyms[0]), ksyms_count, addr);
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
	uint64_t addr;
	uint32_t line, file;
};
extern const struct kline klines[];
extern const uint64_t klines_count;
extern const char *const kfiles[];

bool ksym_line(uint64_t addr, bool is_return, const char **file, int *line)
{
	addr -= is_return;
	uint64_t lo = count_at_or_below(klines, sizeof(klines[0]), klines_count, addr);
	if (lo == 0 || addr >= ksyms_text_end)
		return false;
	*file = kfiles[klines[lo - 1].file];
	*line = (int)klines[lo - 1].line;
	return true;
}
