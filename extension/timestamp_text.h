/*-------------------------------------------------------------------------
 *
 * timestamp_text.h
 *	  A timestamptz as the documents show it, RFC 3339 UTC with
 *	  microseconds (COMMERCE_SQL_TIMESTAMP's to_char picture), written by
 *	  hand for the C renderers (order_render.c, product_render.c).
 *
 * extension/timestamp_text.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_TIMESTAMP_TEXT_H
#define COMMERCE_TIMESTAMP_TEXT_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* room for the longest text commerce_timestamp_text() writes */
#define COMMERCE_TIMESTAMP_TEXT_LEN 48

extern void commerce_timestamp_text(TimestampTz t, char *buf);

#endif							/* COMMERCE_TIMESTAMP_TEXT_H */
