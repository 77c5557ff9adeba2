/*-------------------------------------------------------------------------
 *
 * shipping_methods.c
 *	  A tenant's shipping methods (docs/shipping.md):
 *	  commerce.create_shipping_method, update_shipping_method,
 *	  archive_shipping_method, get_shipping_method, list_shipping_methods.
 *	  Staff write them, customers read them. A method has one kind
 *	  (flat_rate, free_over, weight_bands), one currency and the countries
 *	  it ships to; kind and currency never change (orders and their
 *	  snapshots would not mean the same). Pricing an order with one is
 *	  shipping_rules.c.
 *
 * extension/shipping_methods.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "catalog_rows.h"
#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "shipping_rules.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_shipping_method);
PG_FUNCTION_INFO_V1(commerce_update_shipping_method);
PG_FUNCTION_INFO_V1(commerce_archive_shipping_method);
PG_FUNCTION_INFO_V1(commerce_get_shipping_method);
PG_FUNCTION_INFO_V1(commerce_list_shipping_methods);

#define WEIGHT_BANDS_MAX 50
#define COUNTRIES_MAX 250

#define METHOD_JSON \
	"pg_catalog.jsonb_build_object('id', m.id::text, 'object', 'shipping_method'," \
	" 'name', m.name, 'kind', m.kind, 'currency', m.currency, 'amount', m.amount," \
	" 'free_over_amount', m.free_over_amount, 'weight_bands', m.weight_bands," \
	" 'countries', pg_catalog.to_jsonb(m.countries), 'tax_category', m.tax_category," \
	" 'status', m.status, 'metadata', m.metadata," CATALOG_JSON_STAMPS("m") ")"

static const CommerceField method_fields[] = {
	{"name", CF_TEXT, true, 200},
	{"kind", CF_TEXT, true, 20},
	{"currency", CF_TEXT, true, 3},
	{"amount", CF_INT64, false, 0},
	{"free_over_amount", CF_INT64, false, 0},
	{"weight_bands", CF_ARRAY, false, WEIGHT_BANDS_MAX},
	{"countries", CF_ARRAY, true, COUNTRIES_MAX},
	{"tax_category", CF_TEXT, false, 100},
	{"metadata", CF_OBJECT, false, 50},
};
enum
{
	M_NAME, M_KIND, M_CURRENCY, M_AMOUNT, M_FREE_OVER, M_BANDS, M_COUNTRIES, M_TAX_CATEGORY
};

/* Which kind-specific fields each kind takes (the others it refuses). */
static const struct
{
	const char *kind;
	bool		amount;
	bool		free_over;
	bool		bands;
} kinds[] = {
	{"flat_rate", true, false, false},
	{"free_over", true, true, false},
	{"weight_bands", false, false, true},
};

static void check_method(const CommerceValue *values, bool create);
static void check_method_rows(CatalogWrite *w);
static void check_kind_fields(const char *kind, const CommerceValue *values, bool create);
static void check_bands(Jsonb *bands);

static CatalogPlans plans;

static const CatalogAggregate shipping_methods = {
	.what = "shipping method",
	.type = "shipping_method",
	.create_action = "change shipping methods",
	.update_action = "change shipping methods",
	.fields = method_fields,
	.nfields = lengthof(method_fields),
	.not_null = (const char *const[]) {"name", "kind", "currency", "amount", "free_over_amount",
	"weight_bands", "countries", "metadata", NULL},
	.not_empty = (const char *const[]) {"name", "tax_category", NULL},
	.sized = "metadata",
	.max_bytes = 16384,
	.check_body = check_method,
	.check_rows = check_method_rows,
	.insert_sql = "WITH m AS (INSERT INTO commerce.shipping_methods AS m (tenant_id, id, name, kind, currency,"
	" amount, free_over_amount, weight_bands, countries, tax_category, metadata)"
	" VALUES ($1, $2, $3->>'name', $3->>'kind', $3->>'currency', ($3->>'amount')::bigint,"
	" ($3->>'free_over_amount')::bigint, $3->'weight_bands',"
	" " CATALOG_JSONB_TEXT_ARRAY("$3->'countries'") ", $3->>'tax_category',"
	" COALESCE($3->'metadata', '{}'))"
	" RETURNING m.*) SELECT " METHOD_JSON " FROM m",
	.lock_sql = "SELECT version, kind FROM commerce.shipping_methods" COMMERCE_BY_ID " FOR UPDATE",
	.update_sql = "WITH" CATALOG_UPDATE_CTE("commerce.shipping_methods", "m")
	" name = CASE WHEN $3 ? 'name' THEN $3->>'name' ELSE m.name END,"
	" amount = CASE WHEN $3 ? 'amount' THEN ($3->>'amount')::bigint ELSE m.amount END,"
	" free_over_amount = CASE WHEN $3 ? 'free_over_amount' THEN ($3->>'free_over_amount')::bigint"
	"   ELSE m.free_over_amount END,"
	" weight_bands = CASE WHEN $3 ? 'weight_bands' THEN $3->'weight_bands' ELSE m.weight_bands END,"
	" countries = CASE WHEN $3 ? 'countries'"
	"   THEN " CATALOG_JSONB_TEXT_ARRAY("$3->'countries'") " ELSE m.countries END,"
	" tax_category = CASE WHEN $3 ? 'tax_category' THEN $3->>'tax_category' ELSE m.tax_category END,"
	" metadata = CASE WHEN $3 ? 'metadata' THEN $3->'metadata' ELSE m.metadata END,"
	CATALOG_UPDATE_CTE_END("m", METHOD_JSON),
	.get_sql = CATALOG_GET_SQL("commerce.shipping_methods", "m", METHOD_JSON),
	.list_sql = COMMERCE_LIST_BY_ID("commerce.shipping_methods", "m", METHOD_JSON, ""),
	.plans = &plans,
};

/* Bands: objects {up_to_grams 1..2^31-1, amount >= 0}, up_to_grams
 * strictly increasing. */
static void
check_bands(Jsonb *bands)
{
	static const CommerceField band_fields[] = {
		{"up_to_grams", CF_INT32, true, 0},
		{"amount", CF_INT64, true, 0},
	};
	JsonbIterator *it = JsonbIteratorInit(&bands->root);
	JsonbValue	v;
	JsonbIteratorToken token;
	int64		last = 0;
	int			n = 0;

	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CommerceValue in[lengthof(band_fields)];
		const char *what = psprintf("shipping method.weight_bands[%d]", n);
		int32		up_to;

		if (token != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			commerce_invalid_input("shipping method", psprintf("field \"weight_bands[%d]\" must be an object", n));
		commerce_parse_object(JsonbValueToJsonb(&v), what, band_fields, lengthof(band_fields), in);
		up_to = DatumGetInt32(in[0].value);
		if (up_to < 1 || up_to <= last)
			commerce_invalid_input("shipping method",
								   psprintf("field \"weight_bands[%d].up_to_grams\" must be above 0 and above the previous band's", n));
		commerce_check_amount("weight_bands.amount", DatumGetInt64(in[1].value));
		last = up_to;
		n++;
	}
	if (n < 1)
		commerce_invalid_input("shipping method", "field \"weight_bands\" needs at least one band");
}

/* The kind-specific fields given agree with kind; on create the kind's own
 * fields are all there. */
static void
check_kind_fields(const char *kind, const CommerceValue *values, bool create)
{
	int			k;

	for (k = 0; k < (int) lengthof(kinds); k++)
		if (strcmp(kinds[k].kind, kind) == 0)
			break;
	if (k == (int) lengthof(kinds))
		commerce_invalid_input("shipping method",
							   "field \"kind\" must be \"flat_rate\", \"free_over\" or \"weight_bands\"");
	if (values[M_AMOUNT].present != kinds[k].amount && (create || values[M_AMOUNT].present))
		commerce_invalid_input("shipping method", psprintf(kinds[k].amount ? "kind %s needs \"amount\""
														   : "kind %s takes no \"amount\"", kind));
	if (values[M_FREE_OVER].present != kinds[k].free_over && (create || values[M_FREE_OVER].present))
		commerce_invalid_input("shipping method", psprintf(kinds[k].free_over ? "kind %s needs \"free_over_amount\""
														   : "kind %s takes no \"free_over_amount\"", kind));
	if (values[M_BANDS].present != kinds[k].bands && (create || values[M_BANDS].present))
		commerce_invalid_input("shipping method", psprintf(kinds[k].bands ? "kind %s needs \"weight_bands\""
														   : "kind %s takes no \"weight_bands\"", kind));
}

/* The rules of a body beyond its fields' types. */
static void
check_method(const CommerceValue *values, bool create)
{
	if (!create && (values[M_KIND].present || values[M_CURRENCY].present))
		commerce_invalid_input("shipping method",
							   "\"kind\" and \"currency\" cannot change: create another method and archive this one");
	if (create)
	{
		commerce_require_currency(DatumGetTextPP(values[M_CURRENCY].value));
		check_kind_fields(text_to_cstring(DatumGetTextPP(values[M_KIND].value)), values, true);
	}
	if (values[M_AMOUNT].present)
		commerce_check_amount("amount", DatumGetInt64(values[M_AMOUNT].value));
	if (values[M_FREE_OVER].present)
		commerce_check_amount("free_over_amount", DatumGetInt64(values[M_FREE_OVER].value));
	if (values[M_BANDS].present)
		check_bands(DatumGetJsonbP(values[M_BANDS].value));
	if (values[M_COUNTRIES].present)
		commerce_check_country_list(DatumGetJsonbP(values[M_COUNTRIES].value), "shipping method",
									"countries", COUNTRIES_MAX);
}

/* Update: the fields given must be those of the locked row's kind. */
static void
check_method_rows(CatalogWrite *w)
{
	if (w->id == NULL || w->id == &w->new_id)
		return;
	check_kind_fields(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2),
					  w->values, false);
}

/* commerce.create_shipping_method(data jsonb, idempotency_key text DEFAULT NULL) */
Datum
commerce_create_shipping_method(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_create(fcinfo, &shipping_methods));
}

/* commerce.update_shipping_method(id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_update_shipping_method(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_update(fcinfo, &shipping_methods));
}

/*
 * commerce.archive_shipping_method(id uuid, expected_version bigint DEFAULT
 *		NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		active -> archived; shipping_method_unavailable when already archived.
 */
Datum
commerce_archive_shipping_method(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_lock = NULL;
	static SPIPlanPtr plan_archive = NULL;
	CommerceCommand cmd;
	pg_uuid_t  *id;
	Jsonb	   *replay = commerce_write_begin(&cmd, "archive_shipping_method", fcinfo, 2,
											  "change shipping methods");

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	id = commerce_uuid_arg(fcinfo, 0, "shipping method id");
	commerce_lock_expected(fcinfo, 1, &plan_lock,
						   "SELECT version, status FROM commerce.shipping_methods"
						   COMMERCE_BY_ID " FOR UPDATE",
						   &cmd.tenant, id, "shipping method");
	if (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2), "archived") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("shipping_method_unavailable"),
				 errmsg("shipping method %s is already archived", commerce_uuid_string(id))));
	commerce_execute_by_id(&plan_archive,
						   "WITH" CATALOG_UPDATE_CTE("commerce.shipping_methods", "m")
						   " status = 'archived'," CATALOG_UPDATE_CTE_NOW_END("m", METHOD_JSON),
						   &cmd.tenant, id, false);
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "shipping_method.archived", "shipping_method", id));
}

/* commerce.get_shipping_method(id uuid) RETURNS jsonb */
Datum
commerce_get_shipping_method(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_get(fcinfo, &shipping_methods));
}

/* commerce.list_shipping_methods(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_list_shipping_methods(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_list(fcinfo, &shipping_methods));
}
