/*-------------------------------------------------------------------------
 *
 * product_render.h
 *	  A product with its variants rendered in C from the row of one
 *	  statement (product_render.c), for get_product.
 *
 * extension/product_render.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_PRODUCT_RENDER_H
#define COMMERCE_PRODUCT_RENDER_H

#include "postgres.h"

#include "access/htup.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/*
 * The statement product_render() reads: the tenant's ($1) product $2 as a
 * whole row and the array of its variants' whole rows, in no particular
 * order (one row; none when the product is not visible). Both tables are
 * read by the caller through SPI, so their row-level security policies pick
 * the rows exactly as for any other statement of the caller. One row per
 * product, whatever its number of variants (a join would copy the
 * product's row into every variant's row).
 */
#define PRODUCT_ROWS_SQL \
	"SELECT p, ARRAY(SELECT v FROM commerce.variants v" \
	"   WHERE v.tenant_id OPERATOR(pg_catalog.=) $1 AND v.product_id OPERATOR(pg_catalog.=) $2)" \
	" FROM commerce.products p" \
	" WHERE p.tenant_id OPERATOR(pg_catalog.=) $1 AND p.id OPERATOR(pg_catalog.=) $2"

/*
 * The product of PRODUCT_ROWS_SQL's row (its row product and its
 * variants' rows), as PRODUCT_JSON (products.c) renders it: the same keys,
 * numbers, strings and timestamps, the variants ordered by position then
 * id. Allocated in CurrentMemoryContext.
 */
extern Jsonb *product_render(HeapTupleHeader product, ArrayType *variant_rows);

#endif							/* COMMERCE_PRODUCT_RENDER_H */
