/*
 * gateway/handlers.c — top-level routing: the endpoints built into the
 * gateway first (operations, events), then the routes read from
 * commerce.routes, with 404 for unknown paths and 405 + Allow for known
 * paths under another method.
 */
#include "handlers.h"
#include "dispatch.h"
#include "events.h"
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
		ret = dispatch_route(req, r, values);
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
