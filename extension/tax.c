/*-------------------------------------------------------------------------
 *
 * tax.c
 *	  The tax SQL entry points: get_tax_settings, set_tax_settings,
 *	  create_tax_rate, list_tax_rates, and compute_tax, which exposes the
 *	  arithmetic orders are priced with. The rules themselves (settings and
 *	  rate look-ups, rounding, line taxes and totals) are tax_rules.c's.
 *
 * extension/tax.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "command.h"
#include "errors.h"
#include "tax_rules.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_get_tax_settings);
PG_FUNCTION_INFO_V1(commerce_set_tax_settings);
PG_FUNCTION_INFO_V1(commerce_create_tax_rate);
PG_FUNCTION_INFO_V1(commerce_list_tax_rates);
PG_FUNCTION_INFO_V1(commerce_get_tax_rate);
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

static bool rounding_half_up(const char *mode, const char *name);
static bool rounding_per_order(const char *scope, const char *name);
static void push_int64(JsonbParseState **state, const char *key, int64 value);
static Jsonb *render_tax(int n, const int64 *amounts, const int64 *line_tax,
						 int64 subtotal, int64 tax_total, int64 total);

/* The body of set_tax_settings: each field optional, none null */
static const CommerceField tax_settings_fields[] = {
	{"prices_include_tax", CF_BOOL, false, 0},
	{"rounding_mode", CF_TEXT, false, 20},
	{"rounding_scope", CF_TEXT, false, 20},
};

/* The body of create_tax_rate */
static const CommerceField tax_rate_fields[] = {
	{"name", CF_TEXT, true, 200},
	{"category", CF_TEXT, false, 100},
	{"rate_ppm", CF_INT32, true, 0},
};

/* half_up (true) or half_even (false); invalid_input naming name otherwise */
static bool
rounding_half_up(const char *mode, const char *name)
{
	if (strcmp(mode, "half_up") != 0 && strcmp(mode, "half_even") != 0)
		ereport_invalid_input("%s must be half_even or half_up", name);
	return strcmp(mode, "half_up") == 0;
}

/* order (true) or line (false); invalid_input naming name otherwise */
static bool
rounding_per_order(const char *scope, const char *name)
{
	if (strcmp(scope, "order") != 0 && strcmp(scope, "line") != 0)
		ereport_invalid_input("%s must be line or order", name);
	return strcmp(scope, "order") == 0;
}

/* commerce.get_tax_settings() RETURNS jsonb */
Datum
commerce_get_tax_settings(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_get = NULL;
	pg_uuid_t	tenant;

	commerce_query_begin(&tenant);
	SPI_connect();
	PG_RETURN_JSONB_P(commerce_read_jsonb(&plan_get,
										  "SELECT " TAX_SETTINGS_JSON("ts") " FROM (SELECT * FROM commerce.tax_settings"
										  " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
										  " UNION ALL SELECT $1, false, 'half_even', 'line', 0, NULL, NULL"
										  " ORDER BY version DESC LIMIT 1) ts",
										  1, (Oid[]) {UUIDOID}, (Datum[]) {UUIDPGetDatum(&tenant)},
										  NULL));
}

/*
 * commerce.set_tax_settings(data jsonb, expected_version bigint DEFAULT NULL,
 *							 idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_set_tax_settings(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_upsert = NULL;
	CommerceCommand cmd;
	Jsonb	   *replay = commerce_write_begin(&cmd, "set_tax_settings", fcinfo, 2,
											  "change tax settings");
	CommerceValue in[lengthof(tax_settings_fields)];
	TaxSettings settings;
	Datum		values[6];
	int64		expected = 0;
	bool		has_expected;
	int			i;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	commerce_require_arg(fcinfo, 0, "data");
	commerce_parse_object(PG_GETARG_JSONB_P(0), "tax_settings", tax_settings_fields,
						  lengthof(tax_settings_fields), in);
	for (i = 0; i < (int) lengthof(tax_settings_fields); i++)
		if (in[i].present && in[i].isnull)
			ereport_invalid_input("field \"tax_settings.%s\" must not be null",
								  tax_settings_fields[i].name);
	has_expected = commerce_expected_version(fcinfo, 1, &expected);

	/*
	 * The current settings (the defaults when the tenant has no row yet)
	 * give the tax_settings_fields not sent and an early version check; the read takes
	 * no lock, a row that does not exist could not be locked anyway.
	 */
	tax_settings_load(&cmd.tenant, &settings);
	commerce_check_version("tax settings", has_expected, expected, settings.version);
	if (in[0].present)
		settings.prices_include_tax = DatumGetBool(in[0].value);
	if (in[1].present)
		settings.half_up = rounding_half_up(text_to_cstring(DatumGetTextPP(in[1].value)),
											"field \"tax_settings.rounding_mode\"");
	if (in[2].present)
		settings.per_order = rounding_per_order(text_to_cstring(DatumGetTextPP(in[2].value)),
												"field \"tax_settings.rounding_scope\"");

	/*
	 * The upsert re-checks the version under the row lock, so two writers
	 * with the same expected version cannot both win.
	 */
	commerce_prepare(&plan_upsert,
					 "WITH ts AS (INSERT INTO commerce.tax_settings AS ts"
					 " (tenant_id, prices_include_tax, rounding_mode, rounding_scope)"
					 " VALUES ($1, $2, $3, $4)"
					 " ON CONFLICT (tenant_id) DO UPDATE SET"
					 "  prices_include_tax = EXCLUDED.prices_include_tax,"
					 "  rounding_mode = EXCLUDED.rounding_mode,"
					 "  rounding_scope = EXCLUDED.rounding_scope,"
					 "  version = ts.version OPERATOR(pg_catalog.+) 1, updated_at = $6"
					 " WHERE $5 IS NULL OR ts.version OPERATOR(pg_catalog.=) $5"
					 " RETURNING ts.*) SELECT " TAX_SETTINGS_JSON("ts") " FROM ts",
					 6, (Oid[]) {UUIDOID, BOOLOID, TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID});
	values[0] = UUIDPGetDatum(&cmd.tenant);
	values[1] = BoolGetDatum(settings.prices_include_tax);
	values[2] = CStringGetTextDatum(settings.half_up ? "half_up" : "half_even");
	values[3] = CStringGetTextDatum(settings.per_order ? "order" : "line");
	values[4] = Int64GetDatum(expected);
	/* now(), as a parameter: Citus wants ON CONFLICT's SET immutable */
	values[5] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	if (commerce_execute(plan_upsert, values, has_expected ? "      " : "    n ", false, 0) == 0)
	{
		tax_settings_load(&cmd.tenant, &settings);
		commerce_check_version("tax settings", true, expected, settings.version);
		elog(ERROR, "tax settings upsert changed no row");
	}
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "tax_settings.updated", "tax_settings",
										 &cmd.tenant));
}

/* commerce.create_tax_rate(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_tax_rate(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_insert = NULL;
	CommerceCommand cmd;
	Jsonb	   *data;
	Jsonb	   *replay = commerce_create_begin(&cmd, "create_tax_rate", fcinfo,
											   "create tax rates", "tax_rate", &data);
	CommerceValue in[lengthof(tax_rate_fields)];
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	pg_uuid_t	id;
	int32		rate;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	commerce_parse_object(data, "tax_rate", tax_rate_fields, lengthof(tax_rate_fields), in);
	rate = DatumGetInt32(in[2].value);
	if (rate < 0 || rate > PPM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("field \"tax_rate.rate_ppm\" must be between 0 and %d", PPM),
				 errhint("Rates are parts per million: 19%% is 190000.")));
	if (VARSIZE_ANY_EXHDR(DatumGetTextPP(in[0].value)) == 0 ||
		(in[1].present && !in[1].isnull && VARSIZE_ANY_EXHDR(DatumGetTextPP(in[1].value)) == 0))
		ereport_invalid_input("tax rate name and category must not be empty");

	commerce_uuid_v7(&id);
	commerce_prepare(&plan_insert,
					 "WITH r AS (INSERT INTO commerce.tax_rates (tenant_id, id, category, name, rate_ppm)"
					 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, category) DO NOTHING"
					 " RETURNING *) SELECT " TAX_RATE_JSON " FROM r",
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
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "tax_rate.created", "tax_rate", &id));
}

/* commerce.list_tax_rates(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_list_tax_rates(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_list = NULL;

	PG_RETURN_JSONB_P(commerce_list_all(fcinfo, &plan_list,
										COMMERCE_LIST_ALL("commerce.tax_rates", "r", TAX_RATE_JSON)));
}

/* commerce.get_tax_rate(id uuid) RETURNS jsonb: the target of create_tax_rate's Location */
Datum
commerce_get_tax_rate(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_get = NULL;

	PG_RETURN_JSONB_P(commerce_get_by_id(fcinfo, &plan_get,
										 "SELECT " TAX_RATE_JSON " FROM commerce.tax_rates" COMMERCE_BY_ID,
										 "tax rate"));
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

/* {"lines": [{amount, tax_amount}...], subtotal, tax_total, total} */
static Jsonb *
render_tax(int n, const int64 *amounts, const int64 *line_tax,
		   int64 subtotal, int64 tax_total, int64 total)
{
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue *result;
	int			i;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "lines";
	k.val.string.len = 5;
	pushJsonbValue(&state, WJB_KEY, &k);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
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
	return JsonbValueToJsonb(result);
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
	int			i;

	commerce_require_arg(fcinfo, 0, "amounts");
	commerce_require_arg(fcinfo, 1, "rates_ppm");
	commerce_require_arg(fcinfo, 2, "prices_include_tax");
	commerce_require_arg(fcinfo, 3, "rounding_mode");
	commerce_require_arg(fcinfo, 4, "rounding_scope");
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &amount_datums, &amount_nulls, &namounts);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), INT4OID, 4, true, TYPALIGN_INT,
					  &rate_datums, &rate_nulls, &nrates);
	if (namounts != nrates || namounts > 10000)
		ereport_invalid_input("amounts and rates_ppm must have the same length, at most 10000");
	settings.prices_include_tax = PG_GETARG_BOOL(2);
	settings.half_up = rounding_half_up(text_to_cstring(PG_GETARG_TEXT_PP(3)), "rounding_mode");
	settings.per_order = rounding_per_order(text_to_cstring(PG_GETARG_TEXT_PP(4)), "rounding_scope");

	amounts = palloc(sizeof(int64) * Max(namounts, 1));
	rates = palloc(sizeof(int32) * Max(namounts, 1));
	line_tax = palloc(sizeof(int64) * Max(namounts, 1));
	for (i = 0; i < namounts; i++)
	{
		if (amount_nulls[i] || rate_nulls[i])
			ereport_invalid_input("amounts and rates_ppm must not hold nulls");
		amounts[i] = DatumGetInt64(amount_datums[i]);
		rates[i] = DatumGetInt32(rate_datums[i]);
	}
	tax_compute(namounts, amounts, rates, &settings, line_tax, &subtotal, &tax_total, &total);
	PG_RETURN_JSONB_P(render_tax(namounts, amounts, line_tax, subtotal, tax_total, total));
}
