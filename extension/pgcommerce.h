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
#include "datatype/timestamp.h"
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
extern void commerce_require_staff(const char *action);
extern const char *commerce_current_subject(void);
extern bool commerce_tenant_exists(const pg_uuid_t *tenant, bool *active);
extern void commerce_reset_tenant_cache(void);

/* currencies.c: money rules */
extern int	commerce_require_currency(text *code);
extern void commerce_check_amount(const char *field, int64 amount);
extern int64 commerce_add_amounts(int64 a, int64 b);
extern int64 commerce_multiply_amount(int64 a, int64 b);

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

/* outbox.c: events, written in the command's transaction, published by
 * the background worker after commit (docs/events.md) */
#include "utils/jsonb.h"
extern void commerce_emit_event(const pg_uuid_t *tenant, const char *type,
								const char *aggregate_type,
								const pg_uuid_t *aggregate_id, Jsonb *data);

/* SQL expression rendering a timestamptz column as RFC 3339 UTC with
 * microseconds ("2026-11-24T18:00:00.000000Z"), for jsonb responses. */
#define COMMERCE_SQL_TIMESTAMP(column) \
	"pg_catalog.to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* uuid text for messages */
extern char *commerce_uuid_string(const pg_uuid_t *id);

/* variants.c: whether the current actor may see a variant (one of the
 * tenant's; for a customer actor, of an active product). Inside SPI. */
extern bool commerce_variant_visible(const pg_uuid_t *tenant, const pg_uuid_t *variant);

/* resolve_price.c: price resolution (docs/pricing.md). The unit amount in
 * minor units and the winning list, or false when no price applies;
 * customer may be NULL; price_list_id may be NULL when not wanted. Raises
 * unknown_currency, invalid_input (quantity < 1), not_found (customer). */
extern bool commerce_resolve_unit_price(const pg_uuid_t *tenant, const pg_uuid_t *variant,
										const char *currency, int32 quantity,
										const pg_uuid_t *customer, TimestampTz at,
										int64 *unit_amount, pg_uuid_t *price_list_id);

/* inventory.c: stock of the 'default' location, exact under concurrency.
 * reserve: insufficient_stock (55000) when available < quantity; release
 * and fulfil (on_hand -= q, reserved -= q): reservation_exceeded (55000)
 * when reserved < quantity; quantity <= 0: invalid_input. Each emits
 * inventory.changed. */
extern void commerce_reserve_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity);
extern void commerce_release_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity);
extern void commerce_fulfil_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity);

/* orders.c: what payments need of orders (docs/orders.md). Payments call
 * commerce_order_apply_payment_totals after every payment change with the
 * order's totals over all its payments; it sets payment_status, moves
 * placed -> paid (captured >= total) and paid/fulfilled -> refunded (all
 * captured refunded), bumps the version and emits order.paid,
 * order.refunded or order.updated. cancel_order calls
 * commerce_order_cancel_hook (if set) inside its transaction, after
 * locking the order row; payments set it from commerce_payments_init(),
 * chaining the previous value, to void open authorizations. */
extern void commerce_order_apply_payment_totals(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
												int64 authorized, int64 captured, int64 refunded);
typedef void (*commerce_order_cancel_hook_type) (const pg_uuid_t *tenant, const pg_uuid_t *order_id);
extern PGDLLIMPORT commerce_order_cancel_hook_type commerce_order_cancel_hook;

#endif							/* PGCOMMERCE_H */
