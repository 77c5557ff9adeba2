/*-------------------------------------------------------------------------
 *
 * promotions.h
 *	  Promotions for the order files (docs/promotions.md): pricing a cart's
 *	  discounts (promotion_rules.c), the uses a placement takes and a
 *	  cancellation gives back, and the discounts a placed order stores
 *	  (promotion_usage.c), and what a discount code may look like
 *	  (promotions.c).
 *
 * extension/promotions.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_PROMOTIONS_H
#define COMMERCE_PROMOTIONS_H

#include "postgres.h"

#include "storage/lockdefs.h"

#include "order_store.h"

/* 1-64 letters, digits, _ and -, starting with a letter or digit. */
extern bool promotion_code_is_valid(const char *code);
/* A code as a customer typed it, upper-cased; invalid_input naming field
 * unless valid. */
extern char *promotion_code_normalize(const char *given, const char *field);

/*
 * The order's discounts over its priced lines: sets each line's
 * discount_amount and order->discounts. order->discount_code (checkout,
 * apply_discount_code) is checked strictly; with placing, so is every
 * code the order carries (docs/promotions.md, "When a code is checked").
 */
extern void promotion_apply(Order *order, bool placing);

/* Placing: take one use of each code (exact under concurrency; raises
 * discount_limit_reached), before the order number is taken. */
extern void promotion_take_usage(const Order *order);
/* Placing: store the order's discounts (after its row exists). */
extern void promotion_store_discounts(const Order *order);
/* A placed order's stored discounts into order->discounts. */
extern void promotion_load_discounts(Order *order);
/* A draft: carry one more code (discount_code_already_applied). */
extern void promotion_add_code(const Order *order, const OrderDiscount *code);
/* A draft: drop a code; false when the order does not carry it. */
extern bool promotion_remove_code(const Order *order, const char *code);

/*
 * The tenant's lock on code limits (promotion_usage.c): placing and
 * cancelling take it in ShareLock before they read or write a code's uses,
 * a change of a code's limits in ExclusiveLock before it locks the code's
 * row and counts the uses from the orders.
 */
extern void promotion_limits_lock(const pg_uuid_t *tenant, LOCKMODE mode);
/* Uses of a code counted from the orders (placed, not cancelled), with
 * the latest snapshot: under promotion_limits_lock ExclusiveLock. */
extern int32 promotion_count_uses(const pg_uuid_t *tenant, const pg_uuid_t *code_id);
/* A per-customer limit set (true) or removed (false): the code's
 * promotion_code_customers rows rebuilt from the orders, or deleted. */
extern void promotion_rebuild_customer_uses(const pg_uuid_t *tenant, const pg_uuid_t *code_id,
											bool limited);

/*
 * promotion_presence.c: tenants known, in this backend, to have no active
 * automatic promotion (pricing a new order skips its probe). absent: true
 * when known; *since is then passed to learned, after the pricing
 * statement's probe found none: it asks again under a fresh snapshot (a
 * statement, inside SPI) and remembers the absence unless a change of
 * commerce.promotions was announced in between.
 */
extern bool promotion_automatic_absent(const pg_uuid_t *tenant, uint64 *since);
extern void promotion_automatic_learned(const pg_uuid_t *tenant, uint64 since);

/* _PG_init: give uses back when an order is cancelled (orders.h hook). */
extern void commerce_promotions_init(void);

#endif							/* COMMERCE_PROMOTIONS_H */
