/*-------------------------------------------------------------------------
 *
 * customer_groups.c
 *	  Customer groups (wholesale, VIP, ...), which price lists target:
 *	  commerce.create_customer_group, update_customer_group,
 *	  get_customer_group, list_customer_groups. Staff write them; a customer
 *	  actor may read them.
 *
 * extension/customer_groups.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "catalog_rows.h"
#include "command.h"

PG_FUNCTION_INFO_V1(commerce_create_customer_group);
PG_FUNCTION_INFO_V1(commerce_update_customer_group);
PG_FUNCTION_INFO_V1(commerce_get_customer_group);
PG_FUNCTION_INFO_V1(commerce_list_customer_groups);

#define GROUP_JSON \
	"pg_catalog.jsonb_build_object('id', g.id::text, 'object', 'customer_group'," \
	" 'name', g.name, 'description', g.description, 'metadata', g.metadata," \
	CATALOG_JSON_STAMPS("g") ")"

static const CommerceField group_fields[] = {
	{"name", CF_TEXT, true, 200},
	{"description", CF_TEXT, false, 2000},
	{"metadata", CF_OBJECT, false, 50},
};

static const CommerceUniqueRule group_unique[] = {
	{"customer_groups_name_key", "customer_group_name_taken",
	 "another customer group has this name"},
};

static CatalogPlans plans;

static const CatalogAggregate customer_groups = {
	.what = "customer group",
	.type = "customer_group",
	.create_action = "create customer groups",
	.update_action = "change customer groups",
	.fields = group_fields,
	.nfields = lengthof(group_fields),
	.not_null = (const char *const[]) {"name", "metadata", NULL},
	.not_empty = (const char *const[]) {"name", NULL},
	.sized = "metadata",
	.max_bytes = 16384,
	.unique = group_unique,
	.nunique = lengthof(group_unique),
	/* RETURNING columns only, the JSON built outside: Citus (docs/scaling.md) */
	.insert_sql = "WITH g AS (INSERT INTO commerce.customer_groups (tenant_id, id, name, description, metadata)"
	" VALUES ($1, $2, $3->>'name', $3->>'description', COALESCE($3->'metadata', '{}'))"
	" RETURNING *) SELECT " GROUP_JSON " FROM g",
	.lock_sql = CATALOG_LOCK_SQL("commerce.customer_groups"),
	.update_sql = "WITH" CATALOG_UPDATE_CTE("commerce.customer_groups", "g")
	" name = CASE WHEN $3 ? 'name' THEN $3->>'name' ELSE g.name END,"
	" description = CASE WHEN $3 ? 'description' THEN $3->>'description' ELSE g.description END,"
	" metadata = CASE WHEN $3 ? 'metadata' THEN $3->'metadata' ELSE g.metadata END,"
	CATALOG_UPDATE_CTE_END("g", GROUP_JSON),
	.get_sql = CATALOG_GET_SQL("commerce.customer_groups", "g", GROUP_JSON),
	.list_sql = COMMERCE_LIST_BY_ID("commerce.customer_groups", "g", GROUP_JSON, ""),
	.plans = &plans,
};

/* commerce.create_customer_group(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_customer_group(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_create(fcinfo, &customer_groups));
}

/*
 * commerce.update_customer_group(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_update_customer_group(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_update(fcinfo, &customer_groups));
}

/* commerce.get_customer_group(id uuid) RETURNS jsonb */
Datum
commerce_get_customer_group(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_get(fcinfo, &customer_groups));
}

/* commerce.list_customer_groups(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_list_customer_groups(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(catalog_list(fcinfo, &customer_groups));
}
