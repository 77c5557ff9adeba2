/*
 * gateway/listener.h — the one database connection that LISTENs: route
 * reloads, tenant changes and published events.
 */
#ifndef GATEWAY_LISTENER_H
#define GATEWAY_LISTENER_H

#include "config.h"

extern void listener_start(const gateway_config *cfg);
extern void listener_stop(void);

#endif
