/**
 * @file safe_subset.h
 * @brief Force-included into every kernel source file by the SDK's make fragment.
 *
 * Kernels built on the frame are written in a safe subset of C (see docs/safety.md, layer 3):
 * the compiler rejects inline assembly and the built-ins below through the poison, and the
 * SDK's checker (sdk/tools/check-subset) rejects the rest: integer-to-pointer casts, headers
 * other than `<frame/...>` and the freestanding C headers, the attributes and pragmas that turn
 * the sanitizers off or move code out of the client's sections, and the sanitizers' runtime.
 * Everything that needs assembly or raw addresses is the frame's job, behind a checked API.
 */
#ifndef FRAME_SAFE_SUBSET_H
#define FRAME_SAFE_SUBSET_H

/* First, the SDK's own macros that use what is poisoned below: a macro defined before the
 * poison may still use it (precondition() passes its caller's return address to the frame).
 * KTEST()'s `struct ktest` is then the only one at file scope (check-subset relies on it). */
#include <frame/ktest.h>
#include <frame/panic.h>

#pragma GCC poison asm __asm__ __asm
/* Built-ins that execute privileged or state-changing x86 instructions (check-subset refuses
 * every other __builtin_ia32_ name). */
#pragma GCC poison __builtin_ia32_writeeflags_u32 __builtin_ia32_writeeflags_u64 __builtin_ia32_wbinvd \
	__builtin_ia32_wbnoinvd
/* Built-ins that hand out raw stack or code addresses (writing __builtin_frame_address(0)[1]
 * rewrites a return address, and the sanitizer sees a live stack), or move the stack pointer. */
#pragma GCC poison __builtin_frame_address __builtin_return_address __builtin_extract_return_addr \
	__builtin_frob_return_addr __builtin_stack_address __builtin_dwarf_cfa __builtin_next_arg
#pragma GCC poison __builtin_aggregate_incoming_address __builtin_thread_pointer __builtin_stack_save \
	__builtin_apply_args __builtin_unwind_init __builtin_init_dwarf_reg_size_table
#pragma GCC poison __builtin_alloca __builtin_alloca_with_align __builtin_alloca_with_align_and_max \
	__builtin_stack_restore __builtin_setjmp __builtin_longjmp __builtin_eh_return
#pragma GCC poison __builtin_apply __builtin_return __builtin_ms_va_start __builtin_ms_va_end __builtin_ms_va_copy
/* The raw stack addresses inside a va_list: use va_arg(). */
#pragma GCC poison overflow_arg_area reg_save_area

#endif
