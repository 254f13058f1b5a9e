/* Offsets and selectors shared by user.S and user.c (checked by static asserts in user.c). */
#ifndef FRAME_ARCH_USER_LAYOUT_H
#define FRAME_ARCH_USER_LAYOUT_H

/* struct user_context (frame/user.h) */
#define CTX_RAX 0
#define CTX_RBX 8
#define CTX_RCX 16
#define CTX_RDX 24
#define CTX_RSI 32
#define CTX_RDI 40
#define CTX_RBP 48
#define CTX_RSP 56
#define CTX_R8 64
#define CTX_R9 72
#define CTX_R10 80
#define CTX_R11 88
#define CTX_R12 96
#define CTX_R13 104
#define CTX_R14 112
#define CTX_R15 120
#define CTX_RIP 128
#define CTX_RFLAGS 136

/* struct user_cpu (user/user.c) */
#define CPU_KERNEL_RSP 0
#define CPU_CONTEXT 8
#define CPU_TRAP_STACK 16

#define USER_CS (0x20 | 3)
#define USER_SS (0x18 | 3)

#endif
