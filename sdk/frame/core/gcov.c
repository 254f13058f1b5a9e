/*
 * The gcov runtime of coverage builds (make coverage; docs/seeing-coverage.md). GCC, given
 * -fprofile-arcs, counts in each object's own arrays how often each arc of each function's
 * control-flow graph ran, and gives every object a constructor that hands its description (a
 * struct gcov_info) to __gcov_init(). At power-off each object's counters go to the host through
 * the host channel (core/hostlink.h) as one record: the .gcda file's name, a NUL, then the file
 * itself in GCC's .gcda format; the host writes it beside the object's .gcno file
 * (harness/frameharness/coverage.py). In a build without -fprofile-arcs nothing calls this.
 *
 * The structures are GCC's own (libgcc/libgcov.h and gcc/gcov-io.h of GCC 12 and 13; the layout
 * differs between GCC versions, so the frame knows these two only).
 */
#include "core/gcov.h"
#include "core/hostlink.h"
#include <frame/panic.h>
#include <stdbool.h>

#if __GNUC__ == 12 || __GNUC__ == 13
#define GCOV_SUPPORTED 1
#else
#define GCOV_SUPPORTED 0
#endif

/* Counter kinds: arcs, interval, pow2, topn, indirect call, average, ior, time profiler. Only the
 * arcs are used without -fprofile-generate's value profiling. */
#define GCOV_COUNTERS 8

#define GCOV_DATA_MAGIC 0x67636461u /* "gcda" */
#define GCOV_TAG_FUNCTION 0x01000000u
#define GCOV_TAG_COUNTER_BASE 0x01a10000u
#define GCOV_TAG_OBJECT_SUMMARY 0xa1000000u
/* Since GCC 12 a record's length is in bytes. */
#define GCOV_TAG_FUNCTION_LENGTH 12u
#define GCOV_TAG_SUMMARY_LENGTH 8u

#define NO_PROFILE __attribute__((no_profile_instrument_function))

typedef void (*gcov_merge_fn)(gcov_type *, uint32_t);

struct gcov_ctr_info {
	uint32_t num;	   /* how many counters */
	gcov_type *values; /* the counters */
};

struct gcov_fn_info {
	const struct gcov_info *key; /* the object this function belongs to (else a discarded copy) */
	uint32_t ident;
	uint32_t lineno_checksum;
	uint32_t cfg_checksum;
	struct gcov_ctr_info ctrs[]; /* one per counter kind in use (merge[kind] set) */
};

struct gcov_info {
	uint32_t version; /* GCC's gcov version: the .gcda file repeats it */
	struct gcov_info *next;
	uint32_t stamp;
	uint32_t checksum;
	const char *filename; /* the .gcda file's absolute path, where the object was built */
	gcov_merge_fn merge[GCOV_COUNTERS];
	uint32_t n_functions;
	const struct gcov_fn_info *const *functions;
};

static struct gcov_info *objects; /* every registered object, the last first */

/* Where a record's bytes go: counted only (the record's length comes first), or sent through a
 * small buffer. */
struct gcda_out {
	bool send;
	uint32_t len;
	uint32_t used;
	uint8_t buf[256];
};

NO_PROFILE static void out_bytes(struct gcda_out *o, const void *data, uint32_t len)
{
	o->len += len;
	if (!o->send)
		return;
	const uint8_t *p = data;
	for (uint32_t i = 0; i < len; i++) {
		if (o->used == sizeof(o->buf)) {
			hostlink_write(o->buf, o->used);
			o->used = 0;
		}
		o->buf[o->used++] = p[i];
	}
}

NO_PROFILE static void out_u32(struct gcda_out *o, uint32_t v)
{
	out_bytes(o, &v, sizeof(v));
}

/* The object's .gcda file, as libgcov writes it for one run: the header, the object summary,
 * then per function its identity and its counters (64-bit, low word first). */
NO_PROFILE static void out_gcda(struct gcda_out *o, const struct gcov_info *info)
{
	gcov_type max = 0;
	for (uint32_t f = 0; f < info->n_functions; f++) {
		const struct gcov_fn_info *fn = info->functions[f];
		if (fn && fn->key == info && info->merge[0])
			for (uint32_t i = 0; i < fn->ctrs[0].num; i++)
				max = fn->ctrs[0].values[i] > max ? fn->ctrs[0].values[i] : max;
	}
	out_u32(o, GCOV_DATA_MAGIC);
	out_u32(o, info->version);
	out_u32(o, info->stamp);
	out_u32(o, info->checksum);
	out_u32(o, GCOV_TAG_OBJECT_SUMMARY);
	out_u32(o, GCOV_TAG_SUMMARY_LENGTH);
	out_u32(o, 1); /* runs */
	out_u32(o, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
	for (uint32_t f = 0; f < info->n_functions; f++) {
		const struct gcov_fn_info *fn = info->functions[f];
		if (!fn || fn->key != info) { /* not linked in: an empty function record */
			out_u32(o, GCOV_TAG_FUNCTION);
			out_u32(o, 0);
			continue;
		}
		out_u32(o, GCOV_TAG_FUNCTION);
		out_u32(o, GCOV_TAG_FUNCTION_LENGTH);
		out_u32(o, fn->ident);
		out_u32(o, fn->lineno_checksum);
		out_u32(o, fn->cfg_checksum);
		const struct gcov_ctr_info *ctr = fn->ctrs;
		for (uint32_t kind = 0; kind < GCOV_COUNTERS; kind++) {
			if (!info->merge[kind])
				continue;
			out_u32(o, GCOV_TAG_COUNTER_BASE + (kind << 17));
			out_u32(o, ctr->num * 8);
			for (uint32_t i = 0; i < ctr->num; i++) {
				out_u32(o, (uint32_t)ctr->values[i]);
				out_u32(o, (uint32_t)(ctr->values[i] >> 32));
			}
			ctr++;
		}
	}
}

/* Runs at power-off (hostlink_at_exit()), interrupts off: one HOSTLINK_COVERAGE record per
 * object. */
NO_PROFILE static void gcov_send(void)
{
	for (const struct gcov_info *info = objects; info; info = info->next) {
		uint32_t name_len = (uint32_t)__builtin_strlen(info->filename) + 1;
		struct gcda_out o = {.send = false};
		out_gcda(&o, info);
		hostlink_begin(HOSTLINK_COVERAGE, name_len + o.len);
		hostlink_write(info->filename, name_len);
		o = (struct gcda_out){.send = true};
		out_gcda(&o, info);
		hostlink_write(o.buf, o.used);
	}
}

NO_PROFILE void __gcov_init(struct gcov_info *info)
{
	if (!GCOV_SUPPORTED)
		panic("__gcov_init: coverage builds need GCC 12 or 13 (this frame was built by GCC %d), called by "
		      "an object's constructor",
		      __GNUC__);
	if (!info || !info->filename)
		panic("__gcov_init: the object's gcov_info (%p) has no file name, called by an object's constructor",
		      (void *)info);
	/* Every object of one kernel must come from one GCC: the layout read here is the one of the
	 * GCC that built the frame, and another's (a kernel compiled by a newer GCC) would be misread. */
	if (objects && info->version != objects->version)
		panic("__gcov_init: %s was compiled by another GCC than %s (gcov version 0x%x, not 0x%x): build the "
		      "kernel with the compiler the SDK was built with for make coverage",
		      info->filename, objects->filename, info->version, objects->version);
	if (!objects)
		hostlink_at_exit(gcov_send);
	info->next = objects;
	objects = info;
}

/* Merging runs happens on the host (frameharness.coverage adds the counters of every boot). */
NO_PROFILE void __gcov_merge_add(gcov_type *counters, uint32_t n)
{
	(void)counters;
	(void)n;
}

/* Called by each object's destructor, which never runs here (kernel.ld discards .fini_array):
 * the counters leave at power-off instead. */
NO_PROFILE void __gcov_exit(void)
{
}
