/* The locks' private side: what the rest of the frame asks of a lock. */
#ifndef FRAME_SYNC_LOCK_H
#define FRAME_SYNC_LOCK_H

#include <frame/sync.h>

/* A mutex's name, for reports (a task that ends holding one). */
const char *mutex_name(const struct mutex *mutex);

#endif
