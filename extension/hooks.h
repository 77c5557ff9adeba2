/*-------------------------------------------------------------------------
 *
 * hooks.h
 *	  Plugin hooks called synchronously inside commands (hooks.c): the hook
 *	  points, the no-hook fast path, and the runner. See docs/plugins.md.
 *
 *	  A call site is one statement and costs one array read when no hook
 *	  is registered at its point (the common case):
 *
 *		COMMERCE_RUN_HOOKS(HOOK_PRODUCT_AFTER_UPDATE, &cmd.tenant, result);
 *
 *	  the input expression is evaluated only when a hook exists.
 *
 * extension/hooks.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_HOOKS_H
#define COMMERCE_HOOKS_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

/* The same list as commerce.hooks' CHECK (sql/src/870_plugins.sql). */
typedef enum CommerceHookPoint
{
	HOOK_ORDER_BEFORE_PLACE,
	HOOK_ORDER_AFTER_PLACE,
	HOOK_PAYMENT_BEFORE_CAPTURE,
	HOOK_PAYMENT_AFTER_CAPTURE,
	HOOK_CUSTOMER_BEFORE_CREATE,
	HOOK_PRODUCT_AFTER_UPDATE,
	HOOK_NPOINTS
} CommerceHookPoint;

/* Whether any hook (of any tenant) is registered at point: the backend's
 * cached hook table, reloaded only after commerce.hooks or a handler or
 * role changed. Call inside SPI. */
extern bool commerce_hooks_at(CommerceHookPoint point);

/*
 * Run the hooks of point that apply to tenant (its own and every tenant's,
 * of plugins it enabled), in priority then name order, each as its run_as
 * role with the context pinned and its time budget. Each may return SQL
 * NULL, JSON null or {}; a rejection (commerce.reject) is re-raised as is;
 * anything else fails the command with hook_failed, hook_timeout or
 * hook_invalid_response.
 */
extern void commerce_run_hooks(CommerceHookPoint point, const pg_uuid_t *tenant,
							   Jsonb *input);

/*
 * order.before_place: the same, where each hook may also return
 * {"adjustments": [{"kind": "discount"|"fee", "code", "label", "amount"}]};
 * the adjustments are stored for order_id and the net change of the total
 * (fees minus discounts) is returned, for commerce_adjust_order once the
 * order row is written. Bounds in docs/plugins.md.
 */
extern int64 commerce_run_before_place(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
									   Jsonb *order, int64 total);

/* Add the net adjustment to the placed order's row (adjustment_total and
 * total); returns it, for the order in memory. */
extern int64 commerce_adjust_order(const pg_uuid_t *tenant, const pg_uuid_t *order_id,
								   int64 adjustment);

#define COMMERCE_RUN_HOOKS(point, tenant, input) \
	do { \
		if (commerce_hooks_at(point)) \
			commerce_run_hooks((point), (tenant), (input)); \
	} while (0)

#endif							/* COMMERCE_HOOKS_H */
