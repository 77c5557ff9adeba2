/*-------------------------------------------------------------------------
 *
 * order_store.h
 *	  The order aggregate in memory (an order and its lines) and its rows
 *	  (order_store.c): loading, locking, inserting and updating orders and
 *	  lines, and the aggregate's events. Shared by the order files only
 *	  (orders.c, order_lines.c, checkout.c, order_rules.c, order_render.c);
 *	  other areas use orders.h.
 *
 * extension/order_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ORDER_STORE_H
#define COMMERCE_ORDER_STORE_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "tax_rules.h"

#define ORDER_LINES_MAX 100
#define ORDER_QUANTITY_MAX 1000000

typedef struct OrderLine
{
	pg_uuid_t	id;
	pg_uuid_t	variant_id;
	int32		quantity;
	char	   *sku;			/* snapshot, or live for a draft */
	char	   *title;
	char	   *tax_category;
	bool		priced;			/* unit_amount and the tax fields are set */
	bool		has_price_list;
	pg_uuid_t	price_list_id;
	int64		unit_amount;
	int64		amount;
	int32		tax_rate_ppm;
	int64		tax_amount;
	bool		has_weight;		/* the variant's weight_grams is known */
	int32		weight_grams;	/* live, for weight-band shipping */
	/* promotions (promotions.h): the line's share of the discounts, and
	 * the catalog facts targets match (live pricing only) */
	int64		discount_amount;
	pg_uuid_t	product_id;
	bool		has_category;
	pg_uuid_t	category_id;
} OrderLine;

/* A discount of an order: one promotion, through a code or automatic. */
typedef struct OrderDiscount
{
	pg_uuid_t	promotion_id;
	bool		has_code;
	pg_uuid_t	code_id;
	char	   *code;
	char	   *name;
	bool		line_scope;
	int64		amount;
	/* the code's limits as placing read them (promotion_usage.c: a use is
	 * written only under a limit) */
	bool		has_usage_limit;
	int32		customer_limit; /* the per-customer limit, 0: none */
} OrderDiscount;

/* Timestamps of an order, in the order rendered. */
typedef enum OrderTimestamp
{
	ORDER_CREATED_AT,
	ORDER_UPDATED_AT,
	ORDER_PLACED_AT,
	ORDER_PAID_AT,
	ORDER_FULFILLED_AT,
	ORDER_CANCELLED_AT,
	ORDER_REFUNDED_AT,
	ORDER_TIMESTAMPS
} OrderTimestamp;

typedef struct Order
{
	pg_uuid_t	tenant;
	pg_uuid_t	id;
	bool		has_number;
	int64		number;
	bool		has_customer;
	pg_uuid_t	customer_id;
	char		status[16];
	char		payment_status[24];
	char		currency[4];
	TaxSettings tax;			/* snapshot once placed; live for a draft */
	int64		subtotal;
	int64		tax_total;
	int64		discount_total;	/* sum of the lines' discount_amount */
	int64		total;
	int64		amount_authorized;
	int64		amount_captured;
	int64		amount_refunded;
	Jsonb	   *metadata;
	int64		version;
	bool		has_at[ORDER_TIMESTAMPS];
	TimestampTz at[ORDER_TIMESTAMPS];
	int			nlines;
	OrderLine  *lines;
	bool		all_priced;		/* every line has a price (drafts) */
	/* addresses and shipping (issue 17, docs/shipping.md) */
	Jsonb	   *shipping_address;	/* NULL: none */
	Jsonb	   *billing_address;
	bool		has_shipping_method;
	pg_uuid_t	shipping_method_id;
	char	   *shipping_method_name;	/* snapshot, or live for a draft */
	int32		shipping_tax_rate_ppm;
	int64		shipping_total;	/* the shipping charge (gross when prices
								 * include tax) */
	int64		shipping_tax;	/* its tax, a part of tax_total */
	bool		shipping_strict;	/* draft commands: raise when the method
									 * does not apply (placing always does) */
	bool		shipping_ok;	/* order_price: the method applied */
	/* promotions (promotions.h) */
	const char *discount_code;	/* a code being applied (checkout, apply_discount_code) */
	bool		promotions_possible;	/* an active automatic promotion or a
										 * code on the order */
	bool		is_new;			/* create_order, checkout: not stored yet, so
								 * no order_discounts rows (promotion_rules.c) */
	int			ndiscounts;
	OrderDiscount *discounts;
} Order;

/* --- reading ----------------------------------------------------------- */
/* false when the tenant has no such order (or the actor may not see it) */
extern bool order_load(const pg_uuid_t *tenant, const pg_uuid_t *id, Order *order);
/* The same, locking the row; not_found when absent. */
extern void order_lock(const pg_uuid_t *tenant, const pg_uuid_t *id, Order *order);
/* The same, then version_conflict against the expected_version argument. */
extern void order_lock_expected(FunctionCallInfo fcinfo, int expected_arg,
								const pg_uuid_t *tenant, const pg_uuid_t *id,
								Order *order);
extern void order_load_lines(Order *order);

/* --- writing the order row --------------------------------------------- */
/* the order row and its line rows, placed or not */
extern void order_insert(Order *order);
extern void order_store_placed(Order *order);
extern void order_touch(Order *order);
/* Store a draft's addresses and shipping method, bump its version. */
extern void order_store_shipping(Order *order);
/* order_store_shipping.c: the 7 shipping columns of ORDER_COLUMNS from
 * column first on, and bound as $14..$20 of an order insert */
extern void order_read_shipping_columns(HeapTuple row, TupleDesc desc, int first, Order *order);
extern void order_bind_shipping(const Order *order, bool placed, Datum *v, char *n);
extern void order_store_status(const Order *order, const char *status);
extern void order_store_payment_totals(const Order *order, int64 authorized,
									   int64 captured, int64 refunded,
									   const char *payment_status, const char *status);

/* --- writing line rows ------------------------------------------------- */
/* A new order's lines, in one statement (order_store_lines.c). */
extern void order_insert_lines(const Order *order, bool snapshot);
extern void order_line_insert(const Order *order, const OrderLine *line, bool snapshot);
extern void order_line_snapshot(const Order *order, const OrderLine *line);
extern void order_line_set_quantity(const Order *order, const pg_uuid_t *line_id,
									int32 quantity);
extern void order_line_delete(const Order *order, const pg_uuid_t *line_id);

/* One event of the order aggregate, in the command's transaction. */
extern void order_emit(const Order *order, const char *type, Jsonb *data);

#endif							/* COMMERCE_ORDER_STORE_H */
