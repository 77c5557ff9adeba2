/*-------------------------------------------------------------------------
 *
 * currencies.c
 *	  Money rules shared by every command: ISO 4217 currency look-up (with
 *	  the exponent, cached per backend since the table is fixed at install)
 *	  and checked minor-unit amounts.
 *
 * extension/currencies.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"

static SPIPlanPtr plan_currency = NULL;

static void unknown_currency(const char *code) pg_attribute_noreturn();
static void amount_overflow(const char *operation) pg_attribute_noreturn();

static void
unknown_currency(const char *code)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 commerce_errcode("unknown_currency"),
			 errmsg("unknown currency \"%s\"", code),
			 errhint("Use an ISO 4217 code such as EUR, JPY or KWD.")));
}

/* operation: "sum" or "product", what did not fit */
static void
amount_overflow(const char *operation)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 commerce_errcode("amount_overflow"),
			 errmsg("amount is out of range"),
			 errdetail("Amounts are bigint minor units; this %s does not fit.", operation)));
}

/*
 * commerce_require_currency
 *		The exponent of an ISO 4217 code; unknown_currency otherwise.
 */
int
commerce_require_currency(text *code)
{
	char	   *s = text_to_cstring(code);
	Datum		values[1];
	bool		isnull;
	int			exponent;

	if (strlen(s) != 3)
		unknown_currency(s);
	SPI_connect();
	commerce_prepare(&plan_currency,
					 "SELECT exponent FROM commerce.currencies WHERE code OPERATOR(pg_catalog.=) $1",
					 1, (Oid[]) {TEXTOID});
	values[0] = PointerGetDatum(code);
	if (commerce_execute(plan_currency, values, NULL, true, 1) == 0)
		unknown_currency(s);
	exponent = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return exponent;
}

/* An amount in minor units must not be negative. */
void
commerce_check_amount(const char *field, int64 amount)
{
	if (amount < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("negative_amount"),
				 errmsg("%s must not be negative", field)));
}

/* a + b, or amount_overflow. */
int64
commerce_add_amounts(int64 a, int64 b)
{
	int64		sum;

	if (pg_add_s64_overflow(a, b, &sum))
		amount_overflow("sum");
	return sum;
}

/* a * b, or amount_overflow. */
int64
commerce_multiply_amount(int64 a, int64 b)
{
	int64		product;

	if (pg_mul_s64_overflow(a, b, &product))
		amount_overflow("product");
	return product;
}
