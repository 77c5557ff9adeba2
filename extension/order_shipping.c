/*-------------------------------------------------------------------------
 *
 * order_shipping.c
 *	  The cart's addresses and shipping method: commerce.set_order_addresses
 *	  and commerce.set_shipping_method, draft-only commands on an order
 *	  (docs/shipping.md). Both lock the order (state machine: like a line
 *	  change), apply the change, price the draft live with the chosen
 *	  method checked strictly (a method that no longer applies is an error
 *	  here, not a silent zero), store, and emit order.updated.
 *
 * extension/order_shipping.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "command.h"
#include "order_render.h"
#include "order_rules.h"
#include "shipping_rules.h"

PG_FUNCTION_INFO_V1(commerce_set_order_addresses);
PG_FUNCTION_INFO_V1(commerce_set_shipping_method);

static Datum shipping_command(FunctionCallInfo fcinfo, const char *name, bool method);

/*
 * Shared body of set_order_addresses and set_shipping_method(id uuid, data
 * jsonb, expected_version bigint, idempotency_key text): the order is
 * locked and its lines read, the body applied, the draft priced (strict:
 * its method must apply), stored and announced.
 */
static Datum
shipping_command(FunctionCallInfo fcinfo, const char *name, bool method)
{
	static const CommerceField address_fields[] = {ORDER_ADDRESS_FIELDS};
	static const CommerceField method_fields[] = {
		{"shipping_method_id", CF_UUID, false, 0},	/* null clears */
	};
	CommerceCommand cmd;
	CommerceValue in[lengthof(address_fields)];
	Order		order;
	Jsonb	   *data;
	Jsonb	   *replay = commerce_write_begin(&cmd, name, fcinfo, 3, NULL);

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	data = commerce_jsonb_arg(fcinfo, 1, "order");
	if (method)
	{
		commerce_parse_object(data, "order", method_fields, lengthof(method_fields), in);
		if (!in[0].present)
			commerce_invalid_input("order", "field \"shipping_method_id\" is required (null clears it)");
	}
	else
	{
		commerce_parse_object(data, "order", address_fields, lengthof(address_fields), in);
		if (!in[0].present && !in[1].present && !in[2].present && !in[3].present)
			commerce_invalid_input("order", "give shipping_address(_id) and/or billing_address(_id)");
	}
	order_lock_for_command(fcinfo, 2, &cmd.tenant, ORDER_EDIT_LINES, &order);
	if (!method)
		(void) order_addresses_apply(&order, in);
	else
	{
		order.has_shipping_method = !in[0].isnull;
		if (!in[0].isnull)
			order.shipping_method_id = *DatumGetUUIDP(in[0].value);
	}
	order.shipping_strict = true;
	order_price(&order, false);
	order_store_shipping(&order);
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.updated", "order", &order.id,
											order_render(&order, true)));
}

/*
 * commerce.set_order_addresses(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: shipping_address | shipping_address_id, billing_address |
 *		billing_address_id (null clears).
 */
Datum
commerce_set_order_addresses(PG_FUNCTION_ARGS)
{
	return shipping_command(fcinfo, "set_order_addresses", false);
}

/*
 * commerce.set_shipping_method(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: {"shipping_method_id": uuid | null}
 */
Datum
commerce_set_shipping_method(PG_FUNCTION_ARGS)
{
	return shipping_command(fcinfo, "set_shipping_method", true);
}
