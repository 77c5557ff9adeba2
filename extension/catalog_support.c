/*-------------------------------------------------------------------------
 *
 * catalog_support.c
 *	  Mechanics shared by the customer and catalog commands (see
 *	  catalog_support.h): customer-actor guard, list arguments, unique
 *	  violations as precise codes, argument helpers and event emission.
 *
 * extension/catalog_support.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "catalog_support.h"
#include "errors.h"
#include "pgcommerce.h"


void
catalog_list_args(FunctionCallInfo fcinfo, int lim_arg, int after_arg,
				  int32 *lim, Datum *after)
{
	*lim = commerce_list_limit(fcinfo, lim_arg);
	if (!commerce_list_cursor(fcinfo, after_arg, after))
		*after = DirectFunctionCall1(uuid_in, CStringGetDatum(CATALOG_FIRST_CURSOR));
}

/*
 * The unique violation is caught without a subtransaction: we only look at
 * it and raise another error, so the transaction is aborted either way and
 * its abort cleans up SPI and the executor.
 */
uint64
catalog_execute_unique(SPIPlanPtr plan, const Datum *values, const char *nulls,
					   const CatalogUniqueRule *rules, int nrules)
{
	MemoryContext caller = CurrentMemoryContext;
	uint64		processed = 0;

	PG_TRY();
	{
		processed = commerce_execute(plan, values, nulls, false, 0);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			i;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION && edata->constraint_name != NULL)
		{
			for (i = 0; i < nrules; i++)
			{
				if (strcmp(edata->constraint_name, rules[i].constraint) == 0)
				{
					FlushErrorState();
					ereport(ERROR,
							(errcode(ERRCODE_UNIQUE_VIOLATION),
							 commerce_errcode(rules[i].code),
							 errmsg("%s", rules[i].message)));
				}
			}
		}
		FreeErrorData(edata);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return processed;
}

void
catalog_reject_null(const char *what, const CommerceField *fields, int nfields,
					const CommerceValue *values, const char *const *names)
{
	for (; *names != NULL; names++)
	{
		const CommerceValue *value = catalog_value(fields, nfields, values, *names);

		if (value->present && value->isnull)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("invalid %s: field \"%s\" must not be null", what, *names)));
	}
}

void
catalog_check_size(const char *what, const char *field, const CommerceValue *value,
				   int max_bytes)
{
	if (value->present && !value->isnull &&
		VARSIZE_ANY(DatumGetPointer(value->value)) > max_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid %s: field \"%s\" is larger than %d bytes", what, field, max_bytes)));
}

const CommerceValue *
catalog_value(const CommerceField *fields, int nfields, const CommerceValue *values,
			  const char *name)
{
	int			i;

	for (i = 0; i < nfields; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &values[i];
	elog(ERROR, "no field \"%s\" in the field list", name);
	pg_unreachable();
}

pg_uuid_t *
catalog_uuid_arg(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("%s must not be null", name)));
	return PG_GETARG_UUID_P(i);
}

Jsonb *
catalog_jsonb_arg(FunctionCallInfo fcinfo, int i, const char *what)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid %s: expected a JSON object", what)));
	return PG_GETARG_JSONB_P(i);
}

bool
catalog_expected_version(FunctionCallInfo fcinfo, int i, int64 *out)
{
	if (PG_ARGISNULL(i))
		return false;
	*out = PG_GETARG_INT64(i);
	return true;
}

/*
 * catalog_write_begin
 *		SPI_connect, idempotency and the staff check of a write command
 *		(see catalog_support.h).
 */
Jsonb *
catalog_write_begin(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
					int nargs, const char *staff_action)
{
	Jsonb	   *replay;

	SPI_connect();
	replay = commerce_command_begin_call(cmd, name, fcinfo, nargs, nargs);
	if (replay != NULL)
	{
		SPI_finish();
		return replay;
	}
	if (staff_action != NULL)
		commerce_require_staff(staff_action);
	return NULL;
}

/*
 * catalog_lock_expected
 *		The row lock and optimistic version check of an update command.
 */
int64
catalog_lock_expected(FunctionCallInfo fcinfo, int expected_arg, SPIPlanPtr *plan,
					  const char *sql, const pg_uuid_t *tenant, const pg_uuid_t *id,
					  const char *aggregate)
{
	int64		expected = 0;
	bool		has_expected = catalog_expected_version(fcinfo, expected_arg, &expected);
	int64		current = commerce_lock_version(plan, sql, tenant, id, aggregate);

	commerce_check_version(aggregate, has_expected, expected, current);
	return current;
}

/* The event goes to the outbox in the command's own transaction. */
void
catalog_emit(const CommerceCommand *cmd, const char *type, const char *aggregate_type,
			 const pg_uuid_t *id, Jsonb *data)
{
	commerce_emit_event(&cmd->tenant, type, aggregate_type, id, data);
}

void
catalog_reject_empty(const char *what, const CommerceField *fields, int nfields,
					 const CommerceValue *values, const char *const *names)
{
	for (; *names != NULL; names++)
	{
		const CommerceValue *value = catalog_value(fields, nfields, values, *names);

		if (value->present && !value->isnull &&
			VARSIZE_ANY_EXHDR(DatumGetPointer(value->value)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("invalid %s: field \"%s\" must not be empty", what, *names)));
	}
}
