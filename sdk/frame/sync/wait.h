/* Waiting, for the frame's own locks and the scheduler: interrupts must be off around these. */
#ifndef FRAME_SYNC_WAIT_H
#define FRAME_SYNC_WAIT_H

#include <frame/sync.h>
#include <stdint.h>

/* Sleep on wq until cond(ctx) holds or the deadline (jiffies; UINT64_MAX: none) passes. */
enum err wait_until(struct wait_queue *wq, wait_cond_fn cond, void *ctx, uint64_t deadline);
/* Wake the first waiter of wq; false if there was none. */
bool wake_one(struct wait_queue *wq);

struct wait_entry_;
/* Take a wait entry off its queue (a timed-out waiter's, from the scheduler). */
void wait_entry_unlink(struct wait_entry_ *w);

#endif
