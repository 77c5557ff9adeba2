/*-------------------------------------------------------------------------
 *
 * order_render.c
 *	  The JSON representation of an order, as commands answer and events
 *	  carry it (docs/orders.md): ids as strings, amounts as integers in
 *	  minor units, timestamps RFC 3339 UTC with microseconds.
 *
 * extension/order_render.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "order_render.h"
#include "uuid.h"

static const char *const timestamp_names[ORDER_TIMESTAMPS] = {
	"created_at", "updated_at", "placed_at", "paid_at", "fulfilled_at",
	"cancelled_at", "refunded_at"
};

/* RFC 3339 UTC with microseconds, as COMMERCE_SQL_TIMESTAMP renders. */
static char *
rfc3339(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

static void
push_string(JsonbParseState **state, const char *key, const char *value)
{
	JsonbValue	v;

	push_key(state, key);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

static void
push_int64(JsonbParseState **state, const char *key, bool isnull, int64 value)
{
	JsonbValue	v;

	push_key(state, key);
	if (isnull)
		v.type = jbvNull;
	else
	{
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(value);
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

static void
push_bool(JsonbParseState **state, const char *key, bool value)
{
	JsonbValue	v;

	push_key(state, key);
	v.type = jbvBool;
	v.val.boolean = value;
	pushJsonbValue(state, WJB_VALUE, &v);
}

static void
push_uuid(JsonbParseState **state, const char *key, bool isnull, const pg_uuid_t *id)
{
	push_string(state, key, isnull ? NULL : commerce_uuid_string(id));
}

/* A jsonb value (an object) under key, or null. */
static void
push_jsonb(JsonbParseState **state, const char *key, const Jsonb *value)
{
	JsonbValue	v;

	push_key(state, key);
	if (value != NULL)
	{
		v.type = jbvBinary;
		v.val.binary.data = (JsonbContainer *) &value->root;
		v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	}
	else
		v.type = jbvNull;
	pushJsonbValue(state, WJB_VALUE, &v);
}

/* The addresses and the shipping method of an order (docs/shipping.md). */
static void
push_shipping(JsonbParseState **state, const Order *order)
{
	push_jsonb(state, "shipping_address", order->shipping_address);
	push_jsonb(state, "billing_address", order->billing_address);
	push_key(state, "shipping_method");
	if (!order->has_shipping_method)
	{
		JsonbValue	null = {.type = jbvNull};

		pushJsonbValue(state, WJB_VALUE, &null);
		return;
	}
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	push_uuid(state, "id", false, &order->shipping_method_id);
	push_string(state, "name", order->shipping_method_name);
	push_int64(state, "amount", false, order->shipping_total);
	push_int64(state, "tax_rate_ppm", false, order->shipping_tax_rate_ppm);
	push_int64(state, "tax_amount", false, order->shipping_tax);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* One line of an order, as an object of its "lines" array. */
static void
push_line(JsonbParseState **state, const OrderLine *line)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	push_uuid(state, "id", false, &line->id);
	push_uuid(state, "variant_id", false, &line->variant_id);
	push_string(state, "sku", line->sku);
	push_string(state, "title", line->title);
	push_int64(state, "quantity", false, line->quantity);
	push_uuid(state, "price_list_id", !line->has_price_list, &line->price_list_id);
	push_int64(state, "unit_amount", !line->priced, line->unit_amount);
	push_int64(state, "amount", !line->priced, line->amount);
	push_string(state, "tax_category", line->tax_category);
	push_int64(state, "tax_rate_ppm", !line->priced, line->tax_rate_ppm);
	push_int64(state, "tax_amount", !line->priced, line->tax_amount);
	push_int64(state, "discount_amount", false, line->discount_amount);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* One discount of an order (promotions.h), as an object of "discounts". */
static void
push_discount(JsonbParseState **state, const OrderDiscount *d)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	push_uuid(state, "promotion_id", false, &d->promotion_id);
	push_string(state, "code", d->has_code ? d->code : NULL);
	push_string(state, "name", d->name);
	push_string(state, "scope", d->line_scope ? "line" : "order");
	push_int64(state, "amount", false, d->amount);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * order_render
 *		The order as the HTTP response body (ids as strings, amounts as
 *		integers in minor units, timestamps RFC 3339). A draft's figures are
 *		the live ones order_price() computed.
 */
Jsonb *
order_render(const Order *order, bool with_lines)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;
	JsonbValue	v;
	bool		draft = strcmp(order->status, "draft") == 0;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_uuid(&state, "id", false, &order->id);
	push_int64(&state, "number", !order->has_number, order->number);
	push_uuid(&state, "customer_id", !order->has_customer, &order->customer_id);
	push_string(&state, "status", order->status);
	push_string(&state, "payment_status", order->payment_status);
	push_string(&state, "currency", order->currency);
	push_bool(&state, "prices_include_tax", order->tax.prices_include_tax);
	push_string(&state, "tax_rounding_mode", order->tax.half_up ? "half_up" : "half_even");
	push_string(&state, "tax_rounding_scope", order->tax.per_order ? "order" : "line");
	push_int64(&state, "subtotal", false, order->subtotal);
	push_int64(&state, "shipping_total", false, order->shipping_total);
	push_int64(&state, "shipping_tax", false, order->shipping_tax);
	push_int64(&state, "discount_total", false, order->discount_total);
	push_int64(&state, "tax_total", false, order->tax_total);
	push_int64(&state, "total", false, order->total);
	if (draft)
		push_bool(&state, "prices_complete", order->all_priced);
	push_int64(&state, "amount_authorized", false, order->amount_authorized);
	push_int64(&state, "amount_captured", false, order->amount_captured);
	push_int64(&state, "amount_refunded", false, order->amount_refunded);
	if (with_lines)
	{
		push_key(&state, "lines");
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < order->nlines; i++)
			push_line(&state, &order->lines[i]);
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
		push_key(&state, "discounts");
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < order->ndiscounts; i++)
			push_discount(&state, &order->discounts[i]);
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	push_shipping(&state, order);
	push_key(&state, "metadata");
	if (order->metadata != NULL)
	{
		v.type = jbvBinary;
		v.val.binary.data = &order->metadata->root;
		v.val.binary.len = VARSIZE(order->metadata) - VARHDRSZ;
	}
	else
		v.type = jbvNull;
	pushJsonbValue(&state, WJB_VALUE, &v);
	push_int64(&state, "version", false, order->version);
	for (i = 0; i < ORDER_TIMESTAMPS; i++)
		push_string(&state, timestamp_names[i],
					order->has_at[i] ? rfc3339(order->at[i]) : NULL);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}
