/*
 * The undefined-behaviour sanitizer's runtime: every handler turns what GCC tells it (the kind,
 * the operands, the client's file:line:column) into a panic naming the client's function.
 */
#include "core/panic_report.h"
#include "core/ubsan.h"
#include <frame/panic.h>
#include "lib/format.h"
#include "lib/ksyms.h"
#include <stdarg.h>
#include <stdbool.h>

#define CALLER ((uint64_t)__builtin_return_address(0))

/* "undefined behaviour: <what> at file:line:column (in function)", where function is the one
 * the handler returns to. */
static FRAME_NORETURN FRAME_PRINTF(3, 4) void report(const struct ubsan_location *loc, uint64_t caller, const char *fmt,
						     ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	format_vbuf(what, sizeof(what), fmt, ap);
	va_end(ap);
	uint64_t off;
	const char *fn = ksym_lookup(caller - 1, &off);
	fn = fn ? fn : "?";
	if (!loc->file)
		panic_from(panic_frame_of(caller), "?", 0, fn,
			   "undefined behaviour: %s (in %s; the compiler gave no source line)", what, fn);
	panic_from(panic_frame_of(caller), loc->file, (int)loc->line, fn, "undefined behaviour: %s at %s:%u:%u (in %s)",
		   what, loc->file, loc->line, loc->column, fn);
}

static bool is_int(const struct ubsan_type *t)
{
	return t->kind == 0;
}

static bool is_signed(const struct ubsan_type *t)
{
	return is_int(t) && (t->info & 1);
}

static unsigned bits(const struct ubsan_type *t)
{
	return is_int(t) ? 1u << (t->info >> 1) : t->info;
}

/* An integer operand (of up to 128 bits) as two 64-bit halves, sign- or zero-extended. */
static void operand(const struct ubsan_type *t, ubsan_value v, uint64_t *lo, uint64_t *hi)
{
	if (bits(t) > 64) {
		uint64_t half[2]; /* little-endian: low, high */
		__builtin_memcpy(half, (const void *)v, sizeof(half));
		*lo = half[0], *hi = half[1];
		return;
	}
	unsigned extra = 64 - bits(t);
	*lo = is_signed(t) ? (uint64_t)((int64_t)((uint64_t)v << extra) >> extra) : (uint64_t)v << extra >> extra;
	*hi = is_signed(t) && (int64_t)*lo < 0 ? ~0ull : 0;
}

static bool negative(const struct ubsan_type *t, ubsan_value v)
{
	uint64_t lo, hi;
	operand(t, v, &lo, &hi);
	return is_signed(t) && (int64_t)hi < 0;
}

/* The operand as its type says: an integer in decimal, signed or not (in hex if it needs more
 * than 64 bits), else what it is. Returns buf. */
static const char *value(const struct ubsan_type *t, ubsan_value v, char *buf, size_t size)
{
	uint64_t lo, hi;
	if (!is_int(t) || bits(t) > 128) {
		format_buf(buf, size, "a value");
		return buf;
	}
	operand(t, v, &lo, &hi);
	if (is_signed(t) && hi == ((int64_t)lo < 0 ? ~0ull : 0))
		format_buf(buf, size, "%lld", (long long)lo);
	else if (!hi)
		format_buf(buf, size, "%llu", (unsigned long long)lo);
	else
		format_buf(buf, size, "0x%016llx%016llx", (unsigned long long)hi, (unsigned long long)lo);
	return buf;
}

/* A handler's twin for -fno-sanitize-recover: the same function under the name ending in _abort. */
#define ABORT_TWIN(name, ...) void name##_abort(__VA_ARGS__) __attribute__((alias(#name)))

static FRAME_NORETURN void overflow(const struct ubsan_loc_type *d, uint64_t caller, ubsan_value lhs, char op,
				    ubsan_value rhs)
{
	char a[40], b[40];
	report(&d->loc, caller, "%s integer overflow: %s %c %s cannot be represented in type %s",
	       is_signed(d->type) ? "signed" : "unsigned", value(d->type, lhs, a, sizeof(a)), op,
	       value(d->type, rhs, b, sizeof(b)), d->type->name);
}

void __ubsan_handle_add_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs)
{
	overflow(d, CALLER, lhs, '+', rhs);
}
ABORT_TWIN(__ubsan_handle_add_overflow, const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);

void __ubsan_handle_sub_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs)
{
	overflow(d, CALLER, lhs, '-', rhs);
}
ABORT_TWIN(__ubsan_handle_sub_overflow, const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);

void __ubsan_handle_mul_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs)
{
	overflow(d, CALLER, lhs, '*', rhs);
}
ABORT_TWIN(__ubsan_handle_mul_overflow, const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);

void __ubsan_handle_negate_overflow(const struct ubsan_loc_type *d, ubsan_value val)
{
	char a[40];
	report(&d->loc, CALLER, "negation of %s cannot be represented in type %s", value(d->type, val, a, sizeof(a)),
	       d->type->name);
}
ABORT_TWIN(__ubsan_handle_negate_overflow, const struct ubsan_loc_type *d, ubsan_value val);

/* Division or remainder: by zero, or the most negative value by -1. */
void __ubsan_handle_divrem_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs)
{
	char a[40], b[40];
	uint64_t lo, hi;
	operand(d->type, rhs, &lo, &hi);
	value(d->type, lhs, a, sizeof(a));
	value(d->type, rhs, b, sizeof(b));
	if (!is_int(d->type) || (!lo && !hi))
		report(&d->loc, CALLER, "division of %s by zero", a);
	report(&d->loc, CALLER, "division of %s by %s cannot be represented in type %s", a, b, d->type->name);
}
ABORT_TWIN(__ubsan_handle_divrem_overflow, const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);

void __ubsan_handle_shift_out_of_bounds(const struct ubsan_shift *d, ubsan_value lhs, ubsan_value rhs)
{
	char a[40], b[40];
	uint64_t lo, hi;
	operand(d->rhs_type, rhs, &lo, &hi);
	value(d->lhs_type, lhs, a, sizeof(a));
	value(d->rhs_type, rhs, b, sizeof(b));
	if (negative(d->rhs_type, rhs))
		report(&d->loc, CALLER, "shift exponent %s is negative", b);
	if (hi || lo >= bits(d->lhs_type))
		report(&d->loc, CALLER, "shift exponent %s is too large for %u-bit type %s", b, bits(d->lhs_type),
		       d->lhs_type->name);
	if (negative(d->lhs_type, lhs))
		report(&d->loc, CALLER, "left shift of negative value %s", a);
	report(&d->loc, CALLER, "left shift of %s by %s places cannot be represented in type %s", a, b,
	       d->lhs_type->name);
}
ABORT_TWIN(__ubsan_handle_shift_out_of_bounds, const struct ubsan_shift *d, ubsan_value lhs, ubsan_value rhs);

void __ubsan_handle_out_of_bounds(const struct ubsan_bounds *d, ubsan_value index)
{
	char i[40];
	report(&d->loc, CALLER, "index %s is out of range for type %s", value(d->index_type, index, i, sizeof(i)),
	       d->array_type->name);
}
ABORT_TWIN(__ubsan_handle_out_of_bounds, const struct ubsan_bounds *d, ubsan_value index);

/* What the access was, by struct ubsan_type_mismatch.check_kind. */
static const char *const access_kinds[] = {
	"load of",
	"store to",
	"reference binding to",
	"member access within",
	"member call on",
	"constructor call on",
	"downcast of",
	"downcast of",
	"upcast of",
	"cast to virtual base of",
	"_Nonnull binding to",
	"dynamic operation on",
};

/* A null pointer, a misaligned one, or too little object behind it (-fsanitize=object-size). */
void __ubsan_handle_type_mismatch_v1(const struct ubsan_type_mismatch *d, ubsan_value ptr)
{
	const char *access =
		d->check_kind < sizeof(access_kinds) / sizeof(access_kinds[0]) ? access_kinds[d->check_kind] : "use of";
	uint64_t align = 1ull << d->log_alignment;
	if (!ptr)
		report(&d->loc, CALLER, "%s null pointer of type %s", access, d->type->name);
	if (ptr & (align - 1))
		report(&d->loc, CALLER, "%s misaligned address 0x%llx for type %s, which requires %llu-byte alignment",
		       access, (unsigned long long)ptr, d->type->name, (unsigned long long)align);
	report(&d->loc, CALLER, "%s address 0x%llx with too little space for an object of type %s", access,
	       (unsigned long long)ptr, d->type->name);
}
ABORT_TWIN(__ubsan_handle_type_mismatch_v1, const struct ubsan_type_mismatch *d, ubsan_value ptr);

/* A bool that is neither 0 nor 1 (GCC checks enums in C++ only). */
void __ubsan_handle_load_invalid_value(const struct ubsan_loc_type *d, ubsan_value val)
{
	char a[40];
	report(&d->loc, CALLER, "load of value %s, which is not a valid value for type %s",
	       value(d->type, val, a, sizeof(a)), d->type->name);
}
ABORT_TWIN(__ubsan_handle_load_invalid_value, const struct ubsan_loc_type *d, ubsan_value val);

void __ubsan_handle_pointer_overflow(const struct ubsan_loc *d, ubsan_value base, ubsan_value result)
{
	report(&d->loc, CALLER, "pointer arithmetic on 0x%llx wrapped around to 0x%llx", (unsigned long long)base,
	       (unsigned long long)result);
}
ABORT_TWIN(__ubsan_handle_pointer_overflow, const struct ubsan_loc *d, ubsan_value base, ubsan_value result);

void __ubsan_handle_nonnull_arg(const struct ubsan_nonnull_arg *d)
{
	report(&d->loc, CALLER, "null pointer passed as argument %d, which is declared never to be null", d->arg_index);
}
ABORT_TWIN(__ubsan_handle_nonnull_arg, const struct ubsan_nonnull_arg *d);

void __ubsan_handle_nonnull_return_v1(const struct ubsan_nonnull_return *d, const struct ubsan_location *loc)
{
	report(loc && loc->file ? loc : &d->attr_loc, CALLER,
	       "null pointer returned from a function declared never to return null");
}
ABORT_TWIN(__ubsan_handle_nonnull_return_v1, const struct ubsan_nonnull_return *d, const struct ubsan_location *loc);

void __ubsan_handle_vla_bound_not_positive(const struct ubsan_loc_type *d, ubsan_value bound)
{
	char a[40];
	report(&d->loc, CALLER, "variable length array bound %s is not positive", value(d->type, bound, a, sizeof(a)));
}
ABORT_TWIN(__ubsan_handle_vla_bound_not_positive, const struct ubsan_loc_type *d, ubsan_value bound);

void __ubsan_handle_invalid_builtin(const struct ubsan_invalid_builtin *d)
{
	report(&d->loc, CALLER, "passing zero to %s, which is not a valid argument",
	       d->kind == 0 ? "__builtin_ctz()" : "__builtin_clz()");
}
ABORT_TWIN(__ubsan_handle_invalid_builtin, const struct ubsan_invalid_builtin *d);

/* Kernels have no floating point (no FPU state is kept), so the value itself is not shown. */
void __ubsan_handle_float_cast_overflow(const struct ubsan_float_cast *d, ubsan_value val)
{
	(void)val;
	report(&d->loc, CALLER, "a value of type %s is outside the range of type %s", d->from->name, d->to->name);
}
ABORT_TWIN(__ubsan_handle_float_cast_overflow, const struct ubsan_float_cast *d, ubsan_value val);

void __ubsan_handle_builtin_unreachable(const struct ubsan_loc *d)
{
	report(&d->loc, CALLER, "execution reached __builtin_unreachable()");
}

void __ubsan_handle_missing_return(const struct ubsan_loc *d)
{
	report(&d->loc, CALLER, "execution reached the end of a value-returning function without a return");
}
