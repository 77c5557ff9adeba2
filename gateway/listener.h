/*
 * gateway/listener.h — the one database connection that LISTENs: route
 * reloads, tenant changes and wake-ups for the event streams.
 */
#ifndef GATEWAY_LISTENER_H
#define GATEWAY_LISTENER_H

#include "config.h"

extern void listener_start(const gateway_config *cfg);
extern void listener_stop(void);

/* Have the listener thread look at its work now (e.g. a stream's poll). */
extern void listener_wake(void);

/*
 * For /readyz: "ok" (LISTEN in force), "reconnecting", or "behind_pooler"
 * (its connection goes through a pooler, where LISTEN hears nothing).
 */
extern const char *listener_state(void);

#endif
