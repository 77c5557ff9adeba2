/*-------------------------------------------------------------------------
 *
 * prices.c
 *	  Tier prices of a price list: commerce.set_price (create or replace
 *	  the amount of one variant from a minimum quantity up), remove_price
 *	  and list_prices. Amounts are bigint minor units of the list's
 *	  currency; a price naming another currency is a currency_mismatch.
 *	  A customer actor's list_prices leaves out prices of variants whose
 *	  product is not active (the rule of commerce_variant_visible).
 *
 * extension/prices.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#include "catalog.h"
#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "outbox.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_set_price);
PG_FUNCTION_INFO_V1(commerce_remove_price);
PG_FUNCTION_INFO_V1(commerce_list_prices);

/* The HTTP representation of a prices row (p) of a list (l). */
#define PRICE_JSON \
	"pg_catalog.jsonb_build_object('id', p.id::text, 'price_list_id', p.price_list_id::text," \
	" 'variant_id', p.variant_id::text, 'currency', l.currency," \
	" 'min_quantity', p.min_quantity, 'amount', p.amount, 'version', p.version," \
	" 'created_at', " COMMERCE_SQL_TIMESTAMP("p.created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("p.updated_at") ")"


static SPIPlanPtr plan_lock_list = NULL;
static SPIPlanPtr plan_upsert = NULL;
static SPIPlanPtr plan_delete = NULL;
static SPIPlanPtr plan_list = NULL;
static SPIPlanPtr plan_list_exists = NULL;

static void emit_price_event(const pg_uuid_t *tenant, const char *type,
							 const pg_uuid_t *price_list, Jsonb *price);
static void check_amount_range(Jsonb *data, const char *field);
static char *lock_price_list(const pg_uuid_t *tenant, const pg_uuid_t *list);

/*
 * emit_price_event
 *		price.set / price.removed with the price as data; the aggregate is
 *		the price list the price belongs to.
 */
static void
emit_price_event(const pg_uuid_t *tenant, const char *type,
				 const pg_uuid_t *price_list, Jsonb *price)
{
	commerce_emit_event(tenant, type, "price_list", price_list, price);
}


/*
 * check_amount_range
 *		An integral JSON number beyond bigint is amount_overflow (or
 *		negative_amount below zero), rather than the parser's generic
 *		out-of-range invalid_input: it names the money rule broken.
 */
static void
check_amount_range(Jsonb *data, const char *field)
{
	JsonbValue *v;
	char	   *digits;
	char	   *end;

	if (data == NULL || !JB_ROOT_IS_OBJECT(data) || JB_ROOT_IS_SCALAR(data))
		return;
	v = getKeyJsonValueFromContainer(&data->root, field, strlen(field), NULL);
	if (v == NULL || v->type != jbvNumeric ||
		numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric))
		return;
	digits = numeric_normalize(v->val.numeric);
	if (strpbrk(digits, ".eE") != NULL)
		return;
	errno = 0;
	(void) strtoll(digits, &end, 10);
	if (errno != ERANGE)
		return;
	if (digits[0] == '-')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("negative_amount"),
				 errmsg("%s must not be negative", field)));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 commerce_errcode("amount_overflow"),
			 errmsg("%s is out of range", field),
			 errdetail("Amounts are bigint minor units, at most 9223372036854775807.")));
}

/*
 * The list's currency, the list locked FOR SHARE: a concurrent currency
 * change (update_price_list locks FOR NO KEY UPDATE, then checks that the
 * list has no prices) waits for this transaction, or this one waits for
 * it and then reads the new currency.
 */
static char *
lock_price_list(const pg_uuid_t *tenant, const pg_uuid_t *list)
{
	Datum		key[2];

	commerce_prepare(&plan_lock_list,
					 "SELECT currency FROM commerce.price_lists"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
					 " FOR SHARE",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	key[0] = UUIDPGetDatum(tenant);
	key[1] = UUIDPGetDatum(list);
	if (commerce_execute(plan_lock_list, key, NULL, false, 1) == 0)
		commerce_not_found("price list", list);
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * commerce.set_price(price_list uuid, data jsonb, idempotency_key text
 *					  DEFAULT NULL) RETURNS jsonb
 *
 * data: {"variant_id": uuid, "amount": integer >= 0, "min_quantity":
 * integer >= 1 (default 1), "currency": optional, must be the list's}.
 * Creates the tier or replaces its amount (bumping its version).
 */
Datum
commerce_set_price(PG_FUNCTION_ARGS)
{
	enum
	{
		F_VARIANT, F_AMOUNT, F_MIN_QUANTITY, F_CURRENCY, F_COUNT
	};
	static const CommerceField fields[F_COUNT] = {
		[F_VARIANT] = {"variant_id", CF_UUID, true, 0},
		[F_AMOUNT] = {"amount", CF_INT64, true, 0},
		[F_MIN_QUANTITY] = {"min_quantity", CF_INT32, false, 0},
		[F_CURRENCY] = {"currency", CF_TEXT, false, 3},
	};
	CommerceValue values[F_COUNT];
	CommerceCommand cmd;
	Datum		args[2];
	Oid			types[2] = {UUIDOID, JSONBOID};
	bool		nulls[2] = {false, false};
	Datum		row[6];
	Jsonb	   *replay;
	Jsonb	   *data;
	Jsonb	   *price;
	Jsonb	   *result;
	pg_uuid_t  *list;
	pg_uuid_t	id;
	char	   *currency;
	int32		min_quantity = 1;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("price_list and data are required")));
	list = PG_GETARG_UUID_P(0);
	data = PG_GETARG_JSONB_P(1);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);

	SPI_connect();
	replay = commerce_command_begin(&cmd, "set_price",
									PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
									2, args, types, nulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	commerce_require_staff("set a price");
	check_amount_range(data, "amount");
	commerce_parse_object(data, "price", fields, F_COUNT, values);
	commerce_check_amount("amount", DatumGetInt64(values[F_AMOUNT].value));
	if (values[F_MIN_QUANTITY].present && !values[F_MIN_QUANTITY].isnull)
		min_quantity = DatumGetInt32(values[F_MIN_QUANTITY].value);
	if (min_quantity < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("invalid price: field \"min_quantity\" must be at least 1")));
	if (values[F_CURRENCY].present && !values[F_CURRENCY].isnull)
		commerce_require_currency(DatumGetTextPP(values[F_CURRENCY].value));

	currency = lock_price_list(&cmd.tenant, list);
	if (values[F_CURRENCY].present && !values[F_CURRENCY].isnull &&
		strcmp(TextDatumGetCString(values[F_CURRENCY].value), currency) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("currency_mismatch"),
				 errmsg("price list %s is in %s, not %s", commerce_uuid_string(list),
						currency, TextDatumGetCString(values[F_CURRENCY].value)),
				 errhint("Set the price in a price list of that currency.")));

	if (!commerce_variant_visible(&cmd.tenant, DatumGetUUIDP(values[F_VARIANT].value)))
		commerce_not_found("variant", DatumGetUUIDP(values[F_VARIANT].value));

	commerce_uuid_v7(&id);
	commerce_prepare(&plan_upsert,
					 "WITH p AS ("
					 "  INSERT INTO commerce.prices AS p"
					 "    (tenant_id, id, price_list_id, variant_id, min_quantity, amount)"
					 "  VALUES ($1, $2, $3, $4, $5, $6)"
					 "  ON CONFLICT (tenant_id, price_list_id, variant_id, min_quantity)"
					 "  DO UPDATE SET amount = EXCLUDED.amount, version = p.version + 1,"
					 "    updated_at = pg_catalog.now()"
					 "  RETURNING p.*)"
					 " SELECT " PRICE_JSON " FROM p JOIN commerce.price_lists l"
					 "  ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id"
					 " AND l.id OPERATOR(pg_catalog.=) p.price_list_id",
					 6, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, INT4OID, INT8OID});
	row[0] = UUIDPGetDatum(&cmd.tenant);
	row[1] = UUIDPGetDatum(&id);
	row[2] = UUIDPGetDatum(list);
	row[3] = values[F_VARIANT].value;
	row[4] = Int32GetDatum(min_quantity);
	row[5] = values[F_AMOUNT].value;
	commerce_execute(plan_upsert, row, NULL, false, 0);
	price = commerce_result_jsonb(1);

	emit_price_event(&cmd.tenant, "price.set", list, price);
	result = commerce_command_finish(&cmd, price);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/*
 * commerce.remove_price(price_list uuid, price uuid, idempotency_key text
 *						 DEFAULT NULL) RETURNS jsonb: the removed price.
 */
Datum
commerce_remove_price(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	Datum		args[2];
	Oid			types[2] = {UUIDOID, UUIDOID};
	bool		nulls[2] = {false, false};
	Datum		key[3];
	Jsonb	   *replay;
	Jsonb	   *price;
	Jsonb	   *result;
	pg_uuid_t  *list;
	pg_uuid_t  *id;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("price_list and price are required")));
	list = PG_GETARG_UUID_P(0);
	id = PG_GETARG_UUID_P(1);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);

	SPI_connect();
	replay = commerce_command_begin(&cmd, "remove_price",
									PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
									2, args, types, nulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	commerce_require_staff("remove a price");
	(void) lock_price_list(&cmd.tenant, list);
	commerce_prepare(&plan_delete,
					 "WITH p AS ("
					 "  DELETE FROM commerce.prices"
					 "  WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 "    AND price_list_id OPERATOR(pg_catalog.=) $2 AND id OPERATOR(pg_catalog.=) $3"
					 "  RETURNING *)"
					 " SELECT " PRICE_JSON " FROM p JOIN commerce.price_lists l"
					 "  ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id"
					 " AND l.id OPERATOR(pg_catalog.=) p.price_list_id",
					 3, (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	key[0] = UUIDPGetDatum(&cmd.tenant);
	key[1] = UUIDPGetDatum(list);
	key[2] = UUIDPGetDatum(id);
	if (commerce_execute(plan_delete, key, NULL, false, 0) == 0)
		commerce_not_found("price", id);
	price = commerce_result_jsonb(1);

	emit_price_event(&cmd.tenant, "price.removed", list, price);
	result = commerce_command_finish(&cmd, price);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/*
 * commerce.list_prices(price_list uuid, lim int DEFAULT 50, after text
 *						DEFAULT NULL) RETURNS jsonb: {"data", "next_cursor"}
 *
 * For a customer actor, only prices of variants of active products: the
 * status is tested in the statement (not left to the products policy), so
 * the page and its cursor count only what the customer may see.
 */
Datum
commerce_list_prices(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *list;
	int32		limit;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	Jsonb	   *page;

	commerce_query_begin(&tenant);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("price_list is required")));
	list = PG_GETARG_UUID_P(0);
	limit = commerce_list_limit(fcinfo, 1);
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = UUIDPGetDatum(list);
	values[2] = Int32GetDatum(limit);
	if (!commerce_list_cursor(fcinfo, 2, &values[3]))
		nulls[3] = 'n';
	values[4] = BoolGetDatum(commerce_actor_is_customer());

	SPI_connect();
	commerce_prepare(&plan_list_exists,
					 "SELECT 1 FROM commerce.price_lists"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	if (commerce_execute(plan_list_exists, values, NULL, true, 1) == 0)
		commerce_not_found("price list", list);
	commerce_prepare(&plan_list,
					 "WITH page AS ("
					 "  SELECT p.id, " PRICE_JSON " AS item"
					 "  FROM commerce.prices p JOIN commerce.price_lists l"
					 "    ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id"
					 "   AND l.id OPERATOR(pg_catalog.=) p.price_list_id"
					 "  JOIN commerce.variants v"
					 "    ON v.tenant_id OPERATOR(pg_catalog.=) p.tenant_id"
					 "   AND v.id OPERATOR(pg_catalog.=) p.variant_id"
					 "  JOIN commerce.products pr"
					 "    ON pr.tenant_id OPERATOR(pg_catalog.=) v.tenant_id"
					 "   AND pr.id OPERATOR(pg_catalog.=) v.product_id"
					 "  WHERE p.tenant_id OPERATOR(pg_catalog.=) $1"
					 "    AND p.price_list_id OPERATOR(pg_catalog.=) $2"
					 "    AND ($4 IS NULL OR p.id OPERATOR(pg_catalog.>) $4)"
					 "    AND (NOT $5 OR pr.status OPERATOR(pg_catalog.=) 'active')"
					 "  ORDER BY p.id LIMIT $3 + 1)"
					 " SELECT pg_catalog.jsonb_build_object("
					 "  'data', COALESCE((SELECT pg_catalog.jsonb_agg(item ORDER BY id)"
					 "                   FROM (SELECT * FROM page ORDER BY id LIMIT $3) shown),"
					 "                  '[]'::jsonb),"
					 "  'next_cursor', CASE WHEN (SELECT pg_catalog.count(*) FROM page) > $3"
					 "                 THEN (SELECT id::text FROM page ORDER BY id OFFSET $3 - 1 LIMIT 1) END)",
					 5, (Oid[]) {UUIDOID, UUIDOID, INT4OID, UUIDOID, BOOLOID});
	commerce_execute(plan_list, values, nulls, true, 1);
	page = commerce_result_jsonb(1);
	SPI_finish();
	PG_RETURN_JSONB_P(page);
}
