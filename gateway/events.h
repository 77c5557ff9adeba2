/*
 * gateway/events.h — GET /v1/events (cursor feed over
 * commerce.events_since) and GET /v1/events/stream (server-sent events fed
 * by the listener's NOTIFYs, resuming from Last-Event-ID).
 */
#ifndef GATEWAY_EVENTS_H
#define GATEWAY_EVENTS_H

#include "request.h"

extern enum MHD_Result handle_events_feed(request *req);
extern enum MHD_Result handle_events_stream(request *req);

/* From the listener thread. */
extern void events_publish(const char *envelope);
extern void events_heartbeat(void);
extern void events_resync(void);

/* At shutdown: end every stream (clients resume with Last-Event-ID). */
extern void events_shutdown(void);
extern int	events_streams(void);

#endif
