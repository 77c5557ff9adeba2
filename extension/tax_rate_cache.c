/*-------------------------------------------------------------------------
 *
 * tax_rate_cache.c
 *	  A tenant's tax rates, remembered per backend for pricing until
 *	  commerce.tax_rates is written (tenant_cache.c: a trigger's relcache
 *	  invalidation), and the rate of a product tax category chosen from
 *	  them by the rule of TAX_RATE_SQL (tax_rules.h): the category's own
 *	  rate, else the tenant's default (the row without a category), else
 *	  none. Pricing then needs no tax-rate sub-query per line in its
 *	  statement (order_rules.c): a checkout's instructions fell by 5 % (3
 *	  lines, docs/benchmarks.md "Issue 13, session 11").
 *
 *	  Only tenants with at most TAX_RATES_KEPT rates are remembered; pricing
 *	  for a tenant with more keeps the sub-query. Every actor may read every
 *	  rate of its tenant (the policy of tax_rates is the tenant's only), so
 *	  what is kept does not depend on who read it.
 *
 * extension/tax_rate_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "command.h"
#include "tax_rules.h"
#include "tenant_cache.h"

static SPIPlanPtr plan_rates = NULL;
static TenantCache rates_cache = TENANT_CACHE("tax_rates", sizeof(TaxRates));

static bool tax_rates_load(const pg_uuid_t *tenant, TaxRates *rates);

/*
 * tax_rates_load
 *		The tenant's rates into *rates: false when it has more than
 *		TAX_RATES_KEPT.
 */
static bool
tax_rates_load(const pg_uuid_t *tenant, TaxRates *rates)
{
	Datum		values[1];
	uint64		n;

	commerce_prepare(&plan_rates,
					 "SELECT category, rate_ppm FROM commerce.tax_rates"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1",
					 1, (Oid[]) {UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	n = commerce_execute(plan_rates, values, NULL, true, TAX_RATES_KEPT + 1);
	memset(rates, 0, sizeof(TaxRates));
	if (n > TAX_RATES_KEPT)
		return false;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		no_category;
		bool		isnull;
		Datum		category = SPI_getbinval(row, desc, 1, &no_category);
		int32		rate = DatumGetInt32(SPI_getbinval(row, desc, 2, &isnull));

		if (no_category)
		{
			rates->has_default = true;
			rates->default_ppm = rate;
			continue;
		}
		text_to_cstring_buffer(DatumGetTextPP(category), rates->rate[rates->n].category,
							   sizeof(rates->rate[rates->n].category));
		rates->rate[rates->n].rate_ppm = rate;
		rates->n++;
	}
	return true;
}

/*
 * tax_rates_for_pricing
 *		The tenant's rates, remembered per backend until commerce.tax_rates
 *		is written: false when it has more than TAX_RATES_KEPT (the caller
 *		prices with TAX_RATE_SQL).
 */
bool
tax_rates_for_pricing(const pg_uuid_t *tenant, TaxRates *rates)
{
	uint64		since;

	if (tenant_cache_get(&rates_cache, tenant, rates, &since))
		return rates->kept;
	rates->kept = tax_rates_load(tenant, rates);
	if (tenant_cache_wants(&rates_cache, since))
	{
		TaxRates	fresh;

		/* what to keep is read again under a fresh snapshot (tenant_cache.c) */
		tenant_cache_fresh_begin();
		fresh.kept = tax_rates_load(tenant, &fresh);
		tenant_cache_fresh_end();
		tenant_cache_put(&rates_cache, tenant, &fresh, since);
	}
	return rates->kept;
}

/*
 * tax_rate_of
 *		TAX_RATE_SQL's rule over rates: the rate of category (NULL: none),
 *		else the default rate, else 0.
 */
int32
tax_rate_of(const TaxRates *rates, const char *category)
{
	if (category != NULL)
		for (int i = 0; i < rates->n; i++)
			if (strcmp(rates->rate[i].category, category) == 0)
				return rates->rate[i].rate_ppm;
	return rates->has_default ? rates->default_ppm : 0;
}
