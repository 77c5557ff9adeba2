/*-------------------------------------------------------------------------
 *
 * product_render.h
 *	  A product with its variants rendered in C from the rows of one
 *	  statement (product_render.c), for get_product.
 *
 * extension/product_render.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_PRODUCT_RENDER_H
#define COMMERCE_PRODUCT_RENDER_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/jsonb.h"

/*
 * The statement product_render() reads: the tenant's ($1) product $2 and
 * its variants, one row per variant (one row with NULL variant columns
 * when it has none), in no particular order. Both tables are read by the
 * caller through SPI, so their row-level security policies pick the rows
 * exactly as they do for any other statement of the caller.
 */
#define PRODUCT_ROWS_SQL \
	"SELECT p, v FROM commerce.products p LEFT JOIN commerce.variants v" \
	"   ON v.tenant_id OPERATOR(pg_catalog.=) $1 AND v.product_id OPERATOR(pg_catalog.=) $2" \
	" WHERE p.tenant_id OPERATOR(pg_catalog.=) $1 AND p.id OPERATOR(pg_catalog.=) $2"

/*
 * The product of the rows PRODUCT_ROWS_SQL returned (nrows >= 1), as
 * PRODUCT_JSON (products.c) renders it: the same keys, numbers, strings
 * and timestamps, the variants ordered by position then id. Allocated in
 * CurrentMemoryContext.
 */
extern Jsonb *product_render(SPITupleTable *rows, uint64 nrows);

#endif							/* COMMERCE_PRODUCT_RENDER_H */
