/*
 * gateway/routes.c — loading and matching the routes of commerce.routes.
 *
 * The table comes from commerce.route_table(), one JSON object per route
 * with the handler's input arguments, so the gateway can bind request parts
 * to arguments by name without further catalog queries. Matching walks the
 * (small) table and prefers the route with the most literal segments, so
 * /v1/prices/resolve wins over /v1/prices/{id}.
 */
#include "routes.h"
#include "log.h"
#include "pool.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static route_set empty_set = {.refcount = 1};
static route_set *current = &empty_set;
static long generation;

static void
free_route(route *r)
{
	free(r->path);
	for (int i = 0; i < r->nsegments; i++)
	{
		free(r->segments[i]);
		free(r->params[i]);
	}
	free(r->function);
	free(r->handler);
	free(r->returns);
	free(r->summary);
	free(r->location);
	free(r->plugin);
	for (int i = 0; i < r->nargs; i++)
	{
		free(r->args[i].name);
		free(r->args[i].type);
	}
	free(r->args);
}

static void
free_set(route_set *set)
{
	if (set == &empty_set)
		return;
	for (int i = 0; i < set->nroutes; i++)
		free_route(&set->routes[i]);
	free(set->routes);
	free(set);
}

static const char *
jstr(json_t *obj, const char *key)
{
	json_t	   *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static bool
parse_route(json_t *j, route *r)
{
	json_t	   *args = json_object_get(j, "args");
	char	   *copy,
			   *save = NULL,
			   *seg;
	const char *ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->method, sizeof(r->method), "%s", jstr(j, "method"));
	r->path = strdup(jstr(j, "path"));
	r->function = strdup(jstr(j, "function"));
	r->handler = strdup(jstr(j, "handler"));
	r->returns = strdup(jstr(j, "returns"));
	r->summary = strdup(jstr(j, "summary"));
	if (json_is_string(json_object_get(j, "location")))
		r->location = strdup(jstr(j, "location"));
	if (json_is_string(json_object_get(j, "plugin")) &&
		strspn(jstr(j, "plugin"), "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(jstr(j, "plugin")))
		r->plugin = strdup(jstr(j, "plugin"));	/* inlined in SQL: only these characters */
	else if (json_is_string(json_object_get(j, "plugin")))
		return false;
	r->success_status = (int) json_integer_value(json_object_get(j, "success_status"));
	r->admin = strcmp(jstr(j, "auth"), "platform_admin") == 0;
	r->storefront = strcmp(jstr(j, "auth"), "storefront") == 0;
	ret = r->returns;
	if (json_is_true(json_object_get(j, "returns_set")))
		r->result = RESULT_SET;
	else if (strcmp(ret, "jsonb") == 0 || strcmp(ret, "json") == 0)
		r->result = RESULT_JSON;
	else if (strcmp(ret, "void") == 0)
		r->result = RESULT_VOID;
	else if (strcmp(ret, "uuid") == 0)
		r->result = RESULT_UUID;
	else
		r->result = RESULT_SCALAR;

	copy = strdup(r->path);
	for (seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save))
	{
		if (r->nsegments == ROUTE_MAX_SEGMENTS)
		{
			free(copy);
			return false;
		}
		if (seg[0] == '{')
		{
			size_t		n = strlen(seg);

			r->params[r->nsegments] = strndup(seg + 1, n >= 2 ? n - 2 : 0);
		}
		else
		{
			r->segments[r->nsegments] = strdup(seg);
			r->nliterals++;
		}
		r->nsegments++;
	}
	free(copy);

	r->nargs = (int) json_array_size(args);
	r->args = calloc((size_t) r->nargs + 1, sizeof(route_arg));
	for (int i = 0; i < r->nargs; i++)
	{
		json_t	   *a = json_array_get(args, (size_t) i);

		r->args[i].name = strdup(jstr(a, "name"));
		r->args[i].type = strdup(jstr(a, "type"));
		r->args[i].has_default = json_is_true(json_object_get(a, "has_default"));
		if (r->args[i].name[0] == '\0')
			return false;		/* unnamed arguments cannot be bound */
	}
	return true;
}

bool
routes_load(PGconn *conn)
{
	PGresult   *res = pool_read_rows(conn, "SELECT r::text FROM commerce.route_table() AS r",
										 "cannot load routes");
	route_set  *set,
			   *old;
	int			n;

	if (res == NULL)
		return false;
	n = PQntuples(res);
	set = calloc(1, sizeof(route_set));
	set->routes = calloc((size_t) n + 1, sizeof(route));
	for (int i = 0; i < n; i++)
	{
		json_t	   *j = json_loads(PQgetvalue(res, i, 0), 0, NULL);
		route	   *r = &set->routes[set->nroutes];

		if (j == NULL)
			continue;
		if (parse_route(j, r))
			set->nroutes++;
		else
		{
			log_event(LOG_WARN, "route skipped: its handler has unnamed arguments or too many segments",
					  json_pack("{s:s, s:s}", "method", r->method, "path", r->path));
			free_route(r);
		}
		json_decref(j);
	}
	PQclear(res);
	set->refcount = 1;

	pthread_mutex_lock(&lock);
	set->generation = ++generation;
	old = current;
	current = set;
	if (--old->refcount == 0)
		free_set(old);
	pthread_mutex_unlock(&lock);
	log_event(LOG_INFO, "routes loaded", json_pack("{s:i}", "routes", set->nroutes));
	return true;
}

bool
routes_loaded(void)
{
	bool		loaded;

	pthread_mutex_lock(&lock);
	loaded = current->generation > 0;
	pthread_mutex_unlock(&lock);
	return loaded;
}

route_set *
routes_acquire(void)
{
	route_set  *set;

	pthread_mutex_lock(&lock);
	set = current;
	set->refcount++;
	pthread_mutex_unlock(&lock);
	return set;
}

void
routes_release(route_set *set)
{
	bool		last;

	pthread_mutex_lock(&lock);
	last = --set->refcount == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		free_set(set);
}

void
routes_free_all(void)
{
	pthread_mutex_lock(&lock);
	if (--current->refcount == 0)
		free_set(current);
	current = &empty_set;
	empty_set.refcount = 1;
	pthread_mutex_unlock(&lock);
}

const route *
routes_match(route_set *set, const char *method, const char *path,
			 char **values, char **buffer, char *allow, size_t allowlen)
{
	char	   *copy = strdup(path);
	char	   *segs[ROUTE_MAX_SEGMENTS + 1];
	int			nsegs = 0;
	char	   *save = NULL,
			   *s;
	const route *best = NULL;
	size_t		alen = 0;

	allow[0] = '\0';
	*buffer = copy;
	for (s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save))
	{
		if (nsegs == ROUTE_MAX_SEGMENTS + 1)
			return NULL;
		segs[nsegs++] = s;
	}
	if (nsegs > ROUTE_MAX_SEGMENTS)
		return NULL;

	for (int i = 0; i < set->nroutes; i++)
	{
		const route *r = &set->routes[i];
		bool		ok = r->nsegments == nsegs;

		for (int k = 0; ok && k < nsegs; k++)
			if (r->segments[k] && strcmp(r->segments[k], segs[k]) != 0)
				ok = false;
		if (!ok)
			continue;
		if (strcmp(r->method, method) == 0 ||
			(strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
		{
			if (best == NULL || r->nliterals > best->nliterals)
				best = r;
		}
		else if (strstr(allow, r->method) == NULL && alen + strlen(r->method) + 3 < allowlen)
			alen += (size_t) snprintf(allow + alen, allowlen - alen, "%s%s",
									  alen ? ", " : "", r->method);
	}
	if (best)
		for (int k = 0; k < nsegs; k++)
			values[k] = best->segments[k] ? NULL : segs[k];
	return best;
}

/* --- issue 14: Allow without the routes the caller may not see ------- */

void
routes_allow(route_set *set, const char *method, const char *path,
			 bool (*keep) (const route *r, void *arg), void *arg,
			 char *allow, size_t allowlen)
{
	char	   *copy = strdup(path);
	char	   *segs[ROUTE_MAX_SEGMENTS + 1];
	int			nsegs = 0;
	char	   *save = NULL,
			   *s;
	size_t		alen = 0;

	allow[0] = '\0';
	if (copy == NULL)
		return;
	for (s = strtok_r(copy, "/", &save); s && nsegs <= ROUTE_MAX_SEGMENTS; s = strtok_r(NULL, "/", &save))
		segs[nsegs++] = s;
	for (int i = 0; nsegs <= ROUTE_MAX_SEGMENTS && i < set->nroutes; i++)
	{
		const route *r = &set->routes[i];
		bool		ok = r->nsegments == nsegs && strcmp(r->method, method) != 0 &&
			!(strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0) &&
			strstr(allow, r->method) == NULL;

		for (int k = 0; ok && k < nsegs; k++)
			if (r->segments[k] && strcmp(r->segments[k], segs[k]) != 0)
				ok = false;
		if (ok && alen + strlen(r->method) + 3 < allowlen && keep(r, arg))
			alen += (size_t) snprintf(allow + alen, allowlen - alen, "%s%s",
									  alen ? ", " : "", r->method);
	}
	free(copy);
}
