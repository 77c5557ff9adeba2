/*-------------------------------------------------------------------------
 *
 * price_lists.c
 *	  The price list aggregate: commerce.create_price_list,
 *	  update_price_list, get_price_list, list_price_lists. A list has one
 *	  currency, optionally one customer group, a validity window
 *	  [valid_from, valid_until) and a priority; its prices are set with
 *	  extension/prices.c and chosen by extension/resolve_price.c.
 *
 * extension/price_lists.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "outbox.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_price_list);
PG_FUNCTION_INFO_V1(commerce_update_price_list);
PG_FUNCTION_INFO_V1(commerce_get_price_list);
PG_FUNCTION_INFO_V1(commerce_list_price_lists);

/* The HTTP representation of a price_lists row. */
#define PRICE_LIST_JSON \
	"pg_catalog.jsonb_build_object('id', id::text, 'name', name, 'description', description," \
	" 'currency', currency, 'customer_group_id', customer_group_id::text," \
	" 'valid_from', " COMMERCE_SQL_TIMESTAMP("valid_from") "," \
	" 'valid_until', " COMMERCE_SQL_TIMESTAMP("valid_until") "," \
	" 'priority', priority, 'status', status, 'version', version," \
	" 'created_at', " COMMERCE_SQL_TIMESTAMP("created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("updated_at") ")"


/* Field positions in price_list_fields and PriceList columns. */
enum
{
	F_NAME, F_DESCRIPTION, F_CURRENCY, F_CUSTOMER_GROUP, F_VALID_FROM,
	F_VALID_UNTIL, F_PRIORITY, F_STATUS, F_COUNT
};

static const CommerceField price_list_fields[F_COUNT] = {
	[F_NAME] = {"name", CF_TEXT, true, 200},
	[F_DESCRIPTION] = {"description", CF_TEXT, false, 2000},
	[F_CURRENCY] = {"currency", CF_TEXT, true, 3},
	[F_CUSTOMER_GROUP] = {"customer_group_id", CF_UUID, false, 0},
	[F_VALID_FROM] = {"valid_from", CF_TIMESTAMPTZ, false, 0},
	[F_VALID_UNTIL] = {"valid_until", CF_TIMESTAMPTZ, false, 0},
	[F_PRIORITY] = {"priority", CF_INT32, false, 0},
	[F_STATUS] = {"status", CF_TEXT, false, 20},
};

/* A price list's writable columns as SPI arguments ($3..$10 of the writes). */
typedef struct PriceList
{
	Datum		values[F_COUNT];
	char		nulls[F_COUNT];
} PriceList;

static SPIPlanPtr plan_insert = NULL;
static SPIPlanPtr plan_lock = NULL;
static SPIPlanPtr plan_update = NULL;
static SPIPlanPtr plan_get = NULL;
static SPIPlanPtr plan_list = NULL;
static SPIPlanPtr plan_group_exists = NULL;
static SPIPlanPtr plan_has_prices = NULL;

static void apply_fields(PriceList *list, const CommerceValue *values);
static void validate_price_list(const pg_uuid_t *tenant, PriceList *list);
static void emit_price_list_event(const pg_uuid_t *tenant, const char *type,
								  const pg_uuid_t *id, Jsonb *price_list);

/*
 * emit_price_list_event
 *		price_list.created / price_list.updated with the list as data.
 */
static void
emit_price_list_event(const pg_uuid_t *tenant, const char *type,
					  const pg_uuid_t *id, Jsonb *price_list)
{
	commerce_emit_event(tenant, type, "price_list", id, price_list);
}


/* Copy the fields present in the input over the list's columns. */
static void
apply_fields(PriceList *list, const CommerceValue *values)
{
	int			i;

	for (i = 0; i < F_COUNT; i++)
	{
		if (!values[i].present)
			continue;
		list->values[i] = values[i].value;
		list->nulls[i] = values[i].isnull ? 'n' : ' ';
	}
	/* Absent or null priority and status take their defaults. */
	if (list->nulls[F_PRIORITY] == 'n')
	{
		list->values[F_PRIORITY] = Int32GetDatum(0);
		list->nulls[F_PRIORITY] = ' ';
	}
	if (list->nulls[F_STATUS] == 'n')
	{
		list->values[F_STATUS] = CStringGetTextDatum("active");
		list->nulls[F_STATUS] = ' ';
	}
}

static void
validate_price_list(const pg_uuid_t *tenant, PriceList *list)
{
	char	   *status = TextDatumGetCString(list->values[F_STATUS]);

	if (VARSIZE_ANY_EXHDR(DatumGetTextPP(list->values[F_NAME])) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid price list: field \"name\" must not be empty")));
	if (strcmp(status, "active") != 0 && strcmp(status, "inactive") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid price list: field \"status\" must be \"active\" or \"inactive\"")));
	commerce_require_currency(DatumGetTextPP(list->values[F_CURRENCY]));
	if (list->nulls[F_VALID_FROM] != 'n' && list->nulls[F_VALID_UNTIL] != 'n' &&
		DatumGetTimestampTz(list->values[F_VALID_FROM]) >=
		DatumGetTimestampTz(list->values[F_VALID_UNTIL]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid price list: \"valid_from\" must be before \"valid_until\""),
				 errdetail("A list is valid from valid_from included to valid_until excluded.")));
	if (list->nulls[F_CUSTOMER_GROUP] != 'n')
	{
		Datum		values[2];

		commerce_prepare(&plan_group_exists,
						 "SELECT 1 FROM commerce.customer_groups"
						 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
						 2, (Oid[]) {UUIDOID, UUIDOID});
		values[0] = UUIDPGetDatum(tenant);
		values[1] = list->values[F_CUSTOMER_GROUP];
		if (commerce_execute(plan_group_exists, values, NULL, true, 1) == 0)
			commerce_not_found("customer group", DatumGetUUIDP(list->values[F_CUSTOMER_GROUP]));
	}
}

/*
 * commerce.create_price_list(data jsonb, idempotency_key text DEFAULT NULL)
 *		RETURNS jsonb
 */
Datum
commerce_create_price_list(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[F_COUNT];
	PriceList	list;
	Datum		args[1];
	Oid			types[1] = {JSONBOID};
	bool		nulls[1] = {false};
	Datum		row[F_COUNT + 2];
	char		rownulls[F_COUNT + 2];
	Jsonb	   *replay;
	Jsonb	   *created;
	Jsonb	   *result;
	pg_uuid_t	id;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("data is required")));
	args[0] = PG_GETARG_DATUM(0);

	SPI_connect();
	replay = commerce_command_begin(&cmd, "create_price_list",
									PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1),
									1, args, types, nulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	commerce_require_staff("create a price list");
	commerce_parse_object(PG_GETARG_JSONB_P(0), "price list", price_list_fields, F_COUNT, values);
	memset(list.nulls, 'n', sizeof(list.nulls));
	apply_fields(&list, values);
	validate_price_list(&cmd.tenant, &list);

	commerce_uuid_v7(&id);
	commerce_prepare(&plan_insert,
					 "INSERT INTO commerce.price_lists (tenant_id, id, name, description, currency,"
					 " customer_group_id, valid_from, valid_until, priority, status)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING " PRICE_LIST_JSON,
					 F_COUNT + 2, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID,
						 TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, TEXTOID});
	row[0] = UUIDPGetDatum(&cmd.tenant);
	row[1] = UUIDPGetDatum(&id);
	rownulls[0] = rownulls[1] = ' ';
	memcpy(row + 2, list.values, sizeof(list.values));
	memcpy(rownulls + 2, list.nulls, sizeof(list.nulls));
	commerce_execute(plan_insert, row, rownulls, false, 0);
	created = commerce_result_jsonb(1);

	emit_price_list_event(&cmd.tenant, "price_list.created", &id, created);
	result = commerce_command_finish(&cmd, created);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/*
 * commerce.update_price_list(id uuid, data jsonb, expected_version bigint
 *							  DEFAULT NULL, idempotency_key text DEFAULT NULL)
 *		RETURNS jsonb
 *
 * Fields present in data replace the list's (null clears an optional one).
 * The currency can change only while the list has no prices: their
 * amounts are minor units of the old currency.
 */
Datum
commerce_update_price_list(PG_FUNCTION_ARGS)
{
	CommerceField fields[F_COUNT];
	CommerceCommand cmd;
	CommerceValue values[F_COUNT];
	PriceList	list;
	Datum		args[3];
	Oid			types[3] = {UUIDOID, JSONBOID, INT8OID};
	bool		nulls[3];
	Datum		key[2];
	Datum		row[F_COUNT + 2];
	char		rownulls[F_COUNT + 2];
	Jsonb	   *replay;
	Jsonb	   *updated;
	Jsonb	   *result;
	pg_uuid_t  *id;
	char	   *old_currency;
	int64		version;
	bool		isnull;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("id and data are required")));
	id = PG_GETARG_UUID_P(0);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[0] = nulls[1] = false;
	nulls[2] = PG_ARGISNULL(2);

	SPI_connect();
	replay = commerce_command_begin(&cmd, "update_price_list",
									PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3),
									3, args, types, nulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	commerce_require_staff("update a price list");
	/* every field optional in an update; required ones may not be nulled */
	memcpy(fields, price_list_fields, sizeof(fields));
	for (i = 0; i < F_COUNT; i++)
		fields[i].required = false;
	commerce_parse_object(PG_GETARG_JSONB_P(1), "price list", fields, F_COUNT, values);
	if ((values[F_NAME].present && values[F_NAME].isnull) ||
		(values[F_CURRENCY].present && values[F_CURRENCY].isnull))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid price list: field \"%s\" must not be null",
						values[F_NAME].present && values[F_NAME].isnull ? "name" : "currency")));

	commerce_prepare(&plan_lock,
					 "SELECT name, description, currency, customer_group_id, valid_from,"
					 " valid_until, priority, status, version FROM commerce.price_lists"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
					 " FOR NO KEY UPDATE",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	key[0] = UUIDPGetDatum(&cmd.tenant);
	key[1] = UUIDPGetDatum(id);
	if (commerce_execute(plan_lock, key, NULL, false, 1) == 0)
		commerce_not_found("price list", id);
	/* the row stays valid until SPI_finish */
	for (i = 0; i < F_COUNT; i++)
	{
		list.values[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &isnull);
		list.nulls[i] = isnull ? 'n' : ' ';
	}
	version = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										  F_COUNT + 1, &isnull));
	commerce_check_version("price list", !PG_ARGISNULL(2),
						   PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2), version);
	old_currency = TextDatumGetCString(list.values[F_CURRENCY]);

	apply_fields(&list, values);
	validate_price_list(&cmd.tenant, &list);
	if (strcmp(old_currency, TextDatumGetCString(list.values[F_CURRENCY])) != 0)
	{
		commerce_prepare(&plan_has_prices,
						 "SELECT 1 FROM commerce.prices WHERE tenant_id OPERATOR(pg_catalog.=) $1"
						 " AND price_list_id OPERATOR(pg_catalog.=) $2",
						 2, (Oid[]) {UUIDOID, UUIDOID});
		if (commerce_execute(plan_has_prices, key, NULL, false, 1) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("currency_mismatch"),
					 errmsg("price list %s has prices in %s; its currency cannot change",
							commerce_uuid_string(id), old_currency),
					 errhint("Create a new price list for the other currency.")));
	}

	commerce_prepare(&plan_update,
					 "UPDATE commerce.price_lists SET name = $3, description = $4, currency = $5,"
					 " customer_group_id = $6, valid_from = $7, valid_until = $8, priority = $9,"
					 " status = $10, version = version + 1, updated_at = pg_catalog.now()"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
					 " RETURNING " PRICE_LIST_JSON,
					 F_COUNT + 2, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID,
						 TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, TEXTOID});
	row[0] = key[0];
	row[1] = key[1];
	rownulls[0] = rownulls[1] = ' ';
	memcpy(row + 2, list.values, sizeof(list.values));
	memcpy(rownulls + 2, list.nulls, sizeof(list.nulls));
	commerce_execute(plan_update, row, rownulls, false, 0);
	updated = commerce_result_jsonb(1);

	emit_price_list_event(&cmd.tenant, "price_list.updated", id, updated);
	result = commerce_command_finish(&cmd, updated);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/* commerce.get_price_list(id uuid) RETURNS jsonb */
Datum
commerce_get_price_list(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *id;
	Datum		key[2];
	Jsonb	   *found;

	commerce_query_begin(&tenant);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("id is required")));
	id = PG_GETARG_UUID_P(0);
	SPI_connect();
	commerce_prepare(&plan_get,
					 "SELECT " PRICE_LIST_JSON " FROM commerce.price_lists"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	key[0] = UUIDPGetDatum(&tenant);
	key[1] = UUIDPGetDatum(id);
	if (commerce_execute(plan_get, key, NULL, true, 1) == 0)
		commerce_not_found("price list", id);
	found = commerce_result_jsonb(1);
	SPI_finish();
	PG_RETURN_JSONB_P(found);
}

/*
 * commerce.list_price_lists(lim int DEFAULT 50, after text DEFAULT NULL)
 *		RETURNS jsonb: {"data": [...], "next_cursor": text|null}, by id.
 */
Datum
commerce_list_price_lists(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	int32		limit;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Jsonb	   *page;

	commerce_query_begin(&tenant);
	limit = commerce_list_limit(fcinfo, 0);
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = Int32GetDatum(limit);
	if (!commerce_list_cursor(fcinfo, 1, &values[2]))
		nulls[2] = 'n';

	SPI_connect();
	commerce_prepare(&plan_list,
					 "WITH page AS ("
					 "  SELECT id, " PRICE_LIST_JSON " AS item FROM commerce.price_lists"
					 "  WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 "    AND ($3 IS NULL OR id OPERATOR(pg_catalog.>) $3)"
					 "  ORDER BY id LIMIT $2 + 1)"
					 " SELECT pg_catalog.jsonb_build_object("
					 "  'data', COALESCE((SELECT pg_catalog.jsonb_agg(item ORDER BY id)"
					 "                   FROM (SELECT * FROM page ORDER BY id LIMIT $2) shown),"
					 "                  '[]'::jsonb),"
					 "  'next_cursor', CASE WHEN (SELECT pg_catalog.count(*) FROM page) > $2"
					 "                 THEN (SELECT id::text FROM page ORDER BY id OFFSET $2 - 1 LIMIT 1) END)",
					 3, (Oid[]) {UUIDOID, INT4OID, UUIDOID});
	commerce_execute(plan_list, values, nulls, true, 1);
	page = commerce_result_jsonb(1);
	SPI_finish();
	PG_RETURN_JSONB_P(page);
}
