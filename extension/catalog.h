/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  What the catalog (products.c, variants.c) offers other areas: the
 *	  variant representation, the option-values rule and visibility.
 *
 * extension/catalog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_CATALOG_H
#define COMMERCE_CATALOG_H

#include "postgres.h"

#include "utils/uuid.h"

#include "command.h"

/* A variant as JSON (alias v), in variants' and products' responses */
#define VARIANT_JSON \
	"pg_catalog.jsonb_build_object('id', v.id::text, 'object', 'variant'," \
	" 'product_id', v.product_id::text, 'sku', v.sku, 'title', v.title," \
	" 'option_values', v.option_values, 'attributes', v.attributes, 'position', v.position," \
	" 'weight_grams', v.weight_grams," \
	" 'version', v.version, 'created_at', " COMMERCE_SQL_TIMESTAMP("v.created_at") "," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("v.updated_at") ")"

/*
 * SQL predicate: the option values object vals ({"Size": "M"}) picks
 * exactly one of the listed values of every option of the options array
 * opts ([{"name": "Size", "values": ["S", "M"]}]) and names nothing else.
 */
#define OPTION_VALUES_MATCH(opts, vals) \
	"((SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(" vals "))" \
	"   OPERATOR(pg_catalog.=) pg_catalog.jsonb_array_length(" opts ")" \
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(" opts ") o" \
	"   WHERE NOT COALESCE((o->'values') ? (" vals "->>(o->>'name')), false)))"

/* Whether the current actor may see a variant (one of the tenant's; for a
 * customer actor, of an active product). Inside SPI. */
extern bool commerce_variant_visible(const pg_uuid_t *tenant, const pg_uuid_t *variant);

#endif							/* COMMERCE_CATALOG_H */
