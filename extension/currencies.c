/*-------------------------------------------------------------------------
 *
 * currencies.c
 *	  Money rules shared by every command: ISO 4217 currency look-up (with
 *	  the exponent), the check that a code is known (remembered per
 *	  backend: a known currency stays known) and checked minor-unit
 *	  amounts.
 *
 * extension/currencies.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"

static SPIPlanPtr plan_currency = NULL;
static SPIPlanPtr plan_known_currency = NULL;

/*
 * Codes this backend has found in commerce.currencies, committed: rows
 * there are never deleted or renamed (the currencies_are_permanent
 * trigger, 105_currencies.sql), so a code once known stays known. Forgotten
 * when the table itself changes (a relcache invalidation: dropped with the
 * extension, altered). A row this transaction inserted is not remembered
 * (it may still roll back).
 */
#define KNOWN_CODES_MAX 32
static char known_codes[KNOWN_CODES_MAX][4];
static int	nknown_codes = 0;
static Oid	currencies_relid = InvalidOid;
static bool known_callback_registered = false;

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
 * currency_row
 *		The look-up both checks below share: unknown_currency unless code
 *		(s as a C string) is three characters long and has a row of
 *		commerce.currencies, found by *plan (prepared from sql, of one text
 *		parameter, at first use). Leaves SPI connected with the row in
 *		SPI_tuptable->vals[0]: the caller reads it, then SPI_finish.
 */
static void
currency_row(text *code, const char *s, SPIPlanPtr *plan, const char *sql)
{
	Datum		values[1];

	if (strlen(s) != 3)
		unknown_currency(s);
	SPI_connect();
	commerce_prepare(plan, sql, 1, (Oid[]) {TEXTOID});
	values[0] = PointerGetDatum(code);
	if (commerce_execute(*plan, values, NULL, true, 1) == 0)
		unknown_currency(s);
}

/*
 * commerce_require_currency
 *		The exponent of an ISO 4217 code; unknown_currency otherwise.
 */
int
commerce_require_currency(text *code)
{
	bool		isnull;
	int			exponent;

	currency_row(code, text_to_cstring(code), &plan_currency,
				 "SELECT exponent FROM commerce.currencies WHERE code OPERATOR(pg_catalog.=) $1");
	exponent = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return exponent;
}

static void
currencies_relation_changed(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == currencies_relid)
		nknown_codes = 0;
}

/*
 * commerce_require_known_currency
 *		unknown_currency unless code is a currency of commerce.currencies,
 *		as commerce_require_currency, without its statement for a code this
 *		backend has found before.
 */
void
commerce_require_known_currency(text *code)
{
	char	   *s = text_to_cstring(code);
	bool		isnull;
	TransactionId xmin;

	if (strlen(s) != 3)			/* before the memcmp of four bytes of s */
		unknown_currency(s);
	for (int i = 0; i < nknown_codes; i++)
		if (memcmp(known_codes[i], s, 4) == 0)
			return;
	if (!known_callback_registered)
	{
		CacheRegisterRelcacheCallback(currencies_relation_changed, (Datum) 0);
		known_callback_registered = true;
	}
	currency_row(code, s, &plan_known_currency,
				 "SELECT c.xmin, c.tableoid FROM commerce.currencies c"
				 " WHERE c.code OPERATOR(pg_catalog.=) $1");
	xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1, &isnull));
	currencies_relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();
	if (!TransactionIdIsCurrentTransactionId(xmin) && nknown_codes < KNOWN_CODES_MAX)
		memcpy(known_codes[nknown_codes++], s, 4);
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
