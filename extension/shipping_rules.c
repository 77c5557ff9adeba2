/*-------------------------------------------------------------------------
 *
 * shipping_rules.c
 *	  The price of an order's shipping method (docs/shipping.md): one
 *	  statement reads the method with the tax rate of its charge, whether
 *	  it serves the shipping country, and the amount of the weight band the
 *	  order's weight falls in; the kind then gives the charge:
 *
 *	  - flat_rate: amount;
 *	  - free_over: 0 when the goods subtotal is at or above
 *	    free_over_amount, else amount;
 *	  - weight_bands: the amount of the first band whose up_to_grams is at
 *	    or above the order's weight (sum of weight_grams x quantity).
 *
 *	  order_price() (order_rules.c) taxes the charge as one more line at
 *	  its rate and adds it to the total.
 *
 * extension/shipping_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "command.h"
#include "errors.h"
#include "shipping_rules.h"
#include "tax_rules.h"
#include "uuid.h"

/* Why a method does not apply to an order. */
typedef enum ShippingProblem
{
	SHIPPING_OK,
	SHIPPING_NOT_FOUND,
	SHIPPING_ARCHIVED,
	SHIPPING_CURRENCY,
	SHIPPING_NO_ADDRESS,
	SHIPPING_COUNTRY,
	SHIPPING_NO_WEIGHT,
	SHIPPING_TOO_HEAVY
} ShippingProblem;

static SPIPlanPtr plan_method = NULL;
static SPIPlanPtr plan_rate = NULL;

static void shipping_raise(const Order *order, ShippingProblem problem, const char *detail)
			pg_attribute_noreturn();
static ShippingProblem order_weight(const Order *order, int64 *weight, const char **detail);

/*
 * The order's weight in grams: every line's weight_grams x quantity.
 * SHIPPING_NO_WEIGHT (detail: the variant) when a variant has none.
 */
static ShippingProblem
order_weight(const Order *order, int64 *weight, const char **detail)
{
	int			i;

	*weight = 0;
	for (i = 0; i < order->nlines; i++)
	{
		if (!order->lines[i].has_weight)
		{
			*detail = commerce_uuid_string(&order->lines[i].variant_id);
			return SHIPPING_NO_WEIGHT;
		}
		/* 100 lines x 1,000,000 x 100,000,000 g < 2^63 */
		*weight += (int64) order->lines[i].weight_grams * order->lines[i].quantity;
	}
	return SHIPPING_OK;
}

/* An integer field of a band object (validated at write: shipping_methods.c). */
static int64
band_field(JsonbContainer *band, const char *name)
{
	JsonbValue *v = getKeyJsonValueFromContainer(band, name, strlen(name), NULL);

	if (v == NULL || v->type != jbvNumeric)
		elog(ERROR, "shipping method weight band without \"%s\"", name);
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
}

/*
 * The amount of the band the weight falls in: the smallest up_to_grams at
 * or above it. False when the order is heavier than every band. In C, not
 * a subquery of the quote's statement: its plan nodes were started at
 * every quote, whatever the method's kind (docs/shipping.md, "Cost").
 */
static bool
band_amount(Jsonb *bands, int64 weight, int64 *amount)
{
	int			n = JB_ROOT_IS_ARRAY(bands) ? JsonContainerSize(&bands->root) : 0;
	int64		best = -1;

	for (int i = 0; i < n; i++)
	{
		JsonbValue *band = getIthJsonbValueFromContainer(&bands->root, i);
		int64		up_to;

		if (band == NULL || band->type != jbvBinary)
			elog(ERROR, "shipping method weight band is not an object");
		up_to = band_field(band->val.binary.data, "up_to_grams");
		if (up_to >= weight && (best < 0 || up_to < best))
		{
			best = up_to;
			*amount = band_field(band->val.binary.data, "amount");
		}
	}
	return best >= 0;
}

/*
 * The tax rate of the charge: the rate of the method's tax category, else
 * the default rate, else 0 (TAX_RATE_SQL). A priced line of the same
 * category (both none included) was given that very rate by the pricing
 * statement a moment ago (order_rules.c), so it is taken from the line;
 * only a category no line has is read (a lateral join in the quote's
 * statement cost ~45 K instructions at every checkout: docs/shipping.md).
 */
static int32
charge_rate(const Order *order, const char *category)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int64		rate = 0;

	for (int i = 0; i < order->nlines; i++)
	{
		const OrderLine *line = &order->lines[i];

		if (line->priced && (category == NULL ? line->tax_category == NULL
							 : line->tax_category != NULL && strcmp(line->tax_category, category) == 0))
			return line->tax_rate_ppm;
	}
	commerce_prepare(&plan_rate, "SELECT r.rate_ppm::bigint FROM (" TAX_RATE_SQL("$2::text") ") r",
					 2, (Oid[]) {UUIDOID, TEXTOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = category ? CStringGetTextDatum(category) : (Datum) 0;
	nulls[1] = category ? ' ' : 'n';
	commerce_execute(plan_rate, values, nulls, true, 1);
	(void) commerce_result_int64(1, &rate);
	return (int32) rate;
}

/* The error of a problem, precise about what does not fit. */
static void
shipping_raise(const Order *order, ShippingProblem problem, const char *detail)
{
	const char *method = commerce_uuid_string(&order->shipping_method_id);

	switch (problem)
	{
		case SHIPPING_NOT_FOUND:
			commerce_not_found("shipping method", &order->shipping_method_id);
			break;
		case SHIPPING_ARCHIVED:
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
					 commerce_errcode("shipping_method_unavailable"),
					 errmsg("shipping method %s is archived", method),
					 errhint("Choose an active shipping method.")));
			break;
		case SHIPPING_CURRENCY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("currency_mismatch"),
					 errmsg("shipping method %s is priced in %s, the order in %s",
							method, detail, order->currency),
					 errhint("Choose a shipping method in the order's currency.")));
			break;
		case SHIPPING_NO_ADDRESS:
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
					 commerce_errcode("shipping_address_required"),
					 errmsg("order %s has no shipping address", commerce_uuid_string(&order->id)),
					 errhint("Set the shipping address (set_order_addresses) before the shipping method.")));
			break;
		case SHIPPING_COUNTRY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("shipping_country_not_served"),
					 errmsg("shipping method %s does not ship to %s", method, detail),
					 errhint("Choose a shipping method that serves the shipping address's country.")));
			break;
		case SHIPPING_NO_WEIGHT:
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
					 commerce_errcode("shipping_method_unavailable"),
					 errmsg("shipping method %s prices by weight, and variant %s has no weight",
							method, detail),
					 errhint("Set the variant's weight_grams, or choose another shipping method.")));
			break;
		case SHIPPING_TOO_HEAVY:
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
					 commerce_errcode("shipping_method_unavailable"),
					 errmsg("the order weighs %s g, beyond the last weight band of shipping method %s",
							detail, method),
					 errhint("Choose another shipping method, or split the order.")));
			break;
		case SHIPPING_OK:
			break;
	}
	elog(ERROR, "shipping problem %d", (int) problem);
}

/*
 * shipping_quote
 *		See shipping_rules.h. One statement: the method by its primary key,
 *		whether it serves the country, its weight bands (the band:
 *		band_amount) and its tax category (the rate: charge_rate).
 */
bool
shipping_quote(Order *order, int64 goods_subtotal, bool raise)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	char	   *country = order_address_country(order->shipping_address);
	char	   *kind;
	const char *detail = NULL;
	int64		weight = 0;
	ShippingProblem problem = SHIPPING_OK;
	ShippingProblem weight_problem = order_weight(order, &weight, &detail);

	commerce_prepare(&plan_method,
					 "SELECT m.name, m.kind, m.currency, m.amount, m.free_over_amount,"
					 " m.status OPERATOR(pg_catalog.=) 'active',"
					 " $3::text OPERATOR(pg_catalog.=) ANY (m.countries),"
					 " m.weight_bands, m.tax_category"
					 " FROM commerce.shipping_methods m"
					 " WHERE m.tenant_id OPERATOR(pg_catalog.=) $1 AND m.id OPERATOR(pg_catalog.=) $2",
					 3, (Oid[]) {UUIDOID, UUIDOID, TEXTOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->shipping_method_id);
	values[2] = country ? CStringGetTextDatum(country) : (Datum) 0;
	nulls[2] = country ? ' ' : 'n';
	order->shipping_total = 0;
	order->shipping_tax_rate_ppm = 0;
	if (commerce_execute(plan_method, values, nulls, true, 1) == 0)
		problem = SHIPPING_NOT_FOUND;
	else
	{
		row = SPI_tuptable->vals[0];
		desc = SPI_tuptable->tupdesc;
		order->shipping_method_name = SPI_getvalue(row, desc, 1);
		kind = SPI_getvalue(row, desc, 2);
		d = SPI_getbinval(row, desc, 7, &isnull);
		if (!DatumGetBool(SPI_getbinval(row, desc, 6, &isnull)))
			problem = SHIPPING_ARCHIVED;
		else if (strcmp(SPI_getvalue(row, desc, 3), order->currency) != 0)
		{
			problem = SHIPPING_CURRENCY;
			detail = SPI_getvalue(row, desc, 3);
		}
		else if (country == NULL)
			problem = SHIPPING_NO_ADDRESS;
		else if (!DatumGetBool(d))
		{
			problem = SHIPPING_COUNTRY;
			detail = country;
		}
		else if (strcmp(kind, "weight_bands") == 0)
		{
			d = SPI_getbinval(row, desc, 8, &isnull);
			problem = weight_problem != SHIPPING_OK ? weight_problem
				: isnull || !band_amount(DatumGetJsonbP(d), weight, &order->shipping_total)
				? SHIPPING_TOO_HEAVY : SHIPPING_OK;
			if (problem == SHIPPING_TOO_HEAVY)
				detail = psprintf(INT64_FORMAT, weight);
		}
		else
		{
			order->shipping_total = DatumGetInt64(SPI_getbinval(row, desc, 4, &isnull));
			d = SPI_getbinval(row, desc, 5, &isnull);
			if (strcmp(kind, "free_over") == 0 && goods_subtotal >= DatumGetInt64(d))
				order->shipping_total = 0;
		}
		order->shipping_tax_rate_ppm = charge_rate(order, SPI_getvalue(row, desc, 9));
	}
	if (problem == SHIPPING_OK)
		return true;
	order->shipping_total = 0;
	if (raise)
		shipping_raise(order, problem, detail);
	return false;
}
