/*
 * gateway/events_read.h — what the event feed (events_feed.c) shares with
 * the event stream (events.c): authentication, cursors and outbox reads.
 */
#ifndef GATEWAY_EVENTS_READ_H
#define GATEWAY_EVENTS_READ_H

#include "auth.h"
#include "pool.h"
#include "request.h"

#include <libpq-fe.h>

/* Staff of the tenant only, GET or HEAD; false with the refusal queued. */
extern bool events_auth(request *req, principal *p, enum MHD_Result *ret);

/* Parse a cursor (a seq); false when malformed. */
extern bool parse_cursor(const char *s, long long *out);

/* events_since for p after `after`, at most max rows (caller clears). */
extern PGresult *read_events(pool_slot *slot, const principal *p, const char *request_id,
							 long long after, int max);

/* The seq of the tenant's last published event, 0 for none. */
extern PGresult *read_head(pool_slot *slot, const principal *p, const char *request_id);

#endif
