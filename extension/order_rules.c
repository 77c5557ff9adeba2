/*-------------------------------------------------------------------------
 *
 * order_rules.c
 *	  The business rules of orders (docs/orders.md): the state machine, who
 *	  an order is for, a new draft from a request body, the catalog facts of
 *	  a line, pricing with tax (resolve_price.c, tax_rules.c), the stock and
 *	  numbering steps of placing, and what payment totals mean for an
 *	  order. The commands in orders.c, order_lines.c and checkout.c are
 *	  these rules in sequence over the rows order_store.c reads and writes.
 *
 * extension/order_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "inventory.h"
#include "order_rules.h"
#include "resolve_price.h"
#include "storefront_context.h"
#include "tax_rules.h"
#include "tenant_context.h"
#include "uuid.h"

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

static SPIPlanPtr plan_catalog = NULL;
static SPIPlanPtr plan_lines_catalog = NULL;
static SPIPlanPtr plan_customer_exists = NULL;

static void customer_for_actor(const pg_uuid_t *tenant, bool given, pg_uuid_t *customer,
							   bool *has_customer);
static void parse_lines(Jsonb *lines, Order *order);
static Order *new_draft(FunctionCallInfo fcinfo, int data_arg, const pg_uuid_t *tenant,
						bool lines_required);
static OrderLine *lines_by_variant(const Order *order);
static int	compare_lines_by_variant(const void *a, const void *b);
static void read_lines_catalog(const Order *order, TimestampTz at);
static bool line_from_catalog(const Order *order, OrderLine *line, HeapTuple row,
							  TupleDesc desc, bool placing);

/* --- the state machine --------------------------------------------------- */

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
 * order_lock_for_command
 *		The start of every command on an existing order (its id is the
 *		command's first argument): lock its row, check the expected_version
 *		argument, check the state machine allows the command, and read its
 *		lines.
 */
void
order_lock_for_command(FunctionCallInfo fcinfo, int expected_arg, const pg_uuid_t *tenant,
					   OrderCommand command, Order *order)
{
	pg_uuid_t  *id = commerce_uuid_arg(fcinfo, 0, "order id");

	order_lock_expected(fcinfo, expected_arg, tenant, id, order);
	order_require_transition(order, command);
	order_load_lines(order);
}

/*
 * order_command_begin
 *		The opening of place_order, cancel_order and fulfil_order(id uuid,
 *		expected_version bigint, idempotency_key text): commerce_write_begin,
 *		then order_lock_for_command. Returns a replay, or NULL with the
 *		order locked and read.
 */
Jsonb *
order_command_begin(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
					const char *staff_action, OrderCommand command, Order *order)
{
	Jsonb	   *replay = commerce_write_begin(cmd, name, fcinfo, 2, staff_action);

	if (replay == NULL)
		order_lock_for_command(fcinfo, 1, &cmd->tenant, command, order);
	return replay;
}

/* --- a new order ------------------------------------------------------------ */

/*
 * customer_for_actor
 *		The customer of a new order. A customer actor orders for itself:
 *		customer_id defaults to its subject and may not name anyone else.
 *		Staff may name any customer of the tenant (not_found otherwise).
 */
static void
customer_for_actor(const pg_uuid_t *tenant, bool given, pg_uuid_t *customer,
				   bool *has_customer)
{
	Datum		values[2];

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
	else if (given && commerce_actor_is_storefront())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("a publishable key creates guest carts only"),
				 errhint("A customer claims a guest order later (docs/storefront.md).")));
	else
		*has_customer = given;
	if (!given)
		return;
	commerce_prepare(&plan_customer_exists,
					 "SELECT 1 FROM commerce.customers"
					 COMMERCE_BY_ID,
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(customer);
	if (commerce_execute(plan_customer_exists, values, NULL, true, 1) == 0)
		commerce_not_found("customer", customer);
}

/* The line of a variant in the order, or -1. */
int
order_find_variant(const Order *order, const pg_uuid_t *variant)
{
	int			i;

	for (i = 0; i < order->nlines; i++)
		if (memcmp(order->lines[i].variant_id.data, variant->data, UUID_LEN) == 0)
			return i;
	return -1;
}

/* A variant ordered twice is one line with the sum, within the maximum. */
int32
order_add_quantity(const pg_uuid_t *variant, int32 have, int32 more)
{
	if (have + more > ORDER_QUANTITY_MAX)
		ereport_invalid_input("quantity of variant %s must not exceed %d",
							  commerce_uuid_string(variant), ORDER_QUANTITY_MAX);
	return have + more;
}

/*
 * parse_lines
 *		Parse a "lines" array of {variant_id, quantity} into order->lines
 *		(new ids; a variant given twice is one line with the sum).
 */
static void
parse_lines(Jsonb *lines, Order *order)
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
		return;
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
			ereport_invalid_input("field \"order.lines[%d]\" must be an object", n);
		commerce_parse_object(JsonbValueToJsonb(&v), psprintf("order.lines[%d]", n),
							  fields, lengthof(fields), in);
		n++;
		variant = DatumGetUUIDP(in[0].value);
		quantity = DatumGetInt32(in[1].value);
		if (quantity < 1 || quantity > ORDER_QUANTITY_MAX)
			ereport_invalid_input("field \"order.lines[%d].quantity\" must be between 1 and %d",
								  n - 1, ORDER_QUANTITY_MAX);
		i = order_find_variant(order, variant);
		if (i >= 0)
		{
			order->lines[i].quantity = order_add_quantity(variant, order->lines[i].quantity,
														  quantity);
			continue;
		}
		commerce_uuid_v7(&order->lines[order->nlines].id);
		order->lines[order->nlines].variant_id = *variant;
		order->lines[order->nlines].quantity = quantity;
		order->nlines++;
	}
}

/*
 * new_draft
 *		A new draft order of the tenant, in memory, from the data argument
 *		data_arg of create_order or checkout: {currency, customer_id?, lines, metadata?},
 *		lines required for checkout. Strict: nothing is written for bad
 *		input.
 */
static Order *
new_draft(FunctionCallInfo fcinfo, int data_arg, const pg_uuid_t *tenant,
		  bool lines_required)
{
	static const CommerceField draft_fields[] = {
		{"currency", CF_TEXT, true, 3},
		{"customer_id", CF_UUID, false, 0},
		{"lines", CF_ARRAY, false, ORDER_LINES_MAX},
		{"metadata", CF_OBJECT, false, 50},
	};
	static const CommerceField checkout_fields[] = {
		{"currency", CF_TEXT, true, 3},
		{"customer_id", CF_UUID, false, 0},
		{"lines", CF_ARRAY, true, ORDER_LINES_MAX},
		{"metadata", CF_OBJECT, false, 50},
	};
	CommerceValue in[lengthof(draft_fields)];
	Order	   *order = palloc0(sizeof(Order));
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	commerce_require_arg(fcinfo, data_arg, "data");
	commerce_parse_object(PG_GETARG_JSONB_P(data_arg), "order", lines_required ? checkout_fields : draft_fields,
						  lengthof(draft_fields), in);
	order->tenant = *tenant;
	/* a storefront creates the guest cart it was granted (530_storefront.sql) */
	if (!commerce_actor_is_storefront() || !commerce_storefront_cart(&order->id))
		commerce_uuid_v7(&order->id);
	commerce_require_currency(DatumGetTextPP(in[0].value));
	text_to_cstring_buffer(DatumGetTextPP(in[0].value), order->currency, sizeof(order->currency));
	if (in[1].present && !in[1].isnull)
		order->customer_id = *DatumGetUUIDP(in[1].value);
	customer_for_actor(tenant, in[1].present && !in[1].isnull, &order->customer_id,
					   &order->has_customer);
	parse_lines(in[2].present && !in[2].isnull ? DatumGetJsonbP(in[2].value) : NULL, order);
	order->metadata = in[3].present && !in[3].isnull ? DatumGetJsonbP(in[3].value)
		: DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	strlcpy(order->status, "draft", sizeof(order->status));
	strlcpy(order->payment_status, "unpaid", sizeof(order->payment_status));
	order->version = 1;
	order->has_at[ORDER_CREATED_AT] = order->has_at[ORDER_UPDATED_AT] = true;
	order->at[ORDER_CREATED_AT] = order->at[ORDER_UPDATED_AT] = now;
	return order;
}

/*
 * order_create_begin
 *		The opening of create_order and checkout(data jsonb, idempotency_key
 *		text): commerce_write_begin, then the new draft of the data
 *		argument (lines required for checkout). Returns a replay, or NULL
 *		with *order set.
 */
Jsonb *
order_create_begin(CommerceCommand *cmd, const char *name, FunctionCallInfo fcinfo,
				   bool lines_required, Order **order)
{
	Jsonb	   *replay = commerce_write_begin(cmd, name, fcinfo, 1, NULL);

	if (replay == NULL)
		*order = new_draft(fcinfo, 0, &cmd->tenant, lines_required);
	return replay;
}

/* --- pricing ----------------------------------------------------------------- */

/*
 * order_line_catalog
 *		SKU, title (product title, plus the variant's own title when it has
 *		one) and tax category of a variant from the catalog; not_found when
 *		the tenant has no such variant, and with orderable,
 *		variant_not_available unless its product is active.
 */
void
order_line_catalog(const pg_uuid_t *tenant, const pg_uuid_t *variant, OrderLine *line,
				   bool orderable)
{
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;

	commerce_require_row(&plan_catalog,
						 "SELECT v.sku,"
						 " CASE WHEN v.title IS NULL OR v.title OPERATOR(pg_catalog.=) ''"
						 "      OR v.title OPERATOR(pg_catalog.=) p.title THEN p.title"
						 "      ELSE p.title OPERATOR(pg_catalog.||) ' - ' OPERATOR(pg_catalog.||) v.title END,"
						 " p.tax_category, p.status OPERATOR(pg_catalog.=) 'active'"
						 " FROM commerce.variants v JOIN commerce.products p"
						 "   ON p.tenant_id OPERATOR(pg_catalog.=) v.tenant_id"
						 "  AND p.id OPERATOR(pg_catalog.=) v.product_id"
						 " WHERE v.tenant_id OPERATOR(pg_catalog.=) $1 AND v.id OPERATOR(pg_catalog.=) $2",
						 tenant, variant, "variant", true);
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	line->sku = SPI_getvalue(row, desc, 1);
	line->title = SPI_getvalue(row, desc, 2);
	line->tax_category = SPI_getvalue(row, desc, 3);
	if (orderable && !(DatumGetBool(SPI_getbinval(row, desc, 4, &isnull)) && !isnull))
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("variant_not_available"),
				 errmsg("variant %s cannot be ordered", commerce_uuid_string(variant)),
				 errdetail("Its product is not active.")));
}

/*
 * read_lines_catalog
 *		The catalog facts, winning price tier and tax rate of every line in
 *		one statement (the per-line rules of order_line_catalog,
 *		COMMERCE_PRICE_TIER_SQL and TAX_RATE_SQL over the lines' arrays),
 *		one row per line in the order's line order. A line whose variant the
 *		tenant lacks has found = false and nothing else. The customer's
 *		group is read once by the statement (orders.customer_id has a
 *		foreign key to customers, so the customer exists).
 */
static void
read_lines_catalog(const Order *order, TimestampTz at)
{
	Datum	   *variants = palloc(sizeof(Datum) * (order->nlines + 1));
	Datum	   *quantities = palloc(sizeof(Datum) * (order->nlines + 1));
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int			i;

	/* generic: the arrays make a custom plan look cheaper, re-planned each call */
	commerce_prepare_generic(&plan_lines_catalog,
					 "SELECT v.id IS NOT NULL, v.sku,"
					 " CASE WHEN v.title IS NULL OR v.title OPERATOR(pg_catalog.=) ''"
					 "      OR v.title OPERATOR(pg_catalog.=) cp.title THEN cp.title"
					 "      ELSE cp.title OPERATOR(pg_catalog.||) ' - ' OPERATOR(pg_catalog.||) v.title END,"
					 " cp.tax_category, cp.status OPERATOR(pg_catalog.=) 'active',"
					 " tier.amount, tier.price_list_id, rate.rate_ppm"
					 " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) WITH ORDINALITY AS line(variant_id, quantity, ord)"
					 " LEFT JOIN commerce.variants v"
					 "   ON v.tenant_id OPERATOR(pg_catalog.=) $1"
					 "  AND v.id OPERATOR(pg_catalog.=) line.variant_id"
					 " LEFT JOIN commerce.products cp"
					 "   ON cp.tenant_id OPERATOR(pg_catalog.=) v.tenant_id"
					 "  AND cp.id OPERATOR(pg_catalog.=) v.product_id"
					 " LEFT JOIN LATERAL ("
					 COMMERCE_PRICE_TIER_SQL("line.variant_id", "line.quantity", "$4",
											 "(SELECT c.group_id FROM commerce.customers c"
											 " WHERE c.tenant_id OPERATOR(pg_catalog.=) $1"
											 " AND c.id OPERATOR(pg_catalog.=) $5)", "$6")
					 ") tier ON v.id IS NOT NULL"
					 " LEFT JOIN LATERAL (" TAX_RATE_SQL("cp.tax_category") ") rate"
					 "   ON v.id IS NOT NULL"
					 " ORDER BY line.ord",
					 6, (Oid[]) {UUIDOID, UUIDARRAYOID, INT4ARRAYOID, TEXTOID, UUIDOID,
		TIMESTAMPTZOID});
	for (i = 0; i < order->nlines; i++)
	{
		variants[i] = UUIDPGetDatum(&order->lines[i].variant_id);
		quantities[i] = Int32GetDatum(order->lines[i].quantity);
	}
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = PointerGetDatum(construct_array(variants, order->nlines, UUIDOID, UUID_LEN,
												false, TYPALIGN_CHAR));
	values[2] = PointerGetDatum(construct_array(quantities, order->nlines, INT4OID, 4,
												true, TYPALIGN_INT));
	values[3] = CStringGetTextDatum(order->currency);
	values[4] = UUIDPGetDatum(&order->customer_id);
	if (!order->has_customer)
		nulls[4] = 'n';
	values[5] = TimestampTzGetDatum(at);
	if (commerce_execute(plan_lines_catalog, values, nulls, true, 0) != (uint64) order->nlines)
		elog(ERROR, "pricing returned " UINT64_FORMAT " rows for %d lines",
			 SPI_processed, order->nlines);
}

/*
 * line_from_catalog
 *		Line i from row i of read_lines_catalog, with the errors of the
 *		per-line rules in their order: not_found (variant), then with
 *		placing variant_not_available and no_price. False when unpriced.
 */
static bool
line_from_catalog(const Order *order, OrderLine *line, HeapTuple row, TupleDesc desc,
				  bool placing)
{
	bool		isnull;
	Datum		d;

	if (!DatumGetBool(SPI_getbinval(row, desc, 1, &isnull)))
		commerce_not_found("variant", &line->variant_id);
	line->sku = SPI_getvalue(row, desc, 2);
	line->title = SPI_getvalue(row, desc, 3);
	line->tax_category = SPI_getvalue(row, desc, 4);
	d = SPI_getbinval(row, desc, 5, &isnull);
	if (placing && !(!isnull && DatumGetBool(d)))
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("variant_not_available"),
				 errmsg("variant %s cannot be ordered", commerce_uuid_string(&line->variant_id)),
				 errdetail("Its product is not active.")));
	d = SPI_getbinval(row, desc, 6, &isnull);
	line->priced = line->has_price_list = !isnull;
	if (!line->priced)
	{
		/* a list's currency is a known one (foreign key): check only on a miss */
		commerce_require_currency(cstring_to_text(order->currency));
		if (placing)
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_NOT_FOUND),
					 commerce_errcode("no_price"),
					 errmsg("no %s price for variant %s at quantity %d",
							order->currency, commerce_uuid_string(&line->variant_id),
							line->quantity),
					 errhint("Add a price to a price list in %s.", order->currency)));
		return false;
	}
	line->unit_amount = DatumGetInt64(d);
	line->price_list_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 7, &isnull));
	d = SPI_getbinval(row, desc, 8, &isnull);
	line->tax_rate_ppm = isnull ? 0 : DatumGetInt32(d);
	line->amount = commerce_multiply_amount(line->unit_amount, line->quantity);
	return true;
}

/*
 * order_price
 *		Price the lines of an order and compute its tax and totals. For a
 *		draft (placing = false) this is the live view: titles, SKUs and
 *		prices come from the catalog and price lists now; a line without a
 *		price is shown unpriced. placing = true snapshots: every line must
 *		be orderable and priced, and the tenant's tax settings are taken.
 *		Two statements whatever the number of lines: the tax settings, and
 *		read_lines_catalog.
 */
void
order_price(Order *order, bool placing)
{
	int64	   *amounts = palloc(sizeof(int64) * (order->nlines + 1));
	int32	   *rates = palloc(sizeof(int32) * (order->nlines + 1));
	int64	   *taxes = palloc(sizeof(int64) * (order->nlines + 1));
	int		   *priced_index = palloc(sizeof(int) * (order->nlines + 1));
	int			npriced = 0;
	int			i;

	tax_settings_load(&order->tenant, &order->tax);
	order->all_priced = true;
	if (order->nlines > 0)
		read_lines_catalog(order, GetCurrentTransactionStartTimestamp());
	for (i = 0; i < order->nlines; i++)
	{
		OrderLine  *line = &order->lines[i];

		if (!line_from_catalog(order, line, SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
							   placing))
		{
			order->all_priced = false;
			continue;
		}
		amounts[npriced] = line->amount;
		rates[npriced] = line->tax_rate_ppm;
		priced_index[npriced++] = i;
	}
	tax_compute(npriced, amounts, rates, &order->tax, taxes,
				&order->subtotal, &order->tax_total, &order->total);
	for (i = 0; i < npriced; i++)
		order->lines[priced_index[i]].tax_amount = taxes[i];
}

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
