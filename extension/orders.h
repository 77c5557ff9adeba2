/*-------------------------------------------------------------------------
 *
 * orders.h
 *	  What other areas need of orders (orders.c): the payment bridge. The
 *	  order files share the aggregate through order_store.h, order_rules.h
 *	  and order_render.h.
 *
 * extension/orders.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ORDERS_H
#define COMMERCE_ORDERS_H

#include "postgres.h"

#include "utils/uuid.h"

/* --- what payments need of orders (docs/orders.md) ---------------------
 * Payments call commerce_order_apply_payment_totals after every payment
 * change with the order's totals over all its payments; it sets
 * payment_status, moves placed -> paid (captured >= total) and
 * paid/fulfilled -> refunded (all captured refunded), bumps the version and
 * emits order.paid, order.refunded or order.updated. cancel_order calls
 * commerce_order_cancel_hook (if set) inside its transaction, after locking
 * the order row; payments set it from commerce_payments_init(), chaining
 * the previous value, to void open authorizations. */
extern void commerce_order_apply_payment_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
												int64 authorized, int64 captured, int64 refunded);
typedef void (*commerce_order_cancel_hook_type) (const pg_uuid_t *tenant, const pg_uuid_t *order_id);
extern PGDLLIMPORT commerce_order_cancel_hook_type commerce_order_cancel_hook;

#endif							/* COMMERCE_ORDERS_H */
