/*-------------------------------------------------------------------------
 *
 * resolve_price.h
 *	  Price resolution (resolve_price.c, docs/pricing.md).
 *
 * extension/resolve_price.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_RESOLVE_PRICE_H
#define COMMERCE_RESOLVE_PRICE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/uuid.h"

/*
 * The unit amount in minor units and the winning list, or false when no
 * price applies; customer may be NULL; price_list_id may be NULL when not
 * wanted. Raises unknown_currency, invalid_input (quantity < 1), not_found
 * (customer).
 */
extern bool commerce_resolve_unit_price(const pg_uuid_t *tenant, const pg_uuid_t *variant,
										const char *currency, int32 quantity,
										const pg_uuid_t *customer, TimestampTz at,
										int64 *unit_amount, pg_uuid_t *price_list_id);

#endif							/* COMMERCE_RESOLVE_PRICE_H */
