/*-------------------------------------------------------------------------
 *
 * promotions.c
 *	  Promotions and their discount codes, the staff side (docs/promotions.md):
 *	  commerce.create_promotion, update_promotion, archive_promotion,
 *	  get_promotion, list_promotions, create_promotion_code,
 *	  update_promotion_code, archive_promotion_code, get_promotion_code,
 *	  list_promotion_codes. Promotions are a CatalogAggregate
 *	  (catalog_rows.c); codes hang under one promotion. Codes are secrets
 *	  of the shop: every command here is staff-only, reads included.
 *	  Carts apply codes through discount_codes.c; promotion_rules.c prices
 *	  them and promotion_usage.c counts their uses.
 *
 * extension/promotions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "catalog_rows.h"
#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "promotions.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_promotion);
PG_FUNCTION_INFO_V1(commerce_update_promotion);
PG_FUNCTION_INFO_V1(commerce_archive_promotion);
PG_FUNCTION_INFO_V1(commerce_get_promotion);
PG_FUNCTION_INFO_V1(commerce_list_promotions);
PG_FUNCTION_INFO_V1(commerce_create_promotion_code);
PG_FUNCTION_INFO_V1(commerce_update_promotion_code);
PG_FUNCTION_INFO_V1(commerce_archive_promotion_code);
PG_FUNCTION_INFO_V1(commerce_get_promotion_code);
PG_FUNCTION_INFO_V1(commerce_list_promotion_codes);

#define PROMOTION_TARGETS_MAX 100

#define PROMOTION_JSON \
	"pg_catalog.jsonb_build_object('id', p.id::text, 'object', 'promotion', 'name', p.name," \
	" 'description', p.description, 'automatic', p.automatic, 'type', p.type," \
	" 'percent_ppm', p.percent_ppm, 'amounts', p.amounts, 'scope', p.scope," \
	" 'target_variant_ids', pg_catalog.to_jsonb(p.target_variant_ids::text[])," \
	" 'target_product_ids', pg_catalog.to_jsonb(p.target_product_ids::text[])," \
	" 'target_category_ids', pg_catalog.to_jsonb(p.target_category_ids::text[])," \
	" 'min_subtotal', p.min_subtotal, 'combinable', p.combinable," \
	" 'starts_at', " COMMERCE_SQL_TIMESTAMP("p.starts_at") "," \
	" 'ends_at', " COMMERCE_SQL_TIMESTAMP("p.ends_at") ", 'status', p.status," \
	" 'metadata', p.metadata, 'archived_at', " COMMERCE_SQL_TIMESTAMP("p.archived_at") "," \
	CATALOG_JSON_STAMPS("p") ")"

/*
 * A code's uses: its counter while it has a total limit, else counted from
 * the orders (promotion_limits.c: placing writes no counter without a
 * limit), through order_discounts_code_idx.
 */
#define CODE_USED \
	"CASE WHEN c.usage_limit IS NOT NULL THEN c.used ELSE" \
	" (SELECT pg_catalog.count(*)::integer FROM commerce.order_discounts d JOIN commerce.orders o" \
	"    ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id AND o.id OPERATOR(pg_catalog.=) d.order_id" \
	"  WHERE d.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND d.code_id OPERATOR(pg_catalog.=) c.id" \
	"    AND d.amount IS NOT NULL" \
	"    AND o.status OPERATOR(pg_catalog.<>) ALL ('{draft,cancelled}'::text[])) END"
/* The same over the code $2 of tenant $1, as a CTE u: the form for a
 * statement that writes the code, which renders it outside the write
 * (Citus: no correlated subquery over a CTE) */
#define CODE_USED_CTE \
	" u AS (SELECT pg_catalog.count(*)::integer AS n FROM commerce.order_discounts d JOIN commerce.orders o" \
	"    ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id AND o.id OPERATOR(pg_catalog.=) d.order_id" \
	"  WHERE d.tenant_id OPERATOR(pg_catalog.=) $1 AND d.code_id OPERATOR(pg_catalog.=) $2" \
	"    AND d.amount IS NOT NULL" \
	"    AND o.status OPERATOR(pg_catalog.<>) ALL ('{draft,cancelled}'::text[])),"
#define CODE_USED_FROM_CTE "CASE WHEN c.usage_limit IS NOT NULL THEN c.used ELSE (SELECT u.n FROM u) END"
#define CODE_JSON CODE_JSON_WITH(CODE_USED)
#define CODE_JSON_WITH(used) \
	"pg_catalog.jsonb_build_object('id', c.id::text, 'object', 'promotion_code'," \
	" 'promotion_id', c.promotion_id::text, 'code', c.code, 'usage_limit', c.usage_limit," \
	" 'per_customer_limit', c.per_customer_limit, 'used', " used "," \
	" 'status', c.status," \
	" 'metadata', c.metadata, 'archived_at', " COMMERCE_SQL_TIMESTAMP("c.archived_at") "," \
	CATALOG_JSON_STAMPS("c") ")"

/* A jsonb array of uuid strings as uuid[] (validated by check_targets). */
#define UUID_ARRAY(field) \
	CATALOG_JSONB_TEXT_ARRAY("COALESCE($3->'" field "', '[]')") "::uuid[]"
#define KEEP_OR_SET(column, value) \
	" " column " = CASE WHEN $3 ? '" column "' THEN " value " ELSE p." column " END,"

static const CommerceField promotion_fields[] = {
	{"name", CF_TEXT, true, 200},
	{"description", CF_TEXT, false, 2000},
	{"automatic", CF_BOOL, false, 0},
	{"type", CF_TEXT, true, 20},
	{"percent_ppm", CF_INT32, false, 0},
	{"amounts", CF_OBJECT, false, 50},
	{"scope", CF_TEXT, false, 10},
	{"target_variant_ids", CF_ARRAY, false, PROMOTION_TARGETS_MAX},
	{"target_product_ids", CF_ARRAY, false, PROMOTION_TARGETS_MAX},
	{"target_category_ids", CF_ARRAY, false, PROMOTION_TARGETS_MAX},
	{"min_subtotal", CF_OBJECT, false, 50},
	{"combinable", CF_BOOL, false, 0},
	{"starts_at", CF_TIMESTAMPTZ, false, 0},
	{"ends_at", CF_TIMESTAMPTZ, false, 0},
	{"metadata", CF_OBJECT, false, 50},
};

static const CommerceField code_fields[] = {
	{"code", CF_TEXT, true, 64},
	{"usage_limit", CF_INT32, false, 0},
	{"per_customer_limit", CF_INT32, false, 0},
	{"metadata", CF_OBJECT, false, 50},
};

static const CommerceUniqueRule code_unique[] = {
	{"promotion_codes_code_key", "discount_code_taken",
	 "another discount code of the tenant has this code"},
};

static void check_promotion_body(const CommerceValue *values, bool create);
static void check_promotion_row(CatalogWrite *w);
static void check_code_row(CatalogWrite *w);

static CatalogPlans promotion_plans;
static CatalogPlans code_plans;

static const CatalogAggregate promotions = {
	.what = "promotion",
	.type = "promotion",
	.create_action = "create promotions",
	.update_action = "change promotions",
	.fields = promotion_fields,
	.nfields = lengthof(promotion_fields),
	.not_null = (const char *const[]) {"name", "automatic", "type", "amounts", "scope",
		"target_variant_ids", "target_product_ids", "target_category_ids", "min_subtotal",
	"combinable", "metadata", NULL},
	.not_empty = (const char *const[]) {"name", NULL},
	.sized = "metadata",
	.max_bytes = 16384,
	.check_body = check_promotion_body,
	.check_rows = check_promotion_row,
	.insert_sql = "WITH p AS (INSERT INTO commerce.promotions AS p (tenant_id, id, name, description, automatic,"
	" type, percent_ppm, amounts, scope, target_variant_ids, target_product_ids,"
	" target_category_ids, min_subtotal, combinable, starts_at, ends_at, metadata)"
	" VALUES ($1, $2, $3->>'name', $3->>'description', COALESCE(($3->>'automatic')::boolean, false),"
	" $3->>'type', ($3->>'percent_ppm')::integer, COALESCE($3->'amounts', '{}'),"
	" COALESCE($3->>'scope', 'order'), " UUID_ARRAY("target_variant_ids") ","
	" " UUID_ARRAY("target_product_ids") ", " UUID_ARRAY("target_category_ids") ","
	" COALESCE($3->'min_subtotal', '{}'), COALESCE(($3->>'combinable')::boolean, false),"
	" ($3->>'starts_at')::timestamptz, ($3->>'ends_at')::timestamptz, COALESCE($3->'metadata', '{}'))"
	" RETURNING p.*) SELECT " PROMOTION_JSON " FROM p",
	.lock_sql = "SELECT version, status, type, scope, starts_at, ends_at FROM commerce.promotions"
	COMMERCE_BY_ID " FOR UPDATE",
	.update_sql = "WITH" CATALOG_UPDATE_CTE("commerce.promotions", "p")
	KEEP_OR_SET("name", "$3->>'name'")
	KEEP_OR_SET("description", "$3->>'description'")
	KEEP_OR_SET("percent_ppm", "($3->>'percent_ppm')::integer")
	KEEP_OR_SET("amounts", "$3->'amounts'")
	KEEP_OR_SET("target_variant_ids", UUID_ARRAY("target_variant_ids"))
	KEEP_OR_SET("target_product_ids", UUID_ARRAY("target_product_ids"))
	KEEP_OR_SET("target_category_ids", UUID_ARRAY("target_category_ids"))
	KEEP_OR_SET("min_subtotal", "$3->'min_subtotal'")
	KEEP_OR_SET("combinable", "($3->>'combinable')::boolean")
	/* the window outside CASE (its cast is STABLE): check_promotion_row
	 * puts both times in the body */
	" starts_at = ($3->>'starts_at')::timestamptz, ends_at = ($3->>'ends_at')::timestamptz,"
	KEEP_OR_SET("metadata", "$3->'metadata'")
	CATALOG_UPDATE_CTE_END("p", PROMOTION_JSON),
	.get_sql = CATALOG_GET_SQL("commerce.promotions", "p", PROMOTION_JSON),
	.list_sql = COMMERCE_LIST_BY_ID("commerce.promotions", "p", PROMOTION_JSON, ""),
	.plans = &promotion_plans,
};

/* Codes: created under a promotion (create_promotion_code, below), updated
 * and read as a plain aggregate. */
static const CatalogAggregate codes = {
	.what = "promotion code",
	.type = "promotion_code",
	.create_action = "create discount codes",
	.update_action = "change discount codes",
	.fields = code_fields,
	.nfields = lengthof(code_fields),
	.not_null = (const char *const[]) {"code", "metadata", NULL},
	.not_empty = (const char *const[]) {"code", NULL},
	.sized = "metadata",
	.max_bytes = 16384,
	.check_rows = check_code_row,
	.unique = code_unique,
	.nunique = lengthof(code_unique),
	.lock_sql = "SELECT version, status, used, usage_limit IS NULL, per_customer_limit IS NULL"
	" FROM commerce.promotion_codes" COMMERCE_BY_ID " FOR UPDATE",
	.update_sql = "WITH" CODE_USED_CTE CATALOG_UPDATE_CTE("commerce.promotion_codes", "c")
	" usage_limit = CASE WHEN $3 ? 'usage_limit' THEN ($3->>'usage_limit')::integer ELSE c.usage_limit END,"
	" per_customer_limit = CASE WHEN $3 ? 'per_customer_limit' THEN ($3->>'per_customer_limit')::integer"
	"   ELSE c.per_customer_limit END,"
	" metadata = CASE WHEN $3 ? 'metadata' THEN $3->'metadata' ELSE c.metadata END,"
	CATALOG_UPDATE_CTE_END("c", CODE_JSON_WITH(CODE_USED_FROM_CTE)),
	.get_sql = CATALOG_GET_SQL("commerce.promotion_codes", "c", CODE_JSON),
	.plans = &code_plans,
};

/* --- the body's rules ------------------------------------------------------ */

static const CommerceValue *
field(const CommerceField *fields, int n, const CommerceValue *values, const char *name)
{
	const CommerceValue *v = commerce_field_value(fields, n, values, name);

	return (v != NULL && v->present && !v->isnull) ? v : NULL;
}
#define PROMOTION_FIELD(values, name) field(promotion_fields, lengthof(promotion_fields), values, name)

/* {"EUR": 500, ...}: known currencies, integral minor units >= minimum. */
static void
check_money_object(const char *name, Jsonb *object, int64 minimum)
{
	JsonbIterator *it = JsonbIteratorInit(&object->root);
	JsonbValue	v;
	JsonbIteratorToken token;
	char	   *currency = NULL;

	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
		{
			currency = pnstrdup(v.val.string.val, v.val.string.len);
			commerce_require_currency(cstring_to_text(currency));
		}
		else if (token == WJB_VALUE)
		{
			char	   *digits = v.type != jbvNumeric ? "" :
				DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
			bool		ok = strlen(digits) >= 1 && strlen(digits) <= 18 &&
				strspn(digits, "0123456789") == strlen(digits);
			int64		amount = ok ? strtoll(digits, NULL, 10) : 0;

			if (!ok || amount < minimum)
				ereport_invalid_input("field \"promotion.%s.%s\" must be an integer of minor units >= " INT64_FORMAT,
									  name, currency, minimum);
		}
	}
}

/* Target lists hold uuids. */
static void
check_targets(const char *name, Jsonb *array)
{
	JsonbIterator *it = JsonbIteratorInit(&array->root);
	JsonbValue	v;
	JsonbIteratorToken token;

	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (token == WJB_ELEM &&
			(v.type != jbvString ||
			 !commerce_is_uuid_text(pnstrdup(v.val.string.val, v.val.string.len))))
			ereport_invalid_input("field \"promotion.%s\" must be an array of uuids", name);
}

static bool
text_is(const CommerceValue *v, const char *s)
{
	return v != NULL && strcmp(text_to_cstring(DatumGetTextPP(v->value)), s) == 0;
}

/*
 * check_promotion_body
 *		The rules of a body that need no row: type and scope values, the
 *		value fields that go with the type, money objects, target lists.
 *		On update, automatic, type and scope are fixed.
 */
static void
check_promotion_body(const CommerceValue *values, bool create)
{
	static const char *const targets[] = {"target_variant_ids", "target_product_ids",
	"target_category_ids"};
	const CommerceValue *type = PROMOTION_FIELD(values, "type");
	const CommerceValue *scope = PROMOTION_FIELD(values, "scope");
	const CommerceValue *ppm = PROMOTION_FIELD(values, "percent_ppm");
	const CommerceValue *amounts = PROMOTION_FIELD(values, "amounts");
	const CommerceValue *min = PROMOTION_FIELD(values, "min_subtotal");

	if (!create && (type || scope || PROMOTION_FIELD(values, "automatic")))
		ereport_invalid_input("fields \"automatic\", \"type\" and \"scope\" of a promotion cannot change");
	if (create && !text_is(type, "percentage") && !text_is(type, "fixed"))
		ereport_invalid_input("field \"promotion.type\" must be \"percentage\" or \"fixed\"");
	if (scope && !text_is(scope, "order") && !text_is(scope, "line"))
		ereport_invalid_input("field \"promotion.scope\" must be \"order\" or \"line\"");
	if (create && text_is(type, "percentage") && (ppm == NULL || amounts != NULL))
		ereport_invalid_input("a percentage promotion needs \"percent_ppm\" and takes no \"amounts\"");
	if (create && text_is(type, "fixed") && (amounts == NULL || ppm != NULL ||
											 JB_ROOT_COUNT(DatumGetJsonbP(amounts->value)) == 0))
		ereport_invalid_input("a fixed promotion needs \"amounts\" (per currency) and takes no \"percent_ppm\"");
	if (ppm && (DatumGetInt32(ppm->value) < 1 || DatumGetInt32(ppm->value) > 1000000))
		ereport_invalid_input("field \"promotion.percent_ppm\" must be between 1 and 1000000");
	if (amounts)
		check_money_object("amounts", DatumGetJsonbP(amounts->value), 1);
	if (min)
		check_money_object("min_subtotal", DatumGetJsonbP(min->value), 0);
	for (int i = 0; i < (int) lengthof(targets); i++)
	{
		const CommerceValue *t = PROMOTION_FIELD(values, targets[i]);

		if (t == NULL)
			continue;
		if (create && !text_is(scope, "line") && JB_ROOT_COUNT(DatumGetJsonbP(t->value)) > 0)
			ereport_invalid_input("field \"promotion.%s\" needs \"scope\": \"line\"", targets[i]);
		check_targets(targets[i], DatumGetJsonbP(t->value));
	}
	if (create && PROMOTION_FIELD(values, "starts_at") && PROMOTION_FIELD(values, "ends_at") &&
		DatumGetTimestampTz(PROMOTION_FIELD(values, "starts_at")->value) >=
		DatumGetTimestampTz(PROMOTION_FIELD(values, "ends_at")->value))
		ereport_invalid_input("field \"promotion.starts_at\" must be before \"ends_at\"");
}

static void
require_not_archived(const char *what, bool archived)
{
	if (archived)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("invalid_transition"),
				 errmsg("the %s is archived", what),
				 errhint("Create a new one instead.")));
}

/* A timestamp as a jsonb value's text: null or a quoted string. */
static void
append_time(StringInfo buf, bool present, TimestampTz t)
{
	if (!present)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, DatumGetCString(DirectFunctionCall1(timestamptz_out,
															 TimestampTzGetDatum(t))));
}

/* The update's body with the window it leaves both set: written without
 * CASE, where Citus refuses the STABLE cast (docs/scaling.md). */
static Jsonb *
with_window(Jsonb *data, bool has_starts, TimestampTz starts, bool has_ends, TimestampTz ends)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"starts_at\": ");
	append_time(&buf, has_starts, starts);
	appendStringInfoString(&buf, ", \"ends_at\": ");
	append_time(&buf, has_ends, ends);
	appendStringInfoChar(&buf, '}');
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(data),
											  DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data))));
}

/* Update: the fields that go with the row's type and scope; the window. */
static void
check_promotion_row(CatalogWrite *w)
{
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	bool		percentage;
	bool		line;
	Datum		d;
	TimestampTz starts = 0;
	TimestampTz ends = 0;
	bool		has_starts;
	bool		has_ends;
	const CommerceValue *v;

	if (w->id == NULL)
		return;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	require_not_archived("promotion", strcmp(SPI_getvalue(row, desc, 2), "archived") == 0);
	percentage = strcmp(SPI_getvalue(row, desc, 3), "percentage") == 0;
	line = strcmp(SPI_getvalue(row, desc, 4), "line") == 0;
	if (percentage ? catalog_value(w, "amounts")->present : catalog_value(w, "percent_ppm")->present)
		ereport_invalid_input("a %s promotion takes %s", percentage ? "percentage" : "fixed",
							  percentage ? "\"percent_ppm\"" : "\"amounts\"");
	if (!percentage && (v = catalog_value(w, "amounts"))->present &&
		JB_ROOT_COUNT(DatumGetJsonbP(v->value)) == 0)
		ereport_invalid_input("a fixed promotion needs \"amounts\" (per currency)");
	if (!line && (catalog_value(w, "target_variant_ids")->present ||
				  catalog_value(w, "target_product_ids")->present ||
				  catalog_value(w, "target_category_ids")->present))
		ereport_invalid_input("an order-scope promotion takes no targets");
	d = SPI_getbinval(row, desc, 5, &isnull);
	has_starts = !isnull;
	if (has_starts)
		starts = DatumGetTimestampTz(d);
	d = SPI_getbinval(row, desc, 6, &isnull);
	has_ends = !isnull;
	if (has_ends)
		ends = DatumGetTimestampTz(d);
	if ((v = catalog_value(w, "starts_at"))->present)
	{
		has_starts = !v->isnull;
		starts = has_starts ? DatumGetTimestampTz(v->value) : 0;
	}
	if ((v = catalog_value(w, "ends_at"))->present)
	{
		has_ends = !v->isnull;
		ends = has_ends ? DatumGetTimestampTz(v->value) : 0;
	}
	if (has_starts && has_ends && starts >= ends)
		ereport_invalid_input("field \"promotion.starts_at\" must be before \"ends_at\"");
	w->data = with_window(w->data, has_starts, starts, has_ends, ends);
}

/*
 * Update of a code: not archived, limits >= 1 and not below the uses
 * taken. A limit set where there was none starts its counter from the
 * orders (promotion_limits.c; update_promotion_code holds the tenant's
 * code-limits lock in ExclusiveLock): the total uses into used, the
 * customers' into promotion_code_customers; a per-customer limit removed
 * drops the customers' counters.
 */
static void
check_code_row(CatalogWrite *w)
{
	static SPIPlanPtr plan_set_used = NULL;
	HeapTuple	row = SPI_tuptable->vals[0];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	bool		isnull;
	int32		used = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
	bool		had_limit = !DatumGetBool(SPI_getbinval(row, desc, 4, &isnull));
	bool		had_customer_limit = !DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
	const CommerceValue *limit = catalog_value(w, "usage_limit");
	const CommerceValue *per_customer = catalog_value(w, "per_customer_limit");

	require_not_archived("discount code", strcmp(SPI_getvalue(row, desc, 2), "archived") == 0);
	if (per_customer->present && !per_customer->isnull && DatumGetInt32(per_customer->value) < 1)
		ereport_invalid_input("field \"promotion_code.per_customer_limit\" must be at least 1");
	if (limit->present && !limit->isnull && !had_limit)
	{
		Datum		values[3];

		used = promotion_count_uses(&w->cmd.tenant, w->id);
		commerce_prepare(&plan_set_used,
						 "UPDATE commerce.promotion_codes SET used = $3" COMMERCE_BY_ID,
						 3, (Oid[]) {UUIDOID, UUIDOID, INT4OID});
		values[0] = UUIDPGetDatum(&w->cmd.tenant);
		values[1] = UUIDPGetDatum(w->id);
		values[2] = Int32GetDatum(used);
		commerce_execute(plan_set_used, values, NULL, false, 0);
	}
	if (limit->present && !limit->isnull && DatumGetInt32(limit->value) < Max(used, 1))
		ereport_invalid_input("field \"promotion_code.usage_limit\" must be at least %d (uses taken)",
							  Max(used, 1));
	if (per_customer->present && per_customer->isnull == had_customer_limit)
		promotion_rebuild_customer_uses(&w->cmd.tenant, w->id, !per_customer->isnull);
}

/* --- promotions -------------------------------------------------------------- */

/* commerce.create_promotion(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_promotion(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_create(fcinfo, &promotions));
}

/* commerce.update_promotion(id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_update_promotion(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_update(fcinfo, &promotions));
}

/*
 * archive_row
 *		archive_promotion and archive_promotion_code(id uuid,
 *		expected_version bigint, idempotency_key text): lock with the
 *		version check, invalid_transition when archived already, archive,
 *		emit <type>.archived.
 */
static Jsonb *
archive_row(FunctionCallInfo fcinfo, const char *name, const char *action,
			const CatalogAggregate *aggregate, SPIPlanPtr *plan, const char *sql)
{
	CommerceCommand cmd;
	Jsonb	   *replay = commerce_write_begin(&cmd, name, fcinfo, 2, action);
	pg_uuid_t  *id;

	if (replay != NULL)
		return replay;
	id = commerce_uuid_arg(fcinfo, 0, "id");
	commerce_lock_expected(fcinfo, 1, &aggregate->plans->lock, aggregate->lock_sql,
						   &cmd.tenant, id, aggregate->what);
	require_not_archived(aggregate->what,
						 strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2),
								"archived") == 0);
	commerce_execute_by_id(plan, sql, &cmd.tenant, id, false);
	return commerce_write_end(&cmd, psprintf("%s.archived", aggregate->type), aggregate->type, id);
}

/* commerce.archive_promotion(id uuid, expected_version bigint, idempotency_key text) */
Datum
commerce_archive_promotion(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_JSONB_P(archive_row(fcinfo, "archive_promotion", "archive promotions", &promotions,
								  &plan,
								  "WITH" CATALOG_UPDATE_CTE("commerce.promotions", "p")
								  " status = 'archived', archived_at = pg_catalog.now(),"
								  CATALOG_UPDATE_CTE_NOW_END("p", PROMOTION_JSON)));
}

/* commerce.get_promotion(id uuid) RETURNS jsonb — staff only */
Datum
commerce_get_promotion(PG_FUNCTION_ARGS)
{
	commerce_require_staff("read promotions");
	PG_RETURN_JSONB_P(catalog_get(fcinfo, &promotions));
}

/* commerce.list_promotions(lim int, after text) RETURNS jsonb — staff only */
Datum
commerce_list_promotions(PG_FUNCTION_ARGS)
{
	commerce_require_staff("read promotions");
	PG_RETURN_JSONB_P(catalog_list(fcinfo, &promotions));
}

/* --- codes ------------------------------------------------------------------- */

/*
 * commerce.create_promotion_code(promotion_id uuid, data jsonb,
 *		idempotency_key text DEFAULT NULL) RETURNS jsonb
 *		The promotion must be active and not automatic; the code is stored
 *		upper-case (codes compare case-insensitively).
 */
Datum
commerce_create_promotion_code(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_promotion = NULL;
	static SPIPlanPtr plan_insert = NULL;
	CommerceCommand cmd;
	CommerceValue values[lengthof(code_fields)];
	Jsonb	   *replay = commerce_write_begin(&cmd, "create_promotion_code", fcinfo, 2,
											  "create discount codes");
	pg_uuid_t  *promotion;
	pg_uuid_t	id;
	Datum		args[4];
	HeapTuple	row;

	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	promotion = commerce_uuid_arg(fcinfo, 0, "promotion_id");
	catalog_parse(&codes, commerce_jsonb_arg(fcinfo, 1, "promotion code"), true, values);
	if (!promotion_code_is_valid(text_to_cstring(DatumGetTextPP(values[0].value))))
		ereport_invalid_input("field \"promotion_code.code\" must be 1-64 letters, digits, _ or -, starting with a letter or digit");
	for (int i = 1; i <= 2; i++)
		if (values[i].present && !values[i].isnull && DatumGetInt32(values[i].value) < 1)
			ereport_invalid_input("field \"promotion_code.%s\" must be at least 1", code_fields[i].name);
	commerce_require_row(&plan_promotion,
						 "SELECT status, automatic FROM commerce.promotions"
						 COMMERCE_BY_ID " FOR KEY SHARE",
						 &cmd.tenant, promotion, "promotion", false);
	row = SPI_tuptable->vals[0];
	require_not_archived("promotion", strcmp(SPI_getvalue(row, SPI_tuptable->tupdesc, 1), "archived") == 0);
	if (strcmp(SPI_getvalue(row, SPI_tuptable->tupdesc, 2), "t") == 0)
		ereport_invalid_input("an automatic promotion takes no codes");
	commerce_uuid_v7(&id);
	commerce_prepare(&plan_insert,
					 "WITH c AS (INSERT INTO commerce.promotion_codes AS c (tenant_id, id, promotion_id, code,"
					 " usage_limit, per_customer_limit, metadata)"
					 " VALUES ($1, $2, $4, pg_catalog.upper($3->>'code'), ($3->>'usage_limit')::integer,"
					 " ($3->>'per_customer_limit')::integer, COALESCE($3->'metadata', '{}'))"
					 " RETURNING c.*) SELECT " CODE_JSON_WITH("0") " FROM c",	/* a new code: no use */
					 4, (Oid[]) {UUIDOID, UUIDOID, JSONBOID, UUIDOID});
	args[0] = UUIDPGetDatum(&cmd.tenant);
	args[1] = UUIDPGetDatum(&id);
	args[2] = JsonbPGetDatum(commerce_jsonb_arg(fcinfo, 1, "promotion code"));
	args[3] = UUIDPGetDatum(promotion);
	commerce_execute_unique(plan_insert, args, NULL, code_unique, lengthof(code_unique));
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "promotion_code.created", "promotion_code", &id));
}

static bool
jsonb_has_key(Jsonb *data, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&data->root, JB_FOBJECT, &k) != NULL;
}

/* commerce.update_promotion_code(id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_update_promotion_code(PG_FUNCTION_ARGS)
{
	Jsonb	   *data = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);

	if (data != NULL && JB_ROOT_IS_OBJECT(data) && !JB_ROOT_IS_SCALAR(data))
	{
		JsonbValue	k;

		k.type = jbvString;
		k.val.string.val = "code";
		k.val.string.len = 4;
		if (findJsonbValueFromContainer(&data->root, JB_FOBJECT, &k) != NULL)
			ereport_invalid_input("field \"code\" of a discount code cannot change");
		/* a limit may be set: wait for the tenant's placements in flight
		 * and hold theirs off, before the code's row is locked (lock
		 * order, promotion_usage.c) */
		if (jsonb_has_key(data, "usage_limit") || jsonb_has_key(data, "per_customer_limit"))
		{
			pg_uuid_t	tenant;

			if (commerce_current_tenant(&tenant))
				promotion_limits_lock(&tenant, ExclusiveLock);
		}
	}
	PG_RETURN_JSONB_P(catalog_update(fcinfo, &codes));
}

/* commerce.archive_promotion_code(id uuid, expected_version bigint, idempotency_key text) */
Datum
commerce_archive_promotion_code(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_JSONB_P(archive_row(fcinfo, "archive_promotion_code", "archive discount codes",
								  &codes, &plan,
								  "WITH" CODE_USED_CTE CATALOG_UPDATE_CTE("commerce.promotion_codes", "c")
								  " status = 'archived', archived_at = pg_catalog.now(),"
								  CATALOG_UPDATE_CTE_NOW_END("c", CODE_JSON_WITH(CODE_USED_FROM_CTE))));
}

/* commerce.get_promotion_code(id uuid) RETURNS jsonb — staff only */
Datum
commerce_get_promotion_code(PG_FUNCTION_ARGS)
{
	commerce_require_staff("read discount codes");
	PG_RETURN_JSONB_P(catalog_get(fcinfo, &codes));
}

/* commerce.list_promotion_codes(promotion_id uuid, lim int, after text) — staff only */
Datum
commerce_list_promotion_codes(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan_parent = NULL;
	static SPIPlanPtr plan_list = NULL;
	CommerceListPage page;
	pg_uuid_t  *promotion;

	commerce_require_staff("read discount codes");
	promotion = commerce_list_begin_under(&page, fcinfo, "promotion_id", &plan_parent,
										  "SELECT 1 FROM commerce.promotions" COMMERCE_BY_ID,
										  "promotion");
	PG_RETURN_JSONB_P(commerce_list_fetch(&page, &plan_list,
										  COMMERCE_LIST_BY_ID("commerce.promotion_codes", "c", CODE_JSON,
															  " AND c.promotion_id OPERATOR(pg_catalog.=) $4"),
										  1, (Oid[]) {UUIDOID}, (Datum[]) {UUIDPGetDatum(promotion)}));
}

/* A code as a customer may type it: 1-64 letters, digits, _ and -. */
bool
promotion_code_is_valid(const char *code)
{
	size_t		n = strlen(code);

	if (n < 1 || n > 64 || !isalnum((unsigned char) code[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char) code[i]) && code[i] != '_' && code[i] != '-')
			return false;
	return true;
}

char *
promotion_code_normalize(const char *given, const char *field)
{
	char	   *code = pstrdup(given);

	if (!promotion_code_is_valid(code))
		ereport_invalid_input("field \"%s\" must be 1-64 letters, digits, _ or -, starting with a letter or digit",
							  field);
	for (char *p = code; *p; p++)
		*p = pg_toupper((unsigned char) *p);
	return code;
}
