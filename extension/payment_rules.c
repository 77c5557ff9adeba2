/*-------------------------------------------------------------------------
 *
 * payment_rules.c
 *	  The rules of the payment aggregate: who may pay an order and how
 *	  much, what capture, void and refund may move, the status the
 *	  amounts mean, sending each attempt to its provider, declines, and
 *	  the order's totals sent to orders.c after every change.
 *
 *	  Every decision is taken on amounts read under the order and payment
 *	  locks (payment_store.c), so concurrent commands cannot overdraw a
 *	  payment or an order (payments.c's file comment).
 *
 * extension/payment_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "orders.h"
#include "outbox.h"
#include "payment_aggregate.h"
#include "payment_providers.h"
#include "tenant_context.h"
#include "uuid.h"

static const char *const operation_events[] = {
	"payment.authorized", "payment.captured", "payment.voided", "payment.refunded"
};

static const char *payment_status(int64 authorized, int64 captured, int64 voided, int64 refunded);
static void check_positive_amount(const char *field, int64 amount);
static void require_payable_order(const pg_uuid_t *order_id, const LockedOrder *order);
static int64 authorization_amount(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
								  int64 total, bool has_amount, int64 amount);
static void amount_exceeds(const LockedPayment *payment, PaymentOperation operation,
						   const char *code, int64 amount, int64 left,
						   const char *detail) pg_attribute_noreturn();
static int64 capture_amount(LockedPayment *payment, bool has_amount, int64 amount);
static int64 void_amount(LockedPayment *payment);
static int64 refund_amount(LockedPayment *payment, bool has_amount, int64 amount);
static void send_attempt(const pg_uuid_t *tenant, PaymentAttempt *attempt,
						 const char *reference);
static void emit_payment_event(const pg_uuid_t *tenant, const char *type,
							   const pg_uuid_t *payment_id, Jsonb *data);
static void apply_order_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id);

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
void
payment_check_customer_owns(bool has_customer, const pg_uuid_t *customer,
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

/* A given amount is a valid amount of money, and more than nothing. */
static void
check_positive_amount(const char *field, int64 amount)
{
	commerce_check_amount(field, amount);
	if (amount == 0)
		ereport_invalid_input("%s must be greater than zero", field);
}

/* fulfilled: orders may ship before payment (cash on delivery, invoices) */
static void
require_payable_order(const pg_uuid_t *order_id, const LockedOrder *order)
{
	if (strcmp(order->status, "placed") != 0 && strcmp(order->status, "fulfilled") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("order %s is %s; only a placed or fulfilled order can be paid",
						commerce_uuid_string(order_id), order->status)));
}

/*
 * The amount to authorize: the one given, or what is still due on the
 * order (the total minus what its payments hold or keep); never more
 * than is due.
 */
static int64
authorization_amount(const pg_uuid_t *tenant, const pg_uuid_t *order_id, int64 total,
					 bool has_amount, int64 amount)
{
	int64		covered = payment_order_covered(tenant, order_id);
	int64		due = total - covered;

	if (has_amount)
		check_positive_amount("payment.amount", amount);
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
	return amount;
}

/*
 * A capture or refund of more than is left: code names which, detail
 * gives the amounts the limit comes from.
 */
static void
amount_exceeds(const LockedPayment *payment, PaymentOperation operation, const char *code,
			   int64 amount, int64 left, const char *detail)
{
	const char *name = payment_operation_name(operation);

	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
			 commerce_errcode(code),
			 errmsg("%s of " INT64_FORMAT " exceeds the " INT64_FORMAT " left to %s on payment %s",
					name, amount, left, name, commerce_uuid_string(&payment->id)),
			 errdetail("%s", detail)));
}

/* Capture: at most what is authorized and neither captured nor voided. */
static int64
capture_amount(LockedPayment *payment, bool has_amount, int64 amount)
{
	int64		open = payment->authorized - payment->captured - payment->voided;

	if (strcmp(payment->status, "declined") == 0 || strcmp(payment->status, "voided") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("payment %s is %s and cannot be captured",
						commerce_uuid_string(&payment->id), payment->status)));
	if (!has_amount)
		amount = open;
	if (open == 0 || amount > open)
		amount_exceeds(payment, PAYMENT_CAPTURE, "capture_exceeds_authorized", amount, open,
					   psprintf("Authorized " INT64_FORMAT ", captured " INT64_FORMAT ", voided " INT64_FORMAT ".",
								payment->authorized, payment->captured, payment->voided));
	payment->captured += amount;
	return amount;
}

/* Void: the whole uncaptured remainder, never a part of it. */
static int64
void_amount(LockedPayment *payment)
{
	int64		open = payment->authorized - payment->captured - payment->voided;

	if (strcmp(payment->status, "declined") == 0 || open == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("payment %s is %s and has nothing left to void",
						commerce_uuid_string(&payment->id), payment->status)));
	payment->voided += open;
	return open;
}

/* Refund: at most what is captured and not yet refunded. */
static int64
refund_amount(LockedPayment *payment, bool has_amount, int64 amount)
{
	int64		refundable = payment->captured - payment->refunded;

	if (payment->captured == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("payment %s is %s; nothing was captured to refund",
						commerce_uuid_string(&payment->id), payment->status),
				 errhint("Void an authorization that was not captured.")));
	if (!has_amount)
		amount = refundable;
	if (refundable == 0 || amount > refundable)
		amount_exceeds(payment, PAYMENT_REFUND, "refund_exceeds_captured", amount, refundable,
					   psprintf("Captured " INT64_FORMAT ", refunded " INT64_FORMAT ".",
								payment->captured, payment->refunded));
	payment->refunded += amount;
	return amount;
}

/*
 * Give the attempt its transaction id and send it to its provider
 * (payment_providers.c); the outcome is left in attempt->outcome.
 * reference is the provider's reference of the authorization.
 */
static void
send_attempt(const pg_uuid_t *tenant, PaymentAttempt *attempt, const char *reference)
{
	commerce_uuid_v7(&attempt->transaction_id);
	commerce_payment_provider_call(attempt->provider,
								   payment_provider_request(tenant, attempt, reference),
								   &attempt->outcome);
}

/* One payment event in the outbox, in this transaction (outbox.c). */
static void
emit_payment_event(const pg_uuid_t *tenant, const char *type,
				   const pg_uuid_t *payment_id, Jsonb *data)
{
	commerce_emit_event(tenant, type, "payment", payment_id, data);
}

/* Report the order's totals over all its payments to orders.c. */
static void
apply_order_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id)
{
	int64		authorized;
	int64		captured;
	int64		refunded;

	payment_order_totals(tenant, order_id, &authorized, &captured, &refunded);
	commerce_order_apply_payment_totals(tenant, order_id, authorized, captured, refunded);
}

/*
 * payment_authorize
 *		A new payment of the order through provider: the amount given or
 *		what is still due. Returns the payment with "transaction" (the
 *		attempt), declined or not.
 */
Jsonb *
payment_authorize(const pg_uuid_t *tenant, const pg_uuid_t *order_id, const char *provider,
				  bool has_amount, int64 amount)
{
	LockedOrder order;
	PaymentAttempt attempt;
	Jsonb	   *payment;
	Jsonb	   *response;

	payment_lock_order(tenant, order_id, &order);
	payment_check_customer_owns(order.has_customer, &order.customer_id, "order", order_id);
	require_payable_order(order_id, &order);

	memset(&attempt, 0, sizeof(attempt));
	attempt.operation = PAYMENT_AUTHORIZE;
	attempt.amount = authorization_amount(tenant, order_id, order.total, has_amount, amount);
	memcpy(&attempt.order_id, order_id, sizeof(pg_uuid_t));
	attempt.has_customer = order.has_customer;
	attempt.customer_id = order.customer_id;
	attempt.currency = order.currency;
	attempt.provider = provider;
	commerce_uuid_v7(&attempt.payment_id);
	send_attempt(tenant, &attempt, NULL);

	/* the payment first: the attempt refers to it */
	payment = payment_insert(tenant, &attempt);
	response = payment_merge_response(payment, payment_record_attempt(tenant, &attempt));
	if (!attempt.outcome.approved)
	{
		emit_payment_event(tenant, "payment.declined", &attempt.payment_id, response);
		return response;
	}
	emit_payment_event(tenant, "payment.authorized", &attempt.payment_id, response);
	apply_order_totals(tenant, order_id);
	return response;
}

/*
 * payment_change
 *		Capture, void or refund under the order and payment locks. Returns
 *		the payment with "transaction" (the attempt), declined or not.
 */
Jsonb *
payment_change(PaymentOperation operation, const pg_uuid_t *tenant,
			   const pg_uuid_t *payment_id, bool has_amount, int64 amount,
			   const char *reason, bool has_expected, int64 expected)
{
	LockedPayment payment;
	LockedPayment changed;
	PaymentAttempt attempt;
	Jsonb	   *transaction;
	Jsonb	   *response;

	payment_lock(tenant, payment_id, &payment);
	commerce_check_version("payment", has_expected, expected, payment.version);
	if (has_amount)
		check_positive_amount("amount", amount);

	memset(&attempt, 0, sizeof(attempt));
	changed = payment;
	if (operation == PAYMENT_CAPTURE)
		attempt.amount = capture_amount(&changed, has_amount, amount);
	else if (operation == PAYMENT_VOID)
		attempt.amount = void_amount(&changed);
	else if (operation == PAYMENT_REFUND)
		attempt.amount = refund_amount(&changed, has_amount, amount);
	else
		elog(ERROR, "authorize is not a change of an existing payment");

	attempt.operation = operation;
	attempt.payment_id = payment.id;
	attempt.order_id = payment.order_id;
	attempt.has_customer = payment.has_customer;
	attempt.customer_id = payment.customer_id;
	attempt.currency = payment.currency;
	attempt.provider = payment.provider;
	attempt.reason = reason;
	send_attempt(tenant, &attempt, payment.reference);
	transaction = payment_record_attempt(tenant, &attempt);
	if (!attempt.outcome.approved)
	{
		response = payment_merge_response(payment_load_json(tenant, payment_id), transaction);
		emit_payment_event(tenant, "payment.declined", payment_id, response);
		return response;
	}

	response = payment_update_amounts(tenant, &changed,
									  payment_status(changed.authorized, changed.captured,
													 changed.voided, changed.refunded),
									  transaction);
	emit_payment_event(tenant, operation_events[operation], payment_id, response);
	apply_order_totals(tenant, &payment.order_id);
	return response;
}

/*
 * payment_signal_decline
 *		Tell the gateway (which reads the setting after the call, before
 *		COMMIT) whether to answer 402: every payment command sets it from
 *		its response, fresh or replayed, so it always describes the last
 *		one.
 */
void
payment_signal_decline(Jsonb *response)
{
	(void) set_config_option("commerce.response_error",
							 payment_response_is_decline(response) ? "payment_declined" : "",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}
