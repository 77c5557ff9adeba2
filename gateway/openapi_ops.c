/*
 * gateway/openapi_ops.c — one OpenAPI operation per route: operationId,
 * tag, parameters, request body, answers with their headers, from the
 * route's handler (how the gateway binds it, docs/http-api.md) and its API
 * document in the database (sql/src/805_route_docs.sql). A route without a
 * document still gets a valid operation with what the route table tells.
 */
#include "openapi.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static json_t *
ref(const char *kind, const char *name)
{
	char		buf[160];

	snprintf(buf, sizeof(buf), "#/components/%s/%s", kind, name);
	return json_pack("{s:s}", "$ref", buf);
}

json_t *
openapi_error_response(const char *description)
{
	return json_pack("{s:s, s:{s:o}, s:{s:{s:o}}}", "description", description,
					 "headers", "X-Request-Id", ref("headers", "XRequestId"),
					 "content", "application/json", "schema", ref("schemas", "Error"));
}

/* JSON Schema of a PostgreSQL type, for parameters and body fields. */
static json_t *
schema_for(const char *pgtype)
{
	if (strcmp(pgtype, "uuid") == 0)
		return json_pack("{s:s, s:s}", "type", "string", "format", "uuid");
	if (strcmp(pgtype, "integer") == 0 || strcmp(pgtype, "smallint") == 0)
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
	if (strcmp(pgtype, "bigint") == 0)
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
	if (strcmp(pgtype, "numeric") == 0)
		return json_pack("{s:s}", "type", "number");
	if (strcmp(pgtype, "boolean") == 0)
		return json_pack("{s:s}", "type", "boolean");
	if (strcmp(pgtype, "timestamp with time zone") == 0)
		return json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
	if (strcmp(pgtype, "jsonb") == 0 || strcmp(pgtype, "json") == 0)
		return json_object();
	return json_pack("{s:s}", "type", "string");
}

static bool
is_path_param(const route *r, const char *name)
{
	for (int k = 0; k < r->nsegments; k++)
		if (r->params[k] && strcmp(r->params[k], name) == 0)
			return true;
	return false;
}

static bool
has_arg(const route *r, const char *name)
{
	for (int i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].name, name) == 0)
			return true;
	return false;
}

static bool
is_write(const route *r)
{
	return strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
		strcmp(r->method, "PATCH") == 0;
}

/* An argument the gateway binds from a header, ?limit/?after or the body. */
static bool
is_special(const char *name)
{
	return strcmp(name, "data") == 0 || strcmp(name, "idempotency_key") == 0 ||
		strcmp(name, "expected_version") == 0 || strcmp(name, "lim") == 0 ||
		strcmp(name, "after") == 0 || strcmp(name, "cart_secret") == 0 ||
		strcmp(name, "verified_email") == 0;
}

/* The command name in camelCase: "commerce"."create_product" -> createProduct. */
static void
derive_operation_id(const route *r, char *out, size_t len)
{
	const char *name = strrchr(r->function, '.');
	size_t		n = 0;
	bool		upper = false;

	name = name ? name + 1 : r->function;
	for (; *name && n + 1 < len; name++)
	{
		if (!isalnum((unsigned char) *name))
		{
			upper = n > 0;
			continue;
		}
		if (n == 0 && isdigit((unsigned char) *name) && len > 3)
		{
			out[n++] = 'o';
			out[n++] = 'p';
		}
		out[n] = upper ? toupper((unsigned char) *name)
			: (n == 0 ? tolower((unsigned char) *name) : *name);
		n++;
		upper = false;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, len, "operation");
}

/* An operationId not yet in used: the document's, else the command's name;
 * on a clash the method (getThingDelete), then a number. */
static void
operation_id(const route *r, json_t *doc, json_t *used, char *out, size_t len)
{
	const char *given = json_string_value(json_object_get(doc, "operation_id"));
	size_t		n;

	if (given)
		snprintf(out, len, "%s", given);
	else
		derive_operation_id(r, out, len);
	if (json_object_get(used, out))
	{
		n = strlen(out);
		snprintf(out + n, len - n, "%c", r->method[0]);
		for (size_t i = 1; r->method[i] && n + i + 1 < len; i++)
		{
			out[n + i] = tolower((unsigned char) r->method[i]);
			out[n + i + 1] = '\0';
		}
		n = strlen(out);
		for (int k = 2; json_object_get(used, out) && k < 1000; k++)
			snprintf(out + n, len - n, "%d", k);
	}
	json_object_set_new(used, out, json_true());
}

/* The document's tag, else the first path segment after /v1: "Things". */
static json_t *
operation_tag(const route *r, json_t *doc, json_t *tags)
{
	const char *given = json_string_value(json_object_get(doc, "tag"));
	char		buf[64] = "Other";

	if (given)
		snprintf(buf, sizeof(buf), "%s", given);
	else
		for (int k = 0; k < r->nsegments; k++)
			if (r->segments[k] && strcmp(r->segments[k], "v1") != 0)
			{
				snprintf(buf, sizeof(buf), "%s", r->segments[k]);
				buf[0] = toupper((unsigned char) buf[0]);
				break;
			}
	json_object_set_new(tags, buf, json_true());
	return json_pack("[s]", buf);
}

static json_t *
parameter(const char *name, const char *in, bool required, json_t *schema)
{
	return json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", in, "required", required,
					 "schema", schema);
}

/*
 * The query parameters of a jsonb `filter` argument (list filters, bound
 * by bind.c): one per property of its documented object schema, which
 * 895_core_route_docs.sql takes from commerce.filter_schema.
 */
static void
filter_parameters(const route *r, json_t *params, json_t *schema)
{
	const char *key;
	json_t	   *prop;

	json_object_foreach(json_object_get(schema, "properties"), key, prop)
		if (!has_arg(r, key))	/* an argument of its own (status) */
			json_array_append_new(params, parameter(key, "query", false, json_deep_copy(prop)));
}

/* Path, query and header parameters. */
static json_t *
operation_parameters(const route *r, json_t *doc)
{
	json_t	   *params = json_array();
	json_t	   *given = json_object_get(doc, "parameters");
	bool		query_args = !is_write(r);

	for (int k = 0; k < r->nsegments; k++)
		if (r->params[k])
		{
			const char *type = "text";
			json_t	   *s = json_object_get(given, r->params[k]);

			for (int i = 0; i < r->nargs; i++)
				if (strcmp(r->args[i].name, r->params[k]) == 0)
					type = r->args[i].type;
			json_array_append_new(params, parameter(r->params[k], "path", true,
													s ? json_deep_copy(s) : schema_for(type)));
		}
	for (int i = 0; i < r->nargs; i++)
	{
		const route_arg *a = &r->args[i];
		json_t	   *s = json_object_get(given, a->name);

		if (is_path_param(r, a->name))
			continue;
		if (strcmp(a->name, "idempotency_key") == 0)
			json_array_append_new(params, ref("parameters", "IdempotencyKey"));
		else if (strcmp(a->name, "expected_version") == 0)
			json_array_append_new(params, ref("parameters", "IfMatch"));
		else if (strcmp(a->name, "lim") == 0)
			json_array_append_new(params, ref("parameters", "Limit"));
		else if (strcmp(a->name, "after") == 0)
			json_array_append_new(params, ref("parameters", "After"));
		else if (query_args && strcmp(a->name, "filter") == 0 && strcmp(a->type, "jsonb") == 0)
			filter_parameters(r, params, s);
		else if (strcmp(a->name, "cart_secret") == 0)
			json_array_append_new(params, ref("parameters", "CartSecret"));
		else if (query_args && !is_special(a->name))
			json_array_append_new(params, parameter(a->name, "query", !a->has_default,
													s ? json_deep_copy(s) : schema_for(a->type)));
	}
	return params;
}

/* The body: the document's schema for `data`; for a write route without
 * `data`, an object of the arguments it binds from the body by name. */
static json_t *
operation_body(const route *r, json_t *doc)
{
	json_t	   *given = json_object_get(doc, "request");
	json_t	   *schema;
	bool		required = true;

	if (!is_write(r) && !has_arg(r, "data"))
		return NULL;
	if (has_arg(r, "data"))
	{
		for (int i = 0; i < r->nargs; i++)
			if (strcmp(r->args[i].name, "data") == 0)
				required = !r->args[i].has_default;
		schema = json_is_object(given) ? json_deep_copy(given) : json_pack("{s:s}", "type", "object");
	}
	else if (json_is_object(given))
		schema = json_deep_copy(given);
	else
	{
		json_t	   *props = json_object();
		json_t	   *req = json_array();

		for (int i = 0; i < r->nargs; i++)
		{
			const route_arg *a = &r->args[i];

			if (is_path_param(r, a->name) || is_special(a->name))
				continue;
			json_object_set_new(props, a->name, schema_for(a->type));
			if (!a->has_default)
				json_array_append_new(req, json_string(a->name));
		}
		if (json_object_size(props) == 0)
		{
			json_decref(props);
			json_decref(req);
			return NULL;
		}
		required = json_array_size(req) > 0;
		schema = json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties", props,
						   "required", req, "additionalProperties", 0);
	}
	return json_pack("{s:b, s:{s:{s:o}}}", "required", required, "content", "application/json",
					 "schema", schema);
}

/* Whether an answer of this schema (or the one it names) has a version. */
static bool
has_version(json_t *schema, json_t *schemas)
{
	const char *target = json_string_value(json_object_get(schema, "$ref"));

	if (target && strncmp(target, OPENAPI_REF, strlen(OPENAPI_REF)) == 0)
		schema = json_object_get(schemas, target + strlen(OPENAPI_REF));
	return json_object_get(json_object_get(schema, "properties"), "version") != NULL;
}

static json_t *
success_schema(const route *r, json_t *doc)
{
	json_t	   *given = json_object_get(doc, "response");

	if (json_is_object(given))
		return json_deep_copy(given);
	switch (r->result)
	{
		case RESULT_UUID:
			return json_pack("{s:s, s:[s], s:{s:{s:s, s:s}}}", "type", "object", "required", "id",
							 "properties", "id", "type", "string", "format", "uuid");
		case RESULT_SCALAR:
			return json_pack("{s:s, s:[s], s:{s:{}}}", "type", "object", "required", "result",
							 "properties", "result");
		case RESULT_SET:
			return json_pack("{s:s}", "type", "array");
		default:
			return json_pack("{s:s}", "description",
							 "Not documented: the route's function answers JSON (commerce.describe_route documents it).");
	}
}

static json_t *
success_response(const route *r, json_t *doc, json_t *schemas)
{
	json_t	   *headers = json_pack("{s:o}", "X-Request-Id", ref("headers", "XRequestId"));
	json_t	   *schema;

	if (has_arg(r, "idempotency_key"))
		json_object_set_new(headers, "Idempotent-Replayed", ref("headers", "IdempotentReplayed"));
	if (r->success_status == 204 || r->result == RESULT_VOID)
		return json_pack("{s:s, s:o}", "description", "Done (no body)", "headers", headers);
	if (r->success_status == 201)
		json_object_set_new(headers, "Location", ref("headers", "Location"));
	schema = success_schema(r, doc);
	if (has_version(schema, schemas))
		json_object_set_new(headers, "ETag", ref("headers", "ETag"));
	return json_pack("{s:s, s:o, s:{s:{s:o}}}", "description",
					 r->success_status == 201 ? "Created" : "OK", "headers", headers,
					 "content", "application/json", "schema", schema);
}

static void
add_error(json_t *responses, json_t *errors, const char *status, const char *description)
{
	const char *specific = json_string_value(json_object_get(errors, status));
	char		buf[768];

	if (specific)
		snprintf(buf, sizeof(buf), "%s %s", description, specific);
	json_object_set_new(responses, status, openapi_error_response(specific ? buf : description));
}

/* The error answers: those every such route can give, then the document's. */
static json_t *
operation_responses(const route *r, json_t *doc, json_t *schemas)
{
	json_t	   *responses = json_object();
	json_t	   *errors = json_object_get(doc, "errors");
	bool		body = is_write(r) || has_arg(r, "data");
	const char *status;
	json_t	   *v;
	char		code[8];

	snprintf(code, sizeof(code), "%d", r->success_status == 0 ? 200 : r->success_status);
	if (r->result == RESULT_VOID)
		snprintf(code, sizeof(code), "204");
	json_object_set_new(responses, code, success_response(r, doc, schemas));
	add_error(responses, errors, "400", "Malformed JSON or parameters, or invalid input (malformed_json, invalid_parameter, invalid_input).");
	add_error(responses, errors, "401", "No token, or an invalid or expired one (unauthorized).");
	add_error(responses, errors, "403", "Not allowed for this role or actor, or the tenant is suspended or unknown.");
	if (r->nliterals < r->nsegments)
		add_error(responses, errors, "404", "Not found in this tenant (another tenant's ids look the same).");
	if (has_arg(r, "idempotency_key"))
	{
		add_error(responses, errors, "409", "Conflict: the request's state rule, or its Idempotency-Key is still running (idempotency_key_in_use).");
		add_error(responses, errors, "422", "Validation failed, or the Idempotency-Key was used for another request (idempotency_key_reused).");
	}
	if (has_arg(r, "expected_version"))
		add_error(responses, errors, "412", "If-Match does not name the current version (version_conflict).");
	if (body)
	{
		add_error(responses, errors, "413", "The body is larger than the gateway takes.");
		add_error(responses, errors, "415", "The body is not application/json.");
	}
	add_error(responses, errors, "503", "The database is unavailable.");
	add_error(responses, errors, "504", "The statement timed out.");
	json_object_foreach(errors, status, v)
		if (!json_object_get(responses, status))
		add_error(responses, errors, status, "");
	json_object_set_new(responses, "default", openapi_error_response("Any other error."));
	return responses;
}

json_t *
openapi_operation(const route *r, json_t *doc, json_t *schemas, json_t *used, json_t *tags)
{
	json_t	   *op = json_object();
	json_t	   *body = operation_body(r, doc);
	const char *extra = json_string_value(json_object_get(doc, "description"));
	char		opid[96];
	char		description[4200];

	operation_id(r, doc, used, opid, sizeof(opid));
	snprintf(description, sizeof(description), "%s%s%s",
			 r->admin ? "Platform administrators only (role platform_admin)."
			 : r->storefront ? "A publishable key only (X-Publishable-Key), in the key's tenant."
			 : "Acts in the token's tenant.",
			 extra && extra[0] ? " " : "", extra ? extra : "");
	json_object_set_new(op, "operationId", json_string(opid));
	json_object_set_new(op, "summary", json_string(r->summary[0] ? r->summary : r->handler));
	json_object_set_new(op, "description", json_string(description));
	json_object_set_new(op, "tags", operation_tag(r, doc, tags));
	json_object_set_new(op, "parameters", operation_parameters(r, doc));
	if (body)
		json_object_set_new(op, "requestBody", body);
	json_object_set_new(op, "responses", operation_responses(r, doc, schemas));
	json_object_set_new(op, "security", json_pack("[{s:[]}]", r->storefront ? "publishableKey" : "bearer"));
	return op;
}
