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

#include <errno.h>

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
		commerce_invalid_cursor(given);
	*cursor = DirectFunctionCall1(uuid_in, CStringGetDatum(given));
	return true;
}

void
commerce_invalid_cursor(const char *given)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 commerce_errcode("invalid_input"),
			 errmsg("invalid cursor \"%.64s\"", given),
			 errhint("Pass the next_cursor of the previous page unchanged, with the same sort.")));
}

char *
commerce_list_after_text(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

/*
 * commerce_list_sorted_cursor
 *		The cursor of a page in the order sort ("created_at" or
 *		"-created_at"): "<sort>.<key>.<id>", key a signed integer; anything
 *		else (a cursor of another order included) is invalid_input.
 */
void
commerce_list_sorted_cursor(const char *given, const char *sort, int64 *key, Datum *id)
{
	size_t		sortlen = strlen(sort);
	const char *p = given + sortlen + 1;
	const char *dot;
	char	   *end;

	if (strncmp(given, sort, sortlen) != 0 || given[sortlen] != '.' ||
		!(p[0] == '-' || (p[0] >= '0' && p[0] <= '9')) ||
		(dot = strchr(p, '.')) == NULL || dot - p > 20 ||
		!commerce_is_uuid_text(dot + 1))
		commerce_invalid_cursor(given);
	errno = 0;
	*key = strtoi64(p, &end, 10);
	if (errno != 0 || end != dot)
		commerce_invalid_cursor(given);
	*id = DirectFunctionCall1(uuid_in, CStringGetDatum(dot + 1));
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
