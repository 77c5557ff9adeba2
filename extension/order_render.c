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

#include "jsonb_push.h"
#include "order_render.h"

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
push_bool(JsonbParseState **state, const char *key, bool value)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = value;
	jsonb_push_value(state, key, &v);
}

/* The addresses and the shipping method of an order (docs/shipping.md). */
static void
push_shipping(JsonbParseState **state, const Order *order)
{
	jsonb_push_jsonb(state, "shipping_address", order->shipping_address);
	jsonb_push_jsonb(state, "billing_address", order->billing_address);
	if (!order->has_shipping_method)
	{
		jsonb_push_null(state, "shipping_method");
		return;
	}
	jsonb_push_key(state, "shipping_method");
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_uuid(state, "id", &order->shipping_method_id);
	jsonb_push_cstring(state, "name", order->shipping_method_name);
	jsonb_push_int64(state, "amount", false, order->shipping_total);
	jsonb_push_int64(state, "tax_rate_ppm", false, order->shipping_tax_rate_ppm);
	jsonb_push_int64(state, "tax_amount", false, order->shipping_tax);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* One line of an order, as an object of its "lines" array. */
static void
push_line(JsonbParseState **state, const OrderLine *line)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_uuid(state, "id", &line->id);
	jsonb_push_uuid(state, "variant_id", &line->variant_id);
	jsonb_push_cstring(state, "sku", line->sku);
	jsonb_push_cstring(state, "title", line->title);
	jsonb_push_int64(state, "quantity", false, line->quantity);
	jsonb_push_uuid(state, "price_list_id", line->has_price_list ? &line->price_list_id : NULL);
	jsonb_push_int64(state, "unit_amount", !line->priced, line->unit_amount);
	jsonb_push_int64(state, "amount", !line->priced, line->amount);
	jsonb_push_cstring(state, "tax_category", line->tax_category);
	jsonb_push_int64(state, "tax_rate_ppm", !line->priced, line->tax_rate_ppm);
	jsonb_push_int64(state, "tax_amount", !line->priced, line->tax_amount);
	jsonb_push_int64(state, "discount_amount", false, line->discount_amount);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* One discount of an order (promotions.h), as an object of "discounts". */
static void
push_discount(JsonbParseState **state, const OrderDiscount *d)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_uuid(state, "promotion_id", &d->promotion_id);
	jsonb_push_cstring(state, "code", d->has_code ? d->code : NULL);
	jsonb_push_cstring(state, "name", d->name);
	jsonb_push_cstring(state, "scope", d->line_scope ? "line" : "order");
	jsonb_push_int64(state, "amount", false, d->amount);
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
	bool		draft = strcmp(order->status, "draft") == 0;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_uuid(&state, "id", &order->id);
	jsonb_push_int64(&state, "number", !order->has_number, order->number);
	jsonb_push_uuid(&state, "customer_id", order->has_customer ? &order->customer_id : NULL);
	jsonb_push_cstring(&state, "status", order->status);
	jsonb_push_cstring(&state, "payment_status", order->payment_status);
	jsonb_push_cstring(&state, "currency", order->currency);
	push_bool(&state, "prices_include_tax", order->tax.prices_include_tax);
	jsonb_push_cstring(&state, "tax_rounding_mode", order->tax.half_up ? "half_up" : "half_even");
	jsonb_push_cstring(&state, "tax_rounding_scope", order->tax.per_order ? "order" : "line");
	jsonb_push_int64(&state, "subtotal", false, order->subtotal);
	jsonb_push_int64(&state, "shipping_total", false, order->shipping_total);
	jsonb_push_int64(&state, "shipping_tax", false, order->shipping_tax);
	jsonb_push_int64(&state, "discount_total", false, order->discount_total);
	jsonb_push_int64(&state, "tax_total", false, order->tax_total);
	jsonb_push_int64(&state, "total", false, order->total);
	if (draft)
		push_bool(&state, "prices_complete", order->all_priced);
	jsonb_push_int64(&state, "amount_authorized", false, order->amount_authorized);
	jsonb_push_int64(&state, "amount_captured", false, order->amount_captured);
	jsonb_push_int64(&state, "amount_refunded", false, order->amount_refunded);
	if (with_lines)
	{
		jsonb_push_key(&state, "lines");
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < order->nlines; i++)
			push_line(&state, &order->lines[i]);
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
		jsonb_push_key(&state, "discounts");
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < order->ndiscounts; i++)
			push_discount(&state, &order->discounts[i]);
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	push_shipping(&state, order);
	jsonb_push_jsonb(&state, "metadata", order->metadata);
	jsonb_push_int64(&state, "version", false, order->version);
	for (i = 0; i < ORDER_TIMESTAMPS; i++)
		jsonb_push_cstring(&state, timestamp_names[i],
						   order->has_at[i] ? rfc3339(order->at[i]) : NULL);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}
