/*
 * gateway/cors.h — Cross-Origin Resource Sharing for browser clients:
 * allowed origins, methods and headers from the environment (reloaded on
 * SIGHUP), preflights answered, and the Access-Control-* headers of
 * every answer to an allowed origin (the Fetch standard's rules).
 */
#ifndef GATEWAY_CORS_H
#define GATEWAY_CORS_H

#include "request.h"

#include <microhttpd.h>

/*
 * Read PGCOMMERCE_CORS_* into a new policy and install it. False, with a
 * message naming the variable in err, when a value is invalid: the policy
 * in force stays.
 */
extern bool cors_load(char *err, size_t errlen);
extern void cors_free(void);

/* OPTIONS with Origin and Access-Control-Request-Method. */
extern bool cors_is_preflight(request *req);

/* 204 with the Access-Control-* headers, or 403 cors_not_allowed. */
extern enum MHD_Result cors_preflight(request *req);

/* Add the headers for an actual request's answer (none without Origin). */
extern void cors_add_headers(request *req, struct MHD_Response *r);

#endif
