/*-------------------------------------------------------------------------
 *
 * variants.c
 *	  Variants, the sellable units of a product (what prices, stock and
 *	  order lines refer to): commerce.create_variant, update_variant,
 *	  get_variant, list_variants. SKU unique per tenant (sku_taken); option
 *	  values pick one value of each product option (invalid_option_values),
 *	  and two variants of a product never pick the same ones
 *	  (variant_options_taken). Variants of an archived product are frozen
 *	  (product_archived). The product row is share-locked while a variant
 *	  is written, so its options and status cannot change underneath.
 *
 *	  commerce_variant_visible() is the rule every read of a variant's
 *	  stock or prices applies: a customer actor sees only variants of
 *	  active products, and cannot tell them from variants that do not exist.
 *
 * extension/variants.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "catalog_rows.h"
#include "command.h"
#include "list_filter.h"
#include "errors.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_variant);
PG_FUNCTION_INFO_V1(commerce_update_variant);
PG_FUNCTION_INFO_V1(commerce_get_variant);
PG_FUNCTION_INFO_V1(commerce_list_variants);

static const CommerceField variant_fields[] = {
	{"sku", CF_TEXT, true, 64},
	{"title", CF_TEXT, false, 500},
	{"option_values", CF_OBJECT, false, 10},
	{"attributes", CF_OBJECT, false, 100},
	{"position", CF_INT32, false, 0},
	{"weight_grams", CF_INT32, false, 0},	/* weight-band shipping (docs/shipping.md) */
};
#define NVARIANT_FIELDS lengthof(variant_fields)
enum
{
	VARIANT_SKU, VARIANT_TITLE, VARIANT_OPTION_VALUES, VARIANT_ATTRIBUTES, VARIANT_POSITION,
	VARIANT_WEIGHT
};
static const char *const variant_not_null[] = {"sku", "option_values", "attributes", "position", NULL};

static const CommerceUniqueRule variant_unique[] = {
	{"variants_sku_key", "sku_taken", "another variant has this SKU"},
	{"variants_option_values_key", "variant_options_taken",
	 "another variant of the product has these option values"},
};

static SPIPlanPtr plan_lock_product = NULL;
static SPIPlanPtr plan_options_match = NULL;
static SPIPlanPtr plan_insert = NULL;
static SPIPlanPtr plan_lock = NULL;
static SPIPlanPtr plan_update = NULL;
static SPIPlanPtr plan_get = NULL;
static SPIPlanPtr plan_product_visible = NULL;
static SPIPlanPtr plan_variant_visible = NULL;
static ListPlanCache *plans_list = NULL;

/* What list_variants filters on (docs/filters.md): variants_sku_key */
static const ListField variant_filters[] = {
	{"sku", LF_TEXT, LF_EQ | LF_IN, "v.sku", NULL, NULL, 64, false, NULL},
};

const ListSpec commerce_variants_list = {
	.command = "list_variants",
	.table = "commerce.variants",
	.alias = "v",
	.json = VARIANT_JSON,
	.fields = variant_filters,
	.nfields = lengthof(variant_filters),
	.q_condition = NULL,
	.newest_first = false,
	.plans = &plans_list,
};

static void
parse_variant(Jsonb *data, bool create, CommerceValue *values)
{
	const CommerceValue *sku = &values[VARIANT_SKU];
	const CommerceValue *options = &values[VARIANT_OPTION_VALUES];

	commerce_parse_body(data, "variant", variant_fields, NVARIANT_FIELDS, create,
						variant_not_null, (const char *[]) {"sku", NULL}, values);
	commerce_check_size("variant", "attributes", &values[VARIANT_ATTRIBUTES], 65536);
	if (sku->present && strpbrk(text_to_cstring(DatumGetTextPP(sku->value)), " \t\r\n\v\f") != NULL)
		commerce_invalid_input("variant", "field \"sku\" must not contain white space");
	if (values[VARIANT_WEIGHT].present && !values[VARIANT_WEIGHT].isnull &&
		(DatumGetInt32(values[VARIANT_WEIGHT].value) < 0 ||
		 DatumGetInt32(values[VARIANT_WEIGHT].value) > 100000000))
		commerce_invalid_input("variant", "field \"weight_grams\" must be between 0 and 100000000 (null: unknown)");
	if (options->present)
	{
		JsonbIterator *it = JsonbIteratorInit(&DatumGetJsonbP(options->value)->root);
		JsonbValue	v;
		JsonbIteratorToken token;

		while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (token == WJB_VALUE && v.type != jbvString)
				commerce_invalid_input("variant", "every value of \"option_values\" must be a string");
	}
}

/*
 * Share-lock the product (visible to this actor): not_found, or
 * product_archived; then the option values (given, or the current ones
 * when NULL) must match its options.
 */
static void
check_product(const pg_uuid_t *tenant, pg_uuid_t *product, const CommerceValue *option_values)
{
	Datum		args[2];
	bool		isnull;
	bool		match;
	char	   *status;

	commerce_require_row(&plan_lock_product,
						 "SELECT status, options FROM commerce.products"
						 COMMERCE_BY_ID " FOR SHARE",
						 tenant, product, "product", false);
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (strcmp(status, "archived") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("product_archived"),
				 errmsg("product %s is archived", commerce_uuid_string(product)),
				 errhint("Move the product back to draft to change its variants.")));
	if (option_values == NULL)
		return;

	args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	args[1] = option_values->present ? option_values->value :
		DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	commerce_prepare(&plan_options_match,
					 "SELECT " OPTION_VALUES_MATCH("$1", "$2"),
					 2, (Oid[]) {JSONBOID, JSONBOID});
	commerce_execute(plan_options_match, args, NULL, false, 1);
	match = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!match)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_option_values"),
				 errmsg("option values do not match the options of product %s",
						commerce_uuid_string(product)),
				 errdetail("A variant picks exactly one listed value of every option of its product, and nothing else.")));
}

/*
 * commerce.create_variant(product_id uuid, data jsonb, idempotency_key text
 *		DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_create_variant(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NVARIANT_FIELDS];
	Jsonb	   *data;
	Jsonb	   *replay;
	pg_uuid_t  *product;
	pg_uuid_t	id;
	Datum		args[4];

	replay = commerce_write_begin(&cmd, "create_variant", fcinfo, 2, "change the catalog");
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	product = commerce_uuid_arg(fcinfo, 0, "product_id");
	data = commerce_jsonb_arg(fcinfo, 1, "variant");
	parse_variant(data, true, values);
	check_product(&cmd.tenant, product, &values[VARIANT_OPTION_VALUES]);

	commerce_uuid_v7(&id);
	commerce_prepare(&plan_insert,
					 /* RETURNING columns only, the JSON built outside (Citus) */
					 "WITH v AS (INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title,"
					 " option_values, attributes, position, weight_grams)"
					 " VALUES ($1, $2, $3, $4->>'sku', $4->>'title', COALESCE($4->'option_values', '{}'),"
					 " COALESCE($4->'attributes', '{}'), COALESCE(($4->>'position')::integer, 0),"
					 " ($4->>'weight_grams')::integer)"
					 " RETURNING *) SELECT " VARIANT_JSON " FROM v",
					 4, (Oid[]) {UUIDOID, UUIDOID, UUIDOID, JSONBOID});
	args[0] = UUIDPGetDatum(&cmd.tenant);
	args[1] = UUIDPGetDatum(&id);
	args[2] = UUIDPGetDatum(product);
	args[3] = JsonbPGetDatum(data);
	commerce_execute_unique(plan_insert, args, NULL, variant_unique, lengthof(variant_unique));
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "variant.created", "variant", &id));
}

/*
 * commerce.update_variant(id uuid, data jsonb, expected_version bigint
 *		DEFAULT NULL, idempotency_key text DEFAULT NULL) RETURNS jsonb
 */
Datum
commerce_update_variant(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	CommerceValue values[NVARIANT_FIELDS];
	Jsonb	   *replay;
	Jsonb	   *data;
	pg_uuid_t  *id;
	pg_uuid_t	product;
	bool		isnull;

	replay = commerce_update_begin(&cmd, "update_variant", fcinfo, "change the catalog",
								   "variant", &id, &data);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	parse_variant(data, false, values);

	commerce_lock_expected(fcinfo, 2, &plan_lock,
						  "SELECT version, product_id FROM commerce.variants"
						  COMMERCE_BY_ID " FOR UPDATE",
						  &cmd.tenant, id, "variant");
	memcpy(&product, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)),
		   sizeof(pg_uuid_t));
	check_product(&cmd.tenant, &product,
				  values[VARIANT_OPTION_VALUES].present ? &values[VARIANT_OPTION_VALUES] : NULL);

	commerce_write_row(&plan_update,
					   "WITH" CATALOG_UPDATE_CTE("commerce.variants", "v")
					   " sku = CASE WHEN $3 ? 'sku' THEN $3->>'sku' ELSE v.sku END,"
					   " title = CASE WHEN $3 ? 'title' THEN $3->>'title' ELSE v.title END,"
					   " option_values = CASE WHEN $3 ? 'option_values' THEN $3->'option_values' ELSE v.option_values END,"
					   " attributes = CASE WHEN $3 ? 'attributes' THEN $3->'attributes' ELSE v.attributes END,"
					   " position = CASE WHEN $3 ? 'position' THEN ($3->>'position')::integer ELSE v.position END,"
					   " weight_grams = CASE WHEN $3 ? 'weight_grams' THEN ($3->>'weight_grams')::integer ELSE v.weight_grams END,"
					   CATALOG_UPDATE_CTE_END("v", VARIANT_JSON),
					   &cmd.tenant, id, data, variant_unique, lengthof(variant_unique));
	PG_RETURN_JSONB_P(commerce_write_end(&cmd, "variant.updated", "variant", id));
}

/*
 * commerce_variant_visible
 *		Whether the current actor may see variant: it is one of tenant's and,
 *		for a customer actor, its product is active. Readers of stock and
 *		prices answer not_found otherwise, so a customer never learns that a
 *		draft or archived product exists. The product's status is checked
 *		here rather than by a policy on prices or inventory_levels, which
 *		would need a subquery (ARCHITECTURE.md: none in policies, for Citus),
 *		and whatever role the statement runs as. Call inside SPI_connect().
 */
bool
commerce_variant_visible(const pg_uuid_t *tenant, const pg_uuid_t *variant)
{
	Datum		values[3];

	commerce_prepare(&plan_variant_visible,
					 "SELECT 1 FROM commerce.variants v JOIN commerce.products p"
					 "   ON p.tenant_id OPERATOR(pg_catalog.=) v.tenant_id"
					 "  AND p.id OPERATOR(pg_catalog.=) v.product_id"
					 " WHERE v.tenant_id OPERATOR(pg_catalog.=) $1"
					 "   AND v.id OPERATOR(pg_catalog.=) $2"
					 "   AND (NOT $3 OR p.status OPERATOR(pg_catalog.=) 'active')",
					 3, (Oid[]) {UUIDOID, UUIDOID, BOOLOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(variant);
	values[2] = BoolGetDatum(commerce_actor_is_shopper());
	return commerce_execute(plan_variant_visible, values, NULL, true, 1) > 0;
}

/*
 * commerce.get_variant(id uuid) RETURNS jsonb
 *		Joined with its product, so a customer actor (who sees only active
 *		products) does not see variants of draft or archived products.
 */
Datum
commerce_get_variant(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(commerce_get_by_id(fcinfo, &plan_get,
										 "SELECT " VARIANT_JSON " FROM commerce.variants v"
										 " JOIN commerce.products p ON p.tenant_id OPERATOR(pg_catalog.=) v.tenant_id"
										 " AND p.id OPERATOR(pg_catalog.=) v.product_id"
										 " WHERE v.tenant_id OPERATOR(pg_catalog.=) $1"
										 " AND v.id OPERATOR(pg_catalog.=) $2",
										 "variant"));
}

/*
 * commerce.list_variants(product_id uuid, lim int DEFAULT 50, after text
 *		DEFAULT NULL, filter jsonb DEFAULT NULL) RETURNS jsonb
 *		not_found unless the caller sees the product.
 */
Datum
commerce_list_variants(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *product = commerce_uuid_arg(fcinfo, 0, "product_id");
	pg_uuid_t	tenant;
	ListScope	scope = {"v.product_id OPERATOR(pg_catalog.=) $?", UUIDOID, UUIDPGetDatum(product)};

	commerce_query_begin(&tenant);
	SPI_connect();
	commerce_require_row(&plan_product_visible,
						 "SELECT 1 FROM commerce.products"
						 COMMERCE_BY_ID,
						 &tenant, product, "product", true);
	SPI_finish();
	PG_RETURN_JSONB_P(commerce_list_filtered(fcinfo, &commerce_variants_list, 1, 2, 3,
											 NULL, NULL, 0, &scope));
}
