// Undefined behaviour on purpose, one kind per case, in the way the command line names (see the
// table at the end). Built with the SDK's default SANITIZE, every case must end in the undefined-
// behaviour sanitizer's panic; the line of each is marked "// ub: <case>" for tests/test_ubsan.py.
// A case that comes back prints "did not panic" and powers off with failure (built with
// SANITIZE=none, that is what happens).
#include <frame/frame.h>

// Operands the compiler cannot see through, so each operation happens at run time.
static volatile int int_max = __INT_MAX__, int_min = -__INT_MAX__ - 1, zero = 0, one = 1, minus_one = -1, five = 5;
static volatile long long llong_max = __LONG_LONG_MAX__;
static volatile long sink;

static void case_add_overflow(void)
{
	sink = int_max + one; // ub: add-overflow
}

static void case_sub_overflow(void)
{
	sink = int_min - one; // ub: sub-overflow
}

static void case_mul_overflow(void)
{
	sink = llong_max * 2; // ub: mul-overflow
}

static void case_negate_overflow(void)
{
	sink = -int_min; // ub: negate-overflow
}

static void case_divide_by_zero(void)
{
	sink = five / zero; // ub: divide-by-zero
}

static void case_divide_overflow(void)
{
	sink = int_min % minus_one; // ub: divide-overflow
}

static void case_shift_too_far(void)
{
	sink = one << (five * 8); // ub: shift-too-far
}

static void case_shift_negative(void)
{
	sink = one << minus_one; // ub: shift-negative
}

static void case_shift_negative_value(void)
{
	sink = minus_one << one; // ub: shift-negative-value
}

static void case_shift_overflow(void)
{
	sink = five << 30; // ub: shift-overflow
}

static int table[4];

static void case_index(void)
{
	sink = table[five - 1]; // ub: index
}

struct packet {
	int count;
	int items[2]; // a trailing array reached through a pointer: checked too (-fsanitize=bounds-strict)
};

static void fill(struct packet *p, int i)
{
	p->items[i] = 1; // ub: index-trailing
}

static void case_index_trailing(void)
{
	static struct packet packet;
	fill(&packet, five - 3);
}

static void case_null(void)
{
	int *volatile p = NULL;
	sink = *p; // ub: null
}

static void case_misaligned(void)
{
	static uint64_t words[2];
	uint32_t *p = (uint32_t *)((char *)words + one);
	*p = 1; // ub: misaligned
}

static void case_unreachable(void)
{
	if (five == 5)
		__builtin_unreachable(); // ub: unreachable
}

static void case_bool(void)
{
	union {
		uint8_t byte;
		bool flag;
	} pun = {.byte = 5};
	sink = pun.flag; // ub: bool
}

static void case_pointer_overflow(void)
{
	char *volatile p = (char *)table;
	p = p + llong_max; // ub: pointer-overflow
}

__attribute__((nonnull(2))) static size_t length(int unused, const char *s)
{
	(void)unused;
	return strlen(s);
}

static void case_nonnull_arg(void)
{
	const char *volatile s = NULL;
	sink = (long)length(0, s); // ub: nonnull-arg
}

__attribute__((returns_nonnull)) static int *find(int value)
{
	int *found = NULL;
	for (int i = 0; i < 4; i++)
		if (table[i] == value)
			found = &table[i];
	return found; // ub: nonnull-return
}

static void case_nonnull_return(void)
{
	sink = *find(five);
}

static void case_builtin_ctz(void)
{
	sink = __builtin_ctz((unsigned)zero); // ub: builtin-ctz
}

// VLAs are outside the subset (-Wvla): let this one through to reach the check.
#pragma GCC diagnostic ignored "-Wvla"
static void case_vla(void)
{
	char buffer[minus_one]; // ub: vla
	sink = (long)sizeof(buffer);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{"add-overflow", case_add_overflow},
	{"sub-overflow", case_sub_overflow},
	{"mul-overflow", case_mul_overflow},
	{"negate-overflow", case_negate_overflow},
	{"divide-by-zero", case_divide_by_zero},
	{"divide-overflow", case_divide_overflow},
	{"shift-too-far", case_shift_too_far},
	{"shift-negative", case_shift_negative},
	{"shift-negative-value", case_shift_negative_value},
	{"shift-overflow", case_shift_overflow},
	{"index", case_index},
	{"index-trailing", case_index_trailing},
	{"null", case_null},
	{"misaligned", case_misaligned},
	{"unreachable", case_unreachable},
	{"bool", case_bool},
	{"pointer-overflow", case_pointer_overflow},
	{"nonnull-arg", case_nonnull_arg},
	{"nonnull-return", case_nonnull_return},
	{"builtin-ctz", case_builtin_ctz},
	{"vla", case_vla},
};

void kernel_main(void)
{
	const char *how = boot_cmdline();
	console_printf("ubsan: %s\n", how);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(how, cases[i].name) == 0) {
			cases[i].run();
			console_printf("ubsan: case '%s' did not panic\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	console_printf("ubsan: unknown case '%s'; cases:", how);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		console_printf(" %s", cases[i].name);
	console_printf("\n");
	power_off(POWER_EXIT_FAILURE);
}
