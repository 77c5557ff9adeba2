/*-------------------------------------------------------------------------
 *
 * spi_plans.c
 *	  Kept SPI plans and their execution for every command (see command.h):
 *	  prepare once per backend, execute with errors raised, read row 0,
 *	  and turn a unique violation into the precise error code it means.
 *
 * extension/spi_plans.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/elog.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "command.h"
#include "errors.h"
#include "citus_compat.h"
#include "planner_keyed.h"

static uint64 execute_planned(SPIPlanPtr plan, const Datum *values, const char *nulls,
							  bool read_only, long count, CommercePlanning how);
static SPIPlanPtr commerce_prepare_options(SPIPlanPtr *slot, const char *sql, int nargs,
										   const Oid *argtypes, int cursor_options);

SPIPlanPtr
commerce_prepare(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *argtypes)
{
	return commerce_prepare_options(slot, sql, nargs, argtypes, 0);
}

/*
 * A plan kept generic from the first call (no custom plans to compare
 * with). Not under Citus (docs/scaling.md): its router planner needs the
 * parameters' values to find the tenant's shard of a statement with joins
 * or subqueries ("could not create distributed plan"), and it steers the
 * plan cache to custom plans itself.
 */
SPIPlanPtr
commerce_prepare_generic(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *argtypes)
{
	return commerce_prepare_options(slot, sql, nargs, argtypes,
									commerce_citus_loaded() ? 0 : CURSOR_OPT_GENERIC_PLAN);
}

static SPIPlanPtr
commerce_prepare_options(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *argtypes,
						 int cursor_options)
{
	SPIPlanPtr	plan;

	if (*slot != NULL)
		return *slot;
	plan = SPI_prepare_cursor(sql, nargs, (Oid *) argtypes, cursor_options);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	commerce_check_citus_sql(plan, sql);	/* issue 19: off but in test/t/800 */
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	*slot = plan;
	return plan;
}

/*
 * execute_planned
 *		Execute a kept plan, made (if it is made now) as how says
 *		(planner_keyed.c); returns SPI_processed, raises on failure.
 */
static uint64
execute_planned(SPIPlanPtr plan, const Datum *values, const char *nulls,
				bool read_only, long count, CommercePlanning how)
{
	CommercePlanning previous = commerce_planning_begin(how);
	volatile int rc = 0;

	PG_TRY();
	{
		rc = SPI_execute_plan(plan, (Datum *) values, nulls, read_only, count);
	}
	PG_FINALLY();
	{
		commerce_planning_end(previous);
	}
	PG_END_TRY();
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/* A command's statement: found by key (planner_keyed.c). */
uint64
commerce_execute(SPIPlanPtr plan, const Datum *values, const char *nulls,
				 bool read_only, long count)
{
	return execute_planned(plan, values, nulls, read_only, count,
									COMMERCE_PLAN_KEYED);
}

/*
 * commerce_execute_index_order
 *		A statement that must visit its rows in index order, planned with
 *		sequential and bitmap heap scans off (both visit rows in page
 *		order): placing's reservation locks its stock rows in variant id
 *		order through the primary key (inventory.c).
 */
uint64
commerce_execute_index_order(SPIPlanPtr plan, const Datum *values, const char *nulls,
							 bool read_only, long count)
{
	return execute_planned(plan, values, nulls, read_only, count,
									COMMERCE_PLAN_INDEX_ORDER);
}

/* Column col (1-based) of row 0 of the last SPI result: false when there
 * is no row or the value is NULL. */
static bool
result_value(int col, Datum *value)
{
	bool		isnull;

	if (SPI_processed == 0)
		return false;
	*value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	return !isnull;
}

Jsonb *
commerce_result_jsonb(int col)
{
	Datum		value;

	if (!result_value(col, &value))
		return NULL;

	/*
	 * Detoast first, then copy: a short-header value detoasted after the
	 * copy would be expanded into SPI's memory and freed by SPI_finish().
	 */
	value = PointerGetDatum(DatumGetJsonbP(value));
	return (Jsonb *) DatumGetPointer(SPI_datumTransfer(value, false, -1));
}

bool
commerce_result_int64(int col, int64 *out)
{
	Datum		value;

	if (!result_value(col, &value))
		return false;
	*out = DatumGetInt64(value);
	return true;
}

/*
 * commerce_execute_caught
 *		commerce_execute() of a write whose error the caller answers in its
 *		own words: NULL when it ran (*processed set), else the error, copied
 *		and no longer raised. The caller raises at once, its own error or
 *		this one again (ReThrowError): the error is caught without a
 *		subtransaction, so the transaction is aborted either way and its
 *		abort cleans up SPI and the executor.
 */
ErrorData *
commerce_execute_caught(SPIPlanPtr plan, const Datum *values, const char *nulls,
						uint64 *processed)
{
	MemoryContext caller = CurrentMemoryContext;
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		*processed = commerce_execute(plan, values, nulls, false, 0);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	return edata;
}

/* A unique violation of one of rules is that rule's error. */
uint64
commerce_execute_unique(SPIPlanPtr plan, const Datum *values, const char *nulls,
						const CommerceUniqueRule *rules, int nrules)
{
	uint64		processed = 0;
	ErrorData  *edata = commerce_execute_caught(plan, values, nulls, &processed);

	if (edata == NULL)
		return processed;
	if (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION && edata->constraint_name != NULL)
		for (int i = 0; i < nrules; i++)
			if (strcmp(edata->constraint_name, rules[i].constraint) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 commerce_errcode(rules[i].code),
						 errmsg("%s", rules[i].message)));
	ReThrowError(edata);
}
