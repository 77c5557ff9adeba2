/*
 * gateway/dispatch.h — running a matched route: authenticate, bind the
 * request to the handler's arguments, one statement in one transaction,
 * answer with its JSON.
 */
#ifndef GATEWAY_DISPATCH_H
#define GATEWAY_DISPATCH_H

#include "request.h"
#include "routes.h"

extern enum MHD_Result dispatch_route(request *req, const route *r, char **values);

/* Query parameters of req as a JSON object; false (and 400 queued) when
 * one is repeated or not valid UTF-8. */
extern bool query_params(request *req, json_t **out, enum MHD_Result *ret);

extern bool valid_utf8(const char *s, size_t len);

#endif
