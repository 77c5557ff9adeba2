/*-------------------------------------------------------------------------
 *
 * categories.c
 *	  Product categories, a tree: commerce.create_category, update_category,
 *	  get_category, list_categories. Staff write them; customer actors read
 *	  them. A category can never become its own ancestor (category_cycle):
 *	  moving one locks it and checks the new parent's ancestors.
 *
 * extension/categories.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/jsonb.h"

#include "catalog_rows.h"
#include "command.h"
#include "errors.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_category);
PG_FUNCTION_INFO_V1(commerce_update_category);
PG_FUNCTION_INFO_V1(commerce_get_category);
PG_FUNCTION_INFO_V1(commerce_list_categories);

#define CATEGORY_JSON \
	"pg_catalog.jsonb_build_object('id', k.id::text, 'object', 'category', 'name', k.name," \
	" 'description', k.description, 'parent_id', k.parent_id::text, 'position', k.position," \
	" 'metadata', k.metadata," CATALOG_JSON_STAMPS("k") ")"

static const CommerceField category_fields[] = {
	{"name", CF_TEXT, true, 200},
	{"description", CF_TEXT, false, 5000},
	{"parent_id", CF_UUID, false, 0},
	{"position", CF_INT32, false, 0},
	{"metadata", CF_OBJECT, false, 50},
};

static SPIPlanPtr plan_parent = NULL;
static CatalogPlans plans;

/*
 * The new parent must exist; when moving a category (w->id; NULL on
 * create), it must not be the parent nor one of its ancestors.
 */
static void
check_parent(CatalogWrite *w)
{
	const CommerceValue *parent = catalog_value(w, "parent_id");
	pg_uuid_t  *self = w->id;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int64		cycle;

	if (!parent->present || parent->isnull)
		return;
	commerce_prepare(&plan_parent,
					 "WITH RECURSIVE up(id, parent_id, depth) AS ("
					 "  SELECT id, parent_id, 1 FROM commerce.categories"
					 "  WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
					 "  UNION ALL"
					 "  SELECT k.id, k.parent_id, up.depth + 1 FROM commerce.categories k"
					 "  JOIN up ON k.tenant_id OPERATOR(pg_catalog.=) $1 AND k.id OPERATOR(pg_catalog.=) up.parent_id"
					 "  WHERE up.depth < 1000)"
					 " SELECT pg_catalog.count(*) FILTER (WHERE id OPERATOR(pg_catalog.=) $3) FROM up"
					 " HAVING pg_catalog.count(*) > 0",
					 3, (Oid[]) {UUIDOID, UUIDOID, UUIDOID});
	args[0] = UUIDPGetDatum(&w->cmd.tenant);
	args[1] = parent->value;
	args[2] = self ? UUIDPGetDatum(self) : (Datum) 0;
	if (self == NULL)
		nulls[2] = 'n';
	commerce_execute(plan_parent, args, nulls, false, 1);
	if (!commerce_result_int64(1, &cycle))
		commerce_not_found("category", DatumGetUUIDP(parent->value));
	if (cycle > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("category_cycle"),
				 errmsg("category %s cannot be moved under %s", commerce_uuid_string(self),
						commerce_uuid_string(DatumGetUUIDP(parent->value))),
				 errdetail("The new parent is the category itself or one of its descendants.")));
}

static const CatalogAggregate categories = {
	.what = "category",
	.type = "category",
	.create_action = "change the catalog",
	.update_action = "change the catalog",
	.fields = category_fields,
	.nfields = lengthof(category_fields),
	.not_null = (const char *const[]) {"name", "position", "metadata", NULL},
	.not_empty = (const char *const[]) {"name", NULL},
	.sized = "metadata",
	.max_bytes = 16384,
	.check_rows = check_parent,
	/* RETURNING columns only, the JSON built outside: Citus (docs/scaling.md) */
	.insert_sql = "WITH k AS (INSERT INTO commerce.categories"
	" (tenant_id, id, name, description, parent_id, position, metadata)"
	" VALUES ($1, $2, $3->>'name', $3->>'description', ($3->>'parent_id')::uuid,"
	" COALESCE(($3->>'position')::integer, 0), COALESCE($3->'metadata', '{}'))"
	" RETURNING *) SELECT " CATEGORY_JSON " FROM k",
	.lock_sql = CATALOG_LOCK_SQL("commerce.categories"),
	.update_sql = "WITH" CATALOG_UPDATE_CTE("commerce.categories", "k")
	" name = CASE WHEN $3 ? 'name' THEN $3->>'name' ELSE k.name END,"
	" description = CASE WHEN $3 ? 'description' THEN $3->>'description' ELSE k.description END,"
	" parent_id = CASE WHEN $3 ? 'parent_id' THEN ($3->>'parent_id')::uuid ELSE k.parent_id END,"
	" position = CASE WHEN $3 ? 'position' THEN ($3->>'position')::integer ELSE k.position END,"
	" metadata = CASE WHEN $3 ? 'metadata' THEN $3->'metadata' ELSE k.metadata END,"
	CATALOG_UPDATE_CTE_END("k", CATEGORY_JSON),
	.get_sql = CATALOG_GET_SQL("commerce.categories", "k", CATEGORY_JSON),
	.list_sql = COMMERCE_LIST_BY_ID("commerce.categories", "k", CATEGORY_JSON, ""),
	.plans = &plans,
};

/* commerce.create_category(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_category(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_create(fcinfo, &categories));
}

/*
 * commerce.update_category(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_update_category(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_update(fcinfo, &categories));
}

/* commerce.get_category(id uuid) RETURNS jsonb */
Datum
commerce_get_category(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_get(fcinfo, &categories));
}

/* commerce.list_categories(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_list_categories(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_list(fcinfo, &categories));
}
