/*
 * gateway/openapi_components.c — what the gateway itself contributes to
 * /openapi.json: its own endpoints (health, readiness, metrics, this
 * document, the event feed and stream) and the shared components (the
 * Error body, the event envelope, headers, parameters, security scheme)
 * beside the schemas the database holds.
 */
#include "openapi.h"

#include <string.h>

static json_t *
sref(const char *name)
{
	char		buf[128];

	snprintf(buf, sizeof(buf), OPENAPI_REF "%s", name);
	return json_pack("{s:s}", "$ref", buf);
}

static json_t *
href(const char *kind, const char *name)
{
	char		buf[128];

	snprintf(buf, sizeof(buf), "#/components/%s/%s", kind, name);
	return json_pack("{s:s}", "$ref", buf);
}

static json_t *
ok_response(const char *content_type, json_t *schema)
{
	return json_pack("{s:s, s:{s:o}, s:{s:{s:o}}}", "description", "OK",
					 "headers", "X-Request-Id", href("headers", "XRequestId"),
					 "content", content_type, "schema", schema);
}

static json_t *
builtin(const char *opid, const char *tag, const char *summary, const char *description,
		bool secured, json_t *ok, json_t *parameters)
{
	json_t	   *op = json_pack("{s:s, s:[s], s:s, s:s, s:o, s:{s:o}}", "operationId", opid, "tags", tag,
							   "summary", summary, "description", description, "parameters", parameters,
							   "responses", "200", ok);
	json_t	   *responses = json_object_get(op, "responses");

	if (secured)
	{
		json_object_set_new(responses, "400", openapi_error_response("Invalid parameters (invalid_parameter)."));
		json_object_set_new(responses, "401", openapi_error_response("No token, or an invalid or expired one."));
		json_object_set_new(responses, "403", openapi_error_response("Staff tokens only, or the tenant is suspended or unknown."));
		json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
	}
	else
		json_object_set_new(op, "security", json_array());
	json_object_set_new(responses, "414", openapi_error_response("The request target is longer than 4 kB (uri_too_long)."));
	json_object_set_new(responses, "503", openapi_error_response("The database is unavailable, or the gateway is not ready or shutting down."));
	json_object_set_new(responses, "default", openapi_error_response("Any other error."));
	return json_pack("{s:o}", "get", op);
}

void
openapi_builtin_paths(json_t *paths, json_t *tags)
{
	json_object_set_new(paths, "/healthz",
		builtin("getHealth", "Operations", "The process is alive", "Answers 200 while the process runs; no database access.",
				false, ok_response("application/json", sref("Health")), json_array()));
	json_object_set_new(paths, "/readyz",
		builtin("getReadiness", "Operations", "Ready to serve",
				"200 when the database answers, the extension version matches and the routes are loaded; else 503 with the reason.",
				false, ok_response("application/json", sref("Readiness")), json_array()));
	json_object_set_new(paths, "/metrics",
		builtin("getMetrics", "Operations", "Prometheus metrics", "Prometheus text exposition format.",
				false, ok_response("text/plain", json_pack("{s:s}", "type", "string")), json_array()));
	json_object_set_new(paths, "/openapi.json",
		builtin("getOpenapi", "Operations", "This document",
				"OpenAPI 3.1 of every route, assembled from the route table and the routes' documents in the database.",
				false, ok_response("application/json", json_pack("{s:s}", "type", "object")), json_array()));
	json_object_set_new(paths, "/v1/events",
		builtin("listEvents", "Events", "Published events of the tenant after a cursor",
				"The tenant's published events with seq above ?after=, in seq order (commerce.events_since); staff tokens only.",
				true, ok_response("application/json", sref("EventPage")),
				json_pack("[o,o]", href("parameters", "Limit"), href("parameters", "After"))));
	json_object_set_new(paths, "/v1/events/stream",
		builtin("streamEvents", "Events", "Server-sent events of the tenant",
				"text/event-stream: `id: <seq>`, `event: <type>`, `data: <envelope>`; Last-Event-ID (or ?after=) resumes after that seq; staff tokens only.",
				true, ok_response("text/event-stream", json_pack("{s:s}", "type", "string")),
				json_pack("[{s:s, s:s, s:b, s:{s:s, s:s}, s:s}, o]",
						  "name", "Last-Event-ID", "in", "header", "required", 0,
						  "schema", "type", "string", "pattern", "^[0-9]+$",
						  "description", "Resume after this event seq.", href("parameters", "After"))));
	json_object_set_new(tags, "Operations", json_true());
	json_object_set_new(tags, "Events", json_true());
}

static json_t *
gateway_schemas(void)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
		"Error", json_pack("{s:s, s:[s], s:{s:{s:s, s:[s,s,s,s], s:{s:{s:s, s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}}",
						   "type", "object", "required", "error", "properties", "error", "type", "object",
						   "required", "code", "message", "details", "request_id", "properties",
						   "code", "type", "string", "pattern", "^[a-z][a-z0-9_]*$",
						   "message", "type", "string", "details", "type", "object",
						   "request_id", "type", "string"),
		"Event", json_pack("{s:s, s:[s,s,s,s,s,s,s,s], s:{s:{s:s, s:s}, s:{s:s, s:s, s:i}, s:{s:s, s:s}, s:{s:s, s:[s]}, s:{s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s}}}",
						   "type", "object", "required", "id", "seq", "tenant_id", "type", "aggregate_type",
						   "aggregate_id", "occurred_at", "data", "properties",
						   "id", "type", "string", "format", "uuid",
						   "seq", "type", "integer", "format", "int64", "minimum", 1,
						   "tenant_id", "type", "string", "format", "uuid",
						   "type", "type", "string", "examples", "order.placed",
						   "aggregate_type", "type", "string",
						   "aggregate_id", "type", "string", "format", "uuid",
						   "occurred_at", "type", "string", "format", "date-time",
						   "data", "type", "object"),
		"EventPage", json_pack("{s:s, s:[s,s], s:{s:{s:s, s:o}, s:{s:[s,s]}}}",
							   "type", "object", "required", "data", "next_cursor", "properties",
							   "data", "type", "array", "items", sref("Event"),
							   "next_cursor", "type", "string", "null"),
		"Health", json_pack("{s:s, s:[s], s:{s:{s:s}}}", "type", "object", "required", "status",
							"properties", "status", "type", "string"),
		"Readiness", json_pack("{s:s, s:[s], s:{s:{s:s}, s:{s:s}}}", "type", "object", "required", "status",
							   "properties", "status", "type", "string", "version", "type", "string"));
}

static json_t *
header(const char *description, json_t *schema)
{
	return json_pack("{s:s, s:o}", "description", description, "schema", schema);
}

json_t *
openapi_components(json_t *db_schemas)
{
	json_t	   *schemas = json_is_object(db_schemas) ? json_deep_copy(db_schemas) : json_object();
	json_t	   *own = gateway_schemas();

	json_object_update(schemas, own);
	json_decref(own);
	return json_pack("{s:o, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:o}, s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}}",
		"schemas", schemas,
		"headers",
		"XRequestId", header("The request's id (echoed or generated): in logs and error bodies.", json_pack("{s:s}", "type", "string")),
		"ETag", header("The answer's version, strong: \"<version>\". Send it back as If-Match.", json_pack("{s:s, s:s}", "type", "string", "pattern", "^\"[0-9]+\"$")),
		"Location", header("Where what was created can be read.", json_pack("{s:s, s:s}", "type", "string", "format", "uri-reference")),
		"IdempotentReplayed", header("true when this is the stored answer of an earlier request with the same Idempotency-Key.", json_pack("{s:s, s:[s]}", "type", "string", "enum", "true")),
		"parameters",
		"IdempotencyKey", json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:i, s:i}}", "name", "Idempotency-Key", "in", "header", "required", 0,
									"description", "Retry-safe key: the same caller sending the same request again gets the first answer.",
									"schema", "type", "string", "minLength", 1, "maxLength", 255),
		"IfMatch", json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", "If-Match", "in", "header", "required", 0,
							 "description", "The version the change expects, as the ETag gave it (\"3\"); 412 when it moved.",
							 "schema", "type", "string"),
		"Limit", json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:i, s:i, s:i}}", "name", "limit", "in", "query", "required", 0,
						   "description", "Items per page.", "schema", "type", "integer", "minimum", 1, "maximum", 200, "default", 50),
		"After", json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:i}}", "name", "after", "in", "query", "required", 0,
						   "description", "The next_cursor of the previous page.", "schema", "type", "string", "maxLength", 200),
		"CartSecret", json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:i}}", "name", "X-Cart-Secret", "in", "header", "required", 0,
								"description", "The guest cart's secret, returned once when the cart was created; without it (or with a wrong one) the cart answers 404.",
								"schema", "type", "string", "maxLength", 200),
		"securitySchemes", "bearer", "type", "http", "scheme", "bearer", "bearerFormat", "JWT",
		"publishableKey", "type", "apiKey", "in", "header", "name", "X-Publishable-Key");
}
