/*-------------------------------------------------------------------------
 *
 * command_rows.c
 *	  One aggregate's rows, the steps every command repeats around its own
 *	  SQL (see command.h): a statement over ($1 tenant, $2 id), a get_*
 *	  read, a reference that must exist, the row a write returns as the
 *	  response and its event, and a list_* page.
 *
 * extension/command_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "command.h"

/* the most filters a list page takes after its tenant, cursor and size */
#define LIST_MAX_FILTERS 4

/*
 * commerce_execute_by_id
 *		Prepare once and execute sql over ($1 tenant, $2 id), at most one
 *		row: the look-up of one aggregate of the tenant. Returns
 *		SPI_processed; the row, if any, stays in SPI_tuptable.
 */
uint64
commerce_execute_by_id(SPIPlanPtr *plan, const char *sql, const pg_uuid_t *tenant,
					   const pg_uuid_t *id, bool read_only)
{
	Datum		key[2] = {UUIDPGetDatum(tenant), UUIDPGetDatum(id)};

	commerce_prepare(plan, sql, 2, (Oid[]) {UUIDOID, UUIDOID});
	return commerce_execute(*plan, key, NULL, read_only, 1);
}

void
commerce_require_row(SPIPlanPtr *plan, const char *sql, const pg_uuid_t *tenant,
					 const pg_uuid_t *id, const char *aggregate, bool read_only)
{
	if (commerce_execute_by_id(plan, sql, tenant, id, read_only) == 0)
		commerce_not_found(aggregate, id);
}

void
commerce_require_reference(SPIPlanPtr *plan, const char *sql, const pg_uuid_t *tenant,
						   const CommerceValue *ref, const char *aggregate)
{
	if (ref->present && !ref->isnull)
		commerce_require_row(plan, sql, tenant, DatumGetUUIDP(ref->value), aggregate, false);
}

int64
commerce_lock_version(SPIPlanPtr *plan, const char *sql, const pg_uuid_t *tenant,
					  const pg_uuid_t *id, const char *aggregate)
{
	int64		version;

	commerce_execute_by_id(plan, sql, tenant, id, false);
	if (!commerce_result_int64(1, &version))
		commerce_not_found(aggregate, id);
	return version;
}

/*
 * commerce_lock_expected
 *		The row lock and optimistic version check of an update command.
 */
int64
commerce_lock_expected(FunctionCallInfo fcinfo, int expected_arg, SPIPlanPtr *plan,
					   const char *sql, const pg_uuid_t *tenant, const pg_uuid_t *id,
					   const char *aggregate)
{
	int64		expected = 0;
	bool		has_expected = commerce_expected_version(fcinfo, expected_arg, &expected);
	int64		current = commerce_lock_version(plan, sql, tenant, id, aggregate);

	commerce_check_version(aggregate, has_expected, expected, current);
	return current;
}

Jsonb *
commerce_get_by_id(FunctionCallInfo fcinfo, SPIPlanPtr *plan, const char *sql,
				   const char *aggregate)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *id = commerce_uuid_arg(fcinfo, 0, "id");
	Jsonb	   *response;

	commerce_query_begin(&tenant);
	SPI_connect();
	commerce_execute_by_id(plan, sql, &tenant, id, true);
	response = commerce_result_jsonb(1);
	if (response == NULL)
		commerce_not_found(aggregate, id);
	SPI_finish();
	return response;
}

void
commerce_write_row(SPIPlanPtr *plan, const char *sql, const pg_uuid_t *tenant,
				   const pg_uuid_t *id, Jsonb *data, const CommerceUniqueRule *rules,
				   int nrules)
{
	Datum		args[4];

	/* $4, the transaction's start time (now()), for statements Citus routes */
	commerce_prepare(plan, sql, 4, (Oid[]) {UUIDOID, UUIDOID, JSONBOID, TIMESTAMPTZOID});
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(id);
	args[2] = JsonbPGetDatum(data);
	args[3] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	if (nrules > 0)
		commerce_execute_unique(*plan, args, NULL, rules, nrules);
	else
		commerce_execute(*plan, args, NULL, false, 0);
}

/*
 * commerce_command_done
 *		The end of a write command whose one event carries its response:
 *		emit it, store the response with the key, SPI_finish. Returns the
 *		response in the caller's memory.
 */
Jsonb *
commerce_command_done(CommerceCommand *cmd, const char *type, const char *aggregate_type,
					  const pg_uuid_t *id, Jsonb *response)
{
	cmd->response_event = commerce_command_emit(cmd, type, aggregate_type, id, response);
	cmd->response_is_event = true;
	response = commerce_command_finish(cmd, response);
	SPI_finish();
	return response;
}

Jsonb *
commerce_write_end(CommerceCommand *cmd, const char *type, const char *aggregate_type,
				   const pg_uuid_t *id)
{
	return commerce_command_done(cmd, type, aggregate_type, id, commerce_result_jsonb(1));
}

void
commerce_list_begin(CommerceListPage *page, FunctionCallInfo fcinfo, int lim_arg,
					int after_arg)
{
	commerce_query_begin(&page->tenant);
	commerce_list_args(fcinfo, lim_arg, after_arg, &page->lim, &page->after);
	SPI_connect();
}

Jsonb *
commerce_list_fetch(const CommerceListPage *page, SPIPlanPtr *plan, const char *sql,
					int nfilters, const Oid *filter_types, const Datum *filters)
{
	Oid			types[3 + LIST_MAX_FILTERS] = {UUIDOID, UUIDOID, INT4OID};
	Datum		args[3 + LIST_MAX_FILTERS];
	int			i;

	if (nfilters > LIST_MAX_FILTERS)
		elog(ERROR, "a list page takes at most %d filters", LIST_MAX_FILTERS);
	args[0] = UUIDPGetDatum(&page->tenant);
	args[1] = page->after;
	args[2] = Int32GetDatum(page->lim);
	for (i = 0; i < nfilters; i++)
	{
		types[3 + i] = filter_types[i];
		args[3 + i] = filters[i];
	}
	return commerce_read_jsonb(plan, sql, 3 + nfilters, types, args, NULL);
}

/* --- reads and lists in one call -------------------------------------- */

Jsonb *
commerce_read_jsonb(SPIPlanPtr *plan, const char *sql, int nargs, const Oid *types,
					const Datum *args, const char *nulls)
{
	Jsonb	   *response;

	commerce_prepare(plan, sql, nargs, types);
	commerce_execute(*plan, args, nulls, true, 1);
	response = commerce_result_jsonb(1);
	SPI_finish();
	return response;
}

Jsonb *
commerce_list_all(FunctionCallInfo fcinfo, SPIPlanPtr *plan, const char *sql)
{
	CommerceListPage page;

	commerce_list_begin(&page, fcinfo, 0, 1);
	return commerce_list_fetch(&page, plan, sql, 0, NULL, NULL);
}

pg_uuid_t *
commerce_list_begin_under(CommerceListPage *page, FunctionCallInfo fcinfo, const char *name,
						  SPIPlanPtr *parent_plan, const char *parent_sql,
						  const char *aggregate)
{
	pg_uuid_t  *parent = commerce_uuid_arg(fcinfo, 0, name);

	commerce_list_begin(page, fcinfo, 1, 2);
	commerce_require_row(parent_plan, parent_sql, &page->tenant, parent, aggregate, true);
	return parent;
}
