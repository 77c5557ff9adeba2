/*-------------------------------------------------------------------------
 *
 * orders.h
 *	  The order aggregate as the order files share it (orders.c,
 *	  order_lines.c, checkout.c, tax.c): an order and its lines in memory,
 *	  loading, pricing, placing, rendering and the tax arithmetic. Other
 *	  areas use the last section (what payments need of orders).
 *
 * extension/orders.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ORDERS_H
#define COMMERCE_ORDERS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#define ORDER_LINES_MAX 100
#define ORDER_QUANTITY_MAX 1000000
#define PPM 1000000

/* Tenant tax settings (commerce.tax_settings; defaults without a row). */
typedef struct TaxSettings
{
	bool		prices_include_tax;
	bool		half_up;		/* else half_even */
	bool		per_order;		/* else per line */
	int64		version;		/* 0: never set */
} TaxSettings;

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
} OrderLine;

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
} Order;

/* What a command does to an order, for the state machine (docs/orders.md). */
typedef enum OrderCommand
{
	ORDER_EDIT_LINES,
	ORDER_PLACE,
	ORDER_CANCEL,
	ORDER_FULFIL
} OrderCommand;

/* orders.c */
extern bool order_load(const pg_uuid_t *tenant, const pg_uuid_t *id,
					   bool for_update, Order *order);
extern void order_load_lines(Order *order);
extern void order_require_transition(const Order *order, OrderCommand command);
extern void order_customer_for_actor(bool given, pg_uuid_t *customer, bool *has_customer);
extern void order_price(Order *order, bool placing);
extern void order_reserve_and_number(Order *order);
extern void order_touch(Order *order, bool check_version, bool has_expected,
						int64 expected_version);
extern Jsonb *order_render(const Order *order, bool with_lines);
extern void order_emit(const Order *order, const char *type, Jsonb *data);
extern Jsonb *order_parse_lines(Jsonb *lines, Order *order);
extern char *commerce_rfc3339(TimestampTz t);
extern void order_insert(const Order *order);

/* order_lines.c */
extern void order_line_catalog(const pg_uuid_t *tenant, const pg_uuid_t *variant,
							   OrderLine *line, bool *active);
extern void order_line_insert(const Order *order, const OrderLine *line, bool snapshot);
extern void order_line_snapshot(const Order *order, const OrderLine *line);

/* tax.c */
extern void tax_settings_load(const pg_uuid_t *tenant, TaxSettings *settings);
extern int32 tax_rate_for(const pg_uuid_t *tenant, const char *category);
extern void tax_compute(int n, const int64 *amounts, const int32 *rates_ppm,
						const TaxSettings *settings, int64 *line_tax,
						int64 *subtotal, int64 *tax_total, int64 *total);

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
