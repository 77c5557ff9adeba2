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

#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "jsonb_push.h"
#include "order_render.h"
#include "timestamp_text.h"

/*
 * Keys are pushed in the order jsonb keeps an object's keys (shorter
 * first, then bytewise): pushJsonbValue sorts each object's pairs when it
 * ends, and pairs already in order cost that sort one comparison each
 * instead of a quicksort (half of a checkout response's rendering,
 * docs/benchmarks.md). The order changes nothing in the document.
 */

/* A timestamp in RFC 3339 UTC with microseconds, or null when absent. */
static void
push_timestamp(JsonbParseState **state, const char *key, const Order *order, int which)
{
	char		buf[COMMERCE_TIMESTAMP_TEXT_LEN];

	if (!order->has_at[which])
	{
		jsonb_push_null(state, key);
		return;
	}
	commerce_timestamp_text(order->at[which], buf);
	jsonb_push_cstring(state, key, pstrdup(buf));
}

static void
push_bool(JsonbParseState **state, const char *key, bool value)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = value;
	jsonb_push_value(state, key, &v);
}

/* The order's shipping method (docs/shipping.md) under "shipping_method". */
static void
push_shipping_method(JsonbParseState **state, const Order *order)
{
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
	jsonb_push_int64(state, "tax_amount", false, order->shipping_tax);
	jsonb_push_int64(state, "tax_rate_ppm", false, order->shipping_tax_rate_ppm);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* One line of an order, as an object of its "lines" array. */
static void
push_line(JsonbParseState **state, const OrderLine *line)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_uuid(state, "id", &line->id);
	jsonb_push_cstring(state, "sku", line->sku);
	jsonb_push_cstring(state, "title", line->title);
	jsonb_push_int64(state, "amount", !line->priced, line->amount);
	jsonb_push_int64(state, "quantity", false, line->quantity);
	jsonb_push_int64(state, "tax_amount", !line->priced, line->tax_amount);
	jsonb_push_uuid(state, "variant_id", &line->variant_id);
	jsonb_push_int64(state, "unit_amount", !line->priced, line->unit_amount);
	jsonb_push_cstring(state, "tax_category", line->tax_category);
	jsonb_push_int64(state, "tax_rate_ppm", !line->priced, line->tax_rate_ppm);
	jsonb_push_uuid(state, "price_list_id", line->has_price_list ? &line->price_list_id : NULL);
	jsonb_push_int64(state, "discount_amount", false, line->discount_amount);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* One discount of an order (promotions.h), as an object of "discounts". */
static void
push_discount(JsonbParseState **state, const OrderDiscount *d)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_cstring(state, "code", d->has_code ? d->code : NULL);
	jsonb_push_cstring(state, "name", d->name);
	jsonb_push_cstring(state, "scope", d->line_scope ? "line" : "order");
	jsonb_push_int64(state, "amount", false, d->amount);
	jsonb_push_uuid(state, "promotion_id", &d->promotion_id);
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
	if (with_lines)
	{
		jsonb_push_key(&state, "lines");
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < order->nlines; i++)
			push_line(&state, &order->lines[i]);
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	jsonb_push_int64(&state, "total", false, order->total);
	jsonb_push_int64(&state, "number", !order->has_number, order->number);
	jsonb_push_cstring(&state, "status", order->status);
	push_timestamp(&state, "paid_at", order, ORDER_PAID_AT);
	jsonb_push_int64(&state, "version", false, order->version);
	jsonb_push_cstring(&state, "currency", order->currency);
	jsonb_push_jsonb(&state, "metadata", order->metadata);
	jsonb_push_int64(&state, "subtotal", false, order->subtotal);
	if (with_lines)
	{
		jsonb_push_key(&state, "discounts");
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < order->ndiscounts; i++)
			push_discount(&state, &order->discounts[i]);
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	push_timestamp(&state, "placed_at", order, ORDER_PLACED_AT);
	jsonb_push_int64(&state, "tax_total", false, order->tax_total);
	push_timestamp(&state, "created_at", order, ORDER_CREATED_AT);
	push_timestamp(&state, "updated_at", order, ORDER_UPDATED_AT);
	jsonb_push_uuid(&state, "customer_id", order->has_customer ? &order->customer_id : NULL);
	push_timestamp(&state, "refunded_at", order, ORDER_REFUNDED_AT);
	push_timestamp(&state, "cancelled_at", order, ORDER_CANCELLED_AT);
	push_timestamp(&state, "fulfilled_at", order, ORDER_FULFILLED_AT);
	jsonb_push_int64(&state, "shipping_tax", false, order->shipping_tax);
	jsonb_push_int64(&state, "discount_total", false, order->discount_total);
	jsonb_push_cstring(&state, "payment_status", order->payment_status);
	jsonb_push_int64(&state, "shipping_total", false, order->shipping_total);
	jsonb_push_int64(&state, "amount_captured", false, order->amount_captured);
	jsonb_push_int64(&state, "amount_refunded", false, order->amount_refunded);
	jsonb_push_jsonb(&state, "billing_address", order->billing_address);
	if (draft)
		push_bool(&state, "prices_complete", order->all_priced);
	push_shipping_method(&state, order);
	jsonb_push_jsonb(&state, "shipping_address", order->shipping_address);
	jsonb_push_int64(&state, "amount_authorized", false, order->amount_authorized);
	jsonb_push_cstring(&state, "tax_rounding_mode", order->tax.half_up ? "half_up" : "half_even");
	push_bool(&state, "prices_include_tax", order->tax.prices_include_tax);
	jsonb_push_cstring(&state, "tax_rounding_scope", order->tax.per_order ? "order" : "line");
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}
