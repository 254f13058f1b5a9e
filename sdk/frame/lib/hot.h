/* The hot paths (a system call, a task switch, an interrupt) kept together: their code in one run
 * of pages and their data in one page, so that after an address-space switch (which flushes the
 * TLB, and under QEMU's TCG its whole translation cache of jumps too) they refill few entries. */
#ifndef FRAME_LIB_HOT_H
#define FRAME_LIB_HOT_H

#define HOT_PATH __attribute__((section(".text.hot")))
#define HOT_DATA __attribute__((section(".data.hot")))

#endif
