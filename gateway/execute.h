/*
 * gateway/execute.h — the execution stage: a pool connection, the one
 * statement in its one transaction, and the tenant's state learnt from it
 * when the cache does not know it.
 */
#ifndef GATEWAY_EXECUTE_H
#define GATEWAY_EXECUTE_H

#include "auth.h"
#include "bind.h"
#include "pool.h"

#include <libpq-fe.h>

typedef enum outcome_kind
{
	OUTCOME_ROW,				/* res: the statement's one row */
	OUTCOME_DB_ERROR,			/* res: the error (NULL: no answer at all) */
	OUTCOME_NO_CONNECTION,		/* pool: why there is no connection */
	OUTCOME_TENANT_REFUSED		/* tenant: suspended or missing */
} outcome_kind;

typedef struct outcome
{
	outcome_kind kind;
	pool_slot  *slot;			/* held until outcome_release() */
	PGresult   *res;
	pool_status pool;
	tenant_state tenant;
} outcome;

/* Run st for p. Never answers: the response stage does (response.c). */
extern void execute_statement(const principal *p, const statement *st, outcome *out);
extern void outcome_release(outcome *out);

#endif
