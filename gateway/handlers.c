/*
 * gateway/handlers.c — top-level routing, and the stages a route runs.
 *
 * A complete request goes to the endpoints built into the gateway first
 * (operations, events), then to the routes read from commerce.routes, with
 * 404 for unknown paths and 405 + Allow for known paths under another
 * method. A matched route runs the stages in order, each in its own file,
 * PostgREST-style: who is calling (auth.c), what the request carries
 * (request.c), the statement it binds to (bind.c), that statement in one
 * transaction (execute.c), the answer (response.c).
 */
#include "handlers.h"
#include "auth.h"
#include "bind.h"
#include "cors.h"
#include "events.h"
#include "execute.h"
#include "response.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>

typedef struct builtin
{
	const char *path;
	enum MHD_Result (*fn) (request *req);
	bool		get_only;
} builtin;

static const builtin builtins[] = {
	{"/healthz", handle_healthz, true},
	{"/readyz", handle_readyz, true},
	{"/metrics", handle_metrics, true},
	{"/openapi.json", handle_openapi, true},
	{"/v1/events", handle_events_feed, false},
	{"/v1/events/stream", handle_events_stream, false},
};

/* One route, stage after stage; each stage answers its own refusals. */
static enum MHD_Result
run_route(request *req, const route *r, char **values)
{
	principal	p;
	request_input in = {0};
	statement	st = {0};
	outcome		o;
	enum MHD_Result ret;

	if (!auth_resolve(req, !r->admin, &p, &ret))
		return ret;
	if (request_parse_input(req, &in, &ret) &&
		bind_route(req, r, values, &p, &in, &st, &ret))
	{
		execute_statement(&p, &st, &o);
		ret = respond_outcome(req, r, values, &o, in.version[0] ? "version_conflict" : NULL);
		outcome_release(&o);
	}
	statement_free(&st);
	request_input_free(&in);
	return ret;
}

enum MHD_Result
handle_request(request *req)
{
	route_set  *set;
	const route *r;
	char	   *values[ROUTE_MAX_SEGMENTS + 1] = {0};
	char	   *buffer = NULL;
	char		allow[64];
	enum MHD_Result ret;

	if (!valid_utf8(req->path, strlen(req->path)))
		return respond_error(req, 400, "invalid_parameter", "the path is not valid UTF-8", NULL);
	if (cors_is_preflight(req))
		return cors_preflight(req);
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
	{
		if (strcmp(req->path, builtins[i].path) != 0)
			continue;
		snprintf(req->route, sizeof(req->route), "%s", builtins[i].path);
		if (builtins[i].get_only &&
			strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		{
			header_pair h = {"Allow", "GET, HEAD"};

			return respond_error_h(req, 405, "method_not_allowed",
								   "this method is not allowed on this path", NULL, &h, 1);
		}
		return builtins[i].fn(req);
	}

	set = routes_acquire();
	r = routes_match(set, req->method, req->path, values, &buffer, allow, sizeof(allow));
	if (r)
	{
		snprintf(req->route, sizeof(req->route), "%s", r->path);
		ret = run_route(req, r, values);
	}
	else if (allow[0])
	{
		header_pair h = {"Allow", allow};

		ret = respond_error_h(req, 405, "method_not_allowed",
							  "this method is not allowed on this path",
							  json_pack("{s:s}", "allow", allow), &h, 1);
	}
	else
		ret = respond_error(req, 404, "route_not_found", "no route matches this path", NULL);
	free(buffer);
	routes_release(set);
	return ret;
}
