/*-------------------------------------------------------------------------
 *
 * orders.c
 *	  The order aggregate: create_order, get_order, list_orders,
 *	  place_order, cancel_order, fulfil_order, the state machine, and the
 *	  C API payments use (commerce_order_apply_payment_totals and the
 *	  cancel hook). Lines are edited in order_lines.c, single-call checkout
 *	  is checkout.c, tax arithmetic is tax.c. docs/orders.md documents the
 *	  states, transitions and money rules.
 *
 *	  Every command locks the order row first (FOR UPDATE), then stock
 *	  levels in variant id order, then the tenant's order counter, so any
 *	  two commands take shared locks in the same order and cannot deadlock.
 *
 * extension/orders.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "inventory.h"
#include "orders.h"
#include "outbox.h"
#include "resolve_price.h"
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

static const char *const timestamp_names[ORDER_TIMESTAMPS] = {
	"created_at", "updated_at", "placed_at", "paid_at", "fulfilled_at",
	"cancelled_at", "refunded_at"
};

/* The state machine: from which statuses each command may run. */
static const struct
{
	const char *name;
	const char *from[3];
} transitions[] = {
	[ORDER_EDIT_LINES] = {"change the lines of", {"draft"}},
	[ORDER_PLACE] = {"place", {"draft"}},
	[ORDER_CANCEL] = {"cancel", {"draft", "placed"}},
	[ORDER_FULFIL] = {"fulfil", {"placed", "paid"}},
};

static SPIPlanPtr plan_load = NULL;
static SPIPlanPtr plan_load_for_update = NULL;
static SPIPlanPtr plan_load_lines = NULL;
static SPIPlanPtr plan_next_number = NULL;
static SPIPlanPtr plan_insert_order = NULL;
static SPIPlanPtr plan_touch = NULL;
static SPIPlanPtr plan_store_placed = NULL;
static SPIPlanPtr plan_set_status = NULL;
static SPIPlanPtr plan_payment_totals = NULL;
static SPIPlanPtr plan_customer_exists = NULL;

static void read_order_row(HeapTuple row, TupleDesc desc, Order *order);
static int	compare_lines_by_variant(const void *a, const void *b);
static Jsonb *finish_with(CommerceCommand *cmd, Jsonb *response);
static void require_order_argument(FunctionCallInfo fcinfo, int argno);
static Datum order_status_command(FunctionCallInfo fcinfo, const char *name,
								  OrderCommand command);
static const char *payment_status_for(const Order *order, int64 authorized,
									  int64 captured, int64 refunded);

/* --- rendering ------------------------------------------------------ */

/* RFC 3339 UTC with microseconds, as COMMERCE_SQL_TIMESTAMP renders. */
char *
commerce_rfc3339(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

static void
push_string(JsonbParseState **state, const char *key, const char *value)
{
	JsonbValue	v;

	push_key(state, key);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

static void
push_int64(JsonbParseState **state, const char *key, bool isnull, int64 value)
{
	JsonbValue	v;

	push_key(state, key);
	if (isnull)
		v.type = jbvNull;
	else
	{
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(value);
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

static void
push_bool(JsonbParseState **state, const char *key, bool value)
{
	JsonbValue	v;

	push_key(state, key);
	v.type = jbvBool;
	v.val.boolean = value;
	pushJsonbValue(state, WJB_VALUE, &v);
}

static void
push_uuid(JsonbParseState **state, const char *key, bool isnull, const pg_uuid_t *id)
{
	push_string(state, key, isnull ? NULL : commerce_uuid_string(id));
}

/*
 * order_render
 *		The order as the HTTP response body (ids as strings, amounts as
 *		integers in minor units, timestamps RFC 3339). A draft's figures are
 *		the live ones order_price() computed.
 */
Jsonb *
order_render(const Order *order, bool with_lines)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;
	JsonbValue	v;
	bool		draft = strcmp(order->status, "draft") == 0;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_uuid(&state, "id", false, &order->id);
	push_int64(&state, "number", !order->has_number, order->number);
	push_uuid(&state, "customer_id", !order->has_customer, &order->customer_id);
	push_string(&state, "status", order->status);
	push_string(&state, "payment_status", order->payment_status);
	push_string(&state, "currency", order->currency);
	push_bool(&state, "prices_include_tax", order->tax.prices_include_tax);
	push_string(&state, "tax_rounding_mode", order->tax.half_up ? "half_up" : "half_even");
	push_string(&state, "tax_rounding_scope", order->tax.per_order ? "order" : "line");
	push_int64(&state, "subtotal", false, order->subtotal);
	push_int64(&state, "tax_total", false, order->tax_total);
	push_int64(&state, "total", false, order->total);
	if (draft)
		push_bool(&state, "prices_complete", order->all_priced);
	push_int64(&state, "amount_authorized", false, order->amount_authorized);
	push_int64(&state, "amount_captured", false, order->amount_captured);
	push_int64(&state, "amount_refunded", false, order->amount_refunded);
	if (with_lines)
	{
		push_key(&state, "lines");
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < order->nlines; i++)
		{
			const OrderLine *line = &order->lines[i];

			pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
			push_uuid(&state, "id", false, &line->id);
			push_uuid(&state, "variant_id", false, &line->variant_id);
			push_string(&state, "sku", line->sku);
			push_string(&state, "title", line->title);
			push_int64(&state, "quantity", false, line->quantity);
			push_uuid(&state, "price_list_id", !line->has_price_list, &line->price_list_id);
			push_int64(&state, "unit_amount", !line->priced, line->unit_amount);
			push_int64(&state, "amount", !line->priced, line->amount);
			push_string(&state, "tax_category", line->tax_category);
			push_int64(&state, "tax_rate_ppm", !line->priced, line->tax_rate_ppm);
			push_int64(&state, "tax_amount", !line->priced, line->tax_amount);
			pushJsonbValue(&state, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	push_key(&state, "metadata");
	if (order->metadata != NULL)
	{
		v.type = jbvBinary;
		v.val.binary.data = &order->metadata->root;
		v.val.binary.len = VARSIZE(order->metadata) - VARHDRSZ;
	}
	else
		v.type = jbvNull;
	pushJsonbValue(&state, WJB_VALUE, &v);
	push_int64(&state, "version", false, order->version);
	for (i = 0; i < ORDER_TIMESTAMPS; i++)
		push_string(&state, timestamp_names[i],
					order->has_at[i] ? commerce_rfc3339(order->at[i]) : NULL);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(result);
}

/* One event of the order aggregate, in the command's transaction. */
void
order_emit(const Order *order, const char *type, Jsonb *data)
{
	commerce_emit_event(&order->tenant, type, "order", &order->id, data);
}

/* --- loading -------------------------------------------------------- */

#define ORDER_COLUMNS \
	"number, customer_id, status, payment_status, currency, prices_include_tax," \
	" tax_rounding_mode OPERATOR(pg_catalog.=) 'half_up'," \
	" tax_rounding_scope OPERATOR(pg_catalog.=) 'order'," \
	" subtotal, tax_total, total, amount_authorized, amount_captured, amount_refunded," \
	" metadata, version, created_at, updated_at, placed_at, paid_at, fulfilled_at," \
	" cancelled_at, refunded_at"

static void
read_order_row(HeapTuple row, TupleDesc desc, Order *order)
{
	bool		isnull;
	Datum		d;
	int			i;

	d = SPI_getbinval(row, desc, 1, &isnull);
	order->has_number = !isnull;
	order->number = isnull ? 0 : DatumGetInt64(d);
	d = SPI_getbinval(row, desc, 2, &isnull);
	order->has_customer = !isnull;
	if (!isnull)
		order->customer_id = *DatumGetUUIDP(d);
	strlcpy(order->status, SPI_getvalue(row, desc, 3), sizeof(order->status));
	strlcpy(order->payment_status, SPI_getvalue(row, desc, 4), sizeof(order->payment_status));
	strlcpy(order->currency, SPI_getvalue(row, desc, 5), sizeof(order->currency));
	order->tax.prices_include_tax = DatumGetBool(SPI_getbinval(row, desc, 6, &isnull));
	d = SPI_getbinval(row, desc, 7, &isnull);
	order->tax.half_up = !isnull && DatumGetBool(d);
	d = SPI_getbinval(row, desc, 8, &isnull);
	order->tax.per_order = !isnull && DatumGetBool(d);
	order->subtotal = DatumGetInt64(SPI_getbinval(row, desc, 9, &isnull));
	order->tax_total = DatumGetInt64(SPI_getbinval(row, desc, 10, &isnull));
	order->total = DatumGetInt64(SPI_getbinval(row, desc, 11, &isnull));
	order->amount_authorized = DatumGetInt64(SPI_getbinval(row, desc, 12, &isnull));
	order->amount_captured = DatumGetInt64(SPI_getbinval(row, desc, 13, &isnull));
	order->amount_refunded = DatumGetInt64(SPI_getbinval(row, desc, 14, &isnull));
	d = SPI_getbinval(row, desc, 15, &isnull);
	order->metadata = isnull ? NULL : DatumGetJsonbPCopy(d);
	order->version = DatumGetInt64(SPI_getbinval(row, desc, 16, &isnull));
	for (i = 0; i < ORDER_TIMESTAMPS; i++)
	{
		d = SPI_getbinval(row, desc, 17 + i, &isnull);
		order->has_at[i] = !isnull;
		order->at[i] = isnull ? 0 : DatumGetTimestampTz(d);
	}
	order->all_priced = true;
}

/*
 * order_load
 *		Read an order of the tenant (as the caller: row-level security hides
 *		other tenants' and, for a customer actor, other customers' orders);
 *		false when there is none. for_update locks the row.
 */
bool
order_load(const pg_uuid_t *tenant, const pg_uuid_t *id, bool for_update, Order *order)
{
	SPIPlanPtr	plan;
	Datum		values[2];

	if (for_update)
		plan = commerce_prepare(&plan_load_for_update,
								"SELECT " ORDER_COLUMNS " FROM commerce.orders"
								" WHERE tenant_id OPERATOR(pg_catalog.=) $1"
								"   AND id OPERATOR(pg_catalog.=) $2 FOR UPDATE",
								2, (Oid[]) {UUIDOID, UUIDOID});
	else
		plan = commerce_prepare(&plan_load,
								"SELECT " ORDER_COLUMNS " FROM commerce.orders"
								" WHERE tenant_id OPERATOR(pg_catalog.=) $1"
								"   AND id OPERATOR(pg_catalog.=) $2",
								2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(id);
	/* not read-only: a command reloads what it has just written */
	if (commerce_execute(plan, values, NULL, false, 1) == 0)
		return false;
	memset(order, 0, sizeof(*order));
	order->tenant = *tenant;
	order->id = *id;
	read_order_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, order);
	return true;
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
					 " unit_amount, amount, tax_rate_ppm, tax_amount FROM commerce.order_lines"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND order_id OPERATOR(pg_catalog.=) $2 ORDER BY id",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	n = commerce_execute(plan_load_lines, values, NULL, false, 0);
	order->nlines = (int) n;
	order->lines = palloc0(sizeof(OrderLine) * (n + 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		OrderLine  *line = &order->lines[i];
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
	}
}

/* --- rules ---------------------------------------------------------- */

/* invalid_transition unless the state machine allows command now. */
void
order_require_transition(const Order *order, OrderCommand command)
{
	int			i;
	StringInfoData allowed;

	for (i = 0; i < (int) lengthof(transitions[command].from); i++)
		if (transitions[command].from[i] != NULL &&
			strcmp(transitions[command].from[i], order->status) == 0)
			return;
	initStringInfo(&allowed);
	for (i = 0; i < (int) lengthof(transitions[command].from); i++)
		if (transitions[command].from[i] != NULL)
			appendStringInfo(&allowed, "%s%s", allowed.len > 0 ? ", " : "",
							 transitions[command].from[i]);
	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
			 commerce_errcode("invalid_transition"),
			 errmsg("cannot %s order %s in status \"%s\"", transitions[command].name,
					commerce_uuid_string(&order->id), order->status),
			 errdetail("Allowed from: %s.", allowed.data),
			 errhint("See the order state machine in docs/orders.md.")));
}

/*
 * order_customer_for_actor
 *		The customer of a new order. A customer actor orders for itself:
 *		customer_id defaults to its subject and may not name anyone else.
 *		Staff may name any customer of the tenant (not_found otherwise).
 */
void
order_customer_for_actor(bool given, pg_uuid_t *customer, bool *has_customer)
{
	Datum		values[2];
	pg_uuid_t	tenant;

	if (commerce_actor_is_customer())
	{
		const char *subject = commerce_current_subject();
		pg_uuid_t  *self;

		if (subject == NULL || !commerce_is_uuid_text(subject))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 commerce_errcode("permission_denied"),
					 errmsg("a customer actor needs its customer id as subject")));
		self = DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(subject)));
		if (given && memcmp(customer->data, self->data, UUID_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 commerce_errcode("permission_denied"),
					 errmsg("a customer may create orders only for itself")));
		*customer = *self;
		*has_customer = true;
		given = true;
	}
	else
		*has_customer = given;
	if (!given)
		return;
	commerce_require_tenant(&tenant);
	commerce_prepare(&plan_customer_exists,
					 "SELECT 1 FROM commerce.customers"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = UUIDPGetDatum(customer);
	if (commerce_execute(plan_customer_exists, values, NULL, true, 1) == 0)
		commerce_not_found("customer", customer);
}

/*
 * order_price
 *		Price the lines of an order and compute its tax and totals. For a
 *		draft (placing = false) this is the live view: titles, SKUs and
 *		prices come from the catalog and price lists now; a line without a
 *		price is shown unpriced. placing = true snapshots: every line must
 *		be orderable and priced, and the tenant's tax settings are taken.
 */
void
order_price(Order *order, bool placing)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int64	   *amounts = palloc(sizeof(int64) * (order->nlines + 1));
	int32	   *rates = palloc(sizeof(int32) * (order->nlines + 1));
	int64	   *taxes = palloc(sizeof(int64) * (order->nlines + 1));
	int		   *priced_index = palloc(sizeof(int) * (order->nlines + 1));
	int			npriced = 0;
	int			i;

	tax_settings_load(&order->tenant, &order->tax);
	order->all_priced = true;
	for (i = 0; i < order->nlines; i++)
	{
		OrderLine  *line = &order->lines[i];
		bool		active;

		order_line_catalog(&order->tenant, &line->variant_id, line, &active);
		if (placing && !active)
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
					 commerce_errcode("variant_not_available"),
					 errmsg("variant %s cannot be ordered", commerce_uuid_string(&line->variant_id)),
					 errdetail("Its product is not active.")));
		line->priced = commerce_resolve_unit_price(&order->tenant, &line->variant_id,
												   order->currency, line->quantity,
												   order->has_customer ? &order->customer_id : NULL,
												   now, &line->unit_amount, &line->price_list_id);
		line->has_price_list = line->priced;
		if (!line->priced)
		{
			if (placing)
				ereport(ERROR,
						(errcode(ERRCODE_COMMERCE_NOT_FOUND),
						 commerce_errcode("no_price"),
						 errmsg("no %s price for variant %s at quantity %d",
								order->currency, commerce_uuid_string(&line->variant_id),
								line->quantity),
						 errhint("Add a price to a price list in %s.", order->currency)));
			order->all_priced = false;
			continue;
		}
		line->amount = commerce_multiply_amount(line->unit_amount, line->quantity);
		line->tax_rate_ppm = tax_rate_for(&order->tenant, line->tax_category);
		amounts[npriced] = line->amount;
		rates[npriced] = line->tax_rate_ppm;
		priced_index[npriced++] = i;
	}
	tax_compute(npriced, amounts, rates, &order->tax, taxes,
				&order->subtotal, &order->tax_total, &order->total);
	for (i = 0; i < npriced; i++)
		order->lines[priced_index[i]].tax_amount = taxes[i];
}

static int
compare_lines_by_variant(const void *a, const void *b)
{
	return memcmp(((const OrderLine *) a)->variant_id.data,
				  ((const OrderLine *) b)->variant_id.data, UUID_LEN);
}

/*
 * order_reserve_and_number
 *		The placing steps after pricing: reserve every line's stock, in
 *		variant id order so that concurrent placements lock stock rows in
 *		the same order (no deadlock), then take the tenant's next order
 *		number last (its row lock is the one held the shortest).
 */
void
order_reserve_and_number(Order *order)
{
	OrderLine  *sorted = palloc(sizeof(OrderLine) * (order->nlines + 1));
	Datum		values[1];
	int			i;

	if (order->nlines == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("order_empty"),
				 errmsg("order %s has no lines", commerce_uuid_string(&order->id)),
				 errhint("Add lines before placing the order.")));
	memcpy(sorted, order->lines, sizeof(OrderLine) * order->nlines);
	qsort(sorted, order->nlines, sizeof(OrderLine), compare_lines_by_variant);
	for (i = 0; i < order->nlines; i++)
		commerce_reserve_stock(&order->tenant, &sorted[i].variant_id, sorted[i].quantity);

	commerce_prepare(&plan_next_number,
					 "INSERT INTO commerce.order_counters AS c (tenant_id, last_number) VALUES ($1, 1)"
					 " ON CONFLICT (tenant_id) DO UPDATE"
					 " SET last_number = c.last_number OPERATOR(pg_catalog.+) 1"
					 " RETURNING last_number",
					 1, (Oid[]) {UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	commerce_execute(plan_next_number, values, NULL, false, 0);
	if (!commerce_result_int64(1, &order->number))
		elog(ERROR, "order counter returned no number");
	order->has_number = true;
	strlcpy(order->status, "placed", sizeof(order->status));
	order->has_at[ORDER_PLACED_AT] = true;
	order->at[ORDER_PLACED_AT] = GetCurrentTransactionStartTimestamp();
}

/*
 * order_touch
 *		Check the expected version (when asked), then bump the version and
 *		updated_at of a draft whose lines changed.
 */
void
order_touch(Order *order, bool check_version, bool has_expected, int64 expected_version)
{
	Datum		values[3];

	if (check_version)
		commerce_check_version("order", has_expected, expected_version, order->version);
	commerce_prepare(&plan_touch,
					 "UPDATE commerce.orders SET version = version OPERATOR(pg_catalog.+) 1,"
					 " updated_at = $3"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 3, (Oid[]) {UUIDOID, UUIDOID, TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	commerce_execute(plan_touch, values, NULL, false, 0);
	order->version++;
	order->at[ORDER_UPDATED_AT] = GetCurrentTransactionStartTimestamp();
}

/*
 * order_parse_lines
 *		Parse a "lines" array of {variant_id, quantity} into order->lines
 *		(new ids; a variant given twice is one line with the sum).
 */
Jsonb *
order_parse_lines(Jsonb *lines, Order *order)
{
	static const CommerceField fields[] = {
		{"variant_id", CF_UUID, true, 0},
		{"quantity", CF_INT32, true, 0},
	};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken token;
	int			n = 0;

	order->lines = palloc0(sizeof(OrderLine) * (ORDER_LINES_MAX + 1));
	order->nlines = 0;
	if (lines == NULL)
		return NULL;
	it = JsonbIteratorInit(&lines->root);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CommerceValue in[lengthof(fields)];
		pg_uuid_t  *variant;
		int32		quantity;
		int			i;

		if (token != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("field \"order.lines[%d]\" must be an object", n)));
		commerce_parse_object(JsonbValueToJsonb(&v), psprintf("order.lines[%d]", n),
							  fields, lengthof(fields), in);
		n++;
		variant = DatumGetUUIDP(in[0].value);
		quantity = DatumGetInt32(in[1].value);
		if (quantity < 1 || quantity > ORDER_QUANTITY_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("field \"order.lines[%d].quantity\" must be between 1 and %d",
							n - 1, ORDER_QUANTITY_MAX)));
		for (i = 0; i < order->nlines; i++)
			if (memcmp(order->lines[i].variant_id.data, variant->data, UUID_LEN) == 0)
				break;
		if (i < order->nlines)
		{
			if (order->lines[i].quantity + quantity > ORDER_QUANTITY_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 commerce_errcode("invalid_input"),
						 errmsg("quantity of variant %s must not exceed %d",
								commerce_uuid_string(variant), ORDER_QUANTITY_MAX)));
			order->lines[i].quantity += quantity;
			continue;
		}
		commerce_uuid_v7(&order->lines[order->nlines].id);
		order->lines[order->nlines].variant_id = *variant;
		order->lines[order->nlines].quantity = quantity;
		order->nlines++;
	}
	return lines;
}

/* The stored response, copied out of SPI; then SPI_finish. */
static Jsonb *
finish_with(CommerceCommand *cmd, Jsonb *response)
{
	Jsonb	   *result = commerce_command_finish(cmd, response);

	SPI_finish();
	return result;
}

static void
require_order_argument(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("order id is required")));
}

/*
 * order_insert
 *		Insert a new order row as it is in memory (a draft, or placed by
 *		checkout).
 */
void
order_insert(const Order *order)
{
	bool		placed = order->has_number;

	commerce_prepare(&plan_insert_order,
					 "INSERT INTO commerce.orders (tenant_id, id, number, customer_id, status,"
					 " currency, prices_include_tax, tax_rounding_mode, tax_rounding_scope,"
					 " subtotal, tax_total, total, metadata, created_at, updated_at, placed_at)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14,"
					 "  CASE WHEN $3 IS NULL THEN NULL ELSE $14 END)",
					 14, (Oid[]) {UUIDOID, UUIDOID, INT8OID, UUIDOID, TEXTOID, TEXTOID, BOOLOID,
		TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, JSONBOID, TIMESTAMPTZOID});
	{
		Datum		v[14];
		char		n[14];

		memset(n, ' ', sizeof(n));
		v[0] = UUIDPGetDatum(&order->tenant);
		v[1] = UUIDPGetDatum(&order->id);
		v[2] = Int64GetDatum(order->number);
		if (!placed)
			n[2] = 'n';
		v[3] = UUIDPGetDatum(&order->customer_id);
		if (!order->has_customer)
			n[3] = 'n';
		v[4] = CStringGetTextDatum(order->status);
		v[5] = CStringGetTextDatum(order->currency);
		v[6] = BoolGetDatum(placed && order->tax.prices_include_tax);
		v[7] = CStringGetTextDatum(order->tax.half_up ? "half_up" : "half_even");
		v[8] = CStringGetTextDatum(order->tax.per_order ? "order" : "line");
		if (!placed)
			n[7] = n[8] = 'n';
		v[9] = Int64GetDatum(placed ? order->subtotal : 0);
		v[10] = Int64GetDatum(placed ? order->tax_total : 0);
		v[11] = Int64GetDatum(placed ? order->total : 0);
		v[12] = JsonbPGetDatum(order->metadata);
		v[13] = TimestampTzGetDatum(order->at[ORDER_CREATED_AT]);
		commerce_execute(plan_insert_order, v, n, false, 0);
	}
}

/* Store a placement: the order row's figures, number and status. */
static void
order_store_placed(Order *order)
{
	Datum		values[10];

	commerce_prepare(&plan_store_placed,
					 "UPDATE commerce.orders SET status = 'placed', number = $3,"
					 " prices_include_tax = $4, tax_rounding_mode = $5, tax_rounding_scope = $6,"
					 " subtotal = $7, tax_total = $8, total = $9, placed_at = $10, updated_at = $10,"
					 " version = version OPERATOR(pg_catalog.+) 1"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 10, (Oid[]) {UUIDOID, UUIDOID, INT8OID, BOOLOID, TEXTOID, TEXTOID,
		INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = Int64GetDatum(order->number);
	values[3] = BoolGetDatum(order->tax.prices_include_tax);
	values[4] = CStringGetTextDatum(order->tax.half_up ? "half_up" : "half_even");
	values[5] = CStringGetTextDatum(order->tax.per_order ? "order" : "line");
	values[6] = Int64GetDatum(order->subtotal);
	values[7] = Int64GetDatum(order->tax_total);
	values[8] = Int64GetDatum(order->total);
	values[9] = TimestampTzGetDatum(order->at[ORDER_PLACED_AT]);
	commerce_execute(plan_store_placed, values, NULL, false, 0);
	order->version++;
	order->at[ORDER_UPDATED_AT] = order->at[ORDER_PLACED_AT];
}

/* --- commands ------------------------------------------------------- */

/*
 * commerce.create_order(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_create_order(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {
		{"currency", CF_TEXT, true, 3},
		{"customer_id", CF_UUID, false, 0},
		{"lines", CF_ARRAY, false, ORDER_LINES_MAX},
		{"metadata", CF_OBJECT, false, 50},
	};
	CommerceCommand cmd;
	CommerceValue in[lengthof(fields)];
	Datum		args[1];
	bool		argnulls[1];
	Jsonb	   *replay;
	Jsonb	   *result;
	Order	   *order = palloc0(sizeof(Order));
	int			i;

	argnulls[0] = PG_ARGISNULL(0);
	args[0] = argnulls[0] ? (Datum) 0 : PG_GETARG_DATUM(0);
	SPI_connect();
	replay = commerce_command_begin(&cmd, "create_order",
									PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1), 1, args,
									(Oid[]) {JSONBOID}, argnulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	if (argnulls[0])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("data is required")));
	commerce_parse_object(PG_GETARG_JSONB_P(0), "order", fields, lengthof(fields), in);

	order->tenant = cmd.tenant;
	commerce_uuid_v7(&order->id);
	commerce_require_currency(DatumGetTextPP(in[0].value));
	text_to_cstring_buffer(DatumGetTextPP(in[0].value), order->currency, sizeof(order->currency));
	if (in[1].present && !in[1].isnull)
		order->customer_id = *DatumGetUUIDP(in[1].value);
	order_customer_for_actor(in[1].present && !in[1].isnull, &order->customer_id,
							 &order->has_customer);
	order_parse_lines(in[2].present && !in[2].isnull ? DatumGetJsonbP(in[2].value) : NULL, order);
	order->metadata = in[3].present && !in[3].isnull ? DatumGetJsonbP(in[3].value)
		: DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	strlcpy(order->status, "draft", sizeof(order->status));
	strlcpy(order->payment_status, "unpaid", sizeof(order->payment_status));
	order->version = 1;
	order->has_at[ORDER_CREATED_AT] = order->has_at[ORDER_UPDATED_AT] = true;
	order->at[ORDER_CREATED_AT] = order->at[ORDER_UPDATED_AT] = GetCurrentTransactionStartTimestamp();

	/* live view first: it checks every variant exists before writing */
	order_price(order, false);
	order_insert(order);
	for (i = 0; i < order->nlines; i++)
		order_line_insert(order, &order->lines[i], false);
	result = order_render(order, true);
	order_emit(order, "order.created", result);
	PG_RETURN_JSONB_P(finish_with(&cmd, result));
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
	require_order_argument(fcinfo, 0);
	id = PG_GETARG_UUID_P(0);
	SPI_connect();
	if (!order_load(&tenant, id, false, &order))
		commerce_not_found("order", id);
	order_load_lines(&order);
	if (strcmp(order.status, "draft") == 0)
		order_price(&order, false);
	result = order_render(&order, true);
	result = DatumGetJsonbP(SPI_datumTransfer(JsonbPGetDatum(result), false, -1));
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/*
 * commerce.list_orders(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb
 *		Newest first, without lines; a draft's totals are null here (they
 *		are live: read the order).
 */
Datum
commerce_list_orders(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_list = NULL;
	pg_uuid_t	tenant;
	int32		limit;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Jsonb	   *page;

	commerce_query_begin(&tenant);
	limit = commerce_list_limit(fcinfo, 0);
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = Int32GetDatum(limit);
	if (!commerce_list_cursor(fcinfo, 1, &values[2]))
		nulls[2] = 'n';
	SPI_connect();
	commerce_prepare(&plan_list,
					 "WITH page AS ("
					 "  SELECT id, pg_catalog.jsonb_build_object('id', id::text, 'number', number,"
					 "   'customer_id', customer_id::text, 'status', status,"
					 "   'payment_status', payment_status, 'currency', currency,"
					 "   'subtotal', CASE WHEN status <> 'draft' THEN subtotal END,"
					 "   'tax_total', CASE WHEN status <> 'draft' THEN tax_total END,"
					 "   'total', CASE WHEN status <> 'draft' THEN total END,"
					 "   'version', version,"
					 "   'created_at', " COMMERCE_SQL_TIMESTAMP("created_at") ","
					 "   'updated_at', " COMMERCE_SQL_TIMESTAMP("updated_at") ","
					 "   'placed_at', " COMMERCE_SQL_TIMESTAMP("placed_at") ") AS item"
					 "  FROM commerce.orders"
					 "  WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 "    AND ($3 IS NULL OR id OPERATOR(pg_catalog.<) $3)"
					 "  ORDER BY id DESC LIMIT $2 + 1)"
					 " SELECT pg_catalog.jsonb_build_object("
					 "  'data', COALESCE((SELECT pg_catalog.jsonb_agg(item ORDER BY id DESC)"
					 "                   FROM (SELECT * FROM page ORDER BY id DESC LIMIT $2) shown),"
					 "                  '[]'::jsonb),"
					 "  'next_cursor', CASE WHEN (SELECT pg_catalog.count(*) FROM page) > $2"
					 "                 THEN (SELECT id::text FROM page ORDER BY id DESC OFFSET $2 - 1 LIMIT 1) END)",
					 3, (Oid[]) {UUIDOID, INT4OID, UUIDOID});
	commerce_execute(plan_list, values, nulls, true, 1);
	page = commerce_result_jsonb(1);
	SPI_finish();
	PG_RETURN_JSONB_P(page);
}

/*
 * commerce.place_order(id uuid, expected_version bigint DEFAULT NULL,
 *						idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_place_order(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	Datum		args[2];
	bool		argnulls[2];
	Jsonb	   *replay;
	Jsonb	   *result;
	pg_uuid_t  *id;
	Order		order;
	int			i;

	for (i = 0; i < 2; i++)
	{
		argnulls[i] = PG_ARGISNULL(i);
		args[i] = argnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	SPI_connect();
	replay = commerce_command_begin(&cmd, "place_order",
									PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2), 2, args,
									(Oid[]) {UUIDOID, INT8OID}, argnulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	require_order_argument(fcinfo, 0);
	id = PG_GETARG_UUID_P(0);
	if (!order_load(&cmd.tenant, id, true, &order))
		commerce_not_found("order", id);
	commerce_check_version("order", !argnulls[1], argnulls[1] ? 0 : PG_GETARG_INT64(1),
						   order.version);
	order_require_transition(&order, ORDER_PLACE);
	order_load_lines(&order);
	if (order.nlines == 0)
		order_reserve_and_number(&order);	/* raises order_empty */
	order_price(&order, true);
	order_reserve_and_number(&order);
	for (i = 0; i < order.nlines; i++)
		order_line_snapshot(&order, &order.lines[i]);
	order_store_placed(&order);
	result = order_render(&order, true);
	order_emit(&order, "order.placed", result);
	PG_RETURN_JSONB_P(finish_with(&cmd, result));
}

/*
 * Shared body of cancel_order and fulfil_order(id uuid, expected_version
 * bigint DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb.
 */
static Datum
order_status_command(FunctionCallInfo fcinfo, const char *name, OrderCommand command)
{
	CommerceCommand cmd;
	Datum		args[2];
	bool		argnulls[2];
	Jsonb	   *replay;
	Jsonb	   *result;
	pg_uuid_t  *id;
	Order		order;
	Datum		values[4];
	bool		was_placed;
	const char *new_status = command == ORDER_CANCEL ? "cancelled" : "fulfilled";
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int			i;

	for (i = 0; i < 2; i++)
	{
		argnulls[i] = PG_ARGISNULL(i);
		args[i] = argnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	SPI_connect();
	replay = commerce_command_begin(&cmd, name,
									PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2), 2, args,
									(Oid[]) {UUIDOID, INT8OID}, argnulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	commerce_require_staff(command == ORDER_CANCEL ? "cancel orders" : "fulfil orders");
	require_order_argument(fcinfo, 0);
	id = PG_GETARG_UUID_P(0);
	if (!order_load(&cmd.tenant, id, true, &order))
		commerce_not_found("order", id);
	commerce_check_version("order", !argnulls[1], argnulls[1] ? 0 : PG_GETARG_INT64(1),
						   order.version);
	order_require_transition(&order, command);
	order_load_lines(&order);
	was_placed = strcmp(order.status, "draft") != 0;

	/* stock rows in variant order, as placing locks them */
	if (was_placed)
	{
		OrderLine  *sorted = palloc(sizeof(OrderLine) * (order.nlines + 1));

		memcpy(sorted, order.lines, sizeof(OrderLine) * order.nlines);
		qsort(sorted, order.nlines, sizeof(OrderLine), compare_lines_by_variant);
		for (i = 0; i < order.nlines; i++)
		{
			if (command == ORDER_CANCEL)
				commerce_release_stock(&order.tenant, &sorted[i].variant_id, sorted[i].quantity);
			else
				commerce_fulfil_stock(&order.tenant, &sorted[i].variant_id, sorted[i].quantity);
		}
	}
	if (command == ORDER_CANCEL && commerce_order_cancel_hook != NULL)
		(*commerce_order_cancel_hook) (&order.tenant, &order.id);

	commerce_prepare(&plan_set_status,
					 "UPDATE commerce.orders SET status = $3, updated_at = $4,"
					 " cancelled_at = CASE WHEN $3 OPERATOR(pg_catalog.=) 'cancelled' THEN $4 ELSE cancelled_at END,"
					 " fulfilled_at = CASE WHEN $3 OPERATOR(pg_catalog.=) 'fulfilled' THEN $4 ELSE fulfilled_at END,"
					 " version = version OPERATOR(pg_catalog.+) 1"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 4, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(&order.tenant);
	values[1] = UUIDPGetDatum(&order.id);
	values[2] = CStringGetTextDatum(new_status);
	values[3] = TimestampTzGetDatum(now);
	commerce_execute(plan_set_status, values, NULL, false, 0);
	/* the hook may have changed payment figures: show the row as stored */
	if (!order_load(&cmd.tenant, id, false, &order))
		elog(ERROR, "order %s vanished", commerce_uuid_string(id));
	order_load_lines(&order);
	if (!was_placed)
		order_price(&order, false);
	result = order_render(&order, true);
	order_emit(&order, command == ORDER_CANCEL ? "order.cancelled" : "order.fulfilled", result);
	PG_RETURN_JSONB_P(finish_with(&cmd, result));
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

/* --- payments --------------------------------------------------------- */

static const char *
payment_status_for(const Order *order, int64 authorized, int64 captured, int64 refunded)
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
 * apply_payment_totals
 *		Body of commerce_order_apply_payment_totals; returns the order as
 *		rendered after the change.
 */
static Jsonb *
apply_payment_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
					 int64 authorized, int64 captured, int64 refunded)
{
	Order		order;
	const char *payment_status;
	const char *event = NULL;
	char		status[16];
	Datum		values[8];
	TimestampTz now = GetCurrentTransactionStartTimestamp();
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
	if (!order_load(tenant, order_id, true, &order))
		commerce_not_found("order", order_id);
	if (strcmp(order.status, "draft") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("order %s is a draft and cannot take payments",
						commerce_uuid_string(order_id)),
				 errhint("Place the order first.")));
	payment_status = payment_status_for(&order, authorized, captured, refunded);
	strlcpy(status, order.status, sizeof(status));
	if (strcmp(status, "placed") == 0 && refunded == 0 && captured >= order.total && captured > 0)
	{
		strlcpy(status, "paid", sizeof(status));
		event = "order.paid";
	}
	else if ((strcmp(status, "paid") == 0 || strcmp(status, "fulfilled") == 0) &&
			 captured > 0 && refunded >= captured)
	{
		strlcpy(status, "refunded", sizeof(status));
		event = "order.refunded";
	}

	commerce_prepare(&plan_payment_totals,
					 "UPDATE commerce.orders SET amount_authorized = $3, amount_captured = $4,"
					 " amount_refunded = $5, payment_status = $6, status = $7, updated_at = $8,"
					 " paid_at = CASE WHEN $7 OPERATOR(pg_catalog.=) 'paid' AND status OPERATOR(pg_catalog.<>) 'paid' THEN $8 ELSE paid_at END,"
					 " refunded_at = CASE WHEN $7 OPERATOR(pg_catalog.=) 'refunded' AND status OPERATOR(pg_catalog.<>) 'refunded' THEN $8 ELSE refunded_at END,"
					 " version = version OPERATOR(pg_catalog.+) 1"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 8, (Oid[]) {UUIDOID, UUIDOID, INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID,
		TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(order_id);
	values[2] = Int64GetDatum(authorized);
	values[3] = Int64GetDatum(captured);
	values[4] = Int64GetDatum(refunded);
	values[5] = CStringGetTextDatum(payment_status);
	values[6] = CStringGetTextDatum(status);
	values[7] = TimestampTzGetDatum(now);
	commerce_execute(plan_payment_totals, values, NULL, false, 0);
	if (!order_load(tenant, order_id, false, &order))
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
	int			i;

	commerce_require_tenant(&tenant);
	for (i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("order_apply_payment_totals arguments must not be null")));
	PG_RETURN_JSONB_P(apply_payment_totals(&tenant, PG_GETARG_UUID_P(0), PG_GETARG_INT64(1),
										   PG_GETARG_INT64(2), PG_GETARG_INT64(3)));
}
