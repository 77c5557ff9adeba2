/*-------------------------------------------------------------------------
 *
 * order_store.c
 *	  The rows of the order aggregate: reading an order and its lines into
 *	  memory (optionally locking the order row with its version check),
 *	  inserting and updating orders (their lines' rows are written by
 *	  order_store_lines.c), and the aggregate's events.
 *	  No business rule lives here: order_rules.c decides, this file stores.
 *
 *	  Commands lock the order row first (FOR UPDATE), then stock levels in
 *	  variant id order, then the tenant's order counter (in the statement
 *	  that stores the placed order), so any two commands take shared locks
 *	  in the same order and cannot deadlock.
 *
 * extension/order_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "command.h"
#include "order_store.h"
#include "outbox.h"
#include "promotions.h"

/* The order row as read_order_row() reads it; the version comes first, as
 * commerce_lock_version() wants it. */
#define ORDER_COLUMNS \
	"version, number, customer_id, status, payment_status, currency, prices_include_tax," \
	" tax_rounding_mode OPERATOR(pg_catalog.=) 'half_up'," \
	" tax_rounding_scope OPERATOR(pg_catalog.=) 'order'," \
	" subtotal, tax_total, total, amount_authorized, amount_captured, amount_refunded," \
	" metadata, created_at, updated_at, placed_at, paid_at, fulfilled_at," \
	" cancelled_at, refunded_at," \
	" shipping_address, billing_address, shipping_method_id, shipping_method_name," \
	" shipping_tax_rate_ppm, shipping_total, shipping_tax, discount_total"

#define ORDER_BY_ID \
	" FROM commerce.orders" \
	COMMERCE_BY_ID

static SPIPlanPtr plan_load = NULL;
static SPIPlanPtr plan_lock = NULL;
static SPIPlanPtr plan_load_lines = NULL;
static SPIPlanPtr plan_insert_order = NULL;
static SPIPlanPtr plan_insert_placed = NULL;
static SPIPlanPtr plan_store_placed = NULL;
static SPIPlanPtr plan_touch = NULL;
static SPIPlanPtr plan_store_status = NULL;
static SPIPlanPtr plan_payment_totals = NULL;
static SPIPlanPtr plan_create_counter = NULL;


static void read_order_row(const pg_uuid_t *tenant, const pg_uuid_t *id, Order *order);
static void read_line_row(HeapTuple row, TupleDesc desc, OrderLine *line);

/* The parameters of both order inserts: 13, the 7 shipping ones, then
 * discount_total. */
#define NORDER_INSERT 21
static const Oid order_insert_types[NORDER_INSERT] = {
	UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, INT8OID, INT8OID,
	INT8OID, JSONBOID, TIMESTAMPTZOID,
	JSONBOID, JSONBOID, UUIDOID, TEXTOID, INT4OID, INT8OID, INT8OID,
	INT8OID
};


/* --- reading ----------------------------------------------------------- */

/* Row 0 of the last SPI result, selected as ORDER_COLUMNS, into order. */
static void
read_order_row(const pg_uuid_t *tenant, const pg_uuid_t *id, Order *order)
{
	HeapTuple	row = SPI_tuptable->vals[0];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	pg_uuid_t	tenant_id = *tenant;	/* copies: they may point into order */
	pg_uuid_t	order_id = *id;
	bool		isnull;
	Datum		d;
	int			i;

	memset(order, 0, sizeof(*order));
	order->tenant = tenant_id;
	order->id = order_id;
	order->version = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	d = SPI_getbinval(row, desc, 2, &isnull);
	order->has_number = !isnull;
	order->number = isnull ? 0 : DatumGetInt64(d);
	d = SPI_getbinval(row, desc, 3, &isnull);
	order->has_customer = !isnull;
	if (!isnull)
		order->customer_id = *DatumGetUUIDP(d);
	strlcpy(order->status, SPI_getvalue(row, desc, 4), sizeof(order->status));
	strlcpy(order->payment_status, SPI_getvalue(row, desc, 5), sizeof(order->payment_status));
	strlcpy(order->currency, SPI_getvalue(row, desc, 6), sizeof(order->currency));
	order->tax.prices_include_tax = DatumGetBool(SPI_getbinval(row, desc, 7, &isnull));
	d = SPI_getbinval(row, desc, 8, &isnull);
	order->tax.half_up = !isnull && DatumGetBool(d);
	d = SPI_getbinval(row, desc, 9, &isnull);
	order->tax.per_order = !isnull && DatumGetBool(d);
	order->subtotal = DatumGetInt64(SPI_getbinval(row, desc, 10, &isnull));
	order->tax_total = DatumGetInt64(SPI_getbinval(row, desc, 11, &isnull));
	order->total = DatumGetInt64(SPI_getbinval(row, desc, 12, &isnull));
	order->amount_authorized = DatumGetInt64(SPI_getbinval(row, desc, 13, &isnull));
	order->amount_captured = DatumGetInt64(SPI_getbinval(row, desc, 14, &isnull));
	order->amount_refunded = DatumGetInt64(SPI_getbinval(row, desc, 15, &isnull));
	d = SPI_getbinval(row, desc, 16, &isnull);
	order->metadata = isnull ? NULL : DatumGetJsonbPCopy(d);
	for (i = 0; i < ORDER_TIMESTAMPS; i++)
	{
		d = SPI_getbinval(row, desc, 17 + i, &isnull);
		order->has_at[i] = !isnull;
		order->at[i] = isnull ? 0 : DatumGetTimestampTz(d);
	}
	order_read_shipping_columns(row, desc, 17 + ORDER_TIMESTAMPS, order);
	order->discount_total = DatumGetInt64(SPI_getbinval(row, desc, 24 + ORDER_TIMESTAMPS, &isnull));
	order->all_priced = true;
}

/*
 * order_load
 *		Read an order of the tenant (as the caller: row-level security hides
 *		other tenants' and, for a customer actor, other customers' orders);
 *		false when there is none.
 */
bool
order_load(const pg_uuid_t *tenant, const pg_uuid_t *id, Order *order)
{
	Datum		values[2];

	commerce_prepare(&plan_load, "SELECT " ORDER_COLUMNS ORDER_BY_ID,
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(id);
	/* not read-only: a command reloads what it has just written */
	if (commerce_execute(plan_load, values, NULL, false, 1) == 0)
		return false;
	read_order_row(tenant, id, order);
	return true;
}

/* Lock the order row and read it; not_found when absent. */
void
order_lock(const pg_uuid_t *tenant, const pg_uuid_t *id, Order *order)
{
	(void) commerce_lock_version(&plan_lock, "SELECT " ORDER_COLUMNS ORDER_BY_ID " FOR UPDATE",
								 tenant, id, "order");
	read_order_row(tenant, id, order);
}

/* Lock the order row, check the expected_version argument, and read it. */
void
order_lock_expected(FunctionCallInfo fcinfo, int expected_arg, const pg_uuid_t *tenant,
					const pg_uuid_t *id, Order *order)
{
	(void) commerce_lock_expected(fcinfo, expected_arg, &plan_lock,
								  "SELECT " ORDER_COLUMNS ORDER_BY_ID " FOR UPDATE",
								  tenant, id, "order");
	read_order_row(tenant, id, order);
}

static void
read_line_row(HeapTuple row, TupleDesc desc, OrderLine *line)
{
	bool		isnull;
	Datum		d;

	line->id = *DatumGetUUIDP(SPI_getbinval(row, desc, 1, &isnull));
	line->variant_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 2, &isnull));
	line->quantity = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
	line->sku = SPI_getvalue(row, desc, 4);
	line->title = SPI_getvalue(row, desc, 5);
	line->tax_category = SPI_getvalue(row, desc, 6);
	d = SPI_getbinval(row, desc, 7, &isnull);
	line->has_price_list = !isnull;
	if (!isnull)
		line->price_list_id = *DatumGetUUIDP(d);
	d = SPI_getbinval(row, desc, 8, &isnull);
	line->priced = !isnull;
	if (line->priced)
	{
		line->unit_amount = DatumGetInt64(d);
		line->amount = DatumGetInt64(SPI_getbinval(row, desc, 9, &isnull));
		line->tax_rate_ppm = DatumGetInt32(SPI_getbinval(row, desc, 10, &isnull));
		line->tax_amount = DatumGetInt64(SPI_getbinval(row, desc, 11, &isnull));
	}
	line->discount_amount = DatumGetInt64(SPI_getbinval(row, desc, 12, &isnull));
}

/* The order's lines in the order they were added (UUIDv7 ids). */
void
order_load_lines(Order *order)
{
	Datum		values[2];
	uint64		n;
	uint64		i;

	commerce_prepare(&plan_load_lines,
					 "SELECT id, variant_id, quantity, sku, title, tax_category, price_list_id,"
					 " unit_amount, amount, tax_rate_ppm, tax_amount, discount_amount FROM commerce.order_lines"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND order_id OPERATOR(pg_catalog.=) $2 ORDER BY id",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	n = commerce_execute(plan_load_lines, values, NULL, false, 0);
	order->nlines = (int) n;
	order->lines = palloc0(sizeof(OrderLine) * (n + 1));
	for (i = 0; i < n; i++)
		read_line_row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &order->lines[i]);
	/* a placed order's discounts (a draft's are live: order_price) */
	order->ndiscounts = 0;
	if (order->discount_total > 0 && strcmp(order->status, "draft") != 0)
		promotion_load_discounts(order);
}

/* --- writing the order row --------------------------------------------- */

/* The tenant's next order number, taken in the statement that stores the
 * placed order: the counter row's lock is held from there to the commit.
 * A plain UPDATE (an upsert locks the row first: a WAL record more; and an
 * INSERT in the same statement costs every order its start-up for the
 * tenant's first order only, docs/benchmarks.md): with no counter row yet
 * the statement stores nothing and returns no row (execute_numbered). */
#define NEXT_NUMBER_CTE \
	"WITH counter AS (" \
	" UPDATE commerce.order_counters c SET last_number = c.last_number OPERATOR(pg_catalog.+) 1" \
	" WHERE c.tenant_id OPERATOR(pg_catalog.=) $1 RETURNING c.last_number) "

/* Run an INSERT of a new order: an unknown customer_id is not_found, found
 * by orders_customer_fkey, the one check (see customer_for_actor). */
static uint64
write_order(SPIPlanPtr plan, const Datum *values, const char *nulls, const pg_uuid_t *customer)
{
	if (customer == NULL)
		return commerce_execute(plan, values, nulls, false, 0);
	return commerce_execute_referencing(plan, values, nulls, "orders_customer_fkey",
										"customer", customer);
}

/*
 * execute_numbered
 *		Run a statement that takes the next number (NEXT_NUMBER_CTE) and
 *		returns it in column 1. For the tenant's first order, make its
 *		counter row at 0 and run it again: ON CONFLICT DO NOTHING waits for
 *		a concurrent first order's insert, and the new statement's snapshot
 *		sees the row either way. customer: the new order's (see
 *		write_order), or NULL.
 */
static int64
execute_numbered(SPIPlanPtr plan, const pg_uuid_t *tenant, const Datum *values,
				 const char *nulls, const pg_uuid_t *customer)
{
	int64		number;
	Datum		tenant_value[1] = {UUIDPGetDatum(tenant)};

	if (write_order(plan, values, nulls, customer) == 0)
	{
		commerce_prepare(&plan_create_counter,
						 "INSERT INTO commerce.order_counters (tenant_id, last_number)"
						 " VALUES ($1, 0) ON CONFLICT (tenant_id) DO NOTHING",
						 1, (Oid[]) {UUIDOID});
		commerce_execute(plan_create_counter, tenant_value, NULL, false, 0);
		write_order(plan, values, nulls, customer);
	}
	if (!commerce_result_int64(1, &number))
		elog(ERROR, "order counter returned no number");
	return number;
}

#define INSERT_ORDER \
	"INSERT INTO commerce.orders (tenant_id, id, number, customer_id, status," \
	" currency, prices_include_tax, tax_rounding_mode, tax_rounding_scope," \
	" subtotal, tax_total, total, metadata, created_at, updated_at, placed_at," \
	" shipping_address, billing_address, shipping_method_id, shipping_method_name," \
	" shipping_tax_rate_ppm, shipping_total, shipping_tax, discount_total)"

/*
 * order_insert
 *		Insert a new order and its lines as they are in memory: a draft
 *		(create_order), or placed with its lines' priced figures (checkout),
 *		when the same statement takes its number. Each line carries the
 *		order's customer_id, which the lines' policy compares (500_orders.sql).
 */
void
order_insert(Order *order)
{
	bool		placed = strcmp(order->status, "draft") != 0;
	const pg_uuid_t *customer = order->has_customer ? &order->customer_id : NULL;
	Datum		v[NORDER_INSERT];
	char		n[NORDER_INSERT];
	SPIPlanPtr	plan;

	plan = placed
		? commerce_prepare(&plan_insert_placed,
						   NEXT_NUMBER_CTE INSERT_ORDER
						   " SELECT $1, $2, counter.last_number, $3, $4, $5, $6, $7, $8, $9, $10,"
						   "  $11, $12, $13, $13, $13, $14, $15, $16, $17, $18, $19, $20, $21"
						   " FROM counter RETURNING number",
						   NORDER_INSERT, order_insert_types)
		: commerce_prepare(&plan_insert_order,
						   INSERT_ORDER
						   " VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
						   "  $13, $13, NULL, $14, $15, $16, $17, $18, $19, $20, $21)",
						   NORDER_INSERT, order_insert_types);
	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&order->tenant);
	v[1] = UUIDPGetDatum(&order->id);
	v[2] = UUIDPGetDatum(&order->customer_id);
	if (!order->has_customer)
		n[2] = 'n';
	v[3] = CStringGetTextDatum(order->status);
	v[4] = CStringGetTextDatum(order->currency);
	v[5] = BoolGetDatum(placed && order->tax.prices_include_tax);
	v[6] = CStringGetTextDatum(order->tax.half_up ? "half_up" : "half_even");
	v[7] = CStringGetTextDatum(order->tax.per_order ? "order" : "line");
	if (!placed)
		n[6] = n[7] = 'n';
	v[8] = Int64GetDatum(placed ? order->subtotal : 0);
	v[9] = Int64GetDatum(placed ? order->tax_total : 0);
	v[10] = Int64GetDatum(placed ? order->total : 0);
	v[11] = JsonbPGetDatum(order->metadata);
	v[12] = TimestampTzGetDatum(order->at[ORDER_CREATED_AT]);
	order_bind_shipping(order, placed, &v[13], &n[13]);
	v[20] = Int64GetDatum(placed ? order->discount_total : 0);
	if (placed)
	{
		order->number = execute_numbered(plan, &order->tenant, v, n, customer);
		order->has_number = true;
	}
	else
		write_order(plan, v, n, customer);
	order_insert_lines(order, placed);
	if (placed && order->ndiscounts > 0)
		promotion_store_discounts(order);
	order->is_new = false;		/* stored: it may carry discount rows now */
}

/* Store a placement: the order row's figures, status and the number it
 * takes in the same statement. */
void
order_store_placed(Order *order)
{
	Datum		values[14];
	char		nulls[14];

	commerce_prepare(&plan_store_placed,
					 NEXT_NUMBER_CTE
					 "UPDATE commerce.orders SET status = 'placed', number = counter.last_number,"
					 " prices_include_tax = $3, tax_rounding_mode = $4, tax_rounding_scope = $5,"
					 " subtotal = $6, tax_total = $7, total = $8, placed_at = $9, updated_at = $9,"
					 " shipping_method_name = $10, shipping_tax_rate_ppm = $11,"
					 " shipping_total = $12, shipping_tax = $13, discount_total = $14,"
					 " version = version OPERATOR(pg_catalog.+) 1"
					 " FROM counter"
					 COMMERCE_BY_ID
					 " RETURNING number",
					 14, (Oid[]) {UUIDOID, UUIDOID, BOOLOID, TEXTOID, TEXTOID,
		INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, INT4OID, INT8OID, INT8OID, INT8OID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = BoolGetDatum(order->tax.prices_include_tax);
	values[3] = CStringGetTextDatum(order->tax.half_up ? "half_up" : "half_even");
	values[4] = CStringGetTextDatum(order->tax.per_order ? "order" : "line");
	values[5] = Int64GetDatum(order->subtotal);
	values[6] = Int64GetDatum(order->tax_total);
	values[7] = Int64GetDatum(order->total);
	values[8] = TimestampTzGetDatum(order->at[ORDER_PLACED_AT]);
	{
		Datum		ship[7];
		char		ship_nulls[7];

		order_bind_shipping(order, true, ship, ship_nulls);
		memcpy(&values[9], &ship[3], sizeof(Datum) * 4);
		memcpy(&nulls[9], &ship_nulls[3], 4);
	}
	values[13] = Int64GetDatum(order->discount_total);
	order->number = execute_numbered(plan_store_placed, &order->tenant, values, nulls, NULL);
	order->has_number = true;
	order->version++;
	order->at[ORDER_UPDATED_AT] = order->at[ORDER_PLACED_AT];
	if (order->ndiscounts > 0)
		promotion_store_discounts(order);
}

/* Bump the version and updated_at of a draft whose lines changed. */
void
order_touch(Order *order)
{
	Datum		values[3];

	commerce_prepare(&plan_touch,
					 "UPDATE commerce.orders SET version = version OPERATOR(pg_catalog.+) 1,"
					 " updated_at = $3"
					 COMMERCE_BY_ID,
					 3, (Oid[]) {UUIDOID, UUIDOID, TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	commerce_execute(plan_touch, values, NULL, false, 0);
	order->version++;
	order->at[ORDER_UPDATED_AT] = GetCurrentTransactionStartTimestamp();
}

/* Store a cancellation or fulfilment: status, its timestamp, version. */
void
order_store_status(const Order *order, const char *status)
{
	Datum		values[4];

	commerce_prepare(&plan_store_status,
					 "UPDATE commerce.orders SET status = $3, updated_at = $4,"
					 " cancelled_at = CASE WHEN $3 OPERATOR(pg_catalog.=) 'cancelled' THEN $4 ELSE cancelled_at END,"
					 " fulfilled_at = CASE WHEN $3 OPERATOR(pg_catalog.=) 'fulfilled' THEN $4 ELSE fulfilled_at END,"
					 " version = version OPERATOR(pg_catalog.+) 1"
					 COMMERCE_BY_ID,
					 4, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = CStringGetTextDatum(status);
	values[3] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	commerce_execute(plan_store_status, values, NULL, false, 0);
}

/* Store payment totals, the payment_status and status they give, version. */
void
order_store_payment_totals(const Order *order, int64 authorized, int64 captured,
						   int64 refunded, const char *payment_status, const char *status)
{
	Datum		values[8];

	commerce_prepare(&plan_payment_totals,
					 "UPDATE commerce.orders SET amount_authorized = $3, amount_captured = $4,"
					 " amount_refunded = $5, payment_status = $6, status = $7, updated_at = $8,"
					 " paid_at = CASE WHEN $7 OPERATOR(pg_catalog.=) 'paid' AND status OPERATOR(pg_catalog.<>) 'paid' THEN $8 ELSE paid_at END,"
					 " refunded_at = CASE WHEN $7 OPERATOR(pg_catalog.=) 'refunded' AND status OPERATOR(pg_catalog.<>) 'refunded' THEN $8 ELSE refunded_at END,"
					 " version = version OPERATOR(pg_catalog.+) 1"
					 COMMERCE_BY_ID,
					 8, (Oid[]) {UUIDOID, UUIDOID, INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID,
		TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = Int64GetDatum(authorized);
	values[3] = Int64GetDatum(captured);
	values[4] = Int64GetDatum(refunded);
	values[5] = CStringGetTextDatum(payment_status);
	values[6] = CStringGetTextDatum(status);
	values[7] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	commerce_execute(plan_payment_totals, values, NULL, false, 0);
}

/* One event of the order aggregate, in the command's transaction. */
void
order_emit(const Order *order, const char *type, Jsonb *data)
{
	commerce_emit_event(&order->tenant, type, "order", &order->id, data);
}
