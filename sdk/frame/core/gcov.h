/* The gcov runtime's entry points (core/gcov.c): GCC emits the calls in coverage builds
 * (-fprofile-arcs), in the frame's objects and the client's alike. */
#ifndef FRAME_CORE_GCOV_H
#define FRAME_CORE_GCOV_H

#include <stdint.h>

typedef uint64_t gcov_type;
struct gcov_info;

/* An object's constructor registers its counters: they are sent to the host at power-off. */
void __gcov_init(struct gcov_info *info);
/* Named in each object's gcov_info; merging runs is the host's job. */
void __gcov_merge_add(gcov_type *counters, uint32_t n);
/* Called by each object's destructor (never run: the counters leave at power-off). */
void __gcov_exit(void);

#endif
