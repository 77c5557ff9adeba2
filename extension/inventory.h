/*-------------------------------------------------------------------------
 *
 * inventory.h
 *	  Stock of the default location, exact under concurrency (inventory.c).
 *
 * extension/inventory.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_INVENTORY_H
#define COMMERCE_INVENTORY_H

#include "postgres.h"

#include "utils/uuid.h"

/*
 * reserve: insufficient_stock (55000) when available < quantity; release
 * and fulfil (on_hand -= q, reserved -= q): reservation_exceeded (55000)
 * when reserved < quantity; quantity <= 0: invalid_input. None emits an
 * event: they are steps of an order command, whose one event (order.placed,
 * order.cancelled, order.fulfilled) carries the lines and so the moves.
 */
/*
 * Reserve quantities[i] units of variants[i] for every i < n (distinct
 * variants, quantities > 0) in one statement that locks the stock rows in
 * variant id order: all or nothing, insufficient_stock naming the first
 * variant, in id order, that lacks stock.
 */
extern void commerce_reserve_stock_lines(const pg_uuid_t *tenant, int n,
										 const pg_uuid_t *variants, const int64 *quantities);
extern void commerce_release_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity);
extern void commerce_fulfil_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity);

#endif							/* COMMERCE_INVENTORY_H */
