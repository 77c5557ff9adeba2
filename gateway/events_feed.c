/*
 * gateway/events_feed.c — reading the outbox for the event endpoints:
 * their authentication (staff of the tenant), cursors, the reads
 * (commerce.events_since under the tenant context, the tenant's last
 * published seq), and GET /v1/events, the cursor feed. The stream and its
 * hub are in events.c.
 */
#include "auth.h"
#include "errmap.h"
#include "events.h"
#include "events_read.h"
#include "pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse a cursor (a seq); false when malformed. */
bool
parse_cursor(const char *s, long long *out)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

static const char events_sql[] =
"WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4))"
" SELECT e::text, (e->>'seq'), (e->>'type') FROM ctx, commerce.events_since($5::bigint, $6::int) AS e";

/* The context, then the seq of the tenant's last published event (0: none). */
static const char context_sql[] = "SELECT commerce.set_context($1::uuid, $2, $3, $4)";
static const char head_sql[] =
"SELECT coalesce(max(o.seq), 0) FROM commerce.outbox o"
" WHERE o.tenant_id = $1::uuid AND o.seq IS NOT NULL";

/* Run events_since for p after `after`, at most max rows. */
PGresult *
read_events(pool_slot *slot, const principal *p, const char *request_id,
			long long after, int max)
{
	char		after_s[24],
				max_s[12];
	const char *params[6] = {p->tenant, p->subject[0] ? p->subject : NULL, p->actor,
	request_id, after_s, max_s};
	PGresult   *res = NULL;
	const char *stmt;

	snprintf(after_s, sizeof(after_s), "%lld", after);
	snprintf(max_s, sizeof(max_s), "%d", max);
	stmt = pool_prepare(slot, events_sql, 6, &res);
	if (stmt)
		res = PQexecPrepared(slot->conn, stmt, 6, params, NULL, NULL, 0);
	return res;
}

/*
 * Where a stream without a cursor starts: after the tenant's last
 * published event. Anything not yet visible gets a higher seq (one
 * publisher numbers batches in order), so nothing is skipped. Two
 * statements in one transaction, so the context is set before the read.
 */
PGresult *
read_head(pool_slot *slot, const principal *p, const char *request_id)
{
	const char *params[4] = {p->tenant, p->subject[0] ? p->subject : NULL, p->actor, request_id};
	PGresult   *res = PQexec(slot->conn, "BEGIN");
	const char *stmt;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return res;
	PQclear(res);
	stmt = pool_prepare(slot, context_sql, 4, &res);
	if (stmt)
		res = PQexecPrepared(slot->conn, stmt, 4, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		PQclear(res);
		stmt = pool_prepare(slot, head_sql, 1, &res);
		if (stmt)
			res = PQexecPrepared(slot->conn, stmt, 1, params, NULL, NULL, 0);
	}
	/* Ends the transaction either way (COMMIT of a failed one rolls back). */
	PQclear(PQexec(slot->conn, "COMMIT"));
	return res;
}


/* Authenticate for the event endpoints: staff of the tenant only (events
 * carry every customer's orders). */
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

enum MHD_Result
handle_events_feed(request *req)
{
	principal	p;
	enum MHD_Result ret;
	json_t	   *query = NULL;
	json_t	   *v;
	long long	after = 0;
	long long	limit = 50;
	pool_slot  *slot;
	pool_status ps;
	PGresult   *res;
	char	   *body = NULL;
	size_t		blen = 0;
	FILE	   *f;
	int			n;

	if (!events_auth(req, &p, &ret) || !query_params(req, &query, &ret))
		return ret;
	if ((v = json_object_get(query, "after")) && !parse_cursor(json_string_value(v), &after))
		ret = respond_error(req, 400, "invalid_parameter", "after must be a cursor from next_cursor", NULL);
	else if ((v = json_object_get(query, "limit")) &&
			 (!parse_cursor(json_string_value(v), &limit) || limit < 1 || limit > 200))
		ret = respond_error(req, 400, "invalid_parameter", "limit must be an integer from 1 to 200", NULL);
	else
		ret = MHD_YES;
	json_object_del(query, "after");
	json_object_del(query, "limit");
	if (ret == MHD_YES && json_object_size(query) > 0)
		ret = respond_error(req, 400, "invalid_parameter", "unknown query parameter", NULL);
	json_decref(query);
	if (req->status)
		return ret;

	slot = pool_acquire(5000, &ps);
	if (slot == NULL)
	{
		req->db_error = true;
		return respond_error(req, 503, "database_unavailable", "the database cannot be reached", NULL);
	}
	if (!tenant_check(req, slot, &p, &ret))
	{
		pool_release(slot);
		return ret;
	}
	res = read_events(slot, &p, req->request_id, after, (int) limit + 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		ret = respond_db_error(req, res, slot->conn, NULL);
		PQclear(res);
		pool_release(slot);
		return ret;
	}
	n = PQntuples(res);
	f = open_memstream(&body, &blen);
	fputs("{\"data\":[", f);
	for (int i = 0; i < n && i < limit; i++)
		fprintf(f, "%s%s", i ? "," : "", PQgetvalue(res, i, 0));
	if (n > limit)
		fprintf(f, "],\"next_cursor\":\"%s\"}", PQgetvalue(res, (int) limit - 1, 1));
	else
		fputs("],\"next_cursor\":null}", f);
	fclose(f);
	PQclear(res);
	pool_release(slot);
	ret = respond(req, 200, "application/json", body, blen, NULL, 0);
	free(body);
	return ret;
}

