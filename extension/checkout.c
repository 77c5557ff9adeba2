/*-------------------------------------------------------------------------
 *
 * checkout.c
 *	  commerce.checkout: create and place an order in one call, the
 *	  single-request checkout of a storefront. It runs the rules of
 *	  create_order followed by place_order (order_rules.c), but writes the
 *	  order and its lines once, already placed, which is what makes it the
 *	  platform's fast path (bench/place_order). It emits one event,
 *	  order.placed with the order and its lines (no order.created: nobody
 *	  saw the draft, and the stock it reserves is in the lines).
 *
 * extension/checkout.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "command.h"
#include "hooks.h"
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
	Order	   *order;
	int64		adjustment;
	Jsonb	   *replay = order_create_begin(&cmd, "checkout", fcinfo, true, &order);

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	/* create */
	order_price(order, true);
	adjustment = !commerce_hooks_at(HOOK_ORDER_BEFORE_PLACE) ? 0 :	/* plugins (hooks.h) */
		commerce_run_before_place(&cmd.tenant, &order->id, order_render(order, true), order->total);
	/* place */
	order_reserve(order);
	order_insert(order);		/* takes the number */
	if (adjustment != 0)
		order->total += commerce_adjust_order(&cmd.tenant, &order->id, adjustment);
	COMMERCE_RUN_HOOKS(HOOK_ORDER_AFTER_PLACE, &cmd.tenant, order_render(order, true));
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.placed", "order", &order->id,
											order_render(order, true)));
}
