/*-------------------------------------------------------------------------
 *
 * order_pricing_sql.h
 *	  The statement that prices all an order's lines at once
 *	  (order_rules.c, read_lines_catalog): catalog facts, the winning price
 *	  tier (COMMERCE_PRICE_TIER_SQL) and the tax rate of every line, one row
 *	  per line in line order.
 *
 * extension/order_pricing_sql.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ORDER_PRICING_SQL_H
#define COMMERCE_ORDER_PRICING_SQL_H

#include "resolve_price.h"
#include "tax_rules.h"

/*
 * The statement of read_lines_catalog, with probe (column 9: anything for
 * promotion_apply to evaluate? Run once: no outer reference) one of the
 * four of lines_catalog_sql (order_rules.c). Codes come from the order (its
 * order_discounts rows, PROBE_CODES) or the request; only automatic
 * promotions apply without one (PROBE_AUTOMATIC).
 */
#define PROBE_AUTOMATIC 1
#define PROBE_CODES 2
#define AUTOMATIC_PROBE_SQL \
	" EXISTS (SELECT FROM commerce.promotions pr" \
	"         WHERE pr.tenant_id OPERATOR(pg_catalog.=) $1" \
	"           AND pr.automatic" \
	"           AND pr.status OPERATOR(pg_catalog.=) 'active')"
#define CODES_PROBE_SQL \
	" EXISTS (SELECT FROM commerce.order_discounts od" \
	"         WHERE od.tenant_id OPERATOR(pg_catalog.=) $1" \
	"           AND od.order_id OPERATOR(pg_catalog.=) $7)"
#define LINES_CATALOG_SQL(probe) \
	"SELECT v.id IS NOT NULL, v.sku," \
	" CASE WHEN v.title IS NULL OR v.title OPERATOR(pg_catalog.=) ''" \
	"      OR v.title OPERATOR(pg_catalog.=) cp.title THEN cp.title" \
	"      ELSE cp.title OPERATOR(pg_catalog.||) ' - ' OPERATOR(pg_catalog.||) v.title END," \
	" cp.tax_category, cp.status OPERATOR(pg_catalog.=) 'active'," \
	" tier.amount, tier.price_list_id, %s," \
	probe "," \
	" v.product_id, cp.category_id," \
	/* shipping: weight bands (docs/shipping.md) */ \
	" v.weight_grams" \
	" FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) WITH ORDINALITY AS line(variant_id, quantity, ord)" \
	" LEFT JOIN commerce.variants v" \
	"   ON v.tenant_id OPERATOR(pg_catalog.=) $1" \
	"  AND v.id OPERATOR(pg_catalog.=) line.variant_id" \
	" LEFT JOIN commerce.products cp" \
	"   ON cp.tenant_id OPERATOR(pg_catalog.=) v.tenant_id" \
	"  AND cp.id OPERATOR(pg_catalog.=) v.product_id" \
	" LEFT JOIN LATERAL (" \
	COMMERCE_PRICE_TIER_SQL("line.variant_id", "line.quantity", "$4", \
							"%s", "$6") \
	") tier ON v.id IS NOT NULL" \
	"%s ORDER BY line.ord"
/*
 * LINES_CATALOG_SQL is a format of three %s: the rate column, the
 * customer's group and the rate's join. The rate in the statement, for a
 * tenant with more than TAX_RATES_KEPT rates (else rates are picked in C:
 * tax_rate_cache.c), and the customer's group, for a tenant with a group
 * price list (else no tier depends on it: price_group_presence.c).
 */
#define RATE_COLUMN_SQL "rate.rate_ppm"
#define RATE_SQL " LEFT JOIN LATERAL (" TAX_RATE_SQL("cp.tax_category") ") rate ON v.id IS NOT NULL"
#define GROUP_SQL \
	"(SELECT c.group_id FROM commerce.customers c" \
	" WHERE c.tenant_id OPERATOR(pg_catalog.=) $1 AND c.id OPERATOR(pg_catalog.=) $5)"

#endif							/* COMMERCE_ORDER_PRICING_SQL_H */
