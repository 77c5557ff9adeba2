/*
 * gateway/events_read.h — what the event feed (events_feed.c) shares with
 * the event stream (events_stream.c), in events_read.c: authentication, cursors
 * and outbox reads, with the tenant checked by the reads themselves.
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

/* The outbox reads of one request, on one pool connection. */
typedef struct events_reader
{
	request    *req;
	const principal *p;
	pool_slot  *slot;
	tenant_state tenant;		/* active, or unknown until a read learns it */
} events_reader;

/*
 * Take a pool connection for p's reads. False with the answer queued: 503
 * without a connection, 403 for a tenant the cache knows to be refused.
 */
extern bool events_reader_open(events_reader *r, request *req, const principal *p,
							   enum MHD_Result *ret);
extern void events_reader_close(events_reader *r);

/*
 * events_since after `after`, at most max rows of (envelope, seq, type)
 * in *rows (the caller clears). False with the answer queued: 403 for a
 * suspended or missing tenant, the database's error.
 */
extern bool read_events(events_reader *r, long long after, int max, PGresult **rows,
						enum MHD_Result *ret);

/* The seq of the tenant's last published event (0: none); false as above. */
extern bool read_head(events_reader *r, long long *seq, enum MHD_Result *ret);

#endif
