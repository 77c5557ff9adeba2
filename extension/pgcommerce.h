/*-------------------------------------------------------------------------
 *
 * pgcommerce.h
 *	  Declarations shared between the files of the pgcommerce library:
 *	  module-wide settings and the entry points each file offers the others.
 *
 * extension/pgcommerce.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGCOMMERCE_H
#define PGCOMMERCE_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#ifndef PGCOMMERCE_VERSION
#error "PGCOMMERCE_VERSION must be defined by the build"
#endif

/* pgcommerce.c: module initialisation */
extern void _PG_init(void);

/* gucs.c: every pgcommerce.* server setting */
extern int	commerce_idempotency_retention_minutes;
extern void commerce_define_gucs(void);

/* uuid.c: time-ordered identifiers */
extern void commerce_uuid_v7(pg_uuid_t *out);

/* tenant_context.c: who the current tenant, actor and subject are */
extern void commerce_define_context_gucs(void);
extern bool commerce_current_tenant(pg_uuid_t *out);
extern void commerce_require_tenant(pg_uuid_t *out);
extern bool commerce_actor_is_customer(void);
extern const char *commerce_current_subject(void);
extern bool commerce_tenant_exists(const pg_uuid_t *tenant, bool *active);
extern void commerce_reset_tenant_cache(void);

/* currencies.c: money rules */
extern int	commerce_require_currency(text *code);
extern void commerce_check_amount(const char *field, int64 amount);
extern int64 commerce_add_amounts(int64 a, int64 b);
extern int64 commerce_multiply_amount(int64 a, int64 b);

/* orders.c (pinned interface): payments report their totals to the order,
 * and the order's cancel calls a hook inside its transaction */
extern void commerce_order_apply_payment_totals(const pg_uuid_t *tenant,
												const pg_uuid_t *order_id,
												int64 authorized, int64 captured,
												int64 refunded);
typedef void (*commerce_order_cancel_hook_type) (const pg_uuid_t *tenant,
												 const pg_uuid_t *order_id);
extern PGDLLIMPORT commerce_order_cancel_hook_type commerce_order_cancel_hook;

/* payments.c: installs the order cancel hook (called from _PG_init) */
extern void commerce_payments_init(void);

/* payment_providers.c: run one operation through a registered provider */
typedef struct CommercePaymentOutcome
{
	bool		approved;
	char	   *reference;		/* provider's reference, may be NULL */
	char	   *decline_code;	/* NULL when approved */
	Jsonb	   *response;		/* the handler's raw answer, kept on the attempt */
} CommercePaymentOutcome;
extern void commerce_payment_provider_call(const char *provider, Jsonb *request,
										   CommercePaymentOutcome *outcome);
extern void commerce_require_payment_provider(const char *provider);

/* outbox.c: events, written in the command's transaction, published by
 * the background worker after commit (docs/events.md) */
#include "utils/jsonb.h"
extern void commerce_emit_event(const pg_uuid_t *tenant, const char *type,
								const char *aggregate_type,
								const pg_uuid_t *aggregate_id, Jsonb *data);

/* uuid text for messages */
extern char *commerce_uuid_string(const pg_uuid_t *id);

#endif							/* PGCOMMERCE_H */
