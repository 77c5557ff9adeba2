/*-------------------------------------------------------------------------
 *
 * order_render.h
 *	  The JSON representation of an order (order_render.c).
 *
 * extension/order_render.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ORDER_RENDER_H
#define COMMERCE_ORDER_RENDER_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "order_store.h"

/* The order as the HTTP response body, with or without its lines. */
extern Jsonb *order_render(const Order *order, bool with_lines);

#endif							/* COMMERCE_ORDER_RENDER_H */
