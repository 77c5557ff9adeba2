/*-------------------------------------------------------------------------
 *
 * promotion_cancel.c
 *	  Cancelling a placed order gives back the uses of the discount codes
 *	  it took (docs/promotions.md): a commerce_order_cancel_hook (orders.h)
 *	  chained after payments' from _PG_init, so it runs inside the
 *	  cancel's transaction with the order row locked, and the decrements
 *	  commit or roll back with the cancellation. Only counters kept under
 *	  a limit are decremented (promotion_limits.c): a code without a total
 *	  limit counts its uses from the orders, and a cancelled order is not
 *	  one of them; customer rows exist only under a per-customer limit.
 *	  The tenant's code-limits lock (ShareLock) is taken first, so a limit
 *	  being set counts this order either before or after it is cancelled,
 *	  never half.
 *
 * extension/promotion_cancel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "command.h"
#include "orders.h"
#include "promotions.h"

static SPIPlanPtr plan_release = NULL;

static commerce_order_cancel_hook_type prev_order_cancel_hook = NULL;

static void release_on_cancel(const pg_uuid_t *tenant, const pg_uuid_t *order_id);

/*
 * release_on_cancel
 *		commerce_order_cancel_hook: inside the cancel's transaction, the
 *		order row locked, before its status is written. A placed order
 *		gives back the use of each code it took, and its customer's.
 */
static void
release_on_cancel(const pg_uuid_t *tenant, const pg_uuid_t *order_id)
{
	Datum		values[2];

	if (prev_order_cancel_hook)
		prev_order_cancel_hook(tenant, order_id);
	promotion_limits_lock(tenant, ShareLock);
	commerce_prepare(&plan_release,
					 "WITH taken AS ("
					 "  SELECT d.code_id, o.customer_id FROM commerce.order_discounts d"
					 "  JOIN commerce.orders o ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id"
					 "   AND o.id OPERATOR(pg_catalog.=) d.order_id"
					 "  WHERE d.tenant_id OPERATOR(pg_catalog.=) $1 AND d.order_id OPERATOR(pg_catalog.=) $2"
					 "    AND d.code_id IS NOT NULL AND d.amount IS NOT NULL"
					 "    AND o.status OPERATOR(pg_catalog.<>) 'draft'),"
					 " codes AS ("
					 /* every taken code's row is written, with or without a limit: under
					  * REPEATABLE READ a limit set after the snapshot is then a
					  * serialization failure, not a use kept */
					 "  UPDATE commerce.promotion_codes c SET used = CASE WHEN c.usage_limit IS NULL"
					 "   THEN c.used ELSE c.used OPERATOR(pg_catalog.-) 1 END"
					 "  FROM taken t WHERE c.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND c.id OPERATOR(pg_catalog.=) t.code_id RETURNING c.id),"
					 " customers AS ("
					 "  UPDATE commerce.promotion_code_customers u SET used = u.used OPERATOR(pg_catalog.-) 1"
					 "  FROM taken t WHERE u.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND u.code_id OPERATOR(pg_catalog.=) t.code_id"
					 "   AND u.customer_id OPERATOR(pg_catalog.=) t.customer_id RETURNING u.code_id)"
					 " SELECT (SELECT pg_catalog.count(*) FROM codes), (SELECT pg_catalog.count(*) FROM customers)",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(order_id);
	commerce_execute(plan_release, values, NULL, false, 0);
}

/* Called from _PG_init, after payments: cancelling gives uses back. */
void
commerce_promotions_init(void)
{
	prev_order_cancel_hook = commerce_order_cancel_hook;
	commerce_order_cancel_hook = release_on_cancel;
}
