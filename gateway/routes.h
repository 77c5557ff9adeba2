/*
 * gateway/routes.h — the route table loaded from commerce.route_table(),
 * swapped whole on reload and reference-counted so requests under way keep
 * the table they matched against.
 */
#ifndef GATEWAY_ROUTES_H
#define GATEWAY_ROUTES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define ROUTE_MAX_SEGMENTS 16

typedef struct route_arg
{
	char	   *name;
	char	   *type;			/* format_type() of the argument */
	bool		has_default;
} route_arg;

typedef enum route_result
{
	RESULT_JSON,				/* json or jsonb: the body as is */
	RESULT_VOID,				/* 204 */
	RESULT_UUID,				/* {"id": value} */
	RESULT_SCALAR,				/* {"result": value} */
	RESULT_SET					/* [rows...] */
} route_result;

typedef struct route
{
	char		method[8];
	char	   *path;			/* pattern, e.g. /v1/products/{id} */
	int			nsegments;
	char	   *segments[ROUTE_MAX_SEGMENTS];	/* literal, or NULL for a parameter */
	char	   *params[ROUTE_MAX_SEGMENTS];	/* parameter name where segments[i] is NULL */
	int			nliterals;
	char	   *function;		/* quoted schema.name */
	char	   *handler;		/* regprocedure text */
	char	   *returns;
	route_result result;
	int			success_status;
	bool		admin;			/* platform_admin route */
	bool		storefront;		/* storefront route: a publishable key only */
	char	   *summary;
	char	   *location;		/* 201 Location template, NULL: path/{id} */
	char	   *plugin;			/* owning plugin ([a-z][a-z0-9_]*), NULL: core */
	int			nargs;
	route_arg  *args;
} route;

typedef struct route_set
{
	int			refcount;
	int			nroutes;
	route	   *routes;
	long		generation;
} route_set;

/* Load the table from the database and make it current. */
extern bool routes_load(PGconn *conn);

/* Whether the table has been loaded from the database at least once. */
extern bool routes_loaded(void);

/* Current table (never NULL; empty before the first load) and its release. */
extern route_set *routes_acquire(void);
extern void routes_release(route_set *set);
extern void routes_free_all(void);

/*
 * Match method and path. Returns the route and fills values[] with the
 * path parameter values (pointers into a copy the caller frees with
 * *buffer). When the path matches under other methods only, returns NULL
 * and writes them comma-separated into allow.
 */
extern const route *routes_match(route_set *set, const char *method, const char *path,
								 char **values, char **buffer, char *allow, size_t allowlen);

/*
 * Issue 14: the Allow of a path that matches under other methods only,
 * made of the routes keep() accepts (asked for each route whose method is
 * not yet in allow; handlers.c leaves out the routes of plugins the caller's
 * tenant did not turn on). Empty: no route left, the path is absent.
 */
extern void routes_allow(route_set *set, const char *method, const char *path,
						 bool (*keep) (const route *r, void *arg), void *arg,
						 char *allow, size_t allowlen);

#endif
