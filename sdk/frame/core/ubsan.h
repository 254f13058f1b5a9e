/*
 * The undefined-behaviour sanitizer's entry points (docs/safety.md, layer 4). Client code built
 * with -fsanitize=undefined calls them where its C is about to be undefined; nothing in the frame
 * calls them. Each reports a panic and never returns. The data GCC passes is laid out as below
 * (the ABI GCC shares with LLVM's libubsan); sdk/tools/exports keeps these names global.
 */
#ifndef FRAME_CORE_UBSAN_H
#define FRAME_CORE_UBSAN_H

#include <frame/compiler.h>
#include <stdint.h>

/* Where in the client's source: file as the compiler was given it (NULL when unknown). */
struct ubsan_location {
	const char *file;
	uint32_t line, column;
};

/* An operand's type. kind 0: an integer, info = log2(bits) << 1 | signed; kind 1: floating
 * point, info = bits; 0xffff: anything else. name is quoted C ("'int'", "'int [4]'"). */
struct ubsan_type {
	uint16_t kind, info;
	char name[];
};

/* An operand: the value itself if its type fits in 64 bits, else the value's address. */
typedef uintptr_t ubsan_value;

struct ubsan_loc_type { /* overflow, divrem, negate, invalid load, VLA bound */
	struct ubsan_location loc;
	const struct ubsan_type *type;
};

struct ubsan_shift {
	struct ubsan_location loc;
	const struct ubsan_type *lhs_type, *rhs_type;
};

struct ubsan_bounds {
	struct ubsan_location loc;
	const struct ubsan_type *array_type, *index_type;
};

struct ubsan_type_mismatch {
	struct ubsan_location loc;
	const struct ubsan_type *type;
	uint8_t log_alignment; /* the type's alignment, log2 */
	uint8_t check_kind;    /* 0 load, 1 store, 3 member access, ... (ubsan.c) */
};

struct ubsan_loc { /* __builtin_unreachable(), pointer overflow, missing return */
	struct ubsan_location loc;
};

struct ubsan_nonnull_arg {
	struct ubsan_location loc, attr_loc;
	int arg_index; /* from 1 */
};

struct ubsan_nonnull_return { /* the return statement's location comes as a second argument */
	struct ubsan_location attr_loc;
};

struct ubsan_invalid_builtin {
	struct ubsan_location loc;
	uint8_t kind; /* 0 __builtin_ctz*, 1 __builtin_clz* */
};

struct ubsan_float_cast {
	struct ubsan_location loc;
	const struct ubsan_type *from, *to;
};

/* Every handler GCC 12 emits for C, each with its twin for -fno-sanitize-recover (_abort), the
 * same function. C++'s dynamic_type_cache_miss is not one: it asks, it does not report. */
FRAME_NORETURN void __ubsan_handle_add_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_add_overflow_abort(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_sub_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_sub_overflow_abort(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_mul_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_mul_overflow_abort(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_negate_overflow(const struct ubsan_loc_type *d, ubsan_value val);
FRAME_NORETURN void __ubsan_handle_negate_overflow_abort(const struct ubsan_loc_type *d, ubsan_value val);
FRAME_NORETURN void __ubsan_handle_divrem_overflow(const struct ubsan_loc_type *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_divrem_overflow_abort(const struct ubsan_loc_type *d, ubsan_value lhs,
							 ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_shift_out_of_bounds(const struct ubsan_shift *d, ubsan_value lhs, ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_shift_out_of_bounds_abort(const struct ubsan_shift *d, ubsan_value lhs,
							     ubsan_value rhs);
FRAME_NORETURN void __ubsan_handle_out_of_bounds(const struct ubsan_bounds *d, ubsan_value index);
FRAME_NORETURN void __ubsan_handle_out_of_bounds_abort(const struct ubsan_bounds *d, ubsan_value index);
FRAME_NORETURN void __ubsan_handle_type_mismatch_v1(const struct ubsan_type_mismatch *d, ubsan_value ptr);
FRAME_NORETURN void __ubsan_handle_type_mismatch_v1_abort(const struct ubsan_type_mismatch *d, ubsan_value ptr);
FRAME_NORETURN void __ubsan_handle_load_invalid_value(const struct ubsan_loc_type *d, ubsan_value val);
FRAME_NORETURN void __ubsan_handle_load_invalid_value_abort(const struct ubsan_loc_type *d, ubsan_value val);
FRAME_NORETURN void __ubsan_handle_pointer_overflow(const struct ubsan_loc *d, ubsan_value base, ubsan_value result);
FRAME_NORETURN void __ubsan_handle_pointer_overflow_abort(const struct ubsan_loc *d, ubsan_value base,
							  ubsan_value result);
FRAME_NORETURN void __ubsan_handle_nonnull_arg(const struct ubsan_nonnull_arg *d);
FRAME_NORETURN void __ubsan_handle_nonnull_arg_abort(const struct ubsan_nonnull_arg *d);
FRAME_NORETURN void __ubsan_handle_nonnull_return_v1(const struct ubsan_nonnull_return *d,
						     const struct ubsan_location *loc);
FRAME_NORETURN void __ubsan_handle_nonnull_return_v1_abort(const struct ubsan_nonnull_return *d,
							   const struct ubsan_location *loc);
FRAME_NORETURN void __ubsan_handle_vla_bound_not_positive(const struct ubsan_loc_type *d, ubsan_value bound);
FRAME_NORETURN void __ubsan_handle_vla_bound_not_positive_abort(const struct ubsan_loc_type *d, ubsan_value bound);
FRAME_NORETURN void __ubsan_handle_invalid_builtin(const struct ubsan_invalid_builtin *d);
FRAME_NORETURN void __ubsan_handle_invalid_builtin_abort(const struct ubsan_invalid_builtin *d);
FRAME_NORETURN void __ubsan_handle_float_cast_overflow(const struct ubsan_float_cast *d, ubsan_value val);
FRAME_NORETURN void __ubsan_handle_float_cast_overflow_abort(const struct ubsan_float_cast *d, ubsan_value val);
FRAME_NORETURN void __ubsan_handle_builtin_unreachable(const struct ubsan_loc *d);
FRAME_NORETURN void __ubsan_handle_missing_return(const struct ubsan_loc *d);

#endif
