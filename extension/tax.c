/*-------------------------------------------------------------------------
 *
 * tax.c
 *	  Tax: the tenant's settings (inclusive or exclusive prices, rounding
 *	  mode and scope), its rates by product tax category, and the exact
 *	  integer arithmetic that turns line amounts into line taxes, subtotal,
 *	  tax total and total (docs/orders.md, Tax). place_order and checkout
 *	  call tax_compute(); commerce.compute_tax() exposes the same code.
 *
 *	  Rates are parts per million and amounts bigint minor units; products
 *	  are taken in 128 bits, so no intermediate can overflow and nothing is
 *	  ever floating point. The result is rounded once, to the minor unit.
 *
 * extension/tax.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "orders.h"
#include "outbox.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_get_tax_settings);
PG_FUNCTION_INFO_V1(commerce_set_tax_settings);
PG_FUNCTION_INFO_V1(commerce_create_tax_rate);
PG_FUNCTION_INFO_V1(commerce_list_tax_rates);
PG_FUNCTION_INFO_V1(commerce_compute_tax);

#define TAX_SETTINGS_JSON(ts) \
	"pg_catalog.jsonb_build_object('prices_include_tax', " ts ".prices_include_tax," \
	" 'rounding_mode', " ts ".rounding_mode, 'rounding_scope', " ts ".rounding_scope," \
	" 'version', " ts ".version)"

#define TAX_RATE_JSON \
	"pg_catalog.jsonb_build_object('id', id::text, 'category', category, 'name', name," \
	" 'rate_ppm', rate_ppm, 'version', version," \
	" 'created_at', " COMMERCE_SQL_TIMESTAMP("created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("updated_at") ")"

static SPIPlanPtr plan_settings = NULL;
static SPIPlanPtr plan_rate = NULL;

static int64 round_division(int128 numerator, int128 denominator, bool half_up);
static int64 tax_of(int64 amount, int32 rate_ppm, const TaxSettings *settings);

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
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("tax rate %d ppm is outside 0..%d", rates_ppm[i], PPM)));
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
		{
			int64		base = 0;
			int64		group_tax;
			int64		shared = 0;
			int			j;

			if (line_tax[i] >= 0)
				continue;		/* its rate's group is done */
			for (j = i; j < n; j++)
				if (rates_ppm[j] == rates_ppm[i])
					base = commerce_add_amounts(base, amounts[j]);
			group_tax = tax_of(base, rates_ppm[i], settings);
			for (j = i; j < n; j++)
			{
				if (rates_ppm[j] != rates_ppm[i])
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

				for (j = i; j < n; j++)
					if (rates_ppm[j] == rates_ppm[i] &&
						(best < 0 || remainders[j] > remainders[best]))
						best = j;
				line_tax[best]++;
				remainders[best] = -1;
				shared++;
			}
		}
		pfree(remainders);
	}

	for (i = 0; i < n; i++)
		taxes = commerce_add_amounts(taxes, line_tax[i]);
	*subtotal = sum;
	*tax_total = taxes;
	*total = settings->prices_include_tax ? sum : commerce_add_amounts(sum, taxes);
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

/* The rate of a tax category: its own, else the default, else 0. */
int32
tax_rate_for(const pg_uuid_t *tenant, const char *category)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		isnull;

	commerce_prepare(&plan_rate,
					 "SELECT rate_ppm FROM commerce.tax_rates"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND (category OPERATOR(pg_catalog.=) $2 OR category IS NULL)"
					 " ORDER BY category IS NULL LIMIT 1",
					 2, (Oid[]) {UUIDOID, TEXTOID});
	values[0] = UUIDPGetDatum(tenant);
	if (category != NULL)
		values[1] = CStringGetTextDatum(category);
	else
	{
		values[1] = (Datum) 0;
		nulls[1] = 'n';
	}
	if (commerce_execute(plan_rate, values, nulls, true, 1) == 0)
		return 0;
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* commerce.get_tax_settings() RETURNS jsonb */
Datum
commerce_get_tax_settings(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_get = NULL;
	pg_uuid_t	tenant;
	Datum		values[1];
	Jsonb	   *result;

	commerce_query_begin(&tenant);
	SPI_connect();
	commerce_prepare(&plan_get,
					 "SELECT " TAX_SETTINGS_JSON("ts") " FROM (SELECT * FROM commerce.tax_settings"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 " UNION ALL SELECT $1, false, 'half_even', 'line', 0, NULL, NULL"
					 " ORDER BY version DESC LIMIT 1) ts",
					 1, (Oid[]) {UUIDOID});
	values[0] = UUIDPGetDatum(&tenant);
	commerce_execute(plan_get, values, NULL, true, 1);
	result = commerce_result_jsonb(1);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/*
 * commerce.set_tax_settings(data jsonb, expected_version bigint DEFAULT NULL,
 *							 idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_set_tax_settings(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {
		{"prices_include_tax", CF_BOOL, false, 0},
		{"rounding_mode", CF_TEXT, false, 20},
		{"rounding_scope", CF_TEXT, false, 20},
	};
	static SPIPlanPtr plan_upsert = NULL;
	CommerceCommand cmd;
	CommerceValue in[lengthof(fields)];
	Datum		args[3];
	bool		argnulls[3];
	Jsonb	   *replay;
	Jsonb	   *result;
	TaxSettings settings;
	Datum		values[5];
	char	   *mode;
	char	   *scope;
	int			i;

	for (i = 0; i < 3; i++)
	{
		argnulls[i] = PG_ARGISNULL(i);
		args[i] = argnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	SPI_connect();
	replay = commerce_command_begin(&cmd, "set_tax_settings",
									argnulls[2] ? NULL : PG_GETARG_TEXT_PP(2), 2, args,
									(Oid[]) {JSONBOID, INT8OID}, argnulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	commerce_require_staff("change tax settings");
	if (argnulls[0])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("data is required")));
	commerce_parse_object(PG_GETARG_JSONB_P(0), "tax_settings", fields, lengthof(fields), in);
	for (i = 0; i < (int) lengthof(fields); i++)
		if (in[i].present && in[i].isnull)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("field \"tax_settings.%s\" must not be null", fields[i].name)));

	/* Lock the row (or the tenant's place for it) before the version check. */
	tax_settings_load(&cmd.tenant, &settings);
	commerce_check_version("tax settings", !argnulls[1],
						   argnulls[1] ? 0 : PG_GETARG_INT64(1), settings.version);
	mode = settings.half_up ? "half_up" : "half_even";
	scope = settings.per_order ? "order" : "line";
	if (in[0].present)
		settings.prices_include_tax = DatumGetBool(in[0].value);
	if (in[1].present)
	{
		mode = text_to_cstring(DatumGetTextPP(in[1].value));
		if (strcmp(mode, "half_even") != 0 && strcmp(mode, "half_up") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("field \"tax_settings.rounding_mode\" must be half_even or half_up")));
	}
	if (in[2].present)
	{
		scope = text_to_cstring(DatumGetTextPP(in[2].value));
		if (strcmp(scope, "line") != 0 && strcmp(scope, "order") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("field \"tax_settings.rounding_scope\" must be line or order")));
	}

	/*
	 * The version check above read without a lock; the upsert re-checks it
	 * under the row lock, so two writers with the same expected version
	 * cannot both win.
	 */
	commerce_prepare(&plan_upsert,
					 "INSERT INTO commerce.tax_settings AS ts"
					 " (tenant_id, prices_include_tax, rounding_mode, rounding_scope)"
					 " VALUES ($1, $2, $3, $4)"
					 " ON CONFLICT (tenant_id) DO UPDATE SET"
					 "  prices_include_tax = EXCLUDED.prices_include_tax,"
					 "  rounding_mode = EXCLUDED.rounding_mode,"
					 "  rounding_scope = EXCLUDED.rounding_scope,"
					 "  version = ts.version OPERATOR(pg_catalog.+) 1, updated_at = pg_catalog.now()"
					 " WHERE $5 IS NULL OR ts.version OPERATOR(pg_catalog.=) $5"
					 " RETURNING " TAX_SETTINGS_JSON("ts"),
					 5, (Oid[]) {UUIDOID, BOOLOID, TEXTOID, TEXTOID, INT8OID});
	values[0] = UUIDPGetDatum(&cmd.tenant);
	values[1] = BoolGetDatum(settings.prices_include_tax);
	values[2] = CStringGetTextDatum(mode);
	values[3] = CStringGetTextDatum(scope);
	values[4] = argnulls[1] ? (Datum) 0 : Int64GetDatum(PG_GETARG_INT64(1));
	if (commerce_execute(plan_upsert, values, argnulls[1] ? "    n" : "     ", false, 0) == 0)
	{
		tax_settings_load(&cmd.tenant, &settings);
		commerce_check_version("tax settings", true, PG_GETARG_INT64(1), settings.version);
		elog(ERROR, "tax settings upsert changed no row");
	}
	result = commerce_result_jsonb(1);
	commerce_emit_event(&cmd.tenant, "tax_settings.updated", "tax_settings", &cmd.tenant, result);
	result = commerce_command_finish(&cmd, result);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/* commerce.create_tax_rate(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_tax_rate(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {
		{"name", CF_TEXT, true, 200},
		{"category", CF_TEXT, false, 100},
		{"rate_ppm", CF_INT32, true, 0},
	};
	static SPIPlanPtr plan_insert = NULL;
	CommerceCommand cmd;
	CommerceValue in[lengthof(fields)];
	Datum		args[1];
	bool		argnulls[1];
	Jsonb	   *replay;
	Jsonb	   *result;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	pg_uuid_t	id;
	int32		rate;

	argnulls[0] = PG_ARGISNULL(0);
	args[0] = argnulls[0] ? (Datum) 0 : PG_GETARG_DATUM(0);
	SPI_connect();
	replay = commerce_command_begin(&cmd, "create_tax_rate",
									PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1), 1, args,
									(Oid[]) {JSONBOID}, argnulls);
	if (replay != NULL)
	{
		SPI_finish();
		PG_RETURN_JSONB_P(replay);
	}
	commerce_require_staff("create tax rates");
	if (argnulls[0])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("data is required")));
	commerce_parse_object(PG_GETARG_JSONB_P(0), "tax_rate", fields, lengthof(fields), in);
	rate = DatumGetInt32(in[2].value);
	if (rate < 0 || rate > PPM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("field \"tax_rate.rate_ppm\" must be between 0 and %d", PPM),
				 errhint("Rates are parts per million: 19%% is 190000.")));
	if (VARSIZE_ANY_EXHDR(DatumGetTextPP(in[0].value)) == 0 ||
		(in[1].present && !in[1].isnull && VARSIZE_ANY_EXHDR(DatumGetTextPP(in[1].value)) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("tax rate name and category must not be empty")));

	commerce_uuid_v7(&id);
	commerce_prepare(&plan_insert,
					 "INSERT INTO commerce.tax_rates (tenant_id, id, category, name, rate_ppm)"
					 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, category) DO NOTHING"
					 " RETURNING " TAX_RATE_JSON,
					 5, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, TEXTOID, INT4OID});
	values[0] = UUIDPGetDatum(&cmd.tenant);
	values[1] = UUIDPGetDatum(&id);
	if (in[1].present && !in[1].isnull)
		values[2] = in[1].value;
	else
		nulls[2] = 'n';
	values[3] = in[0].value;
	values[4] = Int32GetDatum(rate);
	if (commerce_execute(plan_insert, values, nulls, false, 0) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 commerce_errcode("tax_rate_exists"),
				 errmsg(nulls[2] == 'n' ? "the tenant already has a default tax rate"
						: "the tenant already has a tax rate for this category")));
	result = commerce_result_jsonb(1);
	commerce_emit_event(&cmd.tenant, "tax_rate.created", "tax_rate", &id, result);
	result = commerce_command_finish(&cmd, result);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

/* commerce.list_tax_rates(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_list_tax_rates(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_list = NULL;
	pg_uuid_t	tenant;
	int32		limit;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Jsonb	   *page;

	commerce_query_begin(&tenant);
	limit = commerce_list_limit(fcinfo, 0);
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = Int32GetDatum(limit);
	if (!commerce_list_cursor(fcinfo, 1, &values[2]))
		nulls[2] = 'n';
	SPI_connect();
	commerce_prepare(&plan_list,
					 "WITH page AS ("
					 "  SELECT id, " TAX_RATE_JSON " AS item FROM commerce.tax_rates"
					 "  WHERE tenant_id OPERATOR(pg_catalog.=) $1"
					 "    AND ($3 IS NULL OR id OPERATOR(pg_catalog.>) $3)"
					 "  ORDER BY id LIMIT $2 + 1)"
					 " SELECT pg_catalog.jsonb_build_object("
					 "  'data', COALESCE((SELECT pg_catalog.jsonb_agg(item ORDER BY id)"
					 "                   FROM (SELECT * FROM page ORDER BY id LIMIT $2) shown),"
					 "                  '[]'::jsonb),"
					 "  'next_cursor', CASE WHEN (SELECT pg_catalog.count(*) FROM page) > $2"
					 "                 THEN (SELECT id::text FROM page ORDER BY id OFFSET $2 - 1 LIMIT 1) END)",
					 3, (Oid[]) {UUIDOID, INT4OID, UUIDOID});
	commerce_execute(plan_list, values, nulls, true, 1);
	page = commerce_result_jsonb(1);
	SPI_finish();
	PG_RETURN_JSONB_P(page);
}

/* JSON helpers for compute_tax's result */
static void
push_int64(JsonbParseState **state, const char *key, int64 value)
{
	JsonbValue	k;
	JsonbValue	v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	pushJsonbValue(state, WJB_VALUE, &v);
}

/*
 * commerce.compute_tax(amounts bigint[], rates_ppm int[], prices_include_tax
 *		bool, rounding_mode text, rounding_scope text) RETURNS jsonb
 *		The arithmetic of tax_compute on its own, for documentation,
 *		storefront previews and the table-driven money tests.
 */
Datum
commerce_compute_tax(PG_FUNCTION_ARGS)
{
	ArrayType  *amounts_array;
	ArrayType  *rates_array;
	Datum	   *amount_datums;
	Datum	   *rate_datums;
	bool	   *amount_nulls;
	bool	   *rate_nulls;
	int			namounts;
	int			nrates;
	int64	   *amounts;
	int32	   *rates;
	int64	   *line_tax;
	int64		subtotal;
	int64		tax_total;
	int64		total;
	TaxSettings settings = {0};
	char	   *mode;
	char	   *scope;
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue *result;
	int			i;

	for (i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("compute_tax arguments must not be null")));
	amounts_array = PG_GETARG_ARRAYTYPE_P(0);
	rates_array = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(amounts_array, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &amount_datums, &amount_nulls, &namounts);
	deconstruct_array(rates_array, INT4OID, 4, true, TYPALIGN_INT,
					  &rate_datums, &rate_nulls, &nrates);
	if (namounts != nrates || namounts > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("amounts and rates_ppm must have the same length, at most 10000")));
	settings.prices_include_tax = PG_GETARG_BOOL(2);
	mode = text_to_cstring(PG_GETARG_TEXT_PP(3));
	scope = text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (strcmp(mode, "half_up") == 0)
		settings.half_up = true;
	else if (strcmp(mode, "half_even") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("rounding_mode must be half_even or half_up")));
	if (strcmp(scope, "order") == 0)
		settings.per_order = true;
	else if (strcmp(scope, "line") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("rounding_scope must be line or order")));

	amounts = palloc(sizeof(int64) * Max(namounts, 1));
	rates = palloc(sizeof(int32) * Max(namounts, 1));
	line_tax = palloc(sizeof(int64) * Max(namounts, 1));
	for (i = 0; i < namounts; i++)
	{
		if (amount_nulls[i] || rate_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("amounts and rates_ppm must not hold nulls")));
		amounts[i] = DatumGetInt64(amount_datums[i]);
		rates[i] = DatumGetInt32(rate_datums[i]);
	}
	tax_compute(namounts, amounts, rates, &settings, line_tax, &subtotal, &tax_total, &total);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "lines";
	k.val.string.len = 5;
	pushJsonbValue(&state, WJB_KEY, &k);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < namounts; i++)
	{
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		push_int64(&state, "amount", amounts[i]);
		push_int64(&state, "tax_amount", line_tax[i]);
		pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	push_int64(&state, "subtotal", subtotal);
	push_int64(&state, "tax_total", tax_total);
	push_int64(&state, "total", total);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}
