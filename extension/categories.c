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
	" 'metadata', k.metadata, 'version', k.version, 'created_at', " COMMERCE_SQL_TIMESTAMP("k.created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("k.updated_at") ")"

static const CommerceField category_fields[] = {
	{"name", CF_TEXT, true, 200},
	{"description", CF_TEXT, false, 5000},
	{"parent_id", CF_UUID, false, 0},
	{"position", CF_INT32, false, 0},
	{"metadata", CF_OBJECT, false, 50},
};
#define NCATEGORY_FIELDS lengthof(category_fields)
enum
{
	CATEGORY_NAME, CATEGORY_DESCRIPTION, CATEGORY_PARENT, CATEGORY_POSITION, CATEGORY_METADATA
};
static const char *const category_not_null[] = {"name", "position", "metadata", NULL};

static SPIPlanPtr plan_parent = NULL;
static SPIPlanPtr plan_insert = NULL;
static SPIPlanPtr plan_lock = NULL;
static SPIPlanPtr plan_update = NULL;
static SPIPlanPtr plan_get = NULL;
static SPIPlanPtr plan_list = NULL;

static void
parse_category(Jsonb *data, bool create, CommerceValue *values)
{
	commerce_parse_body(data, "category", category_fields, NCATEGORY_FIELDS, create,
						category_not_null, (const char *[]) {"name", NULL}, values);
	commerce_check_size("category", "metadata", &values[CATEGORY_METADATA], 16384);
}

/*
 * The new parent must exist; when moving category self (NULL on create),
 * self must not be the parent nor one of its ancestors.
 */
static void
check_parent(const pg_uuid_t *tenant, const CommerceValue *parent, pg_uuid_t *self)
{
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
	args[0] = UUIDPGetDatum(tenant);
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

/* commerce.create_category(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_category(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NCATEGORY_FIELDS];
	Jsonb	   *data;
	Jsonb	   *replay;
	pg_uuid_t	id;

	replay = commerce_create_begin(&cmd, "create_category", fcinfo, "change the catalog",
								   "category", &data);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	parse_category(data, true, values);
	check_parent(&cmd.tenant, &values[CATEGORY_PARENT], NULL);

	commerce_uuid_v7(&id);
	commerce_write_row(&plan_insert,
					   "INSERT INTO commerce.categories AS k"
					   " (tenant_id, id, name, description, parent_id, position, metadata)"
					   " VALUES ($1, $2, $3->>'name', $3->>'description', ($3->>'parent_id')::uuid,"
					   " COALESCE(($3->>'position')::integer, 0), COALESCE($3->'metadata', '{}'))"
					   " RETURNING " CATEGORY_JSON,
					   &cmd.tenant, &id, data, NULL, 0);
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "category.created", "category", &id));
}

/*
 * commerce.update_category(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_update_category(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NCATEGORY_FIELDS];
	Jsonb	   *replay;
	Jsonb	   *data;
	pg_uuid_t  *id;

	replay = commerce_update_begin(&cmd, "update_category", fcinfo, "change the catalog",
								   "category", &id, &data);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	parse_category(data, false, values);

	commerce_lock_expected(fcinfo, 2, &plan_lock,
						  "SELECT version FROM commerce.categories"
						  COMMERCE_BY_ID " FOR UPDATE",
						  &cmd.tenant, id, "category");
	check_parent(&cmd.tenant, &values[CATEGORY_PARENT], id);

	commerce_write_row(&plan_update,
					   "UPDATE commerce.categories AS k SET"
					   " name = CASE WHEN $3 ? 'name' THEN $3->>'name' ELSE k.name END,"
					   " description = CASE WHEN $3 ? 'description' THEN $3->>'description' ELSE k.description END,"
					   " parent_id = CASE WHEN $3 ? 'parent_id' THEN ($3->>'parent_id')::uuid ELSE k.parent_id END,"
					   " position = CASE WHEN $3 ? 'position' THEN ($3->>'position')::integer ELSE k.position END,"
					   " metadata = CASE WHEN $3 ? 'metadata' THEN $3->'metadata' ELSE k.metadata END,"
					   " version = k.version + 1, updated_at = pg_catalog.now()"
					   " WHERE k.tenant_id OPERATOR(pg_catalog.=) $1 AND k.id OPERATOR(pg_catalog.=) $2"
					   " RETURNING " CATEGORY_JSON,
					   &cmd.tenant, id, data, NULL, 0);
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "category.updated", "category", id));
}

/* commerce.get_category(id uuid) RETURNS jsonb */
Datum
commerce_get_category(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(commerce_get_by_id(fcinfo, &plan_get,
										 "SELECT " CATEGORY_JSON " FROM commerce.categories k"
										 " WHERE k.tenant_id OPERATOR(pg_catalog.=) $1"
										 " AND k.id OPERATOR(pg_catalog.=) $2",
										 "category"));
}

/* commerce.list_categories(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_list_categories(PG_FUNCTION_ARGS)
{
	CommerceListPage page;

	commerce_list_begin(&page, fcinfo, 0, 1);
	PG_RETURN_JSONB_P(commerce_list_fetch(&page, &plan_list,
										  COMMERCE_LIST_BY_ID("commerce.categories", "k", CATEGORY_JSON, ""),
										  0, NULL, NULL));
}
