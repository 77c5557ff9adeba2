/*-------------------------------------------------------------------------
 *
 * tax_rules.c
 *	  The tax rules orders are priced with (docs/orders.md, Tax): the
 *	  tenant's settings (inclusive or exclusive prices, rounding mode and
 *	  scope), the rate of a product tax category (TAX_RATE_SQL, in the
 *	  statement that prices an order's lines), and the exact integer
 *	  arithmetic that turns line amounts into line taxes, subtotal, tax
 *	  total and total. order_price() and commerce.compute_tax() (tax.c)
 *	  call tax_compute().
 *
 *	  Rates are parts per million and amounts bigint minor units; products
 *	  are taken in 128 bits, so no intermediate can overflow and nothing is
 *	  ever floating point. The result is rounded once, to the minor unit.
 *
 * extension/tax_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "tax_rules.h"
#include "tenant_cache.h"

static SPIPlanPtr plan_settings = NULL;

static int64 round_division(int128 numerator, int128 denominator, bool half_up);
static int64 tax_of(int64 amount, int32 rate_ppm, const TaxSettings *settings);
static void share_group_tax(int n, int first, const int64 *amounts, const int32 *rates_ppm,
							const TaxSettings *settings, int64 *line_tax,
							int128 *remainders);

/*
 * round_division
 *		numerator / denominator (both >= 0, denominator > 0) rounded to the
 *		nearest integer; a tie goes up (half_up) or to the even neighbour
 *		(half_even, "banker's rounding").
 */
static int64
round_division(int128 numerator, int128 denominator, bool half_up)
{
	int128		quotient = numerator / denominator;
	int128		twice_remainder = (numerator % denominator) * 2;

	if (twice_remainder > denominator ||
		(twice_remainder == denominator && (half_up || (quotient % 2) != 0)))
		quotient++;
	return (int64) quotient;
}

/*
 * The tax in amount: exclusive prices add amount * rate; inclusive prices
 * hold amount * rate / (1 + rate) of it. rate_ppm <= 100% keeps the tax
 * <= amount, so it fits in int64.
 */
static int64
tax_of(int64 amount, int32 rate_ppm, const TaxSettings *settings)
{
	if (settings->prices_include_tax)
		return round_division((int128) amount * rate_ppm, (int128) PPM + rate_ppm,
							  settings->half_up);
	return round_division((int128) amount * rate_ppm, PPM, settings->half_up);
}

/*
 * share_group_tax
 *		Per-order rounding of the lines first..n-1 that have the rate of
 *		line first: the group's tax is rounded once, then shared out over
 *		its lines by the largest-remainder method.
 */
static void
share_group_tax(int n, int first, const int64 *amounts, const int32 *rates_ppm,
				const TaxSettings *settings, int64 *line_tax, int128 *remainders)
{
	int32		rate = rates_ppm[first];
	int64		base = 0;
	int64		group_tax;
	int64		shared = 0;
	int			j;

	for (j = first; j < n; j++)
		if (rates_ppm[j] == rate)
			base = commerce_add_amounts(base, amounts[j]);
	group_tax = tax_of(base, rate, settings);
	for (j = first; j < n; j++)
	{
		if (rates_ppm[j] != rate)
			continue;
		if (base == 0)
		{
			line_tax[j] = 0;
			remainders[j] = 0;
			continue;
		}
		line_tax[j] = (int64) (((int128) group_tax * amounts[j]) / base);
		remainders[j] = ((int128) group_tax * amounts[j]) % base;
		shared += line_tax[j];
	}
	/* the units left over go to the largest remainders, first line first */
	while (shared < group_tax)
	{
		int			best = -1;

		for (j = first; j < n; j++)
			if (rates_ppm[j] == rate && (best < 0 || remainders[j] > remainders[best]))
				best = j;
		line_tax[best]++;
		remainders[best] = -1;
		shared++;
	}
}

/*
 * tax_compute
 *		Line taxes and totals of n lines (amounts >= 0, rates 0..PPM).
 *
 *		Per line: each line's tax is rounded on its own; the tax total is
 *		their sum. Per order: the lines are grouped by rate, each group's
 *		tax is rounded once, and the group's tax is shared out over its
 *		lines by the largest-remainder method, so the line taxes still add
 *		up to the tax total exactly.
 *
 *		Exclusive prices: total = subtotal + tax_total; inclusive prices:
 *		total = subtotal (the tax is inside). Sums are overflow-checked.
 */
void
tax_compute(int n, const int64 *amounts, const int32 *rates_ppm,
			const TaxSettings *settings, int64 *line_tax,
			int64 *subtotal, int64 *tax_total, int64 *total)
{
	int			i;
	int64		taxes = 0;
	int64		sum = 0;

	for (i = 0; i < n; i++)
	{
		commerce_check_amount("line amount", amounts[i]);
		if (rates_ppm[i] < 0 || rates_ppm[i] > PPM)
			ereport_invalid_input("tax rate %d ppm is outside 0..%d", rates_ppm[i], PPM);
		sum = commerce_add_amounts(sum, amounts[i]);
		line_tax[i] = -1;
	}

	if (!settings->per_order)
	{
		for (i = 0; i < n; i++)
			line_tax[i] = tax_of(amounts[i], rates_ppm[i], settings);
	}
	else
	{
		int128	   *remainders = palloc(sizeof(int128) * Max(n, 1));

		for (i = 0; i < n; i++)
			if (line_tax[i] < 0)	/* else its rate's group is done */
				share_group_tax(n, i, amounts, rates_ppm, settings, line_tax, remainders);
		pfree(remainders);
	}

	for (i = 0; i < n; i++)
		taxes = commerce_add_amounts(taxes, line_tax[i]);
	*subtotal = sum;
	*tax_total = taxes;
	*total = settings->prices_include_tax ? sum : commerce_add_amounts(sum, taxes);
}

/* Tax settings of tenants, for pricing (tenant_cache.h) */
static TenantCache settings_cache = TENANT_CACHE("tax_settings", sizeof(TaxSettings));

/*
 * tax_settings_for_pricing
 *		tax_settings_load, remembered per backend until commerce.tax_settings
 *		is written (tenant_cache.c): what pricing snapshots into an order.
 *		set_tax_settings reads the table itself (its version check).
 */
void
tax_settings_for_pricing(const pg_uuid_t *tenant, TaxSettings *settings)
{
	uint64		since;

	if (tenant_cache_get(&settings_cache, tenant, settings, &since))
		return;
	tax_settings_load(tenant, settings);
	if (tenant_cache_wants(&settings_cache, since))
	{
		TaxSettings fresh;

		/* what to keep is read again under a fresh snapshot (tenant_cache.c) */
		tenant_cache_fresh_begin();
		tax_settings_load(tenant, &fresh);
		tenant_cache_fresh_end();
		tenant_cache_put(&settings_cache, tenant, &fresh, since);
	}
}

/* The tenant's settings, or the defaults when it never set them. */
void
tax_settings_load(const pg_uuid_t *tenant, TaxSettings *settings)
{
	Datum		values[1];
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;

	settings->prices_include_tax = false;
	settings->half_up = false;
	settings->per_order = false;
	settings->version = 0;
	commerce_prepare(&plan_settings,
					 "SELECT prices_include_tax, rounding_mode OPERATOR(pg_catalog.=) 'half_up',"
					 " rounding_scope OPERATOR(pg_catalog.=) 'order', version"
					 " FROM commerce.tax_settings WHERE tenant_id OPERATOR(pg_catalog.=) $1",
					 1, (Oid[]) {UUIDOID});
	values[0] = UUIDPGetDatum(tenant);
	if (commerce_execute(plan_settings, values, NULL, true, 1) == 0)
		return;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	settings->prices_include_tax = DatumGetBool(SPI_getbinval(row, desc, 1, &isnull));
	settings->half_up = DatumGetBool(SPI_getbinval(row, desc, 2, &isnull));
	settings->per_order = DatumGetBool(SPI_getbinval(row, desc, 3, &isnull));
	settings->version = DatumGetInt64(SPI_getbinval(row, desc, 4, &isnull));
}
