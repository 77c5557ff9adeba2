/*-------------------------------------------------------------------------
 *
 * payments.c
 *	  The payment aggregate: commerce.authorize_payment, capture_payment,
 *	  void_payment, refund_payment, get_payment, list_order_payments, and
 *	  the order cancel hook that voids open authorizations.
 *
 *	  One payment per authorization. Every attempt goes through the
 *	  provider registry (payment_providers.c) and is recorded in
 *	  commerce.payment_transactions. After each change the order's totals
 *	  over all its payments go to commerce_order_apply_payment_totals
 *	  (orders.c), which moves the order's payment_status and status.
 *
 *	  Exactness under concurrency: every command that changes a payment
 *	  locks the order row, then the payment row (FOR UPDATE), and decides
 *	  on the amounts it read under that lock. Order before payment is the
 *	  same order the order's cancel uses (it locks the order, then calls
 *	  the hook, which locks the payments), so the two cannot deadlock.
 *
 *	  Declines: a decline is an outcome, not a failure. PostgreSQL keeps
 *	  nothing of a transaction that ends in ERROR (a released
 *	  subtransaction is rolled back with its parent, and there are no
 *	  autonomous transactions), so raising payment_declined would erase
 *	  the attempt the caller must be able to see. The command therefore
 *	  records the declined attempt, emits payment.declined, stores the
 *	  response with the idempotency key and returns normally; it sets the
 *	  transaction-local setting commerce.response_error to
 *	  "payment_declined", which the gateway turns into HTTP 402 after
 *	  committing. docs/payments.md.
 *
 * extension/payments.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "orders.h"
#include "outbox.h"
#include "payment_providers.h"
#include "payments.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_authorize_payment);
PG_FUNCTION_INFO_V1(commerce_capture_payment);
PG_FUNCTION_INFO_V1(commerce_void_payment);
PG_FUNCTION_INFO_V1(commerce_refund_payment);
PG_FUNCTION_INFO_V1(commerce_get_payment);
PG_FUNCTION_INFO_V1(commerce_list_order_payments);

#define REASON_MAX 500


/* The response representation of a payment row p */
#define PAYMENT_JSON \
	"pg_catalog.jsonb_build_object('id', p.id, 'order_id', p.order_id," \
	" 'customer_id', p.customer_id, 'provider', p.provider," \
	" 'provider_reference', p.provider_reference, 'status', p.status," \
	" 'currency', p.currency, 'amount', p.amount," \
	" 'amount_authorized', p.amount_authorized, 'amount_captured', p.amount_captured," \
	" 'amount_voided', p.amount_voided, 'amount_refunded', p.amount_refunded," \
	" 'amount_capturable', p.amount_authorized - p.amount_captured - p.amount_voided," \
	" 'amount_refundable', p.amount_captured - p.amount_refunded," \
	" 'decline_code', p.decline_code, 'version', p.version," \
	" 'created_at', " COMMERCE_SQL_TIMESTAMP("p.created_at") ", 'updated_at', " COMMERCE_SQL_TIMESTAMP("p.updated_at") ")"

/* The response representation of a payment_transactions row t */
#define TRANSACTION_JSON \
	"pg_catalog.jsonb_build_object('id', t.id, 'payment_id', t.payment_id," \
	" 'kind', t.kind, 'status', t.status, 'amount', t.amount, 'currency', t.currency," \
	" 'provider', t.provider, 'provider_reference', t.provider_reference," \
	" 'decline_code', t.decline_code, 'reason', t.reason," \
	" 'created_at', " COMMERCE_SQL_TIMESTAMP("t.created_at") ")"

typedef enum PaymentOperation
{
	PAYMENT_AUTHORIZE,
	PAYMENT_CAPTURE,
	PAYMENT_VOID,
	PAYMENT_REFUND
} PaymentOperation;

static const char *const operation_names[] = {"authorize", "capture", "void", "refund"};
static const char *const operation_events[] = {
	"payment.authorized", "payment.captured", "payment.voided", "payment.refunded"
};

/* A payment row as read under its lock */
typedef struct LockedPayment
{
	pg_uuid_t	id;
	pg_uuid_t	order_id;
	bool		has_customer;
	pg_uuid_t	customer_id;
	char	   *status;
	char	   *currency;
	char	   *provider;
	char	   *reference;		/* NULL when the provider gave none */
	int64		authorized;
	int64		captured;
	int64		voided;
	int64		refunded;
	int64		version;
} LockedPayment;

static SPIPlanPtr plan_lock_order = NULL;
static SPIPlanPtr plan_order_covered = NULL;
static SPIPlanPtr plan_insert_payment = NULL;
static SPIPlanPtr plan_insert_transaction = NULL;
static SPIPlanPtr plan_lock_payment_order = NULL;
static SPIPlanPtr plan_lock_payment = NULL;
static SPIPlanPtr plan_update_payment = NULL;
static SPIPlanPtr plan_payment_json = NULL;
static SPIPlanPtr plan_order_totals = NULL;
static SPIPlanPtr plan_payment_transactions = NULL;
static SPIPlanPtr plan_open_payments = NULL;
static SPIPlanPtr plan_order_exists = NULL;
static SPIPlanPtr plan_list_payments = NULL;
static SPIPlanPtr plan_merge = NULL;

static commerce_order_cancel_hook_type prev_order_cancel_hook = NULL;

static void void_open_payments_on_cancel(const pg_uuid_t *tenant, const pg_uuid_t *order_id);
static const char *payment_status(int64 authorized, int64 captured, int64 voided, int64 refunded);
static void check_customer_owns(bool has_customer, const pg_uuid_t *customer,
								const char *aggregate, const pg_uuid_t *id);
static Jsonb *provider_request(PaymentOperation operation, const pg_uuid_t *tenant,
							   const pg_uuid_t *order_id, const pg_uuid_t *payment_id,
							   const pg_uuid_t *transaction_id, int64 amount,
							   const char *currency, const char *reference);
static Jsonb *record_transaction(const pg_uuid_t *tenant, const pg_uuid_t *transaction_id,
								 const pg_uuid_t *payment_id, const pg_uuid_t *order_id,
								 bool has_customer, const pg_uuid_t *customer,
								 PaymentOperation operation, int64 amount,
								 const char *currency, const char *provider,
								 const char *reason, CommercePaymentOutcome *outcome);
static void lock_order(const pg_uuid_t *tenant, const pg_uuid_t *order_id, char **status,
					   char **currency, int64 *total, bool *has_customer,
					   pg_uuid_t *customer);
static void lock_payment(const pg_uuid_t *tenant, const pg_uuid_t *payment_id,
						 LockedPayment *payment);
static Jsonb *payment_json(const pg_uuid_t *tenant, const pg_uuid_t *payment_id);
static Jsonb *merge_response(Jsonb *payment, Jsonb *transaction);
static void apply_order_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id);
static void emit_payment_event(const pg_uuid_t *tenant, const char *type,
							   const pg_uuid_t *payment_id, Jsonb *data);
static void signal_decline(bool declined);
static bool response_is_decline(Jsonb *response);
static void signal_if_declined(Jsonb *response);
static Jsonb *change_payment(PaymentOperation operation, const pg_uuid_t *tenant,
							 const pg_uuid_t *payment_id, bool has_amount, int64 amount,
							 const char *reason, bool has_expected, int64 expected);
static Datum run_payment_command(FunctionCallInfo fcinfo, PaymentOperation operation);

/*
 * commerce_payments_init
 *		Called from _PG_init: void open authorizations when an order is
 *		cancelled, after whatever hook was installed before.
 */
void
commerce_payments_init(void)
{
	prev_order_cancel_hook = commerce_order_cancel_hook;
	commerce_order_cancel_hook = void_open_payments_on_cancel;
}

/*
 * Derived from the amounts, so the status can never disagree with them.
 * "declined" is the only status with nothing authorized.
 */
static const char *
payment_status(int64 authorized, int64 captured, int64 voided, int64 refunded)
{
	int64		open = authorized - captured - voided;

	if (authorized == 0)
		return "declined";
	if (captured == 0)
		return open > 0 ? "authorized" : "voided";
	if (refunded > 0)
		return (refunded == captured && open == 0) ? "refunded" : "partially_refunded";
	return open > 0 ? "partially_captured" : "captured";
}

/* A customer actor reaches only its own orders and payments; others' look absent. */
static void
check_customer_owns(bool has_customer, const pg_uuid_t *customer,
					const char *aggregate, const pg_uuid_t *id)
{
	const char *subject;

	if (!commerce_actor_is_customer())
		return;
	subject = commerce_current_subject();
	if (!has_customer || subject == NULL ||
		strcmp(subject, commerce_uuid_string(customer)) != 0)
		commerce_not_found(aggregate, id);
}

/* Capturing, voiding and refunding move money on the merchant's side. */

static void
lock_order(const pg_uuid_t *tenant, const pg_uuid_t *order_id, char **status,
		   char **currency, int64 *total, bool *has_customer, pg_uuid_t *customer)
{
	Datum		values[2];
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;
	Datum		customer_datum;

	commerce_prepare(&plan_lock_order,
					 "SELECT status, currency, total, customer_id FROM commerce.orders"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
					 " FOR NO KEY UPDATE",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(order_id);
	if (commerce_execute(plan_lock_order, values, NULL, false, 1) == 0)
		commerce_not_found("order", order_id);
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	if (status != NULL)
		*status = SPI_getvalue(row, desc, 1);
	if (currency != NULL)
		*currency = SPI_getvalue(row, desc, 2);
	if (total != NULL)
		*total = DatumGetInt64(SPI_getbinval(row, desc, 3, &isnull));
	customer_datum = SPI_getbinval(row, desc, 4, &isnull);
	if (has_customer != NULL)
	{
		*has_customer = !isnull;
		if (!isnull)
			memcpy(customer, DatumGetUUIDP(customer_datum), sizeof(pg_uuid_t));
	}
}

static void
lock_payment(const pg_uuid_t *tenant, const pg_uuid_t *payment_id, LockedPayment *payment)
{
	Datum		values[2];
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;
	Datum		customer;

	commerce_prepare(&plan_lock_payment,
					 "SELECT order_id, customer_id, status, currency, provider, provider_reference,"
					 " amount_authorized, amount_captured, amount_voided, amount_refunded, version"
					 " FROM commerce.payments"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
					 " FOR UPDATE",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(payment_id);
	if (commerce_execute(plan_lock_payment, values, NULL, false, 1) == 0)
		commerce_not_found("payment", payment_id);
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	memcpy(&payment->id, payment_id, sizeof(pg_uuid_t));
	memcpy(&payment->order_id, DatumGetUUIDP(SPI_getbinval(row, desc, 1, &isnull)),
		   sizeof(pg_uuid_t));
	customer = SPI_getbinval(row, desc, 2, &isnull);
	payment->has_customer = !isnull;
	if (!isnull)
		memcpy(&payment->customer_id, DatumGetUUIDP(customer), sizeof(pg_uuid_t));
	payment->status = SPI_getvalue(row, desc, 3);
	payment->currency = SPI_getvalue(row, desc, 4);
	payment->provider = SPI_getvalue(row, desc, 5);
	payment->reference = SPI_getvalue(row, desc, 6);
	payment->authorized = DatumGetInt64(SPI_getbinval(row, desc, 7, &isnull));
	payment->captured = DatumGetInt64(SPI_getbinval(row, desc, 8, &isnull));
	payment->voided = DatumGetInt64(SPI_getbinval(row, desc, 9, &isnull));
	payment->refunded = DatumGetInt64(SPI_getbinval(row, desc, 10, &isnull));
	payment->version = DatumGetInt64(SPI_getbinval(row, desc, 11, &isnull));
}

/* What a provider handler receives (payment_providers.c). */
static Jsonb *
provider_request(PaymentOperation operation, const pg_uuid_t *tenant,
				 const pg_uuid_t *order_id, const pg_uuid_t *payment_id,
				 const pg_uuid_t *transaction_id, int64 amount, const char *currency,
				 const char *reference)
{
	StringInfoData json;

	initStringInfo(&json);
	appendStringInfo(&json,
					 "{\"operation\": \"%s\", \"tenant_id\": \"%s\", \"order_id\": \"%s\","
					 " \"payment_id\": \"%s\", \"transaction_id\": \"%s\","
					 " \"amount\": " INT64_FORMAT ", \"currency\": \"%s\", \"reference\": ",
					 operation_names[operation], commerce_uuid_string(tenant),
					 commerce_uuid_string(order_id), commerce_uuid_string(payment_id),
					 commerce_uuid_string(transaction_id), amount, currency);
	if (reference != NULL)
		escape_json(&json, reference);
	else
		appendStringInfoString(&json, "null");
	appendStringInfoChar(&json, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data)));
}

/* Insert the attempt; returns {"transaction": {...}}. */
static Jsonb *
record_transaction(const pg_uuid_t *tenant, const pg_uuid_t *transaction_id,
				   const pg_uuid_t *payment_id, const pg_uuid_t *order_id,
				   bool has_customer, const pg_uuid_t *customer,
				   PaymentOperation operation, int64 amount, const char *currency,
				   const char *provider, const char *reason,
				   CommercePaymentOutcome *outcome)
{
	Datum		values[14];
	char		nulls[14];

	commerce_prepare(&plan_insert_transaction,
					 "INSERT INTO commerce.payment_transactions AS t"
					 " (tenant_id, id, payment_id, order_id, customer_id, kind, status, amount,"
					 "  currency, provider, provider_reference, decline_code, reason, provider_response)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
					 " RETURNING pg_catalog.jsonb_build_object('transaction', " TRANSACTION_JSON ")",
					 14, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID,
						 TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
					 JSONBOID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(transaction_id);
	values[2] = UUIDPGetDatum(payment_id);
	values[3] = UUIDPGetDatum(order_id);
	values[4] = UUIDPGetDatum(customer);
	nulls[4] = has_customer ? ' ' : 'n';
	values[5] = CStringGetTextDatum(operation_names[operation]);
	values[6] = CStringGetTextDatum(outcome->approved ? "succeeded" : "declined");
	values[7] = Int64GetDatum(amount);
	values[8] = CStringGetTextDatum(currency);
	values[9] = CStringGetTextDatum(provider);
	values[10] = outcome->reference ? CStringGetTextDatum(outcome->reference) : (Datum) 0;
	nulls[10] = outcome->reference ? ' ' : 'n';
	values[11] = outcome->decline_code ? CStringGetTextDatum(outcome->decline_code) : (Datum) 0;
	nulls[11] = outcome->decline_code ? ' ' : 'n';
	values[12] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	nulls[12] = reason ? ' ' : 'n';
	values[13] = JsonbPGetDatum(outcome->response);
	commerce_execute(plan_insert_transaction, values, nulls, false, 0);
	return commerce_result_jsonb(1);
}

static Jsonb *
payment_json(const pg_uuid_t *tenant, const pg_uuid_t *payment_id)
{
	Datum		values[2];

	commerce_prepare(&plan_payment_json,
					 "SELECT " PAYMENT_JSON " FROM commerce.payments p"
					 " WHERE p.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND p.id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(payment_id);
	if (commerce_execute(plan_payment_json, values, NULL, true, 1) == 0)
		commerce_not_found("payment", payment_id);
	return commerce_result_jsonb(1);
}

/* payment || extra (top-level keys of extra win) */
static Jsonb *
merge_response(Jsonb *payment, Jsonb *extra)
{
	Datum		values[2];

	commerce_prepare(&plan_merge, "SELECT $1 OPERATOR(pg_catalog.||) $2",
					 2, (Oid[]) {JSONBOID, JSONBOID});
	values[0] = JsonbPGetDatum(payment);
	values[1] = JsonbPGetDatum(extra);
	commerce_execute(plan_merge, values, NULL, true, 1);
	return commerce_result_jsonb(1);
}

/*
 * Report the order's totals over all its payments to orders.c.
 * authorized is what is held: authorized minus voided (declined
 * payments authorize nothing).
 */
static void
apply_order_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id)
{
	Datum		values[2];
	int64		authorized;
	int64		captured;
	int64		refunded;
	bool		isnull;

	commerce_prepare(&plan_order_totals,
					 "SELECT COALESCE(sum(amount_authorized - amount_voided), 0)::bigint,"
					 " COALESCE(sum(amount_captured), 0)::bigint,"
					 " COALESCE(sum(amount_refunded), 0)::bigint"
					 " FROM commerce.payments"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND order_id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(order_id);
	commerce_execute(plan_order_totals, values, NULL, false, 1);
	authorized = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	captured = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	refunded = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	commerce_order_apply_payment_totals(tenant, order_id, authorized, captured, refunded);
}

/* One payment event in the outbox, in this transaction (outbox.c). */
static void
emit_payment_event(const pg_uuid_t *tenant, const char *type,
				   const pg_uuid_t *payment_id, Jsonb *data)
{
	commerce_emit_event(tenant, type, "payment", payment_id, data);
}

/*
 * Tell the gateway (which reads the setting after the call, before
 * COMMIT) whether to answer 402: every payment command sets it, so it
 * always describes the last one.
 */
static void
signal_decline(bool declined)
{
	(void) set_config_option("commerce.response_error",
							 declined ? "payment_declined" : "",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}

/* Was the attempt of this response ("transaction") declined? */
static bool
response_is_decline(Jsonb *response)
{
	JsonbValue *transaction;
	JsonbValue *status;

	transaction = getKeyJsonValueFromContainer(&response->root, "transaction", 11, NULL);
	if (transaction == NULL || transaction->type != jbvBinary)
		return false;
	status = getKeyJsonValueFromContainer(transaction->val.binary.data, "status", 6, NULL);
	return status != NULL && status->type == jbvString &&
		status->val.string.len == 8 && strncmp(status->val.string.val, "declined", 8) == 0;
}

/* A declined response, fresh or replayed, declines over HTTP too. */
static void
signal_if_declined(Jsonb *response)
{
	signal_decline(response_is_decline(response));
}

/*
 * commerce.authorize_payment(order_id uuid, data jsonb DEFAULT '{}',
 *							  idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: {"provider": text, "amount": bigint (default: what is still
 *		due on the order)}. The order must be placed (or fulfilled before
 *		it was paid); the payment is in the order's currency.
 */
Datum
commerce_authorize_payment(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {
		{"provider", CF_TEXT, true, 63},
		{"amount", CF_INT64, false, 0},
	};
	CommerceValue parsed[lengthof(fields)];
	CommerceCommand cmd;
	Datum		args[2];
	bool		argnulls[2];
	Jsonb	   *replay;
	pg_uuid_t  *order_id;
	Jsonb	   *data;
	char	   *provider;
	char	   *order_status;
	char	   *currency;
	int64		total;
	int64		covered;
	int64		due;
	int64		amount;
	bool		has_customer;
	pg_uuid_t	customer;
	pg_uuid_t	payment_id;
	pg_uuid_t	transaction_id;
	CommercePaymentOutcome outcome;
	Datum		values[10];
	char		nulls[10];
	bool		isnull;
	Jsonb	   *payment;
	Jsonb	   *transaction;
	Jsonb	   *response;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("order_id is required")));
	order_id = PG_GETARG_UUID_P(0);
	data = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);

	SPI_connect();
	args[0] = PG_GETARG_DATUM(0);
	argnulls[0] = false;
	args[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	argnulls[1] = PG_ARGISNULL(1);
	replay = commerce_command_begin(&cmd, "authorize_payment",
									PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
									2, args, (Oid[]) {UUIDOID, JSONBOID}, argnulls);
	if (replay != NULL)
	{
		/* replay is already in the caller's memory context */
		SPI_finish();
		signal_if_declined(replay);
		PG_RETURN_JSONB_P(replay);
	}

	if (data == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("data is required"),
				 errhint("Pass at least {\"provider\": \"manual\"}.")));
	commerce_parse_object(data, "payment", fields, lengthof(fields), parsed);
	provider = text_to_cstring(DatumGetTextPP(parsed[0].value));

	lock_order(&cmd.tenant, order_id, &order_status, &currency, &total,
			   &has_customer, &customer);
	check_customer_owns(has_customer, &customer, "order", order_id);
	/* fulfilled: orders may ship before payment (cash on delivery, invoices) */
	if (strcmp(order_status, "placed") != 0 && strcmp(order_status, "fulfilled") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("order %s is %s; only a placed or fulfilled order can be paid",
						commerce_uuid_string(order_id), order_status)));

	/* What is still due: the total minus what is held or kept. */
	commerce_prepare(&plan_order_covered,
					 "SELECT COALESCE(sum(amount_authorized - amount_voided - amount_refunded), 0)::bigint"
					 " FROM commerce.payments"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND order_id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&cmd.tenant);
	values[1] = UUIDPGetDatum(order_id);
	commerce_execute(plan_order_covered, values, NULL, false, 1);
	covered = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	due = total - covered;

	if (parsed[1].present && !parsed[1].isnull)
	{
		amount = DatumGetInt64(parsed[1].value);
		commerce_check_amount("payment.amount", amount);
		if (amount == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("payment.amount must be greater than zero")));
	}
	else
		amount = due;
	if (amount <= 0 || amount > due)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("payment_exceeds_balance"),
				 errmsg("payment of " INT64_FORMAT " exceeds the " INT64_FORMAT " still due on order %s",
						amount, due < 0 ? 0 : due, commerce_uuid_string(order_id)),
				 errdetail("Order total " INT64_FORMAT ", already authorized and not voided or refunded " INT64_FORMAT ".",
						   total, covered)));

	commerce_uuid_v7(&payment_id);
	commerce_uuid_v7(&transaction_id);
	commerce_payment_provider_call(provider,
								   provider_request(PAYMENT_AUTHORIZE, &cmd.tenant, order_id,
													&payment_id, &transaction_id, amount,
													currency, NULL),
								   &outcome);

	commerce_prepare(&plan_insert_payment,
					 "INSERT INTO commerce.payments AS p"
					 " (tenant_id, id, order_id, customer_id, provider, provider_reference,"
					 "  status, currency, amount, amount_authorized, decline_code)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
					 "  CASE WHEN $7 OPERATOR(pg_catalog.=) 'declined' THEN 0 ELSE $9 END, $10)"
					 " RETURNING " PAYMENT_JSON,
					 10, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID,
						 TEXTOID, TEXTOID, INT8OID, TEXTOID});
	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(&cmd.tenant);
	values[1] = UUIDPGetDatum(&payment_id);
	values[2] = UUIDPGetDatum(order_id);
	values[3] = UUIDPGetDatum(&customer);
	nulls[3] = has_customer ? ' ' : 'n';
	values[4] = CStringGetTextDatum(provider);
	values[5] = outcome.reference ? CStringGetTextDatum(outcome.reference) : (Datum) 0;
	nulls[5] = outcome.reference ? ' ' : 'n';
	values[6] = CStringGetTextDatum(outcome.approved ? "authorized" : "declined");
	values[7] = CStringGetTextDatum(currency);
	values[8] = Int64GetDatum(amount);
	values[9] = outcome.decline_code ? CStringGetTextDatum(outcome.decline_code) : (Datum) 0;
	nulls[9] = outcome.decline_code ? ' ' : 'n';
	commerce_execute(plan_insert_payment, values, nulls, false, 0);
	payment = commerce_result_jsonb(1);

	transaction = record_transaction(&cmd.tenant, &transaction_id, &payment_id, order_id,
									 has_customer, &customer, PAYMENT_AUTHORIZE, amount,
									 currency, provider, NULL, &outcome);
	response = merge_response(payment, transaction);
	if (outcome.approved)
	{
		emit_payment_event(&cmd.tenant, "payment.authorized", &payment_id, response);
		apply_order_totals(&cmd.tenant, order_id);
	}
	else
		emit_payment_event(&cmd.tenant, "payment.declined", &payment_id, response);

	response = commerce_command_finish(&cmd, response);
	SPI_finish();
	signal_decline(!outcome.approved);
	PG_RETURN_JSONB_P(response);
}

/*
 * change_payment
 *		Capture, void or refund under the order and payment locks. Returns
 *		the payment with "transaction" (the attempt).
 */
static Jsonb *
change_payment(PaymentOperation operation, const pg_uuid_t *tenant,
			   const pg_uuid_t *payment_id, bool has_amount, int64 amount,
			   const char *reason, bool has_expected, int64 expected)
{
	LockedPayment payment;
	Datum		values[7];
	pg_uuid_t	order_id;
	pg_uuid_t	transaction_id;
	CommercePaymentOutcome outcome;
	int64		open;
	int64		refundable;
	int64		captured;
	int64		voided;
	int64		refunded;
	Jsonb	   *transaction;
	Jsonb	   *response;
	bool		isnull;

	/*
	 * The order first (see the file comment), then the payment. The
	 * payment's order always exists (foreign key), so no row means no
	 * payment.
	 */
	commerce_prepare(&plan_lock_payment_order,
					 "SELECT o.id FROM commerce.orders o"
					 " WHERE o.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND o.id OPERATOR(pg_catalog.=) (SELECT p.order_id FROM commerce.payments p"
					 "  WHERE p.tenant_id OPERATOR(pg_catalog.=) $1 AND p.id OPERATOR(pg_catalog.=) $2)"
					 " FOR NO KEY UPDATE OF o",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(payment_id);
	if (commerce_execute(plan_lock_payment_order, values, NULL, false, 1) == 0)
		commerce_not_found("payment", payment_id);
	memcpy(&order_id, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull)),
		   sizeof(pg_uuid_t));
	lock_payment(tenant, payment_id, &payment);
	commerce_check_version("payment", has_expected, expected, payment.version);

	open = payment.authorized - payment.captured - payment.voided;
	refundable = payment.captured - payment.refunded;
	captured = payment.captured;
	voided = payment.voided;
	refunded = payment.refunded;
	if (has_amount)
	{
		commerce_check_amount("amount", amount);
		if (amount == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("amount must be greater than zero")));
	}

	switch (operation)
	{
		case PAYMENT_CAPTURE:
			if (strcmp(payment.status, "declined") == 0 || strcmp(payment.status, "voided") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
						 commerce_errcode("invalid_transition"),
						 errmsg("payment %s is %s and cannot be captured",
								commerce_uuid_string(payment_id), payment.status)));
			if (!has_amount)
				amount = open;
			if (open == 0 || amount > open)
				ereport(ERROR,
						(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
						 commerce_errcode("capture_exceeds_authorized"),
						 errmsg("capture of " INT64_FORMAT " exceeds the " INT64_FORMAT " left to capture on payment %s",
								amount, open, commerce_uuid_string(payment_id)),
						 errdetail("Authorized " INT64_FORMAT ", captured " INT64_FORMAT ", voided " INT64_FORMAT ".",
								   payment.authorized, payment.captured, payment.voided)));
			captured += amount;
			break;
		case PAYMENT_VOID:
			if (strcmp(payment.status, "declined") == 0 || open == 0)
				ereport(ERROR,
						(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
						 commerce_errcode("invalid_transition"),
						 errmsg("payment %s is %s and has nothing left to void",
								commerce_uuid_string(payment_id), payment.status)));
			amount = open;
			voided += amount;
			break;
		case PAYMENT_REFUND:
			if (payment.captured == 0)
				ereport(ERROR,
						(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
						 commerce_errcode("invalid_transition"),
						 errmsg("payment %s is %s; nothing was captured to refund",
								commerce_uuid_string(payment_id), payment.status),
						 errhint("Void an authorization that was not captured.")));
			if (!has_amount)
				amount = refundable;
			if (refundable == 0 || amount > refundable)
				ereport(ERROR,
						(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
						 commerce_errcode("refund_exceeds_captured"),
						 errmsg("refund of " INT64_FORMAT " exceeds the " INT64_FORMAT " left to refund on payment %s",
								amount, refundable, commerce_uuid_string(payment_id)),
						 errdetail("Captured " INT64_FORMAT ", refunded " INT64_FORMAT ".",
								   payment.captured, payment.refunded)));
			refunded += amount;
			break;
		case PAYMENT_AUTHORIZE:
			elog(ERROR, "authorize is not a change of an existing payment");
	}

	commerce_uuid_v7(&transaction_id);
	commerce_payment_provider_call(payment.provider,
								   provider_request(operation, tenant, &order_id, payment_id,
													&transaction_id, amount,
													payment.currency, payment.reference),
								   &outcome);
	transaction = record_transaction(tenant, &transaction_id, payment_id, &order_id,
									 payment.has_customer, &payment.customer_id, operation,
									 amount, payment.currency, payment.provider, reason,
									 &outcome);
	if (!outcome.approved)
	{
		response = merge_response(payment_json(tenant, payment_id), transaction);
		emit_payment_event(tenant, "payment.declined", payment_id, response);
		return response;
	}

	/* the response is the updated payment with the attempt ($7) */
	commerce_prepare(&plan_update_payment,
					 "UPDATE commerce.payments p SET amount_captured = $3, amount_voided = $4,"
					 " amount_refunded = $5, status = $6, version = p.version + 1,"
					 " updated_at = pg_catalog.now()"
					 " WHERE p.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND p.id OPERATOR(pg_catalog.=) $2"
					 " RETURNING " PAYMENT_JSON " OPERATOR(pg_catalog.||) $7",
					 7, (Oid[]) {UUIDOID, UUIDOID, INT8OID, INT8OID, INT8OID, TEXTOID, JSONBOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(payment_id);
	values[2] = Int64GetDatum(captured);
	values[3] = Int64GetDatum(voided);
	values[4] = Int64GetDatum(refunded);
	values[5] = CStringGetTextDatum(payment_status(payment.authorized, captured, voided, refunded));
	values[6] = JsonbPGetDatum(transaction);
	commerce_execute(plan_update_payment, values, NULL, false, 0);
	response = commerce_result_jsonb(1);
	emit_payment_event(tenant, operation_events[operation], payment_id, response);
	apply_order_totals(tenant, &order_id);
	return response;
}

/*
 * The shared body of capture_payment(payment_id, data, expected_version,
 * idempotency_key), refund_payment (same arguments) and
 * void_payment(payment_id, expected_version, idempotency_key).
 */
static Datum
run_payment_command(FunctionCallInfo fcinfo, PaymentOperation operation)
{
	static const CommerceField capture_fields[] = {
		{"amount", CF_INT64, false, 0},
	};
	static const CommerceField refund_fields[] = {
		{"amount", CF_INT64, false, 0},
		{"reason", CF_TEXT, false, REASON_MAX},
	};
	CommerceValue parsed[2];
	CommerceCommand cmd;
	bool		has_data = (operation != PAYMENT_VOID);
	int			nargs = has_data ? 3 : 2;
	int			version_arg = has_data ? 2 : 1;
	int			key_arg = has_data ? 3 : 2;
	Datum		args[3];
	bool		argnulls[3];
	Oid			argtypes[3];
	int			i;
	char		name[32];
	Jsonb	   *replay;
	Jsonb	   *response;
	pg_uuid_t  *payment_id;
	bool		has_amount = false;
	int64		amount = 0;
	char	   *reason = NULL;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("id is required")));
	payment_id = PG_GETARG_UUID_P(0);

	argtypes[0] = UUIDOID;
	if (has_data)
		argtypes[1] = JSONBOID;
	argtypes[version_arg] = INT8OID;
	for (i = 0; i < nargs; i++)
	{
		argnulls[i] = PG_ARGISNULL(i);
		args[i] = argnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}

	SPI_connect();
	snprintf(name, sizeof(name), "%s_payment", operation_names[operation]);
	replay = commerce_command_begin(&cmd, name,
									PG_ARGISNULL(key_arg) ? NULL : PG_GETARG_TEXT_PP(key_arg),
									nargs, args, argtypes, argnulls);
	/* before a replay too: a customer gets no staff response by its key */
	commerce_require_staff(psprintf("%s a payment", operation_names[operation]));
	if (replay != NULL)
	{
		/* replay is already in the caller's memory context */
		SPI_finish();
		signal_if_declined(replay);
		PG_RETURN_JSONB_P(replay);
	}

	if (has_data && !PG_ARGISNULL(1))
	{
		memset(parsed, 0, sizeof(parsed));
		if (operation == PAYMENT_REFUND)
			commerce_parse_object(PG_GETARG_JSONB_P(1), "refund", refund_fields,
								  lengthof(refund_fields), parsed);
		else
			commerce_parse_object(PG_GETARG_JSONB_P(1), "capture", capture_fields,
								  lengthof(capture_fields), parsed);
		if (parsed[0].present && !parsed[0].isnull)
		{
			has_amount = true;
			amount = DatumGetInt64(parsed[0].value);
		}
		if (operation == PAYMENT_REFUND && parsed[1].present && !parsed[1].isnull)
			reason = text_to_cstring(DatumGetTextPP(parsed[1].value));
	}

	response = change_payment(operation, &cmd.tenant, payment_id, has_amount, amount, reason,
							  !PG_ARGISNULL(version_arg),
							  PG_ARGISNULL(version_arg) ? 0 : PG_GETARG_INT64(version_arg));
	response = commerce_command_finish(&cmd, response);
	SPI_finish();
	signal_if_declined(response);
	PG_RETURN_JSONB_P(response);
}

/* commerce.capture_payment(id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_capture_payment(PG_FUNCTION_ARGS)
{
	return run_payment_command(fcinfo, PAYMENT_CAPTURE);
}

/* commerce.void_payment(id uuid, expected_version bigint, idempotency_key text) */
Datum
commerce_void_payment(PG_FUNCTION_ARGS)
{
	return run_payment_command(fcinfo, PAYMENT_VOID);
}

/* commerce.refund_payment(id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_refund_payment(PG_FUNCTION_ARGS)
{
	return run_payment_command(fcinfo, PAYMENT_REFUND);
}

/*
 * commerce.get_payment(id uuid) RETURNS jsonb
 *		The payment with "transactions", oldest first. Row-level security
 *		hides other tenants' payments and, for a customer actor, other
 *		customers' ones: all of them are not_found.
 */
Datum
commerce_get_payment(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *payment_id;
	Datum		values[2];
	Jsonb	   *payment;
	Jsonb	   *transactions;
	Jsonb	   *response;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("id is required")));
	payment_id = PG_GETARG_UUID_P(0);
	commerce_query_begin(&tenant);
	SPI_connect();
	payment = payment_json(&tenant, payment_id);
	commerce_prepare(&plan_payment_transactions,
					 "SELECT pg_catalog.jsonb_build_object('transactions',"
					 " COALESCE(pg_catalog.jsonb_agg(" TRANSACTION_JSON " ORDER BY t.id), '[]'::jsonb))"
					 " FROM commerce.payment_transactions t"
					 " WHERE t.tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND t.payment_id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = UUIDPGetDatum(payment_id);
	commerce_execute(plan_payment_transactions, values, NULL, true, 1);
	transactions = commerce_result_jsonb(1);
	response = merge_response(payment, transactions);
	response = DatumGetJsonbP(SPI_datumTransfer(JsonbPGetDatum(response), false, -1));
	SPI_finish();
	PG_RETURN_JSONB_P(response);
}

/*
 * commerce.list_order_payments(order_id uuid, lim int DEFAULT 50,
 *								after text DEFAULT NULL) RETURNS jsonb
 *		{"data": [payment, ...], "next_cursor": text|null}; the cursor is
 *		the last payment id of the page (ids are time-ordered).
 */
Datum
commerce_list_order_payments(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *order_id;
	int32		limit = PG_ARGISNULL(1) ? 50 : PG_GETARG_INT32(1);
	char	   *after = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		customer;
	Jsonb	   *response;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 commerce_errcode("invalid_input"),
				 errmsg("order_id is required")));
	order_id = PG_GETARG_UUID_P(0);
	if (limit < 1 || limit > COMMERCE_LIST_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("lim must be between 1 and %d", COMMERCE_LIST_MAX)));
	if (after != NULL && !commerce_is_uuid_text(after))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("cursor \"%s\" is not valid", after),
				 errhint("Pass the next_cursor of the previous page.")));
	commerce_query_begin(&tenant);
	SPI_connect();

	commerce_prepare(&plan_order_exists,
					 "SELECT customer_id FROM commerce.orders"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = UUIDPGetDatum(order_id);
	if (commerce_execute(plan_order_exists, values, NULL, true, 1) == 0)
		commerce_not_found("order", order_id);
	customer = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	check_customer_owns(!isnull, isnull ? NULL : DatumGetUUIDP(customer), "order", order_id);

	commerce_prepare(&plan_list_payments,
					 "WITH page AS ("
					 "  SELECT p.id, " PAYMENT_JSON " AS payment,"
					 "   pg_catalog.row_number() OVER (ORDER BY p.id) AS n"
					 "  FROM commerce.payments p"
					 "  WHERE p.tenant_id OPERATOR(pg_catalog.=) $1"
					 "  AND p.order_id OPERATOR(pg_catalog.=) $2"
					 "  AND ($3::uuid IS NULL OR p.id OPERATOR(pg_catalog.>) $3::uuid)"
					 "  ORDER BY p.id LIMIT $4 OPERATOR(pg_catalog.+) 1)"
					 " SELECT pg_catalog.jsonb_build_object("
					 "  'data', COALESCE(pg_catalog.jsonb_agg(payment ORDER BY id)"
					 "           FILTER (WHERE n OPERATOR(pg_catalog.<=) $4), '[]'::jsonb),"
					 "  'next_cursor', CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>) $4"
					 "   THEN pg_catalog.max(id::text) FILTER (WHERE n OPERATOR(pg_catalog.<=) $4) END)"
					 " FROM page",
					 4, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, INT4OID});
	values[2] = after ? CStringGetTextDatum(after) : (Datum) 0;
	nulls[2] = after ? ' ' : 'n';
	values[3] = Int32GetDatum(limit);
	commerce_execute(plan_list_payments, values, nulls, true, 1);
	response = commerce_result_jsonb(1);
	response = DatumGetJsonbP(SPI_datumTransfer(JsonbPGetDatum(response), false, -1));
	SPI_finish();
	PG_RETURN_JSONB_P(response);
}

/*
 * void_open_payments_on_cancel
 *		commerce_order_cancel_hook: runs inside the cancel's transaction,
 *		after the order row is locked by it. Voids the uncaptured remainder
 *		of every payment of the order through its provider. A provider
 *		that refuses a void aborts the cancel: an order is not cancelled
 *		while money stays held.
 */
static void
void_open_payments_on_cancel(const pg_uuid_t *tenant, const pg_uuid_t *order_id)
{
	Datum		values[2];
	uint64		count;
	uint64		i;
	pg_uuid_t  *payments;
	bool		isnull;

	if (prev_order_cancel_hook)
		prev_order_cancel_hook(tenant, order_id);

	SPI_connect();
	commerce_prepare(&plan_open_payments,
					 "SELECT id FROM commerce.payments"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 " AND order_id OPERATOR(pg_catalog.=) $2"
					 " AND amount_authorized OPERATOR(pg_catalog.>) (amount_captured OPERATOR(pg_catalog.+) amount_voided)"
					 " ORDER BY id",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(order_id);
	count = commerce_execute(plan_open_payments, values, NULL, false, 0);
	payments = palloc(sizeof(pg_uuid_t) * (count + 1));
	for (i = 0; i < count; i++)
		memcpy(&payments[i],
			   DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)),
			   sizeof(pg_uuid_t));
	for (i = 0; i < count; i++)
	{
		Jsonb	   *response = change_payment(PAYMENT_VOID, tenant, &payments[i],
											  false, 0, NULL, false, 0);

		if (response_is_decline(response))
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_PAYMENT_DECLINED),
					 commerce_errcode("payment_declined"),
					 errmsg("the payment provider refused to void payment %s",
							commerce_uuid_string(&payments[i])),
					 errdetail("Order %s keeps its authorization and is not cancelled.",
							   commerce_uuid_string(order_id)),
					 errhint("Void the payment with its provider, then cancel again.")));
	}
	SPI_finish();
}
