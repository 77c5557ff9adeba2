/*-------------------------------------------------------------------------
 *
 * payment_store.c
 *	  The rows of the payment aggregate: locking the order and the payment
 *	  (order first, see payments.c), loading a payment and its attempts,
 *	  the sums over an order's payments, and inserting payments, attempts
 *	  (commerce.payment_transactions) and new amounts. No rule is decided
 *	  here: payment_rules.c decides, this file reads and writes.
 *
 * extension/payment_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "payment_aggregate.h"

static SPIPlanPtr plan_lock_order = NULL;
static SPIPlanPtr plan_lock_payment_order = NULL;
static SPIPlanPtr plan_lock_payment = NULL;
static SPIPlanPtr plan_order_customer = NULL;
static SPIPlanPtr plan_order_covered = NULL;
static SPIPlanPtr plan_order_totals = NULL;
static SPIPlanPtr plan_open_payments = NULL;
static SPIPlanPtr plan_insert_payment = NULL;
static SPIPlanPtr plan_insert_transaction = NULL;
static SPIPlanPtr plan_update_payment = NULL;
static SPIPlanPtr plan_payment_json = NULL;
static SPIPlanPtr plan_payment_transactions = NULL;

static uint64 execute_by_id(SPIPlanPtr *plan, const char *sql, const pg_uuid_t *tenant,
							const pg_uuid_t *id, bool read_only, long count);
static bool column_uuid(int row, int col, pg_uuid_t *out);
static int64 column_int64(int col);
static Datum text_or_null(const char *value, char *null);

/*
 * Run the statement sql (kept in *plan) with the tenant as $1 and an
 * aggregate's id as $2, the parameters of every statement here but the
 * inserts; returns the number of rows.
 */
static uint64
execute_by_id(SPIPlanPtr *plan, const char *sql, const pg_uuid_t *tenant,
			  const pg_uuid_t *id, bool read_only, long count)
{
	Datum		values[2];

	commerce_prepare(plan, sql, 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(id);
	return commerce_execute(*plan, values, NULL, read_only, count);
}

/* The uuid in column col of result row row into *out; false when NULL. */
static bool
column_uuid(int row, int col, pg_uuid_t *out)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
									  col, &isnull);

	if (!isnull)
		memcpy(out, DatumGetUUIDP(value), sizeof(pg_uuid_t));
	return !isnull;
}

/* The bigint in column col of result row 0 (never NULL here). */
static int64
column_int64(int col)
{
	bool		isnull;

	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									   col, &isnull));
}

/* A text parameter, or SQL NULL when value is NULL. */
static Datum
text_or_null(const char *value, char *null)
{
	*null = value ? ' ' : 'n';
	return value ? CStringGetTextDatum(value) : (Datum) 0;
}

/* The order a payment is authorized for, locked; not_found when absent. */
void
payment_lock_order(const pg_uuid_t *tenant, const pg_uuid_t *order_id, LockedOrder *order)
{
	if (execute_by_id(&plan_lock_order,
					  "SELECT status, currency, total, customer_id FROM commerce.orders"
					  COMMERCE_BY_ID
					  " FOR NO KEY UPDATE",
					  tenant, order_id, false, 1) == 0)
		commerce_not_found("order", order_id);
	order->status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	order->currency = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	order->total = column_int64(3);
	order->has_customer = column_uuid(0, 4, &order->customer_id);
}

/*
 * payment_lock
 *		Lock the payment's order, then the payment (the order of locks in
 *		payments.c's file comment), and read the payment. The payment's
 *		order always exists (foreign key), so no order row means no
 *		payment: not_found.
 */
void
payment_lock(const pg_uuid_t *tenant, const pg_uuid_t *payment_id, LockedPayment *payment)
{
	HeapTuple	row;
	TupleDesc	desc;

	if (execute_by_id(&plan_lock_payment_order,
					  "SELECT o.id FROM commerce.orders o"
					  " WHERE o.tenant_id OPERATOR(pg_catalog.=) $1"
					  " AND o.id OPERATOR(pg_catalog.=) (SELECT p.order_id FROM commerce.payments p"
					  "  WHERE p.tenant_id OPERATOR(pg_catalog.=) $1 AND p.id OPERATOR(pg_catalog.=) $2)"
					  " FOR NO KEY UPDATE OF o",
					  tenant, payment_id, false, 1) == 0)
		commerce_not_found("payment", payment_id);

	payment->version = commerce_lock_version(&plan_lock_payment,
											 "SELECT version, order_id, customer_id, status, currency,"
											 " provider, provider_reference, amount_authorized,"
											 " amount_captured, amount_voided, amount_refunded"
											 " FROM commerce.payments"
											 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
											 " AND id OPERATOR(pg_catalog.=) $2"
											 " FOR UPDATE",
											 tenant, payment_id, "payment");
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	memcpy(&payment->id, payment_id, sizeof(pg_uuid_t));
	column_uuid(0, 2, &payment->order_id);
	payment->has_customer = column_uuid(0, 3, &payment->customer_id);
	payment->status = SPI_getvalue(row, desc, 4);
	payment->currency = SPI_getvalue(row, desc, 5);
	payment->provider = SPI_getvalue(row, desc, 6);
	payment->reference = SPI_getvalue(row, desc, 7);
	payment->authorized = column_int64(8);
	payment->captured = column_int64(9);
	payment->voided = column_int64(10);
	payment->refunded = column_int64(11);
}

/* The customer of an order, read without a lock (lists); not_found when absent. */
void
payment_order_customer(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
					   bool *has_customer, pg_uuid_t *customer)
{
	if (execute_by_id(&plan_order_customer,
					  "SELECT customer_id FROM commerce.orders"
					  COMMERCE_BY_ID,
					  tenant, order_id, true, 1) == 0)
		commerce_not_found("order", order_id);
	*has_customer = column_uuid(0, 1, customer);
}

/* What the order's payments hold or keep: authorized minus voided and refunded. */
int64
payment_order_covered(const pg_uuid_t *tenant, const pg_uuid_t *order_id)
{
	execute_by_id(&plan_order_covered,
				  "SELECT COALESCE(sum(amount_authorized - amount_voided - amount_refunded), 0)::bigint"
				  " FROM commerce.payments"
				  " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
				  " AND order_id OPERATOR(pg_catalog.=) $2",
				  tenant, order_id, false, 1);
	return column_int64(1);
}

/*
 * The order's totals over all its payments. authorized is what is held:
 * authorized minus voided (declined payments authorize nothing).
 */
void
payment_order_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
					 int64 *authorized, int64 *captured, int64 *refunded)
{
	execute_by_id(&plan_order_totals,
				  "SELECT COALESCE(sum(amount_authorized - amount_voided), 0)::bigint,"
				  " COALESCE(sum(amount_captured), 0)::bigint,"
				  " COALESCE(sum(amount_refunded), 0)::bigint"
				  " FROM commerce.payments"
				  " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
				  " AND order_id OPERATOR(pg_catalog.=) $2",
				  tenant, order_id, false, 1);
	*authorized = column_int64(1);
	*captured = column_int64(2);
	*refunded = column_int64(3);
}

/* The ids of the order's payments with an uncaptured, unvoided remainder. */
pg_uuid_t *
payment_open_ids(const pg_uuid_t *tenant, const pg_uuid_t *order_id, uint64 *count)
{
	pg_uuid_t  *ids;
	uint64		i;

	*count = execute_by_id(&plan_open_payments,
						   "SELECT id FROM commerce.payments"
						   " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
						   " AND order_id OPERATOR(pg_catalog.=) $2"
						   " AND amount_authorized OPERATOR(pg_catalog.>) (amount_captured OPERATOR(pg_catalog.+) amount_voided)"
						   " ORDER BY id",
						   tenant, order_id, false, 0);
	ids = palloc(sizeof(pg_uuid_t) * (*count + 1));
	for (i = 0; i < *count; i++)
		column_uuid(i, 1, &ids[i]);
	return ids;
}

/*
 * Insert the payment of an authorization attempt: "authorized", or
 * "declined" with nothing authorized. Returns its response representation.
 */
Jsonb *
payment_insert(const pg_uuid_t *tenant, const PaymentAttempt *attempt)
{
	Datum		values[10];
	char		nulls[10];

	commerce_prepare(&plan_insert_payment,
					 /* RETURNING columns only, the JSON built outside (Citus) */
					 "WITH p AS (INSERT INTO commerce.payments"
					 " (tenant_id, id, order_id, customer_id, provider, provider_reference,"
					 "  status, currency, amount, amount_authorized, decline_code)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
					 "  CASE WHEN $7 OPERATOR(pg_catalog.=) 'declined' THEN 0 ELSE $9 END, $10)"
					 " RETURNING *) SELECT " PAYMENT_JSON " FROM p",
					 10, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID,
						 TEXTOID, TEXTOID, INT8OID, TEXTOID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(&attempt->payment_id);
	values[2] = UUIDPGetDatum(&attempt->order_id);
	values[3] = UUIDPGetDatum(&attempt->customer_id);
	nulls[3] = attempt->has_customer ? ' ' : 'n';
	values[4] = CStringGetTextDatum(attempt->provider);
	values[5] = text_or_null(attempt->outcome.reference, &nulls[5]);
	values[6] = CStringGetTextDatum(attempt->outcome.approved ? "authorized" : "declined");
	values[7] = CStringGetTextDatum(attempt->currency);
	values[8] = Int64GetDatum(attempt->amount);
	values[9] = text_or_null(attempt->outcome.decline_code, &nulls[9]);
	commerce_execute(plan_insert_payment, values, nulls, false, 0);
	return commerce_result_jsonb(1);
}

/* Insert the attempt with its outcome; returns {"transaction": {...}}. */
Jsonb *
payment_record_attempt(const pg_uuid_t *tenant, const PaymentAttempt *attempt)
{
	Datum		values[14];
	char		nulls[14];

	commerce_prepare(&plan_insert_transaction,
					 "WITH t AS (INSERT INTO commerce.payment_transactions"
					 " (tenant_id, id, payment_id, order_id, customer_id, kind, status, amount,"
					 "  currency, provider, provider_reference, decline_code, reason, provider_response)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
					 " RETURNING *) SELECT pg_catalog.jsonb_build_object('transaction', " TRANSACTION_JSON ")"
					 " FROM t",
					 14, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID,
						 TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
					 JSONBOID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(&attempt->transaction_id);
	values[2] = UUIDPGetDatum(&attempt->payment_id);
	values[3] = UUIDPGetDatum(&attempt->order_id);
	values[4] = UUIDPGetDatum(&attempt->customer_id);
	nulls[4] = attempt->has_customer ? ' ' : 'n';
	values[5] = CStringGetTextDatum(payment_operation_name(attempt->operation));
	values[6] = CStringGetTextDatum(attempt->outcome.approved ? "succeeded" : "declined");
	values[7] = Int64GetDatum(attempt->amount);
	values[8] = CStringGetTextDatum(attempt->currency);
	values[9] = CStringGetTextDatum(attempt->provider);
	values[10] = text_or_null(attempt->outcome.reference, &nulls[10]);
	values[11] = text_or_null(attempt->outcome.decline_code, &nulls[11]);
	values[12] = text_or_null(attempt->reason, &nulls[12]);
	values[13] = JsonbPGetDatum(attempt->outcome.response);
	commerce_execute(plan_insert_transaction, values, nulls, false, 0);
	return commerce_result_jsonb(1);
}

/*
 * Store the new captured, voided and refunded amounts of a locked
 * payment and its status; returns the updated payment with the attempt
 * (transaction) merged in.
 */
Jsonb *
payment_update_amounts(const pg_uuid_t *tenant, const LockedPayment *payment,
					   const char *status, Jsonb *transaction)
{
	Datum		values[7];

	commerce_prepare(&plan_update_payment,
					 "WITH p AS (UPDATE commerce.payments p SET amount_captured = $3, amount_voided = $4,"
					 " amount_refunded = $5, status = $6, version = p.version + 1,"
					 " updated_at = pg_catalog.now()"
					 " WHERE p.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND p.id OPERATOR(pg_catalog.=) $2"
					 " RETURNING p.*) SELECT " PAYMENT_JSON " OPERATOR(pg_catalog.||) $7 FROM p",
					 7, (Oid[]) {UUIDOID, UUIDOID, INT8OID, INT8OID, INT8OID, TEXTOID, JSONBOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(&payment->id);
	values[2] = Int64GetDatum(payment->captured);
	values[3] = Int64GetDatum(payment->voided);
	values[4] = Int64GetDatum(payment->refunded);
	values[5] = CStringGetTextDatum(status);
	values[6] = JsonbPGetDatum(transaction);
	commerce_execute(plan_update_payment, values, NULL, false, 0);
	return commerce_result_jsonb(1);
}

/* The response representation of a payment; not_found when the tenant has none. */
Jsonb *
payment_load_json(const pg_uuid_t *tenant, const pg_uuid_t *payment_id)
{
	if (execute_by_id(&plan_payment_json,
					  "SELECT " PAYMENT_JSON " FROM commerce.payments p"
					  " WHERE p.tenant_id OPERATOR(pg_catalog.=) $1"
					  " AND p.id OPERATOR(pg_catalog.=) $2",
					  tenant, payment_id, true, 1) == 0)
		commerce_not_found("payment", payment_id);
	return commerce_result_jsonb(1);
}

/* {"transactions": [...]}: the payment's attempts, oldest first. */
Jsonb *
payment_load_transactions(const pg_uuid_t *tenant, const pg_uuid_t *payment_id)
{
	execute_by_id(&plan_payment_transactions,
				  "SELECT pg_catalog.jsonb_build_object('transactions',"
				  " COALESCE(pg_catalog.jsonb_agg(" TRANSACTION_JSON " ORDER BY t.id), '[]'::jsonb))"
				  " FROM commerce.payment_transactions t"
				  " WHERE t.tenant_id OPERATOR(pg_catalog.=) $1"
				  " AND t.payment_id OPERATOR(pg_catalog.=) $2",
				  tenant, payment_id, true, 1);
	return commerce_result_jsonb(1);
}
