/*-------------------------------------------------------------------------
 *
 * payment_aggregate.h
 *	  The payment aggregate as the payment files share it: payments.c (the
 *	  SQL entry points and the order cancel hook), payment_rules.c (amount
 *	  rules, state changes, declines, totals sent to orders),
 *	  payment_store.c (loading, locking, payment and attempt rows) and
 *	  payment_render.c (the JSON of responses and provider requests).
 *
 *	  Calls go one way only: payments.c -> payment_rules.c ->
 *	  payment_store.c and payment_render.c, which call no other payment
 *	  file.
 *
 * extension/payment_aggregate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_PAYMENT_AGGREGATE_H
#define COMMERCE_PAYMENT_AGGREGATE_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "payment_providers.h"

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

/* The operation as the provider request and the attempt's kind name it */
static inline const char *
payment_operation_name(PaymentOperation operation)
{
	static const char *const names[] = {"authorize", "capture", "void", "refund"};

	return names[operation];
}

/* An order row as authorize_payment reads it under its lock */
typedef struct LockedOrder
{
	char	   *status;
	char	   *currency;
	int64		total;
	bool		has_customer;
	pg_uuid_t	customer_id;
} LockedOrder;

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

/* One attempt sent to a provider, before it is recorded */
typedef struct PaymentAttempt
{
	PaymentOperation operation;
	pg_uuid_t	transaction_id;
	pg_uuid_t	payment_id;
	pg_uuid_t	order_id;
	bool		has_customer;
	pg_uuid_t	customer_id;
	int64		amount;
	const char *currency;
	const char *provider;
	const char *reason;			/* refunds only; may be NULL */
	CommercePaymentOutcome outcome;
} PaymentAttempt;

/* payment_rules.c */
extern Jsonb *payment_authorize(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
								const char *provider, bool has_amount, int64 amount);
extern Jsonb *payment_change(PaymentOperation operation, const pg_uuid_t *tenant,
							 const pg_uuid_t *payment_id, bool has_amount, int64 amount,
							 const char *reason, bool has_expected, int64 expected);
extern void payment_check_customer_owns(bool has_customer, const pg_uuid_t *customer,
										const char *aggregate, const pg_uuid_t *id);
extern void payment_signal_decline(Jsonb *response);

/* payment_store.c */
extern void payment_lock_order(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
							   LockedOrder *order);
extern void payment_lock(const pg_uuid_t *tenant, const pg_uuid_t *payment_id,
						 LockedPayment *payment);
extern void payment_order_customer(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
								   bool *has_customer, pg_uuid_t *customer);
extern int64 payment_order_covered(const pg_uuid_t *tenant, const pg_uuid_t *order_id);
extern void payment_order_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
								 int64 *authorized, int64 *captured, int64 *refunded);
extern pg_uuid_t *payment_open_ids(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
								   uint64 *count);
extern Jsonb *payment_insert(const pg_uuid_t *tenant, const PaymentAttempt *attempt);
extern Jsonb *payment_record_attempt(const pg_uuid_t *tenant, const PaymentAttempt *attempt);
extern Jsonb *payment_update_amounts(const pg_uuid_t *tenant, const LockedPayment *payment,
									 const char *status, Jsonb *transaction);
extern Jsonb *payment_load_json(const pg_uuid_t *tenant, const pg_uuid_t *payment_id);
extern Jsonb *payment_load_transactions(const pg_uuid_t *tenant, const pg_uuid_t *payment_id);

/* payment_render.c */
extern Jsonb *payment_provider_request(const pg_uuid_t *tenant, const PaymentAttempt *attempt,
									   const char *reference);
extern Jsonb *payment_merge_response(Jsonb *payment, Jsonb *extra);
extern bool payment_response_is_decline(Jsonb *response);

#endif							/* COMMERCE_PAYMENT_AGGREGATE_H */
