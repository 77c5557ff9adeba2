/*
 * gateway/events_hub.h — what the stream endpoint (events_stream.c) asks
 * of the hub of open streams (events_hub.c): a subscriber per stream, set
 * up by the HTTP thread in catch-up mode and then fed by the poller.
 */
#ifndef GATEWAY_EVENTS_HUB_H
#define GATEWAY_EVENTS_HUB_H

#include <libpq-fe.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Events per read of the outbox, by the poller and by a catch-up. */
#define EVENTS_PAGE 500

typedef struct subscriber subscriber;

/*
 * Register a stream of tenant on conn with cursor start, in catch-up mode:
 * the poller leaves it alone until subscriber_go_live().
 */
extern subscriber *hub_subscribe(struct MHD_Connection *conn, const char *tenant,
								 long long start);
/* A stream that failed to start: drop the response's reference and it. */
extern void hub_unsubscribe(subscriber *s);

/* The last seq the stream was sent (or is to start after). */
extern long long subscriber_cursor(subscriber *s);
extern void subscriber_set_cursor(subscriber *s, long long seq);

/*
 * Append one page of events read for a catching-up stream; false when the
 * stream is done catching up (the page was the last, or the stream closed
 * or filled up: the poller goes on from its cursor as the client drains).
 */
extern bool subscriber_catch_up(subscriber *s, const PGresult *res);

/* Hand the stream to the poller, which reads for it at once. */
extern void subscriber_go_live(subscriber *s);

/* The response's content reader and its release (MHD callbacks). */
extern ssize_t subscriber_read(void *cls, uint64_t pos, char *out, size_t max);
extern void subscriber_release(void *cls);

/* Event streams registered now (for /metrics). */
extern int	hub_open_streams(void);

#endif
