/*-------------------------------------------------------------------------
 *
 * promotion_usage.c
 *	  The rows promotions leave on orders and codes (docs/promotions.md):
 *	  the codes a cart carries, the discounts a placed order stores, and
 *	  the uses of a code.
 *
 *	  Usage limits are exact under any concurrency because no decision is
 *	  taken on a value read earlier: placing takes a use of a code with a
 *	  total usage limit with
 *	    UPDATE promotion_codes SET used = used + 1
 *	     WHERE ... AND (usage_limit IS NULL OR used < usage_limit)
 *	  whose row lock serialises concurrent placements of one code; the
 *	  second waits for the first to commit and re-checks the condition
 *	  on the row it committed (READ COMMITTED re-evaluates an updated
 *	  row), so when no row comes back the limit is reached and the
 *	  placement fails with discount_limit_reached, rolled back whole. The
 *	  customer's uses under a per-customer limit are one counted row per
 *	  (code, customer), taken by INSERT ... ON CONFLICT DO UPDATE ... WHERE
 *	  used < limit in the same transaction. A code without a limit is not
 *	  written at all (its uses are counted from the orders when needed;
 *	  promotion_limits.c says why that stays exact when a limit is set
 *	  later). Cancelling gives uses back in the cancel's transaction
 *	  (promotion_cancel.c).
 *
 *	  Lock order: order row -> stock rows -> the tenant's code-limits lock
 *	  (ShareLock, taken when the codes are read) -> code rows (code id
 *	  order) -> customer use rows -> the order counter, the same in every
 *	  command, so placements and cancellations cannot deadlock.
 *
 * extension/promotion_usage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "command.h"
#include "errors.h"
#include "promotions.h"
#include "uuid.h"

static SPIPlanPtr plan_take = NULL;
static SPIPlanPtr plan_take_customer = NULL;
static SPIPlanPtr plan_store = NULL;
static SPIPlanPtr plan_store_new = NULL;
static SPIPlanPtr plan_load = NULL;
static SPIPlanPtr plan_add = NULL;
static SPIPlanPtr plan_remove = NULL;

static int
compare_codes(const void *a, const void *b)
{
	return memcmp(((const OrderDiscount *) a)->code_id.data,
				  ((const OrderDiscount *) b)->code_id.data, UUID_LEN);
}

static void
limit_reached(const char *code, const char *which)
{
	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
			 commerce_errcode("discount_limit_reached"),
			 errmsg("discount code \"%s\" has reached its %s", code, which),
			 errdetail("Nothing was placed."),
			 errhint("Remove the code from the order.")));
}

/*
 * promotion_take_usage
 *		One use of every code the order's discounts came through, in code
 *		id order: the code's counter under its row lock, then the
 *		customer's, each only under a limit (promotion_limits.c; read by
 *		promotion_apply under the code-limits lock). Under REPEATABLE READ
 *		or SERIALIZABLE that read may be older than the lock, so the code's
 *		row is always written there (a change since the snapshot is a
 *		serialization failure) and its per-customer limit is the one the
 *		write returns. Raises discount_limit_reached (the transaction rolls
 *		back, so nothing is half-taken).
 */
void
promotion_take_usage(const Order *order)
{
	OrderDiscount *codes = palloc(sizeof(OrderDiscount) * (order->ndiscounts + 1));
	bool		snapshot_kept = IsolationUsesXactSnapshot();
	int			n = 0;

	for (int i = 0; i < order->ndiscounts; i++)
		if (order->discounts[i].has_code)
			codes[n++] = order->discounts[i];
	qsort(codes, n, sizeof(OrderDiscount), compare_codes);
	commerce_prepare(&plan_take,
					 "UPDATE commerce.promotion_codes SET used = used OPERATOR(pg_catalog.+) 1"
					 COMMERCE_BY_ID
					 " AND status OPERATOR(pg_catalog.=) 'active'"
					 " AND (usage_limit IS NULL OR used OPERATOR(pg_catalog.<) usage_limit)"
					 " RETURNING per_customer_limit",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	commerce_prepare(&plan_take_customer,
					 "INSERT INTO commerce.promotion_code_customers AS u (tenant_id, code_id, customer_id, used)"
					 " VALUES ($1, $2, $3, 1)"
					 " ON CONFLICT (tenant_id, code_id, customer_id) DO UPDATE"
					 " SET used = u.used OPERATOR(pg_catalog.+) 1"
					 " WHERE u.used OPERATOR(pg_catalog.<) $4::integer"
					 " RETURNING u.used",
					 4, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, INT4OID});
	for (int i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		isnull = codes[i].customer_limit == 0;

		values[0] = UUIDPGetDatum(&order->tenant);
		values[1] = UUIDPGetDatum(&codes[i].code_id);
		if (codes[i].has_usage_limit || snapshot_kept)
		{
			if (commerce_execute(plan_take, values, NULL, false, 0) != 1)
				limit_reached(codes[i].code, "usage limit");
			values[3] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		}
		if (isnull || !order->has_customer)
			continue;
		if (!codes[i].has_usage_limit && !snapshot_kept)
		{
			/* the limit as read under the lock (candidates statement) */
			values[3] = Int32GetDatum(codes[i].customer_limit);
		}
		values[2] = UUIDPGetDatum(&order->customer_id);
		if (commerce_execute(plan_take_customer, values, NULL, false, 0) != 1)
			limit_reached(codes[i].code, "usage limit for this customer");
	}
}

/*
 * Placing: the discounts the order got, one row per promotion. A new
 * order (checkout) has no rows yet: a plain INSERT; a draft's code rows
 * get their amounts (ON CONFLICT).
 */
void
promotion_store_discounts(const Order *order)
{
#define STORE_DISCOUNT \
	"INSERT INTO commerce.order_discounts AS d (tenant_id, order_id, promotion_id," \
	" code_id, code, name, scope, amount, customer_id)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
#define STORE_DISCOUNT_TYPES (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, \
	TEXTOID, INT8OID, UUIDOID}
	SPIPlanPtr	plan;

	if (order->is_new)
		plan = commerce_prepare(&plan_store_new, STORE_DISCOUNT, 9, STORE_DISCOUNT_TYPES);
	else
		plan = commerce_prepare(&plan_store,
								STORE_DISCOUNT
								" ON CONFLICT (tenant_id, order_id, promotion_id) DO UPDATE"
								" SET amount = EXCLUDED.amount, name = EXCLUDED.name",
								9, STORE_DISCOUNT_TYPES);
	for (int i = 0; i < order->ndiscounts; i++)
	{
		const OrderDiscount *d = &order->discounts[i];
		Datum		values[9];
		char		nulls[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

		values[0] = UUIDPGetDatum(&order->tenant);
		values[1] = UUIDPGetDatum(&order->id);
		values[2] = UUIDPGetDatum(&d->promotion_id);
		values[3] = UUIDPGetDatum(&d->code_id);
		values[4] = d->has_code ? CStringGetTextDatum(d->code) : (Datum) 0;
		nulls[3] = nulls[4] = d->has_code ? ' ' : 'n';
		values[5] = CStringGetTextDatum(d->name);
		values[6] = CStringGetTextDatum(d->line_scope ? "line" : "order");
		values[7] = Int64GetDatum(d->amount);
		values[8] = UUIDPGetDatum(&order->customer_id);
		nulls[8] = order->has_customer ? ' ' : 'n';
		commerce_execute(plan, values, nulls, false, 0);
	}
}

/* A placed order's discounts, in promotion order. */
void
promotion_load_discounts(Order *order)
{
	Datum		values[2];
	uint64		n;

	commerce_prepare(&plan_load,
					 "SELECT promotion_id, code_id, code, name, scope OPERATOR(pg_catalog.=) 'line',"
					 " COALESCE(amount, 0) FROM commerce.order_discounts"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND order_id OPERATOR(pg_catalog.=) $2"
					 " ORDER BY promotion_id",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	n = commerce_execute(plan_load, values, NULL, false, 0);
	order->discounts = palloc0(sizeof(OrderDiscount) * (n + 1));
	order->ndiscounts = (int) n;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		OrderDiscount *d = &order->discounts[i];
		bool		isnull;
		Datum		v;

		d->promotion_id = *DatumGetUUIDP(SPI_getbinval(row, desc, 1, &isnull));
		v = SPI_getbinval(row, desc, 2, &isnull);
		d->has_code = !isnull;
		if (!isnull)
			d->code_id = *DatumGetUUIDP(v);
		d->code = SPI_getvalue(row, desc, 3);
		d->name = SPI_getvalue(row, desc, 4);
		d->line_scope = DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
		d->amount = DatumGetInt64(SPI_getbinval(row, desc, 6, &isnull));
	}
}

/* A draft carries one more code (amount NULL: priced live). */
void
promotion_add_code(const Order *order, const OrderDiscount *code)
{
	static const CommerceUniqueRule unique[] = {
		{"order_discounts_pkey", "discount_code_already_applied",
		 "the order already carries a code of this promotion"},
	};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	commerce_prepare(&plan_add,
					 "INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, code_id,"
					 " code, name, scope, customer_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
					 8, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID,
		UUIDOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = UUIDPGetDatum(&code->promotion_id);
	values[3] = UUIDPGetDatum(&code->code_id);
	values[4] = CStringGetTextDatum(code->code);
	values[5] = CStringGetTextDatum(code->name);
	values[6] = CStringGetTextDatum(code->line_scope ? "line" : "order");
	values[7] = UUIDPGetDatum(&order->customer_id);
	nulls[7] = order->has_customer ? ' ' : 'n';
	commerce_execute_unique(plan_add, values, nulls, unique, lengthof(unique));
}

/* A draft drops a code; false when it does not carry it. */
bool
promotion_remove_code(const Order *order, const char *code)
{
	Datum		values[3];

	commerce_prepare(&plan_remove,
					 "DELETE FROM commerce.order_discounts"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND order_id OPERATOR(pg_catalog.=) $2"
					 "   AND code OPERATOR(pg_catalog.=) $3",
					 3, (Oid[]) {UUIDOID, UUIDOID, TEXTOID});
	values[0] = UUIDPGetDatum(&order->tenant);
	values[1] = UUIDPGetDatum(&order->id);
	values[2] = CStringGetTextDatum(code);
	return commerce_execute(plan_remove, values, NULL, false, 0) > 0;
}
