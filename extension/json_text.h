/*-------------------------------------------------------------------------
 *
 * json_text.h
 *	  A jsonb document's text, byte for byte as jsonb_out writes it, built
 *	  faster (json_text.c).
 *
 * extension/json_text.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_JSON_TEXT_H
#define COMMERCE_JSON_TEXT_H

#include "postgres.h"

#include "utils/jsonb.h"

extern text *commerce_jsonb_text(Jsonb *jb);

#endif							/* COMMERCE_JSON_TEXT_H */
