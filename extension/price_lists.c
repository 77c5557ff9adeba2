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

/* Argument types of the writes: tenant, id, then the PriceList columns. */
static const Oid price_list_types[F_COUNT + 2] = {
	UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, TEXTOID
};

static void apply_fields(PriceList *list, const CommerceValue *values);
static void validate_price_list(const pg_uuid_t *tenant, PriceList *list);
static Jsonb *write_price_list(SPIPlanPtr plan, const pg_uuid_t *tenant,
							   const pg_uuid_t *id, const PriceList *list);
static void check_currency_change(const pg_uuid_t *tenant, const pg_uuid_t *id,
								  const char *old_currency, const PriceList *list);

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
	static SPIPlanPtr plan_group_exists = NULL;
	char	   *status = TextDatumGetCString(list->values[F_STATUS]);

	if (VARSIZE_ANY_EXHDR(DatumGetTextPP(list->values[F_NAME])) == 0)
		ereport_invalid_input("invalid price list: field \"name\" must not be empty");
	if (strcmp(status, "active") != 0 && strcmp(status, "inactive") != 0)
		ereport_invalid_input("invalid price list: field \"status\" must be \"active\" or \"inactive\"");
	commerce_require_currency(DatumGetTextPP(list->values[F_CURRENCY]));
	if (list->nulls[F_VALID_FROM] != 'n' && list->nulls[F_VALID_UNTIL] != 'n' &&
		DatumGetTimestampTz(list->values[F_VALID_FROM]) >=
		DatumGetTimestampTz(list->values[F_VALID_UNTIL]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid price list: \"valid_from\" must be before \"valid_until\""),
				 errdetail("A list is valid from valid_from included to valid_until excluded.")));
	if (list->nulls[F_CUSTOMER_GROUP] != 'n' &&
		commerce_execute_by_id(&plan_group_exists,
							   "SELECT 1 FROM commerce.customer_groups"
							   COMMERCE_BY_ID,
							   tenant, DatumGetUUIDP(list->values[F_CUSTOMER_GROUP]), true) == 0)
		commerce_not_found("customer group", DatumGetUUIDP(list->values[F_CUSTOMER_GROUP]));
}

/*
 * write_price_list
 *		Execute the insert or update plan over the tenant, the id and the
 *		list's columns; returns the written list.
 */
static Jsonb *
write_price_list(SPIPlanPtr plan, const pg_uuid_t *tenant, const pg_uuid_t *id,
				 const PriceList *list)
{
	Datum		row[F_COUNT + 2];
	char		nulls[F_COUNT + 2];

	row[0] = UUIDPGetDatum(tenant);
	row[1] = UUIDPGetDatum(id);
	nulls[0] = nulls[1] = ' ';
	memcpy(row + 2, list->values, sizeof(list->values));
	memcpy(nulls + 2, list->nulls, sizeof(list->nulls));
	commerce_execute(plan, row, nulls, false, 0);
	return commerce_result_jsonb(1);
}

/*
 * check_currency_change
 *		The currency can change only while the list has no prices: their
 *		amounts are minor units of the old currency.
 */
static void
check_currency_change(const pg_uuid_t *tenant, const pg_uuid_t *id,
					  const char *old_currency, const PriceList *list)
{
	static SPIPlanPtr plan_has_prices = NULL;

	if (strcmp(old_currency, TextDatumGetCString(list->values[F_CURRENCY])) == 0)
		return;
	if (commerce_execute_by_id(&plan_has_prices,
							   "SELECT 1 FROM commerce.prices WHERE tenant_id OPERATOR(pg_catalog.=) $1"
							   " AND price_list_id OPERATOR(pg_catalog.=) $2",
							   tenant, id, false) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("currency_mismatch"),
				 errmsg("price list %s has prices in %s; its currency cannot change",
						commerce_uuid_string(id), old_currency),
				 errhint("Create a new price list for the other currency.")));
}

/*
 * commerce.create_price_list(data jsonb, idempotency_key text DEFAULT NULL)
 *		RETURNS jsonb
 */
Datum
commerce_create_price_list(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_insert = NULL;
	CommerceCommand cmd;
	CommerceValue values[F_COUNT];
	PriceList	list;
	Jsonb	   *data = commerce_jsonb_arg(fcinfo, 0, "price list");
	Jsonb	   *created;
	pg_uuid_t	id;

	created = commerce_write_begin(&cmd, "create_price_list", fcinfo, 1, "create a price list");
	if (created != NULL)
		PG_RETURN_JSONB_P(created);
	commerce_parse_object(data, "price list", price_list_fields, F_COUNT, values);
	memset(list.nulls, 'n', sizeof(list.nulls));
	apply_fields(&list, values);
	validate_price_list(&cmd.tenant, &list);

	commerce_uuid_v7(&id);
	commerce_prepare(&plan_insert,
					 "WITH l AS (INSERT INTO commerce.price_lists (tenant_id, id, name, description, currency,"
					 " customer_group_id, valid_from, valid_until, priority, status)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *)"
					 " SELECT " PRICE_LIST_JSON " FROM l",
					 F_COUNT + 2, price_list_types);
	created = write_price_list(plan_insert, &cmd.tenant, &id, &list);

	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "price_list.created", "price_list", &id, created));
}

/*
 * commerce.update_price_list(id uuid, data jsonb, expected_version bigint
 *							  DEFAULT NULL, idempotency_key text DEFAULT NULL)
 *		RETURNS jsonb
 *
 * Fields present in data replace the list's (null clears an optional one).
 * The currency can change only while the list has no prices.
 */
Datum
commerce_update_price_list(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_update = NULL;
	static SPIPlanPtr plan_lock = NULL;
	static const char *const not_nullable[] = {"name", "currency", NULL};
	CommerceField fields[F_COUNT];
	CommerceCommand cmd;
	CommerceValue values[F_COUNT];
	PriceList	list;
	pg_uuid_t  *id = commerce_uuid_arg(fcinfo, 0, "id");
	Jsonb	   *data = commerce_jsonb_arg(fcinfo, 1, "price list");
	Jsonb	   *updated;
	char	   *old_currency;
	bool		isnull;
	int			i;

	updated = commerce_write_begin(&cmd, "update_price_list", fcinfo, 3, "update a price list");
	if (updated != NULL)
		PG_RETURN_JSONB_P(updated);
	/* every field optional in an update; required ones may not be nulled */
	memcpy(fields, price_list_fields, sizeof(fields));
	for (i = 0; i < F_COUNT; i++)
		fields[i].required = false;
	commerce_parse_object(data, "price list", fields, F_COUNT, values);
	commerce_reject_null("price list", fields, F_COUNT, values, not_nullable);

	commerce_lock_expected(fcinfo, 2, &plan_lock,
						   "SELECT version, name, description, currency, customer_group_id,"
						   " valid_from, valid_until, priority, status FROM commerce.price_lists"
						   COMMERCE_BY_ID
						   " FOR NO KEY UPDATE",
						   &cmd.tenant, id, "price list");
	/* the locked row stays valid until SPI_finish */
	for (i = 0; i < F_COUNT; i++)
	{
		list.values[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 2, &isnull);
		list.nulls[i] = isnull ? 'n' : ' ';
	}
	old_currency = TextDatumGetCString(list.values[F_CURRENCY]);

	apply_fields(&list, values);
	validate_price_list(&cmd.tenant, &list);
	check_currency_change(&cmd.tenant, id, old_currency, &list);

	commerce_prepare(&plan_update,
					 "WITH l AS (UPDATE commerce.price_lists SET name = $3, description = $4, currency = $5,"
					 " customer_group_id = $6, valid_from = $7, valid_until = $8, priority = $9,"
					 " status = $10, version = version + 1, updated_at = pg_catalog.now()"
					 COMMERCE_BY_ID
					 " RETURNING *) SELECT " PRICE_LIST_JSON " FROM l",
					 F_COUNT + 2, price_list_types);
	updated = write_price_list(plan_update, &cmd.tenant, id, &list);

	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "price_list.updated", "price_list", id, updated));
}

/* commerce.get_price_list(id uuid) RETURNS jsonb */
Datum
commerce_get_price_list(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_get = NULL;
	pg_uuid_t	tenant;
	pg_uuid_t  *id;
	Jsonb	   *found;

	commerce_query_begin(&tenant);
	id = commerce_uuid_arg(fcinfo, 0, "id");
	SPI_connect();
	if (commerce_execute_by_id(&plan_get,
							   "SELECT " PRICE_LIST_JSON " FROM commerce.price_lists"
							   COMMERCE_BY_ID,
							   &tenant, id, true) == 0)
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
	static SPIPlanPtr plan_list = NULL;

	PG_RETURN_JSONB_P(commerce_list_all(fcinfo, &plan_list,
										COMMERCE_LIST_ALL("commerce.price_lists", "l", PRICE_LIST_JSON)));
}
