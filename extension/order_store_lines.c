/*-------------------------------------------------------------------------
 *
 * order_store_lines.c
 *	  The order lines' rows (order_store.h): a new order's lines inserted
 *	  in one statement, a draft's line added, changed or removed, and the
 *	  snapshot place_order takes of a line. Each line carries the order's
 *	  customer_id, which the lines' policy compares (500_orders.sql).
 *
 * extension/order_store_lines.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "command.h"
#include "citus_compat.h"
#include "order_store.h"

/* A line by its id within its order: the lines' key leads with the order
 * (500_orders.sql), param n is the order's id. */
#define LINE_BY_ID(n) \
	COMMERCE_BY_ID " AND order_id OPERATOR(pg_catalog.=) $" n

static SPIPlanPtr plan_insert_lines = NULL;
static SPIPlanPtr plan_snapshot = NULL;
static SPIPlanPtr plan_set_quantity = NULL;
static SPIPlanPtr plan_delete_line = NULL;

/*
 * Orders of up to this many lines insert them with a VALUES row each (a
 * plan per count, made when first used), larger ones from arrays
 * (insert_lines): the arrays' subscripts cost every execution their
 * start-up, about 17 K instructions a column (docs/benchmarks.md, "Issue
 * 13, session 14").
 */
#define LINES_BY_VALUES_MAX 8
static SPIPlanPtr plan_insert_lines_values[LINES_BY_VALUES_MAX + 1];

/* The parameters of a VALUES row: the line's own, after the 4 shared ones
 * ($1 tenant, $2 order, $3 customer, $4 the transaction's timestamp). */
#define NLINE_VALUES 12
#define NLINE_SHARED 4

/* The columns of insert_lines' arrays: id, variant_id, quantity, then the
 * nine of bind_line_snapshot. */
#define NLINE_COLUMNS 12
static const Oid line_column_types[NLINE_COLUMNS] = {
	UUIDOID, UUIDOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, UUIDOID, INT8OID, INT8OID, INT4OID,
	INT8OID, INT8OID
};

static void bind_line_snapshot(const OrderLine *line, Datum *values, char *nulls);
static Datum array_with_nulls(Datum *elements, bool *nulls, int n, Oid type);
static void insert_lines(const Order *order, bool snapshot);
static void insert_lines_values(const Order *order, const OrderLine *lines, int n,
								bool snapshot);

/*
 * order_insert_lines
 *		A new order's lines as they are in memory, with their priced
 *		figures when snapshot (an order placed in the same call): a VALUES
 *		row each up to LINES_BY_VALUES_MAX, else from arrays. Citus runs an
 *		INSERT ... SELECT from arrays through the coordinator and COPY,
 *		which row-level security refuses on the shards: there, one routable
 *		INSERT per line (docs/scaling.md).
 */
void
order_insert_lines(const Order *order, bool snapshot)
{
	if (order->nlines > 0 && commerce_citus_loaded())
		for (int i = 0; i < order->nlines; i++)
			order_line_insert(order, &order->lines[i], snapshot);
	else if (order->nlines > LINES_BY_VALUES_MAX)
		insert_lines(order, snapshot);
	else if (order->nlines > 0)
		insert_lines_values(order, order->lines, order->nlines, snapshot);
}

/* sku, title, tax_category, price_list_id, unit_amount, amount,
 * tax_rate_ppm, tax_amount, discount_amount of a priced line, as 9
 * statement values. */
static void
bind_line_snapshot(const OrderLine *line, Datum *values, char *nulls)
{
	values[0] = line->sku ? CStringGetTextDatum(line->sku) : (Datum) 0;
	nulls[0] = line->sku ? ' ' : 'n';
	values[1] = line->title ? CStringGetTextDatum(line->title) : (Datum) 0;
	nulls[1] = line->title ? ' ' : 'n';
	values[2] = line->tax_category ? CStringGetTextDatum(line->tax_category) : (Datum) 0;
	nulls[2] = line->tax_category ? ' ' : 'n';
	values[3] = UUIDPGetDatum(&line->price_list_id);
	nulls[3] = line->has_price_list ? ' ' : 'n';
	values[4] = Int64GetDatum(line->unit_amount);
	nulls[4] = ' ';
	values[5] = Int64GetDatum(line->amount);
	nulls[5] = ' ';
	values[6] = Int32GetDatum(line->tax_rate_ppm);
	nulls[6] = ' ';
	values[7] = Int64GetDatum(line->tax_amount);
	nulls[7] = ' ';
	values[8] = Int64GetDatum(line->discount_amount);
	nulls[8] = ' ';
}

/* A one-dimensional array of n elements of type, with NULL elements. */
static Datum
array_with_nulls(Datum *elements, bool *nulls, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elements, nulls, 1, dims, lbs, type, typlen,
											  typbyval, typalign));
}

/*
 * insert_lines
 *		Insert all the order's lines in one statement, from one array per
 *		column; with snapshot, their priced figures too.
 */
static void
insert_lines(const Order *order, bool snapshot)
{
	Datum		values[3 + NLINE_COLUMNS];
	char		value_nulls[3 + NLINE_COLUMNS];
	Datum	   *columns[NLINE_COLUMNS];
	bool	   *nulls[NLINE_COLUMNS];
	int			c;
	int			i;

	commerce_prepare(&plan_insert_lines,
					 "INSERT INTO commerce.order_lines (tenant_id, id, order_id, variant_id, quantity,"
					 " sku, title, tax_category, price_list_id, unit_amount, amount, tax_rate_ppm,"
					 " tax_amount, discount_amount, created_at, updated_at, customer_id)"
					 /* one set-returning function, not an unnest per column (each
					  * its own tuplestore: ~100 K instructions, docs/benchmarks.md) */
					 " SELECT $1, $3[i], $2, $4[i], $5[i], $6[i], $7[i], $8[i], $9[i], $10[i],"
					 "  $11[i], $12[i], $13[i], COALESCE($14[i], 0), pg_catalog.now(),"
					 "  pg_catalog.now(), $15"
					 " FROM pg_catalog.generate_subscripts($3, 1) AS i",
					 3 + NLINE_COLUMNS, (Oid[]) {UUIDOID, UUIDOID, UUIDARRAYOID, UUIDARRAYOID,
		INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, UUIDARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, UUIDOID});
	for (c = 0; c < NLINE_COLUMNS; c++)
	{
		columns[c] = palloc0(sizeof(Datum) * order->nlines);
		nulls[c] = palloc0(sizeof(bool) * order->nlines);
	}
	for (i = 0; i < order->nlines; i++)
	{
		const OrderLine *line = &order->lines[i];
		Datum		figures[NLINE_COLUMNS - 3];
		char		figure_nulls[NLINE_COLUMNS - 3];

		columns[0][i] = UUIDPGetDatum(&line->id);
		columns[1][i] = UUIDPGetDatum(&line->variant_id);
		columns[2][i] = Int32GetDatum(line->quantity);
		if (snapshot)
			bind_line_snapshot(line, figures, figure_nulls);
		else
			memset(figure_nulls, 'n', sizeof(figure_nulls));
		for (c = 3; c < NLINE_COLUMNS; c++)
		{
			nulls[c][i] = figure_nulls[c - 3] == 'n';
			columns[c][i] = nulls[c][i] ? (Datum) 0 : figures[c - 3];
		}
	}
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	for (c = 0; c < NLINE_COLUMNS; c++)
		values[2 + c] = array_with_nulls(columns[c], nulls[c], order->nlines,
										 line_column_types[c]);
	/* the order's customer, copied for the lines' policy (500_orders.sql) */
	memset(value_nulls, ' ', sizeof(value_nulls));
	values[2 + NLINE_COLUMNS] = UUIDPGetDatum(&order->customer_id);
	if (!order->has_customer)
		value_nulls[2 + NLINE_COLUMNS] = 'n';
	commerce_execute(plan_insert_lines, values, value_nulls, false, 0);
}

/*
 * insert_lines_values
 *		Insert n lines of the order (at most LINES_BY_VALUES_MAX) in one
 *		statement with a VALUES row of parameters per line; with snapshot,
 *		their priced figures too. created_at and updated_at are the
 *		transaction's timestamp, as now() is.
 */
static void
insert_lines_values(const Order *order, const OrderLine *lines, int n, bool snapshot)
{
	int			nargs = NLINE_SHARED + NLINE_VALUES * n;
	Datum	   *values = palloc(sizeof(Datum) * nargs);
	char	   *nulls = palloc(nargs);
	int			i;

	Assert(n >= 1 && n <= LINES_BY_VALUES_MAX);
	if (plan_insert_lines_values[n] == NULL)
	{
		StringInfoData sql;
		Oid		   *types = palloc(sizeof(Oid) * nargs);
		static const Oid line_types[NLINE_VALUES] = {
			UUIDOID, UUIDOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, UUIDOID, INT8OID, INT8OID,
			INT4OID, INT8OID, INT8OID
		};

		initStringInfo(&sql);
		appendStringInfoString(&sql,
							   "INSERT INTO commerce.order_lines (tenant_id, order_id, customer_id,"
							   " created_at, updated_at, id, variant_id, quantity, sku, title,"
							   " tax_category, price_list_id, unit_amount, amount, tax_rate_ppm,"
							   " tax_amount, discount_amount) VALUES ");
		types[0] = UUIDOID;
		types[1] = UUIDOID;
		types[2] = UUIDOID;
		types[3] = TIMESTAMPTZOID;
		for (i = 0; i < n; i++)
		{
			int			first = NLINE_SHARED + NLINE_VALUES * i + 1;

			appendStringInfo(&sql, "%s($1, $2, $3, $4, $4", i > 0 ? ", " : "");
			for (int c = 0; c < NLINE_VALUES; c++)
			{
				appendStringInfo(&sql, ", $%d", first + c);
				types[first - 1 + c] = line_types[c];
			}
			appendStringInfoChar(&sql, ')');
		}
		commerce_prepare(&plan_insert_lines_values[n], sql.data, nargs, types);
	}
	memset(nulls, ' ', nargs);
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	/* the order's customer, copied for the lines' policy (500_orders.sql) */
	values[2] = UUIDPGetDatum(&order->customer_id);
	if (!order->has_customer)
		nulls[2] = 'n';
	values[3] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	for (i = 0; i < n; i++)
	{
		const OrderLine *line = &lines[i];
		Datum	   *v = &values[NLINE_SHARED + NLINE_VALUES * i];
		char	   *nl = &nulls[NLINE_SHARED + NLINE_VALUES * i];

		v[0] = UUIDPGetDatum(&line->id);
		v[1] = UUIDPGetDatum(&line->variant_id);
		v[2] = Int32GetDatum(line->quantity);
		if (snapshot)
			bind_line_snapshot(line, &v[3], &nl[3]);
		else
		{
			memset(&nl[3], 'n', NLINE_VALUES - 3);
			v[11] = Int64GetDatum(0);	/* discount_amount */
			nl[11] = ' ';
		}
	}
	commerce_execute(plan_insert_lines_values[n], values, nulls, false, 0);
}

/*
 * order_line_insert
 *		Insert a line; with snapshot, its priced figures too (checkout
 *		inserts lines of an order it places in the same call).
 */
void
order_line_insert(const Order *order, const OrderLine *line, bool snapshot)
{
	insert_lines_values(order, line, 1, snapshot);
}

/* Store the snapshot place_order took of a draft's line. */
void
order_line_snapshot(const Order *order, const OrderLine *line)
{
	Datum		values[12];
	char		nulls[12];

	commerce_prepare(&plan_snapshot,
					 "UPDATE commerce.order_lines SET sku = $3, title = $4, tax_category = $5,"
					 " price_list_id = $6, unit_amount = $7, amount = $8, tax_rate_ppm = $9,"
					 " tax_amount = $10, discount_amount = $11, updated_at = pg_catalog.now()"
					 LINE_BY_ID("12"),
					 12, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID, INT8OID,
		INT8OID, INT4OID, INT8OID, INT8OID, UUIDOID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&line->id);
	bind_line_snapshot(line, &values[2], &nulls[2]);
	values[11] = UUIDPGetDatum(&order->id);
	commerce_execute(plan_snapshot, values, nulls, false, 0);
}

void
order_line_set_quantity(const Order *order, const pg_uuid_t *line_id, int32 quantity)
{
	Datum		values[4];

	commerce_prepare(&plan_set_quantity,
					 "UPDATE commerce.order_lines SET quantity = $3, updated_at = pg_catalog.now()"
					 LINE_BY_ID("4"),
					 4, (Oid[]) {UUIDOID, UUIDOID, INT4OID, UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(line_id);
	values[2] = Int32GetDatum(quantity);
	values[3] = UUIDPGetDatum(&order->id);
	commerce_execute(plan_set_quantity, values, NULL, false, 0);
}

void
order_line_delete(const Order *order, const pg_uuid_t *line_id)
{
	Datum		values[3];

	commerce_prepare(&plan_delete_line,
					 "DELETE FROM commerce.order_lines"
					 LINE_BY_ID("3"),
					 3, (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(line_id);
	values[2] = UUIDPGetDatum(&order->id);
	commerce_execute(plan_delete_line, values, NULL, false, 0);
}
