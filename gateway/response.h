/*
 * gateway/response.h — the response stage of a route: the execution's
 * outcome as an HTTP answer (the generic helpers every handler answers
 * with are in request.h).
 */
#ifndef GATEWAY_RESPONSE_H
#define GATEWAY_RESPONSE_H

#include "execute.h"
#include "request.h"
#include "routes.h"

/*
 * Answer route r (path parameter values) from o. A database error whose
 * code is precondition_code (when not NULL) is answered 412: a
 * version_conflict after the client sent If-Match.
 */
extern enum MHD_Result respond_outcome(request *req, const route *r, char **values,
									   const outcome *o, const char *precondition_code);

#endif
