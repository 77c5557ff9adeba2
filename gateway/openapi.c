/*
 * gateway/openapi.c — GET /openapi.json: an OpenAPI 3.1 document generated
 * from the current route table plus the endpoints built into the gateway,
 * so a plugin's routes are documented the moment they are registered.
 */
#include "handlers.h"
#include "routes.h"

#include <string.h>

static json_t *
error_response(const char *description)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description,
					 "content", "application/json", "schema", "$ref", "#/components/schemas/Error");
}

static json_t *
json_response(const char *description)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description,
					 "content", "application/json", "schema", "type", "object");
}

/* JSON Schema type of a PostgreSQL type, for parameters. */
static json_t *
schema_for(const char *pgtype)
{
	if (strcmp(pgtype, "uuid") == 0)
		return json_pack("{s:s, s:s}", "type", "string", "format", "uuid");
	if (strcmp(pgtype, "integer") == 0 || strcmp(pgtype, "bigint") == 0 ||
		strcmp(pgtype, "smallint") == 0)
		return json_pack("{s:s}", "type", "integer");
	if (strcmp(pgtype, "numeric") == 0)
		return json_pack("{s:s}", "type", "number");
	if (strcmp(pgtype, "boolean") == 0)
		return json_pack("{s:s}", "type", "boolean");
	return json_pack("{s:s}", "type", "string");
}

static const char *
method_key(const char *m)
{
	static const char *const names[][2] = {
		{"GET", "get"}, {"POST", "post"}, {"PUT", "put"}, {"PATCH", "patch"}, {"DELETE", "delete"}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i][0]) == 0)
			return names[i][1];
	return "get";
}

static json_t *
operation_for(const route *r)
{
	json_t	   *op = json_object();
	json_t	   *params = json_array();
	json_t	   *responses = json_object();
	bool		has_data = false;
	char		status[8];
	char		opid[256];

	snprintf(opid, sizeof(opid), "%s %s", r->method, r->path);
	json_object_set_new(op, "operationId", json_string(opid));
	json_object_set_new(op, "summary", json_string(r->summary[0] ? r->summary : r->handler));
	json_object_set_new(op, "description",
						json_string(r->admin ? "Platform administrators only (role platform_admin)."
									: "Acts in the token's tenant."));
	for (int k = 0; k < r->nsegments; k++)
		if (r->params[k])
		{
			const char *type = "text";

			for (int i = 0; i < r->nargs; i++)
				if (strcmp(r->args[i].name, r->params[k]) == 0)
					type = r->args[i].type;
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}", "name", r->params[k],
													"in", "path", "required", 1, "schema", schema_for(type)));
		}
	for (int i = 0; i < r->nargs; i++)
	{
		const route_arg *a = &r->args[i];
		bool		in_path = false;

		for (int k = 0; k < r->nsegments; k++)
			if (r->params[k] && strcmp(r->params[k], a->name) == 0)
				in_path = true;
		if (in_path)
			continue;
		if (strcmp(a->name, "data") == 0)
			has_data = true;
		else if (strcmp(a->name, "idempotency_key") == 0)
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i}}", "name", "Idempotency-Key",
													"in", "header", "required", 0, "schema", "type", "string", "maxLength", 255));
		else if (strcmp(a->name, "expected_version") == 0)
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", "If-Match",
													"in", "header", "required", 0, "schema", "type", "string"));
		else if (strcmp(a->name, "lim") == 0)
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s, s:i, s:i, s:i}}", "name", "limit",
													"in", "query", "required", 0, "schema", "type", "integer",
													"minimum", 1, "maximum", 200, "default", 50));
		else if (strcmp(a->name, "after") == 0)
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", "after",
													"in", "query", "required", 0, "schema", "type", "string"));
		else if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "DELETE") == 0)
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}", "name", a->name,
													"in", "query", "required", !a->has_default,
													"schema", schema_for(a->type)));
	}
	json_object_set_new(op, "parameters", params);
	if (has_data || ((strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
					  strcmp(r->method, "PATCH") == 0) && r->nargs > 0))
		json_object_set_new(op, "requestBody",
							json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 0, "content",
									  "application/json", "schema", "type", "object"));
	snprintf(status, sizeof(status), "%d", r->success_status);
	if (r->success_status == 204 || r->result == RESULT_VOID)
		json_object_set_new(responses, "204", json_pack("{s:s}", "description", "Done"));
	else
		json_object_set_new(responses, status, json_response("Success"));
	json_object_set_new(responses, "default", error_response("Error"));
	json_object_set_new(op, "responses", responses);
	json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
	return op;
}

static void
add_builtin(json_t *paths, const char *path, const char *summary, bool secured,
			const char *content_type)
{
	json_t	   *op = json_pack("{s:s, s:s, s:{s:{s:s, s:{s:{s:{}}}}, s:o}}",
							   "operationId", path, "summary", summary,
							   "responses", "200", "description", "OK", "content", content_type, "schema",
							   "default", error_response("Error"));

	if (secured)
		json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
	else
		json_object_set_new(op, "security", json_array());
	json_object_set_new(paths, path, json_pack("{s:o}", "get", op));
}

enum MHD_Result
handle_openapi(request *req)
{
	route_set  *set = routes_acquire();
	json_t	   *paths = json_object();
	json_t	   *doc;

	add_builtin(paths, "/healthz", "The process is alive", false, "application/json");
	add_builtin(paths, "/readyz", "The database answers and the extension version matches", false, "application/json");
	add_builtin(paths, "/metrics", "Prometheus metrics", false, "text/plain");
	add_builtin(paths, "/openapi.json", "This document", false, "application/json");
	add_builtin(paths, "/v1/events", "Published events of the tenant after a cursor (?after=, ?limit=)", true, "application/json");
	add_builtin(paths, "/v1/events/stream", "Server-sent events of the tenant; Last-Event-ID resumes", true, "text/event-stream");
	for (int i = 0; i < set->nroutes; i++)
	{
		const route *r = &set->routes[i];
		json_t	   *item = json_object_get(paths, r->path);

		if (item == NULL)
		{
			item = json_object();
			json_object_set_new(paths, r->path, item);
		}
		json_object_set_new(item, method_key(r->method), operation_for(r));
	}
	routes_release(set);

	doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}}, s:{s:{s:s, s:[s], s:{s:{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}}}}}",
					"openapi", "3.1.0",
					"info", "title", "pgcommerce", "version", PGCOMMERCE_VERSION,
					"description", "Multi-tenant commerce over HTTP. Every route maps to a SQL function of the pgcommerce extension.",
					"paths", paths,
					"components",
					"securitySchemes", "bearer", "type", "http", "scheme", "bearer", "bearerFormat", "JWT",
					"schemas", "Error", "type", "object", "required", "error",
					"properties", "error", "type", "object",
					"required", "code", "message", "details", "request_id",
					"properties", "code", "type", "string", "message", "type", "string",
					"details", "type", "object", "request_id", "type", "string");
	return respond_json(req, 200, doc, NULL, 0);
}
