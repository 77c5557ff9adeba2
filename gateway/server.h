/*
 * gateway/server.h — the HTTP server: libmicrohttpd daemon with a thread
 * pool, request intake (headers, body limits, request ids), top-level
 * routing and graceful shutdown.
 */
#ifndef GATEWAY_SERVER_H
#define GATEWAY_SERVER_H

#include "config.h"

#include <stdbool.h>

extern bool server_start(const gateway_config *cfg);

/* Stop accepting connections; requests under way go on. */
extern void server_quiesce(void);

/* Wait until no request is under way or timeout_s passed; false on timeout. */
extern bool server_wait_idle(int timeout_s);

/* Close every connection and join the threads. */
extern void server_stop(void);

/* True once shutdown started (streams end, new requests still answered). */
extern bool server_shutting_down(void);

#endif
