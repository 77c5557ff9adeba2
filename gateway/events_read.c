/*
 * gateway/events_read.c — reading the outbox for the event endpoints
 * (GET /v1/events in events_feed.c, GET /v1/events/stream in events_stream.c):
 * their authentication (staff of the tenant), cursors, and the reads,
 * commerce.events_since under the tenant context and the tenant's last
 * published seq.
 *
 * The tenant check costs no statement of its own, as for routes
 * (execute.c): a tenant the cache knows to be suspended or missing is
 * refused without a statement; one it does not know is checked by the
 * first read, whose statement reads the tenant's status too, and whose
 * answer fills the cache (tenant_not_found from set_context says missing).
 */
#include "errmap.h"
#include "events_read.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_WAIT_MS 5000

/* events_since under the context of a tenant known to be active. */
static const char events_sql[] =
"WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4))"
" SELECT e::text, (e->>'seq'), (e->>'type') FROM ctx, commerce.events_since($5::bigint, $6::int) AS e";

/*
 * The same for a tenant the cache does not know, with its status in a
 * fourth column: events_since only runs for an active tenant (a one-time
 * filter); any other yields a single row without an event. set_context
 * runs first and raises tenant_not_found for a tenant that does not exist;
 * the status is read after it (the row is visible only in the context).
 */
static const char events_checked_sql[] =
"WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4)),"
" tenant AS MATERIALIZED (SELECT (SELECT t.status FROM commerce.tenants t"
" WHERE t.id OPERATOR(pg_catalog.=) $1::uuid) AS status FROM ctx)"
" SELECT e::text, (e->>'seq'), (e->>'type'), 'active'"
" FROM commerce.events_since($5::bigint, $6::int) AS e"
" WHERE (SELECT tenant.status OPERATOR(pg_catalog.=) 'active' FROM tenant)"
" UNION ALL"
" SELECT NULL, NULL, NULL, tenant.status FROM tenant"
" WHERE tenant.status IS NULL OR NOT tenant.status OPERATOR(pg_catalog.=) 'active'";

/*
 * The context, then the seq of the tenant's last published event (0:
 * none) and the tenant's status (read whether the cache knows it or not).
 */
static const char context_sql[] = "SELECT commerce.set_context($1::uuid, $2, $3, $4)";
static const char head_sql[] =
"SELECT coalesce(max(o.seq), 0),"
" (SELECT t.status FROM commerce.tenants t WHERE t.id OPERATOR(pg_catalog.=) $1::uuid)"
" FROM commerce.outbox o WHERE o.tenant_id OPERATOR(pg_catalog.=) $1::uuid AND o.seq IS NOT NULL";

/* Parse a cursor (a seq: decimal digits only, no sign or space); false when malformed. */
bool
parse_cursor(const char *s, long long *out)
{
	char	   *end;
	long long	v;

	if (s == NULL || !isdigit((unsigned char) s[0]))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

bool
events_auth(request *req, principal *p, enum MHD_Result *ret)
{
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
	{
		header_pair allow = {"Allow", "GET, HEAD"};

		*ret = respond_error_h(req, 405, "method_not_allowed",
							   "this method is not allowed on this path", NULL, &allow, 1);
		return false;
	}
	if (!auth_resolve(req, true, p, ret))
		return false;
	if (strcmp(p->actor, "customer") == 0)
	{
		*ret = respond_error(req, 403, "permission_denied",
							 "the event feed is for staff tokens", NULL);
		return false;
	}
	return true;
}

bool
events_reader_open(events_reader *r, request *req, const principal *p, enum MHD_Result *ret)
{
	pool_status ps;

	r->req = req;
	r->p = p;
	r->slot = pool_acquire(POOL_WAIT_MS, &ps);
	if (r->slot == NULL)
	{
		req->db_error = true;
		*ret = respond_error(req, 503, "database_unavailable", "the database cannot be reached", NULL);
		return false;
	}
	r->tenant = tenant_cache_lookup(p->tenant);
	if (r->tenant == TENANT_SUSPENDED || r->tenant == TENANT_MISSING)
	{
		*ret = respond_tenant_refused(req, r->tenant);
		events_reader_close(r);
		return false;
	}
	return true;
}

void
events_reader_close(events_reader *r)
{
	if (r->slot)
		pool_release(r->slot);
	r->slot = NULL;
}

/*
 * Settle a read's answer. While the tenant is unknown, learn its state
 * from the answer (status: what the statement read, when it succeeded) and
 * cache it. False with the answer queued and *res cleared when the read
 * cannot go on: 403 for a refused tenant, the database's error.
 */
static bool
read_settle(events_reader *r, PGresult **res, const char *status, enum MHD_Result *ret)
{
	if (r->tenant == TENANT_UNKNOWN)
	{
		r->tenant = PQresultStatus(*res) == PGRES_TUPLES_OK ? tenant_state_from_status(status)
			: tenant_state_after_failure(r->slot, r->p->tenant, res);
		if (r->tenant != TENANT_UNKNOWN)
			tenant_cache_store(r->p->tenant, r->tenant);
		if (r->tenant == TENANT_SUSPENDED || r->tenant == TENANT_MISSING)
		{
			*ret = respond_tenant_refused(r->req, r->tenant);
			PQclear(*res);
			*res = NULL;
			return false;
		}
	}
	if (PQresultStatus(*res) != PGRES_TUPLES_OK)
	{
		*ret = respond_db_error(r->req, *res, r->slot->conn, NULL);
		PQclear(*res);
		*res = NULL;
		return false;
	}
	return true;
}

bool
read_events(events_reader *r, long long after, int max, PGresult **rows, enum MHD_Result *ret)
{
	bool		checked = r->tenant == TENANT_UNKNOWN;
	const char *sql = checked ? events_checked_sql : events_sql;
	char		after_s[24],
				max_s[12];
	const char *params[6] = {r->p->tenant, r->p->subject[0] ? r->p->subject : NULL, r->p->actor,
	r->req->request_id, after_s, max_s};
	const char *status = "active";	/* no row: set_context passed, not refused */

	snprintf(after_s, sizeof(after_s), "%lld", after);
	snprintf(max_s, sizeof(max_s), "%d", max);
	*rows = pool_exec(r->slot, sql, 6, params);
	if (checked && PQresultStatus(*rows) == PGRES_TUPLES_OK && PQntuples(*rows) > 0)
		status = PQgetisnull(*rows, 0, 3) ? NULL : PQgetvalue(*rows, 0, 3);
	return read_settle(r, rows, status, ret);
}

/*
 * Where a stream without a cursor starts: after the tenant's last
 * published event. Anything not yet visible gets a higher seq (one
 * publisher numbers batches in order), so nothing is skipped. Two
 * statements in one transaction, so the context is set before the read.
 */
bool
read_head(events_reader *r, long long *seq, enum MHD_Result *ret)
{
	const char *params[4] = {r->p->tenant, r->p->subject[0] ? r->p->subject : NULL, r->p->actor,
	r->req->request_id};
	PGresult   *res = PQexec(r->slot->conn, "BEGIN");
	const char *status = NULL;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return read_settle(r, &res, NULL, ret);
	PQclear(res);
	res = pool_exec(r->slot, context_sql, 4, params);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		PQclear(res);
		res = pool_exec(r->slot, head_sql, 1, params);
	}
	/* Ends the transaction either way (COMMIT of a failed one rolls back). */
	PQclear(PQexec(r->slot->conn, "COMMIT"));
	if (PQresultStatus(res) == PGRES_TUPLES_OK && !PQgetisnull(res, 0, 1))
		status = PQgetvalue(res, 0, 1);
	if (!read_settle(r, &res, status, ret))
		return false;
	*seq = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}
