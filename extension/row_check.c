/*-------------------------------------------------------------------------
 *
 * row_check.c
 *	  The whole-row CHECKs of the hottest tables: CHECK
 *	  (commerce.orders_row_check(orders)) and the like, one per table
 *	  (sql/src/872_row_checks.sql). Each function reads the columns its
 *	  rules need from the row, found by NAME in the row's type and kept for
 *	  the backend until the type changes (ALTER TABLE gives the type cache
 *	  a new descriptor identifier), and calls the rules over columns of
 *	  row_rules.c with them: same rules, same order, same errors (23514,
 *	  the rule's name as the constraint).
 *
 *	  Why: PostgreSQL parses every CHECK's stored tree (pg_constraint.conbin)
 *	  again in each executor that writes the table, and a command's kept
 *	  plan gets a new executor at every call. A call over N columns stores
 *	  N Var nodes (orders: 3,354 characters in two CHECKs); a whole-row Var
 *	  is one (~270). docs/benchmarks.md, "Issue 13, session 11".
 *
 *	  A column dropped, renamed or retyped by an operator is an error that
 *	  names it (undefined_column, datatype_mismatch), never another column
 *	  read in its place. Citus cannot ship a whole-row CHECK to shards (it
 *	  deparses the Var with the table's name, not the shard's):
 *	  commerce.row_rules_form(false) puts the CHECKs over columns back
 *	  (docs/scaling.md).
 *
 * extension/row_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/typcache.h"

#include "row_rules.h"

/* the most arguments of a rules function (orders_all_rules) */
#define ROW_MAX_ARGS 17

/* An argument of a rules function: a column's value, or whether it is NULL */
typedef struct RowArg
{
	const char *column;
	Oid			type;
	bool		null_test;		/* pass "column IS NULL" (never NULL itself) */
} RowArg;

/* A rules function over columns and its arguments, in order */
typedef struct RowCall
{
	PGFunction	rules;
	int			nargs;
	const RowArg *args;
} RowCall;

/*
 * Where each argument's column is in a row type: found for typid by name,
 * kept until the type cache's descriptor identifier changes (it is never
 * reused).
 */
typedef struct RowMap
{
	Oid			typid;
	uint64		identifier;
	int			where[ROW_MAX_ARGS];
} RowMap;

#define ARG(name, type) {name, type, false}
#define NULL_TEST(name, type) {name, type, true}

static const RowArg orders_args[] = {
	ARG("number", INT8OID), ARG("status", TEXTOID), ARG("payment_status", TEXTOID),
	ARG("currency", TEXTOID), ARG("tax_rounding_mode", TEXTOID),
	ARG("tax_rounding_scope", TEXTOID), ARG("subtotal", INT8OID), ARG("tax_total", INT8OID),
	ARG("total", INT8OID), ARG("amount_authorized", INT8OID), ARG("amount_captured", INT8OID),
	ARG("amount_refunded", INT8OID), ARG("placed_at", TIMESTAMPTZOID),
	ARG("discount_total", INT8OID), ARG("prices_include_tax", BOOLOID),
	ARG("shipping_total", INT8OID), ARG("adjustment_total", INT8OID)
};
static const RowArg shipping_args[] = {
	ARG("shipping_address", JSONBOID), ARG("billing_address", JSONBOID),
	ARG("shipping_method_id", UUIDOID), ARG("shipping_tax_rate_ppm", INT4OID),
	ARG("shipping_total", INT8OID), ARG("shipping_tax", INT8OID), ARG("tax_total", INT8OID)
};
static const RowArg order_lines_args[] = {
	ARG("quantity", INT4OID), ARG("unit_amount", INT8OID), ARG("amount", INT8OID),
	ARG("tax_rate_ppm", INT4OID), ARG("tax_amount", INT8OID), ARG("discount_amount", INT8OID)
};
static const RowArg inventory_args[] = {
	ARG("location", TEXTOID), ARG("on_hand", INT8OID), ARG("reserved", INT8OID)
};
static const RowArg idempotency_args[] = {
	ARG("key", TEXTOID), NULL_TEST("response", JSONBOID), NULL_TEST("response_event", UUIDOID)
};
static const RowArg promotion_codes_args[] = {
	ARG("code", TEXTOID), ARG("usage_limit", INT4OID), ARG("per_customer_limit", INT4OID),
	ARG("used", INT4OID), ARG("status", TEXTOID), NULL_TEST("archived_at", TIMESTAMPTZOID)
};
static const RowArg order_discounts_args[] = {
	ARG("scope", TEXTOID), ARG("amount", INT8OID), NULL_TEST("code_id", UUIDOID),
	NULL_TEST("code", TEXTOID)
};

#define CALL(fn, args) {fn, lengthof(args), args}

/* orders: the money rules, then the shipping columns' (the two CHECKs'
 * order: PostgreSQL ran them by name) */
static const RowCall orders_calls[] = {
	CALL(commerce_orders_all_rules, orders_args),
	CALL(commerce_order_shipping_row_rules, shipping_args)
};
static const RowCall order_lines_calls[] = {CALL(commerce_order_lines_row_rules, order_lines_args)};
static const RowCall inventory_calls[] = {CALL(commerce_inventory_row_rules, inventory_args)};
static const RowCall idempotency_calls[] = {CALL(commerce_idempotency_row_rules, idempotency_args)};
static const RowCall promotion_codes_calls[] = {
	CALL(commerce_promotion_codes_row_rules, promotion_codes_args)
};
static const RowCall order_discounts_calls[] = {
	CALL(commerce_order_discounts_row_rules, order_discounts_args)
};

/* Find call's columns in desc (the row type typid's) into map, or fail
 * naming the column `function` cannot read. */
static void
row_map_find(RowMap *map, const RowCall *call, TupleDesc desc, Oid typid, uint64 identifier,
			 const char *function)
{
	map->typid = InvalidOid;
	for (int i = 0; i < call->nargs; i++)
	{
		const RowArg *arg = &call->args[i];
		int			a;

		for (a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), arg->column) == 0)
				break;
		}
		if (a == desc->natts)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("%s cannot check a row of %s: it has no column \"%s\"",
							function, format_type_be(typid), arg->column),
					 errdetail("The row rules read column \"%s\" of type %s by name.",
							   arg->column, format_type_be(arg->type)),
					 errhint("A column of the table was dropped or renamed: restore it.")));
		if (TupleDescAttr(desc, a)->atttypid != arg->type)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s cannot check a row of %s: column \"%s\" is of type %s, not %s",
							function, format_type_be(typid), arg->column,
							format_type_be(TupleDescAttr(desc, a)->atttypid),
							format_type_be(arg->type)),
					 errhint("The column's type was changed: restore it.")));
		map->where[i] = a;
	}
	map->typid = typid;
	map->identifier = identifier;
}

/* Call call's rules with their arguments from a deformed row */
static void
row_call(const RowCall *call, const RowMap *map, const Datum *values, const bool *nulls)
{
	LOCAL_FCINFO(fc, ROW_MAX_ARGS);

	InitFunctionCallInfoData(*fc, NULL, call->nargs, InvalidOid, NULL, NULL);
	for (int i = 0; i < call->nargs; i++)
	{
		int			a = map->where[i];

		if (call->args[i].null_test)
		{
			fc->args[i].value = BoolGetDatum(nulls[a]);
			fc->args[i].isnull = false;
		}
		else
		{
			fc->args[i].value = values[a];
			fc->args[i].isnull = nulls[a];
		}
	}
	(void) call->rules(fc);
}

/*
 * The whole-row CHECK: argument 0 is a row of a table's type; each of the
 * ncalls rules functions runs over its columns (maps: one per call, kept
 * by the caller for the backend). True, or the rules' check_violation.
 */
static Datum
row_check(FunctionCallInfo fcinfo, const char *function, const RowCall *calls, int ncalls,
		  RowMap *maps)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	TypeCacheEntry *type;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;

	type = lookup_type_cache(typid, TYPECACHE_TUPDESC);
	if (type->tupDesc == NULL || HeapTupleHeaderGetTypMod(row) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s takes a row of a table, not %s", function,
						format_type_be(typid))));
	for (int c = 0; c < ncalls; c++)
		if (maps[c].typid != typid || maps[c].identifier != type->tupDesc_identifier)
			row_map_find(&maps[c], &calls[c], type->tupDesc, typid,
						 type->tupDesc_identifier, function);

	values = palloc(sizeof(Datum) * type->tupDesc->natts);
	nulls = palloc(sizeof(bool) * type->tupDesc->natts);
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	heap_deform_tuple(&tuple, type->tupDesc, values, nulls);
	for (int c = 0; c < ncalls; c++)
		row_call(&calls[c], &maps[c], values, nulls);
	pfree(values);
	pfree(nulls);
	PG_RETURN_BOOL(true);
}

#define ROW_CHECK(calls, maps, function) \
	row_check(fcinfo, function, calls, lengthof(calls), maps)

/* commerce.orders_row_check(row): orders_all_rules, then
 * order_shipping_row_rules */
PG_FUNCTION_INFO_V1(commerce_orders_row_check);
Datum
commerce_orders_row_check(PG_FUNCTION_ARGS)
{
	static RowMap maps[lengthof(orders_calls)];

	return ROW_CHECK(orders_calls, maps, "commerce.orders_row_check");
}

/* commerce.order_lines_row_check(row): order_lines_row_rules */
PG_FUNCTION_INFO_V1(commerce_order_lines_row_check);
Datum
commerce_order_lines_row_check(PG_FUNCTION_ARGS)
{
	static RowMap maps[lengthof(order_lines_calls)];

	return ROW_CHECK(order_lines_calls, maps, "commerce.order_lines_row_check");
}

/* commerce.inventory_levels_row_check(row): inventory_row_rules */
PG_FUNCTION_INFO_V1(commerce_inventory_levels_row_check);
Datum
commerce_inventory_levels_row_check(PG_FUNCTION_ARGS)
{
	static RowMap maps[lengthof(inventory_calls)];

	return ROW_CHECK(inventory_calls, maps, "commerce.inventory_levels_row_check");
}

/* commerce.idempotency_keys_row_check(row): idempotency_row_rules (the
 * response's NULL-ness only: the document is never detoasted here) */
PG_FUNCTION_INFO_V1(commerce_idempotency_keys_row_check);
Datum
commerce_idempotency_keys_row_check(PG_FUNCTION_ARGS)
{
	static RowMap maps[lengthof(idempotency_calls)];

	return ROW_CHECK(idempotency_calls, maps, "commerce.idempotency_keys_row_check");
}

/* commerce.promotion_codes_row_check(row): promotion_codes_row_rules */
PG_FUNCTION_INFO_V1(commerce_promotion_codes_row_check);
Datum
commerce_promotion_codes_row_check(PG_FUNCTION_ARGS)
{
	static RowMap maps[lengthof(promotion_codes_calls)];

	return ROW_CHECK(promotion_codes_calls, maps, "commerce.promotion_codes_row_check");
}

/* commerce.order_discounts_row_check(row): order_discounts_row_rules */
PG_FUNCTION_INFO_V1(commerce_order_discounts_row_check);
Datum
commerce_order_discounts_row_check(PG_FUNCTION_ARGS)
{
	static RowMap maps[lengthof(order_discounts_calls)];

	return ROW_CHECK(order_discounts_calls, maps, "commerce.order_discounts_row_check");
}
