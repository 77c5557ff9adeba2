/*
 * gateway/handlers.c — top-level routing: the operational endpoints built
 * into the gateway first, then the routes read from commerce.routes.
 */
#include "handlers.h"

#include <string.h>

typedef struct builtin
{
	const char *path;
	enum MHD_Result (*fn) (request *req);
} builtin;

static const builtin builtins[] = {
	{"/healthz", handle_healthz},
	{"/readyz", handle_readyz},
	{"/metrics", handle_metrics},
};

enum MHD_Result
handle_request(request *req)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
	{
		if (strcmp(req->path, builtins[i].path) != 0)
			continue;
		snprintf(req->route, sizeof(req->route), "%s", builtins[i].path);
		if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		{
			header_pair allow = {"Allow", "GET, HEAD"};

			return respond_error_h(req, 405, "method_not_allowed",
								   "this method is not allowed on this path", NULL, &allow, 1);
		}
		return builtins[i].fn(req);
	}
	return respond_error(req, 404, "route_not_found", "no route matches this path", NULL);
}

void
handlers_request_done(request *req)
{
	(void) req;
}
