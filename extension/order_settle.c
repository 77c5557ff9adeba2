/*-------------------------------------------------------------------------
 *
 * order_settle.c
 *	  What placing, cancelling, fulfilling and paying do to an order's
 *	  stock and state (docs/orders.md): reserve every line's stock and mark
 *	  the order placed, release or ship the stock, the payment status and
 *	  the status payment totals lead to. Split from order_rules.c, which
 *	  prices; the commands call both.
 *
 * extension/order_settle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"

#include "errors.h"
#include "inventory.h"
#include "order_rules.h"
#include "promotions.h"
#include "uuid.h"

static int	compare_lines_by_variant(const void *a, const void *b);
static OrderLine *lines_by_variant(const Order *order);

/* --- stock and numbering ----------------------------------------------------- */

static int
compare_lines_by_variant(const void *a, const void *b)
{
	return memcmp(((const OrderLine *) a)->variant_id.data,
				  ((const OrderLine *) b)->variant_id.data, UUID_LEN);
}

/* The order's lines sorted by variant id: the order stock rows are locked in. */
static OrderLine *
lines_by_variant(const Order *order)
{
	OrderLine  *sorted = palloc(sizeof(OrderLine) * (order->nlines + 1));

	memcpy(sorted, order->lines, sizeof(OrderLine) * order->nlines);
	qsort(sorted, order->nlines, sizeof(OrderLine), compare_lines_by_variant);
	return sorted;
}

/*
 * order_reserve
 *		The placing step after pricing: reserve every line's stock in one
 *		statement, which locks the stock rows in variant id order so that
 *		concurrent placements cannot deadlock; mark the order placed. The
 *		number is taken by the statement that stores the placed order
 *		(order_insert, order_store_placed), the last write before the
 *		event: the tenant's counter row is the hottest lock a placement
 *		takes, held from there to the commit.
 */
void
order_reserve(Order *order)
{
	pg_uuid_t  *variants;
	int64	   *quantities;
	int			i;

	if (order->nlines == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("order_empty"),
				 errmsg("order %s has no lines", commerce_uuid_string(&order->id)),
				 errhint("Add lines before placing the order.")));
	variants = palloc(sizeof(pg_uuid_t) * order->nlines);
	quantities = palloc(sizeof(int64) * order->nlines);
	for (i = 0; i < order->nlines; i++)
	{
		variants[i] = order->lines[i].variant_id;
		quantities[i] = order->lines[i].quantity;
	}
	commerce_reserve_stock_lines(&order->tenant, order->nlines, variants, quantities);
	/* lock order: stock rows, then code rows, then the order counter */
	if (order->ndiscounts > 0)
		promotion_take_usage(order);
	strlcpy(order->status, "placed", sizeof(order->status));
	order->has_at[ORDER_PLACED_AT] = true;
	order->at[ORDER_PLACED_AT] = GetCurrentTransactionStartTimestamp();
}

/* Release (cancel) or fulfil the stock of a placed order, in variant order
 * as placing locked it. */
void
order_settle_stock(const Order *order, OrderCommand command)
{
	OrderLine  *sorted = lines_by_variant(order);
	int			i;

	for (i = 0; i < order->nlines; i++)
	{
		if (command == ORDER_CANCEL)
			commerce_release_stock(&order->tenant, &sorted[i].variant_id, sorted[i].quantity);
		else
			commerce_fulfil_stock(&order->tenant, &sorted[i].variant_id, sorted[i].quantity);
	}
}

/* --- payments ---------------------------------------------------------------- */

const char *
order_payment_status(const Order *order, int64 authorized, int64 captured, int64 refunded)
{
	if (refunded > 0)
		return refunded >= captured ? "refunded" : "partially_refunded";
	if (captured > 0)
		return captured >= order->total ? "paid" : "partially_paid";
	if (authorized > 0)
		return "authorized";
	return "unpaid";
}

/*
 * order_status_after_payment
 *		placed -> paid once the captured amount covers the total;
 *		paid/fulfilled -> refunded once everything captured is refunded;
 *		otherwise the order keeps its status (*event NULL).
 */
const char *
order_status_after_payment(const Order *order, int64 captured, int64 refunded,
						   const char **event)
{
	*event = NULL;
	if (strcmp(order->status, "placed") == 0 && refunded == 0 &&
		captured >= order->total && captured > 0)
	{
		*event = "order.paid";
		return "paid";
	}
	if ((strcmp(order->status, "paid") == 0 || strcmp(order->status, "fulfilled") == 0) &&
		captured > 0 && refunded >= captured)
	{
		*event = "order.refunded";
		return "refunded";
	}
	return order->status;
}
