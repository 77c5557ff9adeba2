/*-------------------------------------------------------------------------
 *
 * orders.c
 *	  The order aggregate's SQL entry points: create_order, get_order,
 *	  list_orders, place_order, cancel_order and fulfil_order, and the
 *	  bridge payments use (commerce_order_apply_payment_totals and the
 *	  cancel hook, orders.h). Each command is the skeleton of command.h
 *	  around the rules of order_rules.c over the rows of order_store.c,
 *	  answered with order_render.c. Lines are edited in order_lines.c,
 *	  single-call checkout is checkout.c. docs/orders.md documents the
 *	  states, transitions and money rules.
 *
 * extension/orders.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/jsonb.h"

#include "command.h"
#include "hooks.h"
#include "list_filter.h"
#include "errors.h"
#include "order_render.h"
#include "order_rules.h"
#include "orders.h"
#include "storefront_context.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_order);
PG_FUNCTION_INFO_V1(commerce_get_order);
PG_FUNCTION_INFO_V1(commerce_list_orders);
PG_FUNCTION_INFO_V1(commerce_place_order);
PG_FUNCTION_INFO_V1(commerce_cancel_order);
PG_FUNCTION_INFO_V1(commerce_fulfil_order);
PG_FUNCTION_INFO_V1(commerce_order_apply_payment_totals_sql);

/* Set by payments (commerce_payments_init) to void open authorizations. */
commerce_order_cancel_hook_type commerce_order_cancel_hook = NULL;

static Datum order_status_command(FunctionCallInfo fcinfo, const char *name,
								  OrderCommand command);
static Jsonb *apply_payment_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
								   int64 authorized, int64 captured, int64 refunded);

/*
 * commerce.create_order(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: currency, customer_id?, lines?, metadata?
 */
Datum
commerce_create_order(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	Order	   *order;
	Jsonb	   *replay = order_create_begin(&cmd, "create_order", fcinfo, false, &order);

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	/* live view first: it checks every variant exists before writing */
	order_price(order, false);
	order_insert(order);
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.created", "order", &order->id,
											order_render(order, true)));
}

/* commerce.get_order(id uuid) RETURNS jsonb */
Datum
commerce_get_order(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *id;
	Order		order;
	Jsonb	   *result;

	commerce_query_begin(&tenant);
	id = commerce_uuid_arg(fcinfo, 0, "order id");
	SPI_connect();
	if (!order_load(&tenant, id, &order))
		commerce_not_found("order", id);
	order_load_lines(&order);
	if (strcmp(order.status, "draft") == 0)
		order_price(&order, false);
	result = order_render(&order, true);
	result = commerce_storefront_staff_view(&tenant, id, result);	/* a guest's email */
	result = DatumGetJsonbP(SPI_datumTransfer(JsonbPGetDatum(result), false, -1));
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/* An order in a list: without lines; a draft's totals are null (live) */
#define ORDER_SUMMARY_JSON \
	"pg_catalog.jsonb_build_object('id', o.id::text, 'number', o.number," \
	"  'customer_id', o.customer_id::text, 'status', o.status," \
	"  'payment_status', o.payment_status, 'currency', o.currency," \
	"  'subtotal', CASE WHEN o.status OPERATOR(pg_catalog.<>) 'draft' THEN o.subtotal END," \
	"  'tax_total', CASE WHEN o.status OPERATOR(pg_catalog.<>) 'draft' THEN o.tax_total END," \
	"  'total', CASE WHEN o.status OPERATOR(pg_catalog.<>) 'draft' THEN o.total END," \
	"  'version', o.version," \
	"  'created_at', " COMMERCE_SQL_TIMESTAMP("o.created_at") "," \
	"  'updated_at', " COMMERCE_SQL_TIMESTAMP("o.updated_at") "," \
	"  'placed_at', " COMMERCE_SQL_TIMESTAMP("o.placed_at") ")"

static ListPlanCache *plans_list = NULL;

static const char *const order_statuses[] = {
	"draft", "placed", "paid", "fulfilled", "cancelled", "refunded", NULL
};

/*
 * What list_orders filters on (docs/filters.md), each with an index
 * leading with tenant_id: a draft has no total yet, so a total term or
 * sort lists placed orders only (orders_total_idx is partial likewise).
 */
static const ListField order_filters[] = {
	{"status", LF_TEXT, LF_EQ | LF_IN, "o.status", NULL, order_statuses, 0, false, NULL},
	{"customer_id", LF_UUID, LF_EQ | LF_IN, "o.customer_id", NULL, NULL, 0, false, NULL},
	{"number", LF_BIGINT, LF_EQ | LF_IN, "o.number", NULL, NULL, 0, false, NULL},
	{"created_at", LF_TIMESTAMPTZ, LF_RANGE, "o.created_at", NULL, NULL, 0, true, NULL},
	{"total", LF_BIGINT, LF_EQ | LF_RANGE, "o.total", NULL, NULL, 0, true,
	"o.status OPERATOR(pg_catalog.<>) 'draft'"},
};

const ListSpec commerce_orders_list = {
	.command = "list_orders",
	.table = "commerce.orders",
	.alias = "o",
	.json = ORDER_SUMMARY_JSON,
	.fields = order_filters,
	.nfields = lengthof(order_filters),
	.q_condition = NULL,
	.newest_first = true,
	.plans = &plans_list,
};

/*
 * commerce.list_orders(lim int DEFAULT 50, after text DEFAULT NULL,
 *		filter jsonb DEFAULT NULL) RETURNS jsonb
 *		Newest first, without lines; a draft's totals are null here (they
 *		are live: read the order).
 */
Datum
commerce_list_orders(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(commerce_list_filtered(fcinfo, &commerce_orders_list, 0, 1, 2,
											 NULL, NULL, 0, NULL));
}

/*
 * commerce.place_order(id uuid, expected_version bigint DEFAULT NULL,
 *						idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		Snapshot prices, titles and tax settings, reserve stock, number it.
 */
Datum
commerce_place_order(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	Order		order;
	Jsonb	   *replay = order_command_begin(&cmd, "place_order", fcinfo, NULL,
											 ORDER_PLACE, &order);
	int			i;
	int64		adjustment;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	if (order.nlines == 0)
		order_reserve(&order);	/* raises order_empty */
	order_price(&order, true);
	adjustment = !commerce_hooks_at(HOOK_ORDER_BEFORE_PLACE) ? 0 :	/* plugins (hooks.h) */
		commerce_run_before_place(&cmd.tenant, &order.id, order_render(&order, true), order.total);
	order_reserve(&order);
	for (i = 0; i < order.nlines; i++)
		order_line_snapshot(&order, &order.lines[i]);
	order_store_placed(&order);
	if (adjustment != 0)
		order.total += commerce_adjust_order(&cmd.tenant, &order.id, adjustment);
	COMMERCE_RUN_HOOKS(HOOK_ORDER_AFTER_PLACE, &cmd.tenant, order_render(&order, true));
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.placed", "order", &order.id,
											order_render(&order, true)));
}

/*
 * Shared body of cancel_order and fulfil_order(id uuid, expected_version
 * bigint DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb.
 */
static Datum
order_status_command(FunctionCallInfo fcinfo, const char *name, OrderCommand command)
{
	CommerceCommand cmd;
	Order		order;
	Jsonb	   *replay = order_command_begin(&cmd, name, fcinfo,
											 command == ORDER_CANCEL ? "cancel orders"
											 : "fulfil orders", command, &order);
	bool		was_placed;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	was_placed = strcmp(order.status, "draft") != 0;
	if (was_placed)
		order_settle_stock(&order, command);
	if (command == ORDER_CANCEL && commerce_order_cancel_hook != NULL)
		(*commerce_order_cancel_hook) (&order.tenant, &order.id);
	order_store_status(&order, command == ORDER_CANCEL ? "cancelled" : "fulfilled");

	/* the hook may have changed payment figures: show the row as stored */
	if (!order_load(&cmd.tenant, &order.id, &order))
		elog(ERROR, "order %s vanished", commerce_uuid_string(&order.id));
	order_load_lines(&order);
	if (!was_placed)
		order_price(&order, false);
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, command == ORDER_CANCEL ? "order.cancelled"
											: "order.fulfilled", "order", &order.id,
											order_render(&order, true)));
}

/* commerce.cancel_order(id uuid, expected_version bigint, idempotency_key text) */
Datum
commerce_cancel_order(PG_FUNCTION_ARGS)
{
	return order_status_command(fcinfo, "cancel_order", ORDER_CANCEL);
}

/* commerce.fulfil_order(id uuid, expected_version bigint, idempotency_key text) */
Datum
commerce_fulfil_order(PG_FUNCTION_ARGS)
{
	return order_status_command(fcinfo, "fulfil_order", ORDER_FULFIL);
}

/* --- the bridge to payments ----------------------------------------------- */

/*
 * apply_payment_totals
 *		Body of commerce_order_apply_payment_totals; returns the order as
 *		rendered after the change.
 */
static Jsonb *
apply_payment_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
					 int64 authorized, int64 captured, int64 refunded)
{
	Order		order;
	const char *event;
	const char *status;
	Jsonb	   *result;

	if (authorized < 0 || captured < 0 || refunded < 0 || refunded > captured ||
		captured > authorized)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("inconsistent payment totals: authorized " INT64_FORMAT
						", captured " INT64_FORMAT ", refunded " INT64_FORMAT,
						authorized, captured, refunded),
				 errdetail("Totals are non-negative, captured <= authorized and refunded <= captured.")));
	SPI_connect();
	order_lock(tenant, order_id, &order);
	if (strcmp(order.status, "draft") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("order %s is a draft and cannot take payments",
						commerce_uuid_string(order_id)),
				 errhint("Place the order first.")));
	status = order_status_after_payment(&order, captured, refunded, &event);
	/* refunded before it shipped: the order gives its stock back */
	if (strcmp(status, "refunded") == 0 && strcmp(order.status, "paid") == 0)
	{
		order_load_lines(&order);
		order_settle_stock(&order, ORDER_CANCEL);
	}
	order_store_payment_totals(&order, authorized, captured, refunded,
							   order_payment_status(&order, authorized, captured, refunded),
							   status);
	if (!order_load(tenant, order_id, &order))
		elog(ERROR, "order %s vanished", commerce_uuid_string(order_id));
	order_load_lines(&order);
	result = order_render(&order, true);
	order_emit(&order, event != NULL ? event : "order.updated", result);
	result = DatumGetJsonbP(SPI_datumTransfer(JsonbPGetDatum(result), false, -1));
	SPI_finish();
	return result;
}

/*
 * commerce_order_apply_payment_totals
 *		Payments call this after every payment change with the order's
 *		totals over all its payments: it sets payment_status, moves
 *		placed -> paid when the captured amount covers the total, and
 *		paid/fulfilled -> refunded once everything captured is refunded;
 *		bumps the version and emits order.paid, order.refunded or
 *		order.updated. Lock order: callers should lock the order (this
 *		does, FOR UPDATE) before their payment rows, as cancel_order does
 *		before calling commerce_order_cancel_hook.
 */
void
commerce_order_apply_payment_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
									int64 authorized, int64 captured, int64 refunded)
{
	(void) apply_payment_totals(tenant, order_id, authorized, captured, refunded);
}

/*
 * commerce.order_apply_payment_totals(order_id uuid, authorized bigint,
 *		captured bigint, refunded bigint) RETURNS jsonb
 *		Internal SQL face of the above (EXECUTE revoked from PUBLIC).
 */
Datum
commerce_order_apply_payment_totals_sql(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;

	commerce_require_tenant(&tenant);
	commerce_require_arg(fcinfo, 0, "order_id");
	commerce_require_arg(fcinfo, 1, "authorized");
	commerce_require_arg(fcinfo, 2, "captured");
	commerce_require_arg(fcinfo, 3, "refunded");
	PG_RETURN_JSONB_P(apply_payment_totals(&tenant, PG_GETARG_UUID_P(0), PG_GETARG_INT64(1),
										   PG_GETARG_INT64(2), PG_GETARG_INT64(3)));
}
