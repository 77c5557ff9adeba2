/*
 * gateway/events.h — GET /v1/events (cursor feed over
 * commerce.events_since, events_feed.c) and GET /v1/events/stream
 * (server-sent events, events_stream.c) read from the outbox per tenant
 * when the listener is woken (the hub, events_hub.c), resuming from
 * Last-Event-ID.
 */
#ifndef GATEWAY_EVENTS_H
#define GATEWAY_EVENTS_H

#include "request.h"

#include <libpq-fe.h>

extern enum MHD_Result handle_events_feed(request *req);
extern enum MHD_Result handle_events_stream(request *req);

/*
 * From the listener thread, on a commerce_events wake-up or its backstop
 * timer: read each streamed tenant's new events on conn and fan them out.
 * False when the connection failed.
 */
extern bool events_poll(PGconn *conn);
/* A stream has just set its cursor and wants a poll now. */
extern bool events_poll_requested(void);
extern void events_heartbeat(void);

/* At shutdown: end every stream (clients resume with Last-Event-ID). */
extern void events_shutdown(void);

#endif
