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

#include "command.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_customer_group);
PG_FUNCTION_INFO_V1(commerce_update_customer_group);
PG_FUNCTION_INFO_V1(commerce_get_customer_group);
PG_FUNCTION_INFO_V1(commerce_list_customer_groups);

#define GROUP_JSON \
	"pg_catalog.jsonb_build_object('id', g.id::text, 'object', 'customer_group'," \
	" 'name', g.name, 'description', g.description, 'metadata', g.metadata," \
	" 'version', g.version, 'created_at', " COMMERCE_SQL_TIMESTAMP("g.created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("g.updated_at") ")"

static const CommerceField group_fields[] = {
	{"name", CF_TEXT, true, 200},
	{"description", CF_TEXT, false, 2000},
	{"metadata", CF_OBJECT, false, 50},
};
#define NGROUP_FIELDS lengthof(group_fields)
static const char *const group_not_null[] = {"name", "metadata", NULL};

static const CommerceUniqueRule group_unique[] = {
	{"customer_groups_name_key", "customer_group_name_taken",
	 "another customer group has this name"},
};

static SPIPlanPtr plan_insert = NULL;
static SPIPlanPtr plan_lock = NULL;
static SPIPlanPtr plan_update = NULL;
static SPIPlanPtr plan_get = NULL;
static SPIPlanPtr plan_list = NULL;

static void
parse_group(Jsonb *data, bool create, CommerceValue *values)
{
	commerce_parse_body(data, "customer group", group_fields, NGROUP_FIELDS, create,
						group_not_null, (const char *[]) {"name", NULL}, values);
	commerce_check_size("customer group", "metadata", &values[2], 16384);
}

/* commerce.create_customer_group(data jsonb, idempotency_key text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_create_customer_group(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NGROUP_FIELDS];
	Jsonb	   *data;
	Jsonb	   *replay;
	pg_uuid_t	id;

	replay = commerce_create_begin(&cmd, "create_customer_group", fcinfo, "create customer groups",
								   "customer group", &data);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	parse_group(data, true, values);

	commerce_uuid_v7(&id);
	commerce_write_row(&plan_insert,
					   "INSERT INTO commerce.customer_groups AS g (tenant_id, id, name, description, metadata)"
					   " VALUES ($1, $2, $3->>'name', $3->>'description', COALESCE($3->'metadata', '{}'))"
					   " RETURNING " GROUP_JSON,
					   &cmd.tenant, &id, data, group_unique, lengthof(group_unique));
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "customer_group.created", "customer_group", &id));
}

/*
 * commerce.update_customer_group(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_update_customer_group(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NGROUP_FIELDS];
	Jsonb	   *replay;
	Jsonb	   *data;
	pg_uuid_t  *id;

	replay = commerce_update_begin(&cmd, "update_customer_group", fcinfo, "change customer groups",
								   "customer group", &id, &data);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	parse_group(data, false, values);

	commerce_lock_expected(fcinfo, 2, &plan_lock,
						  "SELECT version FROM commerce.customer_groups"
						  COMMERCE_BY_ID " FOR UPDATE",
						  &cmd.tenant, id, "customer group");
	commerce_write_row(&plan_update,
					   "UPDATE commerce.customer_groups AS g SET"
					   " name = CASE WHEN $3 ? 'name' THEN $3->>'name' ELSE g.name END,"
					   " description = CASE WHEN $3 ? 'description' THEN $3->>'description' ELSE g.description END,"
					   " metadata = CASE WHEN $3 ? 'metadata' THEN $3->'metadata' ELSE g.metadata END,"
					   " version = g.version + 1, updated_at = pg_catalog.now()"
					   " WHERE g.tenant_id OPERATOR(pg_catalog.=) $1 AND g.id OPERATOR(pg_catalog.=) $2"
					   " RETURNING " GROUP_JSON,
					   &cmd.tenant, id, data, group_unique, lengthof(group_unique));
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "customer_group.updated", "customer_group", id));
}

/* commerce.get_customer_group(id uuid) RETURNS jsonb */
Datum
commerce_get_customer_group(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(commerce_get_by_id(fcinfo, &plan_get,
										 "SELECT " GROUP_JSON " FROM commerce.customer_groups g"
										 " WHERE g.tenant_id OPERATOR(pg_catalog.=) $1"
										 " AND g.id OPERATOR(pg_catalog.=) $2",
										 "customer group"));
}

/* commerce.list_customer_groups(lim int DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb */
Datum
commerce_list_customer_groups(PG_FUNCTION_ARGS)
{
	CommerceListPage page;

	commerce_list_begin(&page, fcinfo, 0, 1);
	PG_RETURN_JSONB_P(commerce_list_fetch(&page, &plan_list,
										  COMMERCE_LIST_BY_ID("commerce.customer_groups", "g", GROUP_JSON, ""),
										  0, NULL, NULL));
}
