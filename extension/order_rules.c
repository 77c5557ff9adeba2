/*-------------------------------------------------------------------------
 *
 * order_rules.c
 *	  The business rules of orders (docs/orders.md): the state machine, who
 *	  an order is for, a new draft from a request body, the catalog facts of
 *	  a line, and pricing with discounts, shipping and tax
 *	  (resolve_price.c, promotion_rules.c, shipping_rules.c, tax_rules.c);
 *	  order_settle.c has the stock steps and what payment totals mean. The
 *	  commands in orders.c, order_lines.c and checkout.c are these rules in
 *	  sequence over the rows order_store.c reads and writes.
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

#include "catalog_cache.h"
#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "inventory.h"
#include "order_rules.h"
#include "promotions.h"
#include "resolve_price.h"
#include "shipping_rules.h"
#include "storefront_context.h"
#include "order_pricing_sql.h"
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

static void customer_for_actor(bool given, pg_uuid_t *customer, bool *has_customer);
static void parse_lines(Jsonb *lines, Order *order);
static Order *new_draft(FunctionCallInfo fcinfo, int data_arg, const pg_uuid_t *tenant,
						bool lines_required);
static bool read_lines_catalog(const Order *order, const TaxRates *rates, TimestampTz at,
							   CatalogLine *facts);
static void catalog_line_from_row(HeapTuple row, TupleDesc desc, CatalogLine *c);
static bool line_from_catalog(const Order *order, const TaxRates *rates, OrderLine *line,
							  const CatalogLine *c, bool placing);
static void order_totals(Order *order, int64 tax_total);

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
 *		Staff may name any customer of the tenant (not_found otherwise,
 *		when the order is written).
 */
static void
customer_for_actor(bool given, pg_uuid_t *customer, bool *has_customer)
{
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
	/* an unknown customer is not_found when the order is written: its
	 * foreign key is the one check (order_store.c, write_order) */
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
		ORDER_ADDRESS_FIELDS,
		{"shipping_method_id", CF_UUID, false, 0},
	};
	static const CommerceField checkout_fields[] = {
		{"currency", CF_TEXT, true, 3},
		{"customer_id", CF_UUID, false, 0},
		{"lines", CF_ARRAY, true, ORDER_LINES_MAX},
		{"metadata", CF_OBJECT, false, 50},
		ORDER_ADDRESS_FIELDS,
		{"shipping_method_id", CF_UUID, false, 0},
		{"discount_code", CF_TEXT, false, 64},	/* promotions.h */
	};
	CommerceValue in[lengthof(checkout_fields)];
	Order	   *order = palloc0(sizeof(Order));
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	commerce_require_arg(fcinfo, data_arg, "data");
	commerce_parse_object(PG_GETARG_JSONB_P(data_arg), "order", lines_required ? checkout_fields : draft_fields,
						  lines_required ? lengthof(checkout_fields) : lengthof(draft_fields), in);
	order->tenant = *tenant;
	/* a storefront creates the guest cart it was granted (530_storefront.sql) */
	if (!commerce_actor_is_storefront() || !commerce_storefront_cart(&order->id))
		commerce_uuid_v7(&order->id);
	commerce_require_known_currency(DatumGetTextPP(in[0].value));
	text_to_cstring_buffer(DatumGetTextPP(in[0].value), order->currency, sizeof(order->currency));
	if (in[1].present && !in[1].isnull)
		order->customer_id = *DatumGetUUIDP(in[1].value);
	customer_for_actor(in[1].present && !in[1].isnull, &order->customer_id,
					   &order->has_customer);
	parse_lines(in[2].present && !in[2].isnull ? DatumGetJsonbP(in[2].value) : NULL, order);
	order->metadata = in[3].present && !in[3].isnull ? DatumGetJsonbP(in[3].value)
		: DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	/* addresses and shipping method (docs/shipping.md): checked by pricing */
	(void) order_addresses_apply(order, &in[4]);
	if (in[8].present && !in[8].isnull)
	{
		order->has_shipping_method = true;
		order->shipping_method_id = *DatumGetUUIDP(in[8].value);
		order->shipping_strict = true;
	}
	if (lines_required && in[9].present && !in[9].isnull)
		order->discount_code = promotion_code_normalize(text_to_cstring(DatumGetTextPP(in[9].value)),
														"order.discount_code");
	strlcpy(order->status, "draft", sizeof(order->status));
	strlcpy(order->payment_status, "unpaid", sizeof(order->payment_status));
	order->version = 1;
	order->is_new = true;
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

static const char *const lines_catalog_sql[4] = {
	[0] = LINES_CATALOG_SQL(" false"),
	[PROBE_AUTOMATIC] = LINES_CATALOG_SQL(AUTOMATIC_PROBE_SQL),
	[PROBE_CODES] = LINES_CATALOG_SQL(CODES_PROBE_SQL),
	[PROBE_AUTOMATIC | PROBE_CODES] = LINES_CATALOG_SQL(AUTOMATIC_PROBE_SQL " OR" CODES_PROBE_SQL),
};
/* [with GROUP_SQL][with RATE_SQL][probe] */
static SPIPlanPtr plan_lines_catalog[2][2][4];

/*
 * read_lines_catalog
 *		Every line's catalog facts, price tier and (rates NULL) tax rate into
 *		facts[i], found = false for a variant the tenant lacks; returns
 *		whether an automatic promotion or a code might apply (the probe).
 *		From the shared catalog cache (catalog_cache.c) when it can answer
 *		(no probe to run, no customer group in play, rates kept in C),
 *		after it read what it lacked. Otherwise (a variant it does not
 *		keep: unknown, inactive product) one statement (order_line_catalog,
 *		COMMERCE_PRICE_TIER_SQL and TAX_RATE_SQL over the lines' arrays),
 *		a row per line in line order. The customer's group is read once
 *		(orders.customer_id's foreign key: it exists).
 */
static bool
read_lines_catalog(const Order *order, const TaxRates *rates, TimestampTz at, CatalogLine *facts)
{
	SPIPlanPtr *plan;
	bool		group;
	bool		cacheable;
	Datum	   *variants = palloc(sizeof(Datum) * (order->nlines + 1));
	Datum	   *quantities = palloc(sizeof(Datum) * (order->nlines + 1));
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	bool		possible;
	int			probe = 0;
	int			i;
	uint64		since = 0;
	uint64		catalog_since = 0;

	/*
	 * The probe: no order_discounts row can name a new order, and a tenant
	 * this backend knows to have no active automatic promotion needs no
	 * look at promotions (promotion_presence.c). Each variant is its own
	 * kept plan: a sub-plan that is never run still costs its start-up.
	 */
	if (!promotion_automatic_absent(&order->tenant, &since))
		probe |= PROBE_AUTOMATIC;
	if (!order->is_new)
		probe |= PROBE_CODES;
	group = order->has_customer && price_group_lists_present(&order->tenant);
	cacheable = probe == 0 && !group && rates != NULL;
	if (cacheable)
	{
		if (catalog_cache_lines(&order->tenant, order->currency, at, order->nlines,
								order->lines, facts, &catalog_since))
			return false;
		/* a tenant missed often is read (catalog_cache.c), then asked again */
		if (catalog_cache_keep(&order->tenant, order->nlines, order->lines, catalog_since) &&
			catalog_cache_lines(&order->tenant, order->currency, at, order->nlines,
								order->lines, facts, &catalog_since))
			return false;
	}
	/* generic: the arrays make a custom plan look cheaper, re-planned each call */
	plan = &plan_lines_catalog[group][rates == NULL][probe];
	if (*plan == NULL)
		commerce_prepare_generic(plan, psprintf(lines_catalog_sql[probe],
												rates == NULL ? RATE_COLUMN_SQL : "NULL::integer",
												group ? GROUP_SQL : "NULL::pg_catalog.uuid",
												rates == NULL ? RATE_SQL : ""),
								 7, (Oid[]) {UUIDOID, UUIDARRAYOID, INT4ARRAYOID, TEXTOID,
			UUIDOID, TIMESTAMPTZOID, UUIDOID});
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
	values[6] = UUIDPGetDatum(&order->id);
	if (commerce_execute(*plan, values, nulls, true, 0) != (uint64) order->nlines)
		elog(ERROR, "pricing returned " UINT64_FORMAT " rows for %d lines",
			 SPI_processed, order->nlines);
	for (i = 0; i < order->nlines; i++)
		catalog_line_from_row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &facts[i]);
	possible = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 9,
										  &isnull));
	/* false with the automatic probe in it: learn it now the rows are read */
	if ((probe & PROBE_AUTOMATIC) && !possible)
		promotion_automatic_learned(&order->tenant, since);
	return possible;
}

/* A row of read_lines_catalog's statement as a CatalogLine. */
static void
catalog_line_from_row(HeapTuple row, TupleDesc desc, CatalogLine *c)
{
	bool		isnull;
	Datum		d;

	memset(c, 0, sizeof(CatalogLine));
	c->found = DatumGetBool(SPI_getbinval(row, desc, 1, &isnull));
	if (!c->found)
		return;
	c->sku = SPI_getvalue(row, desc, 2);
	c->title = SPI_getvalue(row, desc, 3);
	c->tax_category = SPI_getvalue(row, desc, 4);
	c->product_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 10, &isnull));
	d = SPI_getbinval(row, desc, 11, &isnull);
	c->has_category = !isnull;
	if (!isnull)
		c->category_id = *DatumGetUUIDP(d);
	d = SPI_getbinval(row, desc, 12, &isnull);
	c->has_weight = !isnull;
	c->weight_grams = isnull ? 0 : DatumGetInt32(d);
	d = SPI_getbinval(row, desc, 5, &isnull);
	c->active = !isnull && DatumGetBool(d);
	d = SPI_getbinval(row, desc, 6, &isnull);
	c->priced = !isnull;
	if (!c->priced)
		return;
	c->amount = DatumGetInt64(d);
	c->price_list_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 7, &isnull));
	d = SPI_getbinval(row, desc, 8, &isnull);
	c->has_rate = !isnull;
	c->rate_ppm = isnull ? 0 : DatumGetInt32(d);
}

/*
 * line_from_catalog
 *		Line i from facts i of read_lines_catalog, with the errors of the
 *		per-line rules in their order: not_found (variant), then with
 *		placing variant_not_available and no_price. False when unpriced.
 */
static bool
line_from_catalog(const Order *order, const TaxRates *rates, OrderLine *line,
				  const CatalogLine *c, bool placing)
{
	if (!c->found)
		commerce_not_found("variant", &line->variant_id);
	line->sku = c->sku;
	line->title = c->title;
	line->tax_category = c->tax_category;
	line->product_id = c->product_id;
	line->has_category = c->has_category;
	line->category_id = c->category_id;
	line->has_weight = c->has_weight;
	line->weight_grams = c->weight_grams;
	if (placing && !c->active)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("variant_not_available"),
				 errmsg("variant %s cannot be ordered", commerce_uuid_string(&line->variant_id)),
				 errdetail("Its product is not active.")));
	line->priced = line->has_price_list = c->priced;
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
	line->unit_amount = c->amount;
	line->price_list_id = c->price_list_id;
	line->tax_rate_ppm = rates != NULL ? tax_rate_of(rates, line->tax_category)
		: c->has_rate ? c->rate_ppm : 0;
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
 *		At most two statements whatever the number of lines: the tax
 *		settings (remembered per backend: tax_settings_for_pricing), and
 *		read_lines_catalog's (none when its cache answers); one more with
 *		a shipping method (shipping_quote: its charge is taxed with the
 *		lines, docs/shipping.md). The total is order_compute_total's.
 */
void
order_price(Order *order, bool placing)
{
	int64	   *amounts = palloc(sizeof(int64) * (order->nlines + 1));
	int32	   *rates = palloc(sizeof(int32) * (order->nlines + 1));
	int64	   *taxes = palloc(sizeof(int64) * (order->nlines + 1));
	int		   *priced_index = palloc(sizeof(int) * (order->nlines + 1));
	int			npriced = 0;
	int			nshipping = 0;
	int64		goods = 0;
	int			i;

	int64		net_subtotal;
	int64		tax_total;
	int64		net_total;
	CatalogLine *facts = palloc(sizeof(CatalogLine) * (order->nlines + 1));
	TaxRates	tenant_rates;
	const TaxRates *kept_rates;

	tax_settings_for_pricing(&order->tenant, &order->tax);
	kept_rates = tax_rates_for_pricing(&order->tenant, &tenant_rates) ? &tenant_rates : NULL;
	order->all_priced = true;
	order->promotions_possible = false;
	if (order->nlines > 0)
		order->promotions_possible =
			read_lines_catalog(order, kept_rates, GetCurrentTransactionStartTimestamp(), facts);
	for (i = 0; i < order->nlines; i++)
	{
		OrderLine  *line = &order->lines[i];

		line->discount_amount = 0;
		if (!line_from_catalog(order, kept_rates, line, &facts[i], placing))
		{
			order->all_priced = false;
			continue;
		}
		priced_index[npriced++] = i;
	}
	/* discounts first: tax is on what the customer pays (promotions.h) */
	order->ndiscounts = 0;
	if (order->promotions_possible || order->discount_code != NULL)
		promotion_apply(order, placing);
	for (i = 0; i < npriced; i++)
	{
		OrderLine  *line = &order->lines[priced_index[i]];

		amounts[i] = line->amount - line->discount_amount;
		rates[i] = line->tax_rate_ppm;
		goods = commerce_add_amounts(goods, amounts[i]);
	}
	/* shipping (docs/shipping.md): priced on the goods after discounts,
	 * taxed as one more line at its rate */
	order->shipping_total = order->shipping_tax = 0;
	if (order->has_shipping_method)
	{
		if (shipping_quote(order, goods, placing || order->shipping_strict))
		{
			amounts[npriced] = order->shipping_total;
			rates[npriced] = order->shipping_tax_rate_ppm;
			nshipping = 1;
		}
		else
			order->all_priced = false;
	}
	tax_compute(npriced + nshipping, amounts, rates, &order->tax, taxes,
				&net_subtotal, &tax_total, &net_total);
	for (i = 0; i < npriced; i++)
		order->lines[priced_index[i]].tax_amount = taxes[i];
	order->shipping_ok = nshipping == 1;
	order->shipping_tax = nshipping ? taxes[npriced] : 0;
	order_totals(order, tax_total);
}

/*
 * order_totals
 *		An order's figures from its priced lines: subtotal (before
 *		discounts), discount_total, tax_total (the lines' and the shipping
 *		charge's), then the total (order_compute_total).
 */
static void
order_totals(Order *order, int64 tax_total)
{
	int64		subtotal = 0;
	int64		discounts = 0;

	for (int i = 0; i < order->nlines; i++)
	{
		if (!order->lines[i].priced)
			continue;
		subtotal = commerce_add_amounts(subtotal, order->lines[i].amount);
		discounts = commerce_add_amounts(discounts, order->lines[i].discount_amount);
	}
	order->subtotal = subtotal;
	order->discount_total = discounts;
	order->tax_total = tax_total;
	order_compute_total(order);
}

/*
 * order_compute_total
 *		The one place the total is computed (docs/orders.md, Totals):
 *		total = subtotal - discount_total + shipping_total + tax_total,
 *		without tax_total when prices include tax (it is inside the
 *		amounts). Plugin adjustments (hooks.c) are added when stored; the
 *		table's orders_total_is_sum checks the same sum.
 */
void
order_compute_total(Order *order)
{
	int64		total = commerce_add_amounts(order->subtotal - order->discount_total,
											 order->shipping_total);

	if (!order->tax.prices_include_tax)
		total = commerce_add_amounts(total, order->tax_total);
	order->total = total;
}
