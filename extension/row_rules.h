/*
 * row_rules.h
 *	  The row rules over columns (row_rules.c), called by the whole-row
 *	  CHECK functions of row_check.c with the columns read from the row.
 *
 * extension/row_rules.h
 */
#ifndef PGCOMMERCE_ROW_RULES_H
#define PGCOMMERCE_ROW_RULES_H

#include "postgres.h"

#include "fmgr.h"

extern Datum commerce_orders_all_rules(PG_FUNCTION_ARGS);
extern Datum commerce_order_shipping_row_rules(PG_FUNCTION_ARGS);
extern Datum commerce_order_lines_row_rules(PG_FUNCTION_ARGS);
extern Datum commerce_inventory_row_rules(PG_FUNCTION_ARGS);
extern Datum commerce_idempotency_row_rules(PG_FUNCTION_ARGS);
extern Datum commerce_promotion_codes_row_rules(PG_FUNCTION_ARGS);
extern Datum commerce_order_discounts_row_rules(PG_FUNCTION_ARGS);

#endif
