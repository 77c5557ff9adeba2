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

/* The rate of a tax category: its own, else the tenant's default, else 0. */
extern int32 tax_rate_for(const pg_uuid_t *tenant, const char *category);

/* Line taxes and totals of n lines (amounts >= 0, rates 0..PPM). */
extern void tax_compute(int n, const int64 *amounts, const int32 *rates_ppm,
						const TaxSettings *settings, int64 *line_tax,
						int64 *subtotal, int64 *tax_total, int64 *total);

#endif							/* COMMERCE_TAX_RULES_H */
