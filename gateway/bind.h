/*
 * gateway/bind.h — the binding stage: a matched route and the checked
 * request become the statement to run (its call expression and its
 * parameters), and the SQL text that wraps the call in the tenant context.
 */
#ifndef GATEWAY_BIND_H
#define GATEWAY_BIND_H

#include "auth.h"
#include "request.h"
#include "routes.h"

#define STATEMENT_MAX_PARAMS 64

typedef struct statement
{
	bool		admin;			/* platform route: runs as commerce_admin */
	int			nparams;
	const char *values[STATEMENT_MAX_PARAMS];
	char	   *owned[STATEMENT_MAX_PARAMS];	/* values to free */
	char	   *call;			/* the handler's call, its result as json or jsonb */
	size_t		call_len;
	bool		jsonb;			/* the call's result is jsonb (commerce.json_text) */
} statement;

/*
 * Bind the route's arguments by name from the path parameters (values),
 * the request input and the principal. False with 400 queued when the
 * request does not fit the route. statement_free() either way.
 */
extern bool bind_route(request *req, const route *r, char **values, const principal *p,
					   request_input *in, statement *st, enum MHD_Result *ret);
extern void statement_free(statement *st);

/*
 * The statement's SQL text (malloc'd). with_tenant_status: the tenant's
 * state is not known yet; the statement also returns it (fourth column)
 * and calls the handler only when the tenant is active.
 */
extern char *statement_sql(const statement *st, bool with_tenant_status);

#endif
