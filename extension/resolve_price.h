/*-------------------------------------------------------------------------
 *
 * resolve_price.h
 *	  Price resolution (resolve_price.c, docs/pricing.md).
 *
 * extension/resolve_price.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_RESOLVE_PRICE_H
#define COMMERCE_RESOLVE_PRICE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/uuid.h"

/*
 * The winning tier of a variant: columns amount, price_list_id,
 * min_quantity, at most one row. The rules of docs/pricing.md in one place,
 * for commerce.resolve_price and the pricing of all an order's lines in
 * one statement (order_rules.c); the tenant is $1 of the statement, the
 * other inputs are SQL expressions (parameters or an outer query's
 * columns). Aliases p and l are its own.
 */
#define COMMERCE_PRICE_TIER_SQL(variant, quantity, currency, group, at) \
	"SELECT p.amount, p.price_list_id, p.min_quantity" \
	" FROM commerce.prices p" \
	" JOIN commerce.price_lists l" \
	"   ON l.tenant_id OPERATOR(pg_catalog.=) p.tenant_id" \
	"  AND l.id OPERATOR(pg_catalog.=) p.price_list_id" \
	" WHERE p.tenant_id OPERATOR(pg_catalog.=) $1" \
	"   AND p.variant_id OPERATOR(pg_catalog.=) " variant \
	"   AND p.min_quantity OPERATOR(pg_catalog.<=) " quantity \
	"   AND l.tenant_id OPERATOR(pg_catalog.=) $1" \
	"   AND l.currency OPERATOR(pg_catalog.=) " currency \
	"   AND l.status OPERATOR(pg_catalog.=) 'active'" \
	"   AND (l.valid_from IS NULL OR l.valid_from OPERATOR(pg_catalog.<=) " at ")" \
	"   AND (l.valid_until IS NULL OR " at " OPERATOR(pg_catalog.<) l.valid_until)" \
	"   AND (l.customer_group_id IS NULL" \
	"        OR l.customer_group_id OPERATOR(pg_catalog.=) " group ")" \
	" ORDER BY (l.customer_group_id IS NOT NULL) DESC," \
	"          l.priority DESC, p.min_quantity DESC," \
	"          p.amount ASC, l.id ASC" \
	" LIMIT 1"

#endif							/* COMMERCE_RESOLVE_PRICE_H */
