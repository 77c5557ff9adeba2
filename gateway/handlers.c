/*
 * gateway/handlers.c — top-level routing, and the stages a route runs.
 *
 * A complete request goes to the endpoints built into the gateway first
 * (operations, events), then to the routes read from commerce.routes, with
 * 404 for unknown paths and 405 + Allow for known paths under another
 * method (503 + Retry-After instead of 404 until the routes are loaded). A plugin's route is seen only by tenants that turned the plugin
 * on (plugin_gate.c): for the others it answers as an absent route, and a
 * 405's Allow leaves it out. A matched route runs the stages in order,
 * each in its own file, PostgREST-style: who is calling (auth.c: a token,
 * or a publishable key on a storefront route), what the request carries
 * (request.c), the statement it binds to (bind.c), that statement in one
 * transaction (execute.c), the answer (response.c).
 */
#include "handlers.h"
#include "auth.h"
#include "bind.h"
#include "cors.h"
#include "events.h"
#include "execute.h"
#include "plugin_gate.h"
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

/* The answer for a path no route matches, nor a route the caller may see. */
static enum MHD_Result
respond_no_route(request *req)
{
	return respond_error(req, 404, "route_not_found", "no route matches this path", NULL);
}

/* One route, stage after stage; each stage answers its own refusals. */
static enum MHD_Result
run_route(request *req, const route *r, char **values)
{
	principal	p;
	request_input in = {0};
	statement	st = {0};
	outcome		o;
	enum MHD_Result ret;

	if (r->storefront ? !auth_resolve_storefront(req, &p, &ret)
		: !auth_resolve(req, !r->admin, &p, &ret))
		return ret;
	/* a plugin the tenant did not turn on: as absent, before parse or bind;
	 * when the database cannot say, the route's statement answers */
	if (r->plugin && !r->admin && plugin_gate_ask(req, &p, r->plugin) == PLUGIN_OFF)
		return respond_no_route(req);
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

/* Which routes a 405's Allow may name (routes_allow's keep). */
typedef struct allow_gate
{
	request    *req;
	int			auth;			/* 0 not tried, 1 resolved, -1 refused (ret queued) */
	principal	p;
	enum MHD_Result ret;
	const char *plugin;			/* last plugin asked, and its answer */
	bool		on;
} allow_gate;

static bool
allow_keep(const route *r, void *arg)
{
	allow_gate *g = arg;

	if (r->plugin == NULL || r->admin)
		return true;
	if (g->auth == 0)
		g->auth = auth_resolve(g->req, true, &g->p, &g->ret) ? 1 : -1;
	if (g->auth < 0)
		return false;
	if (g->plugin == NULL || strcmp(g->plugin, r->plugin) != 0)
	{
		/* fail closed: when the database cannot say, the route is left out */
		g->on = plugin_gate_ask(g->req, &g->p, r->plugin) == PLUGIN_ON;
		g->plugin = r->plugin;
	}
	return g->on;
}

/* The path matches under other methods only: 405 with the methods the
 * caller may see, 404 when none is left; a plugin's route in Allow needs
 * the caller authenticated first (its refusal is the answer). */
static enum MHD_Result
respond_other_methods(request *req, route_set *set, char *allow, size_t allowlen)
{
	allow_gate	g = {.req = req};
	header_pair h = {"Allow", allow};

	routes_allow(set, req->method, req->path, allow_keep, &g, allow, allowlen);
	if (g.auth < 0)
		return g.ret;
	if (allow[0] == '\0')
		return respond_no_route(req);
	return respond_error_h(req, 405, "method_not_allowed",
						   "this method is not allowed on this path",
						   json_pack("{s:s}", "allow", allow), &h, 1);
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
		copy_text(req->route, sizeof(req->route), builtins[i].path);
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
		copy_text(req->route, sizeof(req->route), r->path);
		ret = run_route(req, r, values);
	}
	else if (allow[0])
		ret = respond_other_methods(req, set, allow, sizeof(allow));
	else if (set->generation == 0)
	{
		/* not loaded yet (a gateway just started): retry, not "no route" */
		header_pair h = {"Retry-After", "1"};

		ret = respond_error_h(req, 503, "routes_not_loaded",
							  "the route table has not been loaded from the database yet", NULL, &h, 1);
	}
	else
		ret = respond_no_route(req);
	free(buffer);
	routes_release(set);
	return ret;
}
