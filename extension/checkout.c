/*-------------------------------------------------------------------------
 *
 * checkout.c
 *	  commerce.checkout: create and place an order in one call, the
 *	  single-request checkout of a storefront. It runs the same steps as
 *	  create_order followed by place_order (orders.c), but writes the order
 *	  and its lines once, already placed, which is what makes it the
 *	  platform's fast path (bench/place_order).
 *
 * extension/checkout.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "orders.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_checkout);

/*
 * commerce.checkout(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: currency, customer_id?, lines (required), metadata?
 */
Datum
commerce_checkout(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {
		{"currency", CF_TEXT, true, 3},
		{"customer_id", CF_UUID, false, 0},
		{"lines", CF_ARRAY, true, ORDER_LINES_MAX},
		{"metadata", CF_OBJECT, false, 50},
	};
	CommerceCommand cmd;
	CommerceValue in[lengthof(fields)];
	Datum		args[1];
	bool		argnulls[1];
	Jsonb	   *replay;
	Jsonb	   *result;
	Jsonb	   *created;
	Order	   *order = palloc0(sizeof(Order));
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int			i;

	argnulls[0] = PG_ARGISNULL(0);
	args[0] = argnulls[0] ? (Datum) 0 : PG_GETARG_DATUM(0);
	SPI_connect();
	replay = commerce_command_begin(&cmd, "checkout",
									PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1), 1, args,
									(Oid[]) {JSONBOID}, argnulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	if (argnulls[0])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("data is required")));
	commerce_parse_object(PG_GETARG_JSONB_P(0), "order", fields, lengthof(fields), in);

	order->tenant = cmd.tenant;
	commerce_uuid_v7(&order->id);
	commerce_require_currency(DatumGetTextPP(in[0].value));
	text_to_cstring_buffer(DatumGetTextPP(in[0].value), order->currency, sizeof(order->currency));
	if (in[1].present && !in[1].isnull)
		order->customer_id = *DatumGetUUIDP(in[1].value);
	order_customer_for_actor(in[1].present && !in[1].isnull, &order->customer_id,
							 &order->has_customer);
	order_parse_lines(DatumGetJsonbP(in[2].value), order);
	order->metadata = in[3].present && !in[3].isnull ? DatumGetJsonbP(in[3].value)
		: DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	strlcpy(order->status, "draft", sizeof(order->status));
	strlcpy(order->payment_status, "unpaid", sizeof(order->payment_status));
	order->version = 1;
	order->has_at[ORDER_CREATED_AT] = order->has_at[ORDER_UPDATED_AT] = true;
	order->at[ORDER_CREATED_AT] = order->at[ORDER_UPDATED_AT] = now;

	/* create */
	order_price(order, true);
	created = order_render(order, true);
	/* place */
	order_reserve_and_number(order);
	order_insert(order);
	for (i = 0; i < order->nlines; i++)
		order_line_insert(order, &order->lines[i], true);
	result = order_render(order, true);
	order_emit(order, "order.created", created);
	order_emit(order, "order.placed", result);
	result = commerce_command_finish(&cmd, result);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}
