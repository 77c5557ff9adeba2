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

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "catalog.h"
#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_set_price);
PG_FUNCTION_INFO_V1(commerce_remove_price);
PG_FUNCTION_INFO_V1(commerce_list_prices);
PG_FUNCTION_INFO_V1(commerce_get_price);

/* The HTTP representation of a prices row (p) of a list (l). */
#define PRICE_JSON \
	"pg_catalog.jsonb_build_object('id', p.id::text, 'price_list_id', p.price_list_id::text," \
	" 'variant_id', p.variant_id::text, 'currency', l.currency," \
	" 'min_quantity', p.min_quantity, 'amount', p.amount, 'version', p.version," \
	" 'created_at', " COMMERCE_SQL_TIMESTAMP("p.created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("p.updated_at") ")"

/* The tenant's ($1) prices with their list (l) and product (pr): what
 * list_prices and get_price read; pr.status decides what a customer sees. */
#define PRICES_WITH_PRODUCT \
	" FROM commerce.prices p JOIN commerce.price_lists l" \
	"   ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id" \
	"  AND l.id OPERATOR(pg_catalog.=) p.price_list_id" \
	" JOIN commerce.variants v" \
	"   ON v.tenant_id OPERATOR(pg_catalog.=) p.tenant_id" \
	"  AND v.id OPERATOR(pg_catalog.=) p.variant_id" \
	" JOIN commerce.products pr" \
	"   ON pr.tenant_id OPERATOR(pg_catalog.=) v.tenant_id" \
	"  AND pr.id OPERATOR(pg_catalog.=) v.product_id" \
	" WHERE p.tenant_id OPERATOR(pg_catalog.=) $1"

static void check_amount_range(Jsonb *data, const char *field);
static char *lock_price_list(const pg_uuid_t *tenant, const pg_uuid_t *list);

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
	static SPIPlanPtr plan_lock_list = NULL;

	(void) commerce_lock_version(&plan_lock_list,
								 "SELECT version, currency FROM commerce.price_lists"
								 COMMERCE_BY_ID
								 " FOR SHARE",
								 tenant, list, "price list");
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
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
	static SPIPlanPtr plan_upsert = NULL;
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
	Datum		row[7];
	Jsonb	   *data;
	Jsonb	   *price;
	pg_uuid_t  *list;
	pg_uuid_t	id;
	char	   *currency;
	char	   *given_currency = NULL;
	int32		min_quantity = 1;

	list = commerce_uuid_arg(fcinfo, 0, "price_list");
	data = commerce_jsonb_arg(fcinfo, 1, "price");
	price = commerce_write_begin(&cmd, "set_price", fcinfo, 2, "set a price");
	if (price != NULL)
		PG_RETURN_JSONB_P(price);
	check_amount_range(data, "amount");
	commerce_parse_object(data, "price", fields, F_COUNT, values);
	commerce_check_amount("amount", DatumGetInt64(values[F_AMOUNT].value));
	if (values[F_MIN_QUANTITY].present && !values[F_MIN_QUANTITY].isnull)
		min_quantity = DatumGetInt32(values[F_MIN_QUANTITY].value);
	if (min_quantity < 1)
		ereport_invalid_input("invalid price: field \"min_quantity\" must be at least 1");
	if (values[F_CURRENCY].present && !values[F_CURRENCY].isnull)
	{
		given_currency = TextDatumGetCString(values[F_CURRENCY].value);
		commerce_require_currency(DatumGetTextPP(values[F_CURRENCY].value));
	}

	currency = lock_price_list(&cmd.tenant, list);
	if (given_currency != NULL && strcmp(given_currency, currency) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("currency_mismatch"),
				 errmsg("price list %s is in %s, not %s", commerce_uuid_string(list),
						currency, given_currency),
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
					 "    updated_at = $7"	/* now(): Citus wants no function here */
					 "  RETURNING p.*)"
					 " SELECT " PRICE_JSON " FROM p JOIN commerce.price_lists l"
					 "  ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id"
					 " AND l.id OPERATOR(pg_catalog.=) p.price_list_id"
					 " WHERE l.tenant_id OPERATOR(pg_catalog.=) $1"	/* Citus: one shard */
					 " AND l.id OPERATOR(pg_catalog.=) $3",
					 7, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, INT4OID, INT8OID, TIMESTAMPTZOID});
	row[0] = UUIDPGetDatum(&cmd.tenant);
	row[1] = UUIDPGetDatum(&id);
	row[2] = UUIDPGetDatum(list);
	row[3] = values[F_VARIANT].value;
	row[4] = Int32GetDatum(min_quantity);
	row[5] = values[F_AMOUNT].value;
	row[6] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	commerce_execute(plan_upsert, row, NULL, false, 0);
	price = commerce_result_jsonb(1);

	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "price.set", "price_list", list, price));
}

/*
 * commerce.remove_price(price_list uuid, price uuid, idempotency_key text
 *						 DEFAULT NULL) RETURNS jsonb: the removed price.
 */
Datum
commerce_remove_price(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_delete = NULL;
	CommerceCommand cmd;
	Datum		key[3];
	Jsonb	   *price;
	pg_uuid_t  *list = commerce_uuid_arg(fcinfo, 0, "price_list");
	pg_uuid_t  *id = commerce_uuid_arg(fcinfo, 1, "price");

	price = commerce_write_begin(&cmd, "remove_price", fcinfo, 2, "remove a price");
	if (price != NULL)
		PG_RETURN_JSONB_P(price);
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

	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "price.removed", "price_list", list, price));
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
	static SPIPlanPtr plan_list_exists = NULL;
	static SPIPlanPtr plan_list = NULL;
	CommerceListPage page;
	pg_uuid_t  *list = commerce_list_begin_under(&page, fcinfo, "price_list", &plan_list_exists,
												 "SELECT 1 FROM commerce.price_lists"
												 COMMERCE_BY_ID, "price list");

	PG_RETURN_JSONB_P(commerce_list_fetch(&page, &plan_list,
										  COMMERCE_LIST_PAGE("SELECT p.id, " PRICE_JSON " AS j"
															 PRICES_WITH_PRODUCT
															 "   AND p.price_list_id OPERATOR(pg_catalog.=) $4"
															 "   AND p.id OPERATOR(pg_catalog.>) $2"
															 "   AND (NOT $5 OR pr.status OPERATOR(pg_catalog.=) 'active')"
															 " ORDER BY p.id LIMIT $3 OPERATOR(pg_catalog.+) 1", "$3"),
										  2, (Oid[]) {UUIDOID, BOOLOID},
										  (Datum[]) {UUIDPGetDatum(list),
													 BoolGetDatum(commerce_actor_is_shopper())}));
}

/*
 * commerce.get_price(price_list uuid, price uuid) RETURNS jsonb: one price
 * (the target of set_price's Location). A customer actor sees only prices
 * of active products, as list_prices shows them.
 */
Datum
commerce_get_price(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_get = NULL;
	pg_uuid_t	tenant;
	pg_uuid_t  *list;
	pg_uuid_t  *id;
	Jsonb	   *found;
	Datum		args[4];

	commerce_query_begin(&tenant);
	list = commerce_uuid_arg(fcinfo, 0, "price_list");
	id = commerce_uuid_arg(fcinfo, 1, "price");
	SPI_connect();
	commerce_prepare(&plan_get,
					 "SELECT " PRICE_JSON
					 PRICES_WITH_PRODUCT
					 "   AND p.price_list_id OPERATOR(pg_catalog.=) $2"
					 "   AND p.id OPERATOR(pg_catalog.=) $3"
					 "   AND (NOT $4 OR pr.status OPERATOR(pg_catalog.=) 'active')",
					 4, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, BOOLOID});
	args[0] = UUIDPGetDatum(&tenant);
	args[1] = UUIDPGetDatum(list);
	args[2] = UUIDPGetDatum(id);
	args[3] = BoolGetDatum(commerce_actor_is_shopper());
	if (commerce_execute(plan_get, args, NULL, true, 1) == 0)
		commerce_not_found("price", id);
	found = commerce_result_jsonb(1);
	SPI_finish();
	PG_RETURN_JSONB_P(found);
}
