/*-------------------------------------------------------------------------
 *
 * order_rules.h
 *	  The business rules of orders (order_rules.c): the state machine, who
 *	  an order is for, the lines of a request, pricing with tax, and the
 *	  stock and numbering steps of placing (docs/orders.md).
 *
 * extension/order_rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ORDER_RULES_H
#define COMMERCE_ORDER_RULES_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "order_store.h"

/* What a command does to an order, for the state machine (docs/orders.md). */
typedef enum OrderCommand
{
	ORDER_EDIT_LINES,
	ORDER_PLACE,
	ORDER_CANCEL,
	ORDER_FULFIL
} OrderCommand;

/* invalid_transition unless the state machine allows command now. */
extern void order_require_transition(const Order *order, OrderCommand command);

/* Lock the order (id: argument 0) with its version check, require the
 * transition, read its lines: the start of every command on an order. */
extern void order_lock_for_command(FunctionCallInfo fcinfo, int expected_arg,
								   const pg_uuid_t *tenant, OrderCommand command,
								   Order *order);

/* The opening of place_order, cancel_order and fulfil_order (id, expected
 * version, key): a replay, or NULL with the order locked for command. */
extern Jsonb *order_command_begin(CommerceCommand *cmd, const char *name,
								  FunctionCallInfo fcinfo, const char *staff_action,
								  OrderCommand command, Order *order);

/* The opening of create_order and checkout (data, key): a replay, or NULL
 * with *order a new draft from data (lines required for checkout). */
extern Jsonb *order_create_begin(CommerceCommand *cmd, const char *name,
								 FunctionCallInfo fcinfo, bool lines_required,
								 Order **order);

/* The line of a variant in the order, or -1. */
extern int	order_find_variant(const Order *order, const pg_uuid_t *variant);
/* have + more, invalid_input past ORDER_QUANTITY_MAX for the variant. */
extern int32 order_add_quantity(const pg_uuid_t *variant, int32 have, int32 more);

/* SKU, title, tax category of a variant; with orderable, variant_not_available
 * unless its product is active. */
extern void order_line_catalog(const pg_uuid_t *tenant, const pg_uuid_t *variant,
							   OrderLine *line, bool orderable);

extern void order_price(Order *order, bool placing);
/* total from subtotal, shipping_total and tax_total: the one formula. */
extern void order_compute_total(Order *order);
/* order_empty, else reserve all lines' stock (one statement, variant id
 * order) and mark the order placed; the number comes with its storing. */
extern void order_reserve(Order *order);
/* Release (cancel) or fulfil (fulfil) the stock a placed order reserved. */
extern void order_settle_stock(const Order *order, OrderCommand command);
/* The payment_status of payment totals, and the status they move order to
 * (its own when none) with the event to emit (NULL when none). */
extern const char *order_payment_status(const Order *order, int64 authorized,
										int64 captured, int64 refunded);
extern const char *order_status_after_payment(const Order *order, int64 captured,
											  int64 refunded, const char **event);
/* Has the tenant a price list for a customer group? Remembered per backend
 * (price_group_presence.c); pricing looks up the customer's group if so. */
extern bool price_group_lists_present(const pg_uuid_t *tenant);

#endif							/* COMMERCE_ORDER_RULES_H */
