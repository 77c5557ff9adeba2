/*-------------------------------------------------------------------------
 *
 * shipping_rules.h
 *	  Addresses and shipping of orders (issue 17, docs/shipping.md): the
 *	  address rules (order_addresses.c) and the pricing of an order's
 *	  shipping method (shipping_rules.c), which order_price() calls.
 *
 * extension/shipping_rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_SHIPPING_RULES_H
#define COMMERCE_SHIPPING_RULES_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "order_store.h"

/* --- addresses (order_addresses.c) ------------------------------------- */

/* true when code is an assigned ISO 3166-1 alpha-2 country code */
extern bool commerce_is_country_code(const char *code);

/* invalid_input unless countries is a JSON array of 1..max distinct
 * assigned country codes; what.field names it in errors. */
extern void commerce_check_country_list(Jsonb *countries, const char *what,
										const char *field, int max);

/* The country of an address object (NULL without an address). */
extern char *order_address_country(Jsonb *address);

/* The fields a request body takes for an order's addresses. */
#define ORDER_ADDRESS_FIELDS \
	{"shipping_address", CF_OBJECT, false, 20}, \
	{"shipping_address_id", CF_UUID, false, 0}, \
	{"billing_address", CF_OBJECT, false, 20}, \
	{"billing_address_id", CF_UUID, false, 0}

/*
 * Apply the four values of ORDER_ADDRESS_FIELDS (in that order) to the
 * order: an inline address is checked and kept, an address id copies one
 * of the order customer's saved addresses (not_found otherwise), null
 * clears; absent leaves it. Returns whether anything was given.
 */
extern bool order_addresses_apply(Order *order, const CommerceValue *in);

/* --- shipping (shipping_rules.c) --------------------------------------- */

/*
 * Price the order's shipping method (order->has_shipping_method) for its
 * goods subtotal and weight: sets shipping_method_name, shipping_total and
 * shipping_tax_rate_ppm. When the method does not apply (not found,
 * archived, another currency, no shipping address, a country it does not
 * serve, weight unknown or beyond its bands) it raises the precise error
 * with raise, else returns false (a draft's live view).
 */
extern bool shipping_quote(Order *order, int64 goods_subtotal, bool raise);

#endif							/* COMMERCE_SHIPPING_RULES_H */
