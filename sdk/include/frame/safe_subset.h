/**
 * @file safe_subset.h
 * @brief Force-included into every kernel source file by the SDK's make fragment.
 *
 * Kernels built on the frame are written in a safe subset of C (see docs/safety.md): the
 * compiler rejects inline assembly through the poison below, and the SDK's checker rejects
 * integer-to-pointer casts and headers other than `<frame/...>` and the freestanding C headers.
 * Everything that needs assembly or raw addresses is the frame's job, behind a checked API.
 */
#ifndef FRAME_SAFE_SUBSET_H
#define FRAME_SAFE_SUBSET_H

#pragma GCC poison asm __asm__ __asm
/* Compiler built-ins that execute privileged or state-changing x86 instructions. */
#pragma GCC poison __builtin_ia32_writeeflags_u32 __builtin_ia32_writeeflags_u64 __builtin_ia32_wbinvd \
	__builtin_ia32_wbnoinvd

#endif
