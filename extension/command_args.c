/*-------------------------------------------------------------------------
 *
 * command_args.c
 *	  The SQL arguments every command shares (see command.h): required
 *	  arguments (one SQLSTATE, 22023 invalid_input), the jsonb body, the
 *	  expected version, and a list's page size and cursor.
 *
 * extension/command_args.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "errors.h"

int32
commerce_list_limit(FunctionCallInfo fcinfo, int arg)
{
	int32		limit = PG_ARGISNULL(arg) ? COMMERCE_LIST_DEFAULT : PG_GETARG_INT32(arg);

	if (limit < 1 || limit > COMMERCE_LIST_MAX)
		ereport_invalid_input("lim must be between 1 and %d, not %d", COMMERCE_LIST_MAX, limit);
	return limit;
}

bool
commerce_list_cursor(FunctionCallInfo fcinfo, int arg, Datum *cursor)
{
	char	   *given;

	if (PG_ARGISNULL(arg))
	{
		*cursor = (Datum) 0;
		return false;
	}
	given = text_to_cstring(PG_GETARG_TEXT_PP(arg));
	if (!commerce_is_uuid_text(given))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid cursor \"%.64s\"", given),
				 errhint("Pass the next_cursor of the previous page unchanged.")));
	*cursor = DirectFunctionCall1(uuid_in, CStringGetDatum(given));
	return true;
}

void
commerce_list_args(FunctionCallInfo fcinfo, int lim_arg, int after_arg,
				  int32 *lim, Datum *after)
{
	*lim = commerce_list_limit(fcinfo, lim_arg);
	if (!commerce_list_cursor(fcinfo, after_arg, after))
		*after = DirectFunctionCall1(uuid_in, CStringGetDatum(COMMERCE_FIRST_CURSOR));
}

void
commerce_require_arg(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		ereport_invalid_input("%s is required", name);
}

pg_uuid_t *
commerce_uuid_arg(FunctionCallInfo fcinfo, int i, const char *name)
{
	commerce_require_arg(fcinfo, i, name);
	return PG_GETARG_UUID_P(i);
}

Jsonb *
commerce_jsonb_arg(FunctionCallInfo fcinfo, int i, const char *what)
{
	if (PG_ARGISNULL(i))
		commerce_invalid_input(what, "expected a JSON object");
	return PG_GETARG_JSONB_P(i);
}

bool
commerce_expected_version(FunctionCallInfo fcinfo, int i, int64 *out)
{
	if (PG_ARGISNULL(i))
		return false;
	*out = PG_GETARG_INT64(i);
	return true;
}
