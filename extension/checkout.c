/*-------------------------------------------------------------------------
 *
 * checkout.c
 *	  commerce.checkout: create and place an order in one call, the
 *	  single-request checkout of a storefront. It runs the rules of
 *	  create_order followed by place_order (order_rules.c), but writes the
 *	  order and its lines once, already placed, which is what makes it the
 *	  platform's fast path (bench/place_order).
 *
 * extension/checkout.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "command.h"
#include "order_render.h"
#include "order_rules.h"

PG_FUNCTION_INFO_V1(commerce_checkout);

/*
 * commerce.checkout(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: currency, customer_id?, lines (required), metadata?
 */
Datum
commerce_checkout(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	Jsonb	   *replay = commerce_write_begin(&cmd, "checkout", fcinfo, 1, NULL);
	Jsonb	   *result;
	Jsonb	   *created;
	Order	   *order;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	order = order_new_draft(fcinfo, 0, &cmd.tenant, true);

	/* create */
	order_price(order, true);
	created = order_render(order, true);
	/* place */
	order_reserve_and_number(order);
	order_insert(order);
	result = order_render(order, true);
	order_emit(order, "order.created", created);
	order_emit(order, "order.placed", result);
	result = commerce_command_finish(&cmd, result);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}
