/*
 * gateway/handlers.h — what answers a complete request: the operational
 * endpoints built into the gateway and the routes read from the database.
 */
#ifndef GATEWAY_HANDLERS_H
#define GATEWAY_HANDLERS_H

#include "request.h"

/* Route and answer a complete request (body read, limits checked). */
extern enum MHD_Result handle_request(request *req);

/* Operational endpoints (health.c, metrics.c, openapi.c). */
extern enum MHD_Result handle_healthz(request *req);
extern enum MHD_Result handle_readyz(request *req);
extern enum MHD_Result handle_metrics(request *req);
extern enum MHD_Result handle_openapi(request *req);

#endif
