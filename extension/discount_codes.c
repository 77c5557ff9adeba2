/*-------------------------------------------------------------------------
 *
 * discount_codes.c
 *	  Discount codes on a cart: commerce.apply_discount_code and
 *	  remove_discount_code, commands on a draft order (they lock it, check
 *	  the state machine like a line change, bump its version and emit
 *	  order.updated with the order priced live). A customer actor reaches
 *	  only its own orders (row-level security), so it cannot put a code on
 *	  someone else's cart. Applying checks the code strictly
 *	  (promotion_rules.c); placing checks it again and takes its use
 *	  (promotion_usage.c). docs/promotions.md.
 *
 * extension/discount_codes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "command.h"
#include "errors.h"
#include "order_render.h"
#include "order_rules.h"
#include "promotions.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_apply_discount_code);
PG_FUNCTION_INFO_V1(commerce_remove_discount_code);

/*
 * commerce.apply_discount_code(order_id uuid, data jsonb, expected_version
 *		bigint DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: {"code": text}
 */
Datum
commerce_apply_discount_code(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {{"code", CF_TEXT, true, 64}};
	CommerceCommand cmd;
	CommerceValue in[1];
	Order		order;
	Jsonb	   *replay = commerce_write_begin(&cmd, "apply_discount_code", fcinfo, 3, NULL);
	char	   *code;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	commerce_parse_object(commerce_jsonb_arg(fcinfo, 1, "discount code"), "discount code",
						  fields, 1, in);
	code = promotion_code_normalize(text_to_cstring(DatumGetTextPP(in[0].value)), "code");
	order_lock_for_command(fcinfo, 2, &cmd.tenant, ORDER_EDIT_LINES, &order);
	order.discount_code = code;
	order_price(&order, false);	/* checks the code strictly */
	for (int i = 0; i < order.ndiscounts; i++)
		if (order.discounts[i].has_code && strcmp(order.discounts[i].code, code) == 0)
			promotion_add_code(&order, &order.discounts[i]);
	order.discount_code = NULL;
	order_touch(&order);
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.updated", "order", &order.id,
											order_render(&order, true)));
}

/*
 * commerce.remove_discount_code(order_id uuid, code text, expected_version
 *		bigint DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_remove_discount_code(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	Order		order;
	Jsonb	   *replay = commerce_write_begin(&cmd, "remove_discount_code", fcinfo, 3, NULL);
	char	   *code;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	commerce_require_arg(fcinfo, 1, "code");
	code = promotion_code_normalize(text_to_cstring(PG_GETARG_TEXT_PP(1)), "code");
	order_lock_for_command(fcinfo, 2, &cmd.tenant, ORDER_EDIT_LINES, &order);
	if (!promotion_remove_code(&order, code))
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_NOT_FOUND),
				 commerce_errcode("not_found"),
				 errmsg("order %s does not carry discount code \"%s\"",
						commerce_uuid_string(&order.id), code)));
	order_price(&order, false);
	order_touch(&order);
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.updated", "order", &order.id,
											order_render(&order, true)));
}
