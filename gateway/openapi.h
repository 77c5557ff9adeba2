/*
 * gateway/openapi.h — the pieces of GET /openapi.json: one operation per
 * route from its entry in the route table and its API document
 * (commerce.openapi_docs(), sql/src/805_route_docs.sql), the endpoints
 * built into the gateway, and the shared components.
 */
#ifndef GATEWAY_OPENAPI_H
#define GATEWAY_OPENAPI_H

#include <jansson.h>

#include "routes.h"

#define OPENAPI_REF "#/components/schemas/"

/*
 * The OpenAPI operation of route r. doc: its document (an object of
 * commerce.openapi_docs()'s "operations", NULL when it has none); schemas:
 * components.schemas, to see whether an answer carries a version (ETag);
 * used: operationIds taken so far (this one is added); tags: the tags
 * used so far (this one is added).
 */
extern json_t *openapi_operation(const route *r, json_t *doc, json_t *schemas,
								 json_t *used, json_t *tags);

/* The endpoints built into the gateway (health, metrics, this document,
 * the event feed and stream), added to paths; their tags to tags. */
extern void openapi_builtin_paths(json_t *paths, json_t *tags);

/* components: the database's schemas plus the gateway's own (Error,
 * Event, EventPage, Health, Readiness), headers, parameters, security. */
extern json_t *openapi_components(json_t *db_schemas);

/* An error answer with description, the Error schema and X-Request-Id. */
extern json_t *openapi_error_response(const char *description);

#endif
