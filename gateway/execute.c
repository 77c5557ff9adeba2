/*
 * gateway/execute.c — the execution stage: one statement, one transaction.
 *
 * A pool connection is taken, the tenant's cached state consulted (a
 * suspended or missing tenant is refused without a statement), and the
 * bound statement run in one implicit transaction. When the cache does not
 * know the tenant, the statement reads the tenant's status too
 * (statement_sql) and its answer fills the cache: a row says active or
 * suspended, tenant_not_found from set_context says missing. Only when that
 * statement fails otherwise (the error may come before set_context ran,
 * such as a parameter the database cannot convert) is the tenant asked
 * separately, so that a refused tenant is still answered 403 before
 * anything about the request. Previous stage: bind.c; next: response.c.
 */
#include "execute.h"

#include <stdlib.h>
#include <string.h>

#define POOL_WAIT_MS 5000

static PGresult *
run(pool_slot *slot, const statement *st, bool with_tenant_status)
{
	char	   *sql = statement_sql(st, with_tenant_status);
	PGresult   *res = sql ? pool_exec(slot, sql, st->nparams, st->values) : NULL;

	free(sql);
	return res;
}

static bool
one_row(const PGresult *res)
{
	return PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
}

/* The tenant's state from the answer of a statement that also read it. */
static tenant_state
state_from_answer(pool_slot *slot, const char *tenant, PGresult **res)
{
	if (one_row(*res))
		return tenant_state_from_status(PQgetvalue(*res, 0, 3));
	return tenant_state_after_failure(slot, tenant, res);
}

void
execute_statement(const principal *p, const statement *st, outcome *out)
{
	tenant_state known;

	memset(out, 0, sizeof(*out));
	out->slot = pool_acquire(POOL_WAIT_MS, &out->pool);
	if (out->slot == NULL)
	{
		out->kind = OUTCOME_NO_CONNECTION;
		return;
	}
	known = st->admin ? TENANT_ACTIVE : tenant_cache_lookup(p->tenant);
	if (known == TENANT_SUSPENDED || known == TENANT_MISSING)
	{
		out->kind = OUTCOME_TENANT_REFUSED;
		out->tenant = known;
		return;
	}
	out->res = run(out->slot, st, known == TENANT_UNKNOWN);
	if (known == TENANT_UNKNOWN)
	{
		known = state_from_answer(out->slot, p->tenant, &out->res);
		if (known != TENANT_UNKNOWN)
			tenant_cache_store(p->tenant, known);
		if (known == TENANT_SUSPENDED || known == TENANT_MISSING)
		{
			PQclear(out->res);
			out->res = NULL;
			out->kind = OUTCOME_TENANT_REFUSED;
			out->tenant = known;
			return;
		}
	}
	out->kind = one_row(out->res) ? OUTCOME_ROW : OUTCOME_DB_ERROR;
}

void
outcome_release(outcome *out)
{
	PQclear(out->res);
	out->res = NULL;
	if (out->slot)
		pool_release(out->slot);
	out->slot = NULL;
}
