/*-------------------------------------------------------------------------
 *
 * tax_rules.h
 *	  The tax rules orders are priced with (tax_rules.c): a tenant's
 *	  settings, the rate of a tax category, and the exact integer arithmetic
 *	  of line taxes and totals (docs/orders.md, Tax).
 *
 * extension/tax_rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_TAX_RULES_H
#define COMMERCE_TAX_RULES_H

#include "postgres.h"

#include "utils/uuid.h"

/* Rates are parts per million: 1000000 is 100%. */
#define PPM 1000000

/* Tenant tax settings (commerce.tax_settings; defaults without a row). */
typedef struct TaxSettings
{
	bool		prices_include_tax;
	bool		half_up;		/* else half_even */
	bool		per_order;		/* else per line */
	int64		version;		/* 0: never set */
} TaxSettings;

/* The tenant's settings, or the defaults when it never set them. */
extern void tax_settings_load(const pg_uuid_t *tenant, TaxSettings *settings);
/* The same, remembered per backend until the table is written (pricing). */
extern void tax_settings_for_pricing(const pg_uuid_t *tenant, TaxSettings *settings);

/*
 * A tenant's tax rates for pricing (tax_rate_cache.c), when it has at most
 * TAX_RATES_KEPT of them (categories are 1..100 characters: 510_tax.sql).
 */
#define TAX_RATES_KEPT 8
typedef struct TaxRates
{
	bool		kept;			/* false: more rates than TAX_RATES_KEPT */
	bool		has_default;
	int32		default_ppm;
	int			n;
	struct
	{
		char		category[101];
		int32		rate_ppm;
	}			rate[TAX_RATES_KEPT];
} TaxRates;

/* The tenant's rates, remembered per backend until the table is written:
 * false when it has more than TAX_RATES_KEPT (price with TAX_RATE_SQL). */
extern bool tax_rates_for_pricing(const pg_uuid_t *tenant, TaxRates *rates);
/* TAX_RATE_SQL's rule over rates: category's (NULL: none), else default, else 0. */
extern int32 tax_rate_of(const TaxRates *rates, const char *category);

/*
 * The rate of a tax category: its own, else the tenant's default (the row
 * without a category), else none (0). A subquery of at most one row with
 * column rate_ppm; the tenant is $1 of the statement, category an SQL
 * expression (order_rules.c prices all an order's lines in one statement).
 */
#define TAX_RATE_SQL(category) \
	"SELECT r.rate_ppm FROM commerce.tax_rates r" \
	" WHERE r.tenant_id OPERATOR(pg_catalog.=) $1" \
	"   AND (r.category OPERATOR(pg_catalog.=) " category " OR r.category IS NULL)" \
	" ORDER BY r.category IS NULL LIMIT 1"

/* Line taxes and totals of n lines (amounts >= 0, rates 0..PPM). */
extern void tax_compute(int n, const int64 *amounts, const int32 *rates_ppm,
						const TaxSettings *settings, int64 *line_tax,
						int64 *subtotal, int64 *tax_total, int64 *total);

#endif							/* COMMERCE_TAX_RULES_H */
