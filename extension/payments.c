/*-------------------------------------------------------------------------
 *
 * payments.c
 *	  The payment aggregate: commerce.authorize_payment, capture_payment,
 *	  void_payment, refund_payment, get_payment, list_order_payments, and
 *	  the order cancel hook that voids open authorizations.
 *
 *	  This file holds the SQL entry points only; the aggregate's other
 *	  files (payment_aggregate.h) do the work: payment_rules.c decides,
 *	  payment_store.c reads and writes the rows, payment_render.c builds
 *	  the JSON.
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
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "errors.h"
#include "hooks.h"
#include "orders.h"
#include "payment_aggregate.h"
#include "payments.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_authorize_payment);
PG_FUNCTION_INFO_V1(commerce_capture_payment);
PG_FUNCTION_INFO_V1(commerce_void_payment);
PG_FUNCTION_INFO_V1(commerce_refund_payment);
PG_FUNCTION_INFO_V1(commerce_get_payment);
PG_FUNCTION_INFO_V1(commerce_list_order_payments);

#define PROVIDER_NAME_MAX 63
#define REASON_MAX 500

/* The command names (idempotency fingerprints), by PaymentOperation */
static const char *const command_names[] = {
	"authorize_payment", "capture_payment", "void_payment", "refund_payment"
};

static SPIPlanPtr plan_list_payments = NULL;

static commerce_order_cancel_hook_type prev_order_cancel_hook = NULL;

static void void_open_payments_on_cancel(const pg_uuid_t *tenant, const pg_uuid_t *order_id);
static bool given_amount(const CommerceValue *value, int64 *amount);
static void parse_change_body(Jsonb *data, PaymentOperation operation, bool *has_amount,
							  int64 *amount, char **reason);
static Datum run_payment_change(FunctionCallInfo fcinfo, PaymentOperation operation);

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

/* A body's amount that is present and not null, into *amount. */
static bool
given_amount(const CommerceValue *value, int64 *amount)
{
	if (!value->present || value->isnull)
		return false;
	*amount = DatumGetInt64(value->value);
	return true;
}

/*
 * commerce.authorize_payment(order_id uuid, data jsonb DEFAULT '{}',
 *							  idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		data: {"provider": text, "amount": bigint (default: what is still
 *		due on the order)}. The order must be placed (or fulfilled before
 *		it was paid); the payment is in the order's currency. Customers
 *		pay their own orders.
 */
Datum
commerce_authorize_payment(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {
		{"provider", CF_TEXT, true, PROVIDER_NAME_MAX},
		{"amount", CF_INT64, false, 0},
	};
	CommerceValue parsed[lengthof(fields)];
	CommerceCommand cmd;
	pg_uuid_t  *order_id = commerce_uuid_arg(fcinfo, 0, "order_id");
	Jsonb	   *response = commerce_write_begin(&cmd, command_names[PAYMENT_AUTHORIZE],
												fcinfo, 2, NULL);
	int64		amount = 0;
	bool		has_amount;

	if (response == NULL)
	{
		commerce_require_arg(fcinfo, 1, "data");
		commerce_parse_object(PG_GETARG_JSONB_P(1), "payment", fields, lengthof(fields), parsed);
		has_amount = given_amount(&parsed[1], &amount);
		response = payment_authorize(&cmd.tenant, order_id,
									 text_to_cstring(DatumGetTextPP(parsed[0].value)),
									 has_amount, amount);
		response = commerce_command_finish(&cmd, response);
		SPI_finish();
	}
	/* a declined response, fresh or replayed, declines over HTTP too */
	payment_signal_decline(response);
	PG_RETURN_JSONB_P(response);
}

/* The optional body of a capture {"amount"} or a refund {"amount", "reason"}. */
static void
parse_change_body(Jsonb *data, PaymentOperation operation, bool *has_amount,
				  int64 *amount, char **reason)
{
	static const CommerceField capture_fields[] = {
		{"amount", CF_INT64, false, 0},
	};
	static const CommerceField refund_fields[] = {
		{"amount", CF_INT64, false, 0},
		{"reason", CF_TEXT, false, REASON_MAX},
	};
	CommerceValue parsed[lengthof(refund_fields)];

	memset(parsed, 0, sizeof(parsed));
	if (operation == PAYMENT_REFUND)
		commerce_parse_object(data, "refund", refund_fields, lengthof(refund_fields), parsed);
	else
		commerce_parse_object(data, "capture", capture_fields, lengthof(capture_fields), parsed);
	*has_amount = given_amount(&parsed[0], amount);
	if (operation == PAYMENT_REFUND && parsed[1].present && !parsed[1].isnull)
		*reason = text_to_cstring(DatumGetTextPP(parsed[1].value));
}

/* payment.before_capture's input: {"payment": as read now, "amount": asked or null} */
static Jsonb *
payment_hook_input(const pg_uuid_t *tenant, const pg_uuid_t *payment_id, bool has_amount,
				   int64 amount)
{
	Jsonb	   *payment = payment_load_json(tenant, payment_id);
	char	   *text = psprintf("{\"payment\": %s, \"amount\": %s}",
								payment ? JsonbToCString(NULL, &payment->root, VARSIZE(payment)) : "null",
								has_amount ? psprintf(INT64_FORMAT, amount) : "null");

	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

/*
 * The shared body of capture_payment(id, data, expected_version,
 * idempotency_key), refund_payment (same arguments) and
 * void_payment(id, expected_version, idempotency_key): staff only.
 */
static Datum
run_payment_change(FunctionCallInfo fcinfo, PaymentOperation operation)
{
	bool		has_data = (operation != PAYMENT_VOID);
	int			version_arg = has_data ? 2 : 1;
	CommerceCommand cmd;
	pg_uuid_t  *payment_id = commerce_uuid_arg(fcinfo, 0, "id");
	Jsonb	   *response = commerce_write_begin(&cmd, command_names[operation], fcinfo,
												version_arg + 1,
												psprintf("%s a payment",
														 payment_operation_name(operation)));
	bool		has_amount = false;
	int64		amount = 0;
	char	   *reason = NULL;
	bool		has_expected;
	int64		expected = 0;

	if (response == NULL)
	{
		if (has_data && !PG_ARGISNULL(1))
			parse_change_body(PG_GETARG_JSONB_P(1), operation, &has_amount, &amount, &reason);
		has_expected = commerce_expected_version(fcinfo, version_arg, &expected);
		if (operation == PAYMENT_CAPTURE)	/* plugins (hooks.h) */
			COMMERCE_RUN_HOOKS(HOOK_PAYMENT_BEFORE_CAPTURE, &cmd.tenant,
							   payment_hook_input(&cmd.tenant, payment_id, has_amount, amount));
		response = payment_change(operation, &cmd.tenant, payment_id, has_amount, amount,
								  reason, has_expected, expected);
		if (operation == PAYMENT_CAPTURE)
			COMMERCE_RUN_HOOKS(HOOK_PAYMENT_AFTER_CAPTURE, &cmd.tenant, response);
		response = commerce_command_finish(&cmd, response);
		SPI_finish();
	}
	payment_signal_decline(response);
	PG_RETURN_JSONB_P(response);
}

/* commerce.capture_payment(id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_capture_payment(PG_FUNCTION_ARGS)
{
	return run_payment_change(fcinfo, PAYMENT_CAPTURE);
}

/* commerce.void_payment(id uuid, expected_version bigint, idempotency_key text) */
Datum
commerce_void_payment(PG_FUNCTION_ARGS)
{
	return run_payment_change(fcinfo, PAYMENT_VOID);
}

/* commerce.refund_payment(id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_refund_payment(PG_FUNCTION_ARGS)
{
	return run_payment_change(fcinfo, PAYMENT_REFUND);
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
	pg_uuid_t  *payment_id = commerce_uuid_arg(fcinfo, 0, "id");
	Jsonb	   *payment;
	Jsonb	   *response;

	commerce_query_begin(&tenant);
	SPI_connect();
	payment = payment_load_json(&tenant, payment_id);
	response = payment_merge_response(payment, payment_load_transactions(&tenant, payment_id));
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
	pg_uuid_t  *order_id = commerce_uuid_arg(fcinfo, 0, "order_id");
	CommerceListPage page;
	bool		has_customer;
	pg_uuid_t	customer;

	commerce_list_begin(&page, fcinfo, 1, 2);
	payment_order_customer(&page.tenant, order_id, &has_customer, &customer);
	payment_check_customer_owns(has_customer, &customer, "order", order_id);
	PG_RETURN_JSONB_P(commerce_list_fetch(&page, &plan_list_payments,
										  COMMERCE_LIST_BY_ID("commerce.payments", "p", PAYMENT_JSON,
															  " AND p.order_id OPERATOR(pg_catalog.=) $4"),
										  1, (Oid[]) {UUIDOID},
										  (Datum[]) {UUIDPGetDatum(order_id)}));
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
	uint64		count;
	uint64		i;
	pg_uuid_t  *payments;

	if (prev_order_cancel_hook)
		prev_order_cancel_hook(tenant, order_id);

	SPI_connect();
	payments = payment_open_ids(tenant, order_id, &count);
	for (i = 0; i < count; i++)
	{
		Jsonb	   *response = payment_change(PAYMENT_VOID, tenant, &payments[i],
											  false, 0, NULL, false, 0);

		if (payment_response_is_decline(response))
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
