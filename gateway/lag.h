/*
 * gateway/lag.h — how far event publishing is behind (commerce.outbox_lag),
 * read for /metrics and /readyz, at most once a second.
 */
#ifndef GATEWAY_LAG_H
#define GATEWAY_LAG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The age in seconds of the oldest unpublished event, and the database's
 * name; false when the database could not say (no connection within a
 * short wait, or the function failed).
 */
extern bool outbox_lag(double *seconds, char *database, size_t dblen);

#endif
