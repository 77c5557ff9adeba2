/*-------------------------------------------------------------------------
 *
 * order_lines.c
 *	  Lines of an order: add_order_line, update_order_line and
 *	  remove_order_line (a draft only: the draft is the cart), the catalog
 *	  look-up that gives a line its SKU, title and tax category, and the
 *	  writes of line rows (new lines, and the price snapshot taken when an
 *	  order is placed).
 *
 * extension/order_lines.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "command.h"
#include "errors.h"
#include "orders.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_add_order_line);
PG_FUNCTION_INFO_V1(commerce_update_order_line);
PG_FUNCTION_INFO_V1(commerce_remove_order_line);

static SPIPlanPtr plan_catalog = NULL;
static SPIPlanPtr plan_insert_line = NULL;
static SPIPlanPtr plan_snapshot = NULL;
static SPIPlanPtr plan_set_quantity = NULL;
static SPIPlanPtr plan_delete_line = NULL;

typedef enum LineChange
{
	LINE_ADD,
	LINE_UPDATE,
	LINE_REMOVE
} LineChange;

static Datum change_line(FunctionCallInfo fcinfo, LineChange change);

/*
 * order_line_catalog
 *		SKU, title (product title, plus the variant's own title when it has
 *		one) and tax category of a variant from the catalog, and whether its
 *		product is active; not_found when the tenant has no such variant.
 */
void
order_line_catalog(const pg_uuid_t *tenant, const pg_uuid_t *variant,
				   OrderLine *line, bool *active)
{
	Datum		values[2];
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;

	commerce_prepare(&plan_catalog,
					 "SELECT v.sku,"
					 " CASE WHEN v.title IS NULL OR v.title OPERATOR(pg_catalog.=) ''"
					 "      OR v.title OPERATOR(pg_catalog.=) p.title THEN p.title"
					 "      ELSE p.title OPERATOR(pg_catalog.||) ' - ' OPERATOR(pg_catalog.||) v.title END,"
					 " p.tax_category, p.status OPERATOR(pg_catalog.=) 'active'"
					 " FROM commerce.variants v JOIN commerce.products p"
					 "   ON p.tenant_id OPERATOR(pg_catalog.=) v.tenant_id"
					 "  AND p.id OPERATOR(pg_catalog.=) v.product_id"
					 " WHERE v.tenant_id OPERATOR(pg_catalog.=) $1 AND v.id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(variant);
	if (commerce_execute(plan_catalog, values, NULL, true, 1) == 0)
		commerce_not_found("variant", variant);
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	line->sku = SPI_getvalue(row, desc, 1);
	line->title = SPI_getvalue(row, desc, 2);
	line->tax_category = SPI_getvalue(row, desc, 3);
	*active = DatumGetBool(SPI_getbinval(row, desc, 4, &isnull)) && !isnull;
}

/*
 * order_line_insert
 *		Insert a line; with snapshot, its priced figures too (checkout
 *		inserts lines of an order it places in the same call).
 */
void
order_line_insert(const Order *order, const OrderLine *line, bool snapshot)
{
	Datum		values[13];
	char		nulls[13];
	int			i;

	commerce_prepare(&plan_insert_line,
					 "INSERT INTO commerce.order_lines (tenant_id, id, order_id, variant_id, quantity,"
					 " sku, title, tax_category, price_list_id, unit_amount, amount, tax_rate_ppm,"
					 " tax_amount, created_at, updated_at)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
					 "  pg_catalog.now(), pg_catalog.now())",
					 13, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, INT4OID, TEXTOID, TEXTOID,
		TEXTOID, UUIDOID, INT8OID, INT8OID, INT4OID, INT8OID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&line->id);
	values[2] = UUIDPGetDatum(&order->id);
	values[3] = UUIDPGetDatum(&line->variant_id);
	values[4] = Int32GetDatum(line->quantity);
	if (snapshot)
	{
		values[5] = line->sku ? CStringGetTextDatum(line->sku) : (Datum) 0;
		nulls[5] = line->sku ? ' ' : 'n';
		values[6] = line->title ? CStringGetTextDatum(line->title) : (Datum) 0;
		nulls[6] = line->title ? ' ' : 'n';
		values[7] = line->tax_category ? CStringGetTextDatum(line->tax_category) : (Datum) 0;
		nulls[7] = line->tax_category ? ' ' : 'n';
		values[8] = UUIDPGetDatum(&line->price_list_id);
		nulls[8] = line->has_price_list ? ' ' : 'n';
		values[9] = Int64GetDatum(line->unit_amount);
		values[10] = Int64GetDatum(line->amount);
		values[11] = Int32GetDatum(line->tax_rate_ppm);
		values[12] = Int64GetDatum(line->tax_amount);
	}
	else
		for (i = 5; i < 13; i++)
		{
			values[i] = (Datum) 0;
			nulls[i] = 'n';
		}
	commerce_execute(plan_insert_line, values, nulls, false, 0);
}

/* Store the snapshot place_order took of a draft's line. */
void
order_line_snapshot(const Order *order, const OrderLine *line)
{
	Datum		values[10];
	char		nulls[10];

	commerce_prepare(&plan_snapshot,
					 "UPDATE commerce.order_lines SET sku = $3, title = $4, tax_category = $5,"
					 " price_list_id = $6, unit_amount = $7, amount = $8, tax_rate_ppm = $9,"
					 " tax_amount = $10, updated_at = pg_catalog.now()"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 10, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID, INT8OID,
		INT8OID, INT4OID, INT8OID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&line->id);
	values[2] = line->sku ? CStringGetTextDatum(line->sku) : (Datum) 0;
	nulls[2] = line->sku ? ' ' : 'n';
	values[3] = line->title ? CStringGetTextDatum(line->title) : (Datum) 0;
	nulls[3] = line->title ? ' ' : 'n';
	values[4] = line->tax_category ? CStringGetTextDatum(line->tax_category) : (Datum) 0;
	nulls[4] = line->tax_category ? ' ' : 'n';
	values[5] = UUIDPGetDatum(&line->price_list_id);
	nulls[5] = line->has_price_list ? ' ' : 'n';
	values[6] = Int64GetDatum(line->unit_amount);
	values[7] = Int64GetDatum(line->amount);
	values[8] = Int32GetDatum(line->tax_rate_ppm);
	values[9] = Int64GetDatum(line->tax_amount);
	commerce_execute(plan_snapshot, values, nulls, false, 0);
}

/*
 * change_line
 *		Shared body of the three line commands:
 *		add_order_line(order_id uuid, data jsonb, expected_version, key)
 *		update_order_line(order_id uuid, line_id uuid, data jsonb, expected_version, key)
 *		remove_order_line(order_id uuid, line_id uuid, expected_version, key)
 */
static Datum
change_line(FunctionCallInfo fcinfo, LineChange change)
{
	static const CommerceField add_fields[] = {
		{"variant_id", CF_UUID, true, 0},
		{"quantity", CF_INT32, true, 0},
	};
	static const CommerceField update_fields[] = {
		{"quantity", CF_INT32, true, 0},
	};
	static const char *const names[] = {"add_order_line", "update_order_line", "remove_order_line"};
	/* where expected_version and the key are, per command */
	int			nargs = change == LINE_REMOVE ? 3 : change == LINE_ADD ? 3 : 4;
	int			version_arg = nargs - 1;
	int			key_arg = nargs;
	Oid			add_types[] = {UUIDOID, JSONBOID, INT8OID};
	Oid			update_types[] = {UUIDOID, UUIDOID, JSONBOID, INT8OID};
	Oid			remove_types[] = {UUIDOID, UUIDOID, INT8OID};
	CommerceCommand cmd;
	Datum		args[4];
	bool		argnulls[4];
	Jsonb	   *replay;
	Jsonb	   *result;
	pg_uuid_t  *order_id;
	pg_uuid_t  *line_id = NULL;
	Order		order;
	OrderLine	line;
	CommerceValue in[2];
	int32		quantity = 0;
	int			found = -1;
	bool		active;
	Datum		values[4];
	int			i;

	for (i = 0; i < nargs; i++)
	{
		argnulls[i] = PG_ARGISNULL(i);
		args[i] = argnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	SPI_connect();
	replay = commerce_command_begin(&cmd, names[change],
									PG_ARGISNULL(key_arg) ? NULL : PG_GETARG_TEXT_PP(key_arg),
									nargs, args,
									change == LINE_ADD ? add_types
									: change == LINE_UPDATE ? update_types : remove_types,
									argnulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	for (i = 0; i < version_arg; i++)
		if (argnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("%s needs order_id%s", names[change],
							change == LINE_ADD ? " and data" : change == LINE_UPDATE
							? ", line_id and data" : " and line_id")));
	order_id = PG_GETARG_UUID_P(0);
	if (change != LINE_ADD)
		line_id = PG_GETARG_UUID_P(1);

	/* strict input first: nothing is read or written for bad input */
	if (change == LINE_ADD)
	{
		commerce_parse_object(PG_GETARG_JSONB_P(1), "order_line", add_fields,
							  lengthof(add_fields), in);
		quantity = DatumGetInt32(in[1].value);
	}
	else if (change == LINE_UPDATE)
	{
		commerce_parse_object(PG_GETARG_JSONB_P(2), "order_line", update_fields,
							  lengthof(update_fields), in);
		quantity = DatumGetInt32(in[0].value);
	}
	if (change != LINE_REMOVE && (quantity < 1 || quantity > ORDER_QUANTITY_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("field \"order_line.quantity\" must be between 1 and %d",
						ORDER_QUANTITY_MAX)));

	if (!order_load(&cmd.tenant, order_id, true, &order))
		commerce_not_found("order", order_id);
	commerce_check_version("order", !argnulls[version_arg],
						   argnulls[version_arg] ? 0 : PG_GETARG_INT64(version_arg),
						   order.version);
	order_require_transition(&order, ORDER_EDIT_LINES);
	order_load_lines(&order);

	if (change == LINE_ADD)
	{
		memset(&line, 0, sizeof(line));
		line.variant_id = *DatumGetUUIDP(in[0].value);
		for (i = 0; i < order.nlines; i++)
			if (memcmp(order.lines[i].variant_id.data, line.variant_id.data, UUID_LEN) == 0)
				found = i;
		order_line_catalog(&cmd.tenant, &line.variant_id, &line, &active);
		if (!active)
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
					 commerce_errcode("variant_not_available"),
					 errmsg("variant %s cannot be ordered", commerce_uuid_string(&line.variant_id)),
					 errdetail("Its product is not active.")));
		if (found < 0 && order.nlines >= ORDER_LINES_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("an order has at most %d lines", ORDER_LINES_MAX)));
		if (found >= 0)
		{
			if (order.lines[found].quantity + quantity > ORDER_QUANTITY_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 commerce_errcode("invalid_input"),
						 errmsg("quantity of variant %s must not exceed %d",
								commerce_uuid_string(&line.variant_id), ORDER_QUANTITY_MAX)));
			quantity += order.lines[found].quantity;
			line_id = &order.lines[found].id;
		}
		else
		{
			commerce_uuid_v7(&line.id);
			line.quantity = quantity;
			order_line_insert(&order, &line, false);
		}
	}
	else
	{
		for (i = 0; i < order.nlines; i++)
			if (memcmp(order.lines[i].id.data, line_id->data, UUID_LEN) == 0)
				found = i;
		if (found < 0)
			commerce_not_found("order line", line_id);
	}

	if (change == LINE_REMOVE)
	{
		commerce_prepare(&plan_delete_line,
						 "DELETE FROM commerce.order_lines"
						 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
						 2, (Oid[]) {UUIDOID, UUIDOID});
		values[0] = UUIDPGetDatum(&cmd.tenant);
		values[1] = UUIDPGetDatum(line_id);
		commerce_execute(plan_delete_line, values, NULL, false, 0);
	}
	else if (line_id != NULL)
	{
		commerce_prepare(&plan_set_quantity,
						 "UPDATE commerce.order_lines SET quantity = $3, updated_at = pg_catalog.now()"
						 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
						 3, (Oid[]) {UUIDOID, UUIDOID, INT4OID});
		values[0] = UUIDPGetDatum(&cmd.tenant);
		values[1] = UUIDPGetDatum(line_id);
		values[2] = Int32GetDatum(quantity);
		commerce_execute(plan_set_quantity, values, NULL, false, 0);
	}

	order_touch(&order, false, false, 0);
	order_load_lines(&order);
	order_price(&order, false);
	result = order_render(&order, true);
	order_emit(&order, "order.updated", result);
	result = commerce_command_finish(&cmd, result);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

Datum
commerce_add_order_line(PG_FUNCTION_ARGS)
{
	return change_line(fcinfo, LINE_ADD);
}

Datum
commerce_update_order_line(PG_FUNCTION_ARGS)
{
	return change_line(fcinfo, LINE_UPDATE);
}

Datum
commerce_remove_order_line(PG_FUNCTION_ARGS)
{
	return change_line(fcinfo, LINE_REMOVE);
}
