/*-------------------------------------------------------------------------
 *
 * resolve_price.c
 *	  Price resolution: which amount a variant costs in a currency, for a
 *	  quantity, a customer and a moment. commerce.resolve_price() is the
 *	  SQL command (GET /v1/prices/resolve); orders price all their lines
 *	  in one statement over the same COMMERCE_PRICE_TIER_SQL (order_rules.c). A customer actor
 *	  resolves prices only of variants of active products: any other is
 *	  not_found, as if it did not exist (commerce_variant_visible).
 *
 *	  The rules (docs/pricing.md) live in one ORDER BY
 *	  (COMMERCE_PRICE_TIER_SQL, resolve_price.h), so that the SQL command,
 *	  the pricing of orders and the documentation cannot drift apart:
 *	  candidate tiers are those of active lists in the currency, valid at
 *	  `at`, general or of the customer's group, with min_quantity <=
 *	  quantity; the first by group-specific first, higher priority, larger
 *	  min_quantity, lower amount, older list (smaller UUIDv7), wins.
 *
 * extension/resolve_price.c
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

#include "catalog.h"
#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "resolve_price.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_resolve_price);

/* The winning tier of a resolution. */
typedef struct ResolvedPrice
{
	int64		unit_amount;
	pg_uuid_t	price_list_id;
	int32		min_quantity;
} ResolvedPrice;

static SPIPlanPtr plan_resolve = NULL;
static SPIPlanPtr plan_customer_group = NULL;

static bool customer_group_of(const pg_uuid_t *tenant, const pg_uuid_t *customer,
							  pg_uuid_t *group);
static bool find_price(const pg_uuid_t *tenant, const pg_uuid_t *variant,
					   const char *currency, int32 quantity,
					   const pg_uuid_t *customer, TimestampTz at,
					   ResolvedPrice *out);
static pg_uuid_t *priced_customer(pg_uuid_t *customer);
static void no_price(const pg_uuid_t *tenant, const pg_uuid_t *variant,
					 text *currency, int32 quantity, bool for_customer) pg_attribute_noreturn();
static Jsonb *resolved_price_json(const pg_uuid_t *variant, const char *currency,
								  int32 quantity, const ResolvedPrice *price);

/*
 * The customer's group, if it has one; not_found when the customer is not
 * one of this tenant's.
 */
static bool
customer_group_of(const pg_uuid_t *tenant, const pg_uuid_t *customer,
				  pg_uuid_t *group)
{
	bool		isnull;
	Datum		value;

	if (commerce_execute_by_id(&plan_customer_group,
							   "SELECT group_id FROM commerce.customers"
							   " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
							   " AND id OPERATOR(pg_catalog.=) $2",
							   tenant, customer, true) == 0)
		commerce_not_found("customer", customer);
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return false;
	memcpy(group, DatumGetUUIDP(value), sizeof(pg_uuid_t));
	return true;
}

/*
 * find_price
 *		The winning tier, or false. Must run inside SPI_connect().
 */
static bool
find_price(const pg_uuid_t *tenant, const pg_uuid_t *variant,
		   const char *currency, int32 quantity, const pg_uuid_t *customer,
		   TimestampTz at, ResolvedPrice *out)
{
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', 'n', ' '};
	pg_uuid_t	group;
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;

	if (quantity < 1)
		ereport_invalid_input("quantity must be at least 1, not %d", quantity);

	if (customer != NULL && customer_group_of(tenant, customer, &group))
	{
		values[4] = UUIDPGetDatum(&group);
		nulls[4] = ' ';
	}
	else
		values[4] = (Datum) 0;

	/*
	 * One index range scan of the variant's tiers (prices_variant_idx,
	 * tenant_id leading), each joined to its list by primary key.
	 */
	commerce_prepare(&plan_resolve, COMMERCE_PRICE_TIER_SQL("$2", "$4", "$3", "$5", "$6"),
					 6, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, INT4OID, UUIDOID, TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(variant);
	values[2] = CStringGetTextDatum(currency);
	values[3] = Int32GetDatum(quantity);
	values[5] = TimestampTzGetDatum(at);
	if (commerce_execute(plan_resolve, values, nulls, true, 1) == 0)
		return false;

	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	out->unit_amount = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	memcpy(&out->price_list_id, DatumGetUUIDP(SPI_getbinval(row, desc, 2, &isnull)),
		   sizeof(pg_uuid_t));
	out->min_quantity = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
	return true;
}

/*
 * priced_customer
 *		The customer to price for: the one given, except that a customer
 *		actor is always priced as itself and may not name another customer.
 */
static pg_uuid_t *
priced_customer(pg_uuid_t *customer)
{
	const char *subject;
	pg_uuid_t  *self;

	if (!commerce_actor_is_customer())
		return customer;
	subject = commerce_current_subject();
	if (subject == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("a customer actor needs its customer id as subject")));
	self = DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(subject)));
	if (customer != NULL && memcmp(customer, self, sizeof(pg_uuid_t)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("a customer may resolve prices only for itself")));
	return self;
}

/*
 * no_price
 *		Why nothing matched, most basic reason first. A found price is in a
 *		known currency (price_lists.currency has a foreign key), so the
 *		look-up is only needed here.
 */
static void
no_price(const pg_uuid_t *tenant, const pg_uuid_t *variant, text *currency,
		 int32 quantity, bool for_customer)
{
	char	   *code = text_to_cstring(currency);

	commerce_require_currency(currency);
	if (!commerce_variant_visible(tenant, variant))
		commerce_not_found("variant", variant);
	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_NOT_FOUND),
			 commerce_errcode("no_price"),
			 errmsg("no price for variant %s in %s at quantity %d",
					commerce_uuid_string(variant), code, quantity),
			 errdetail("No active %s price list valid at that time%s has a tier for this variant with a minimum quantity of %d or less.",
					   code, for_customer ? " for the customer" : "", quantity),
			 errhint("Add a price with commerce.set_price or check the lists' validity windows and statuses.")));
}

/*
 * resolved_price_json
 *		The response of commerce.resolve_price. Its strings need no
 *		escaping: two UUIDs and a currency code found in price_lists (whose
 *		currency is a foreign key to the ISO 4217 codes).
 */
static Jsonb *
resolved_price_json(const pg_uuid_t *variant, const char *currency, int32 quantity,
					const ResolvedPrice *price)
{
	char	   *json = psprintf("{\"variant_id\": \"%s\", \"currency\": \"%s\", \"quantity\": %d,"
								" \"unit_amount\": " INT64_FORMAT ", \"amount\": " INT64_FORMAT ","
								" \"price_list_id\": \"%s\", \"min_quantity\": %d}",
								commerce_uuid_string(variant), currency, quantity,
								price->unit_amount,
								commerce_multiply_amount(price->unit_amount, quantity),
								commerce_uuid_string(&price->price_list_id),
								price->min_quantity);

	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

/*
 * commerce.resolve_price(variant uuid, currency text, quantity int,
 *						  customer uuid DEFAULT NULL, at timestamptz DEFAULT now())
 *		RETURNS jsonb
 *
 * A customer actor is always priced as itself: customer defaults to its
 * subject and may not name another customer. It sees only variants of
 * active products: any other is not_found before anything else is looked
 * at, so the answer never depends on whether the variant exists.
 */
Datum
commerce_resolve_price(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *variant;
	text	   *currency;
	int32		quantity;
	pg_uuid_t  *customer;
	TimestampTz at;
	ResolvedPrice price;

	commerce_query_begin(&tenant);
	variant = commerce_uuid_arg(fcinfo, 0, "variant");
	commerce_require_arg(fcinfo, 1, "currency");
	commerce_require_arg(fcinfo, 2, "quantity");
	currency = PG_GETARG_TEXT_PP(1);
	quantity = PG_GETARG_INT32(2);
	customer = priced_customer(PG_ARGISNULL(3) ? NULL : PG_GETARG_UUID_P(3));
	at = PG_ARGISNULL(4) ? GetCurrentTransactionStartTimestamp() : PG_GETARG_TIMESTAMPTZ(4);

	SPI_connect();
	if (commerce_actor_is_shopper() && !commerce_variant_visible(&tenant, variant))
		commerce_not_found("variant", variant);
	if (!find_price(&tenant, variant, text_to_cstring(currency), quantity, customer, at, &price))
		no_price(&tenant, variant, currency, quantity, customer != NULL);
	SPI_finish();
	PG_RETURN_JSONB_P(resolved_price_json(variant, text_to_cstring(currency), quantity, &price));
}
