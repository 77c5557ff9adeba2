/*-------------------------------------------------------------------------
 *
 * jsonb_push.h
 *	  The key-and-value steps the C renderers (product_render.c,
 *	  order_render.c) build a jsonb object with: a key, then a null, a
 *	  string, an integer, a uuid's text or a jsonb value under it. Static
 *	  inline: they run once per key of every document rendered, and a call
 *	  into another file would not be inlined.
 *
 * extension/jsonb_push.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_JSONB_PUSH_H
#define COMMERCE_JSONB_PUSH_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#include "uuid.h"

/* key, as the next key of the object being built */
static inline void
jsonb_push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
}

/* v under key */
static inline void
jsonb_push_value(JsonbParseState **state, const char *key, JsonbValue *v)
{
	jsonb_push_key(state, key);
	pushJsonbValue(state, WJB_VALUE, v);
}

/* null under key */
static inline void
jsonb_push_null(JsonbParseState **state, const char *key)
{
	JsonbValue	v = {.type = jbvNull};

	jsonb_push_value(state, key, &v);
}

/* The string s under key; null when s is NULL */
static inline void
jsonb_push_cstring(JsonbParseState **state, const char *key, const char *s)
{
	JsonbValue	v;

	if (s == NULL)
	{
		jsonb_push_null(state, key);
		return;
	}
	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	jsonb_push_value(state, key, &v);
}

/* value as a number under key; null when isnull */
static inline void
jsonb_push_int64(JsonbParseState **state, const char *key, bool isnull, int64 value)
{
	JsonbValue	v;

	if (isnull)
	{
		jsonb_push_null(state, key);
		return;
	}
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	jsonb_push_value(state, key, &v);
}

/* The text of id (as id::text) under key; null when id is NULL */
static inline void
jsonb_push_uuid(JsonbParseState **state, const char *key, const pg_uuid_t *id)
{
	jsonb_push_cstring(state, key, id == NULL ? NULL : commerce_uuid_string(id));
}

/* value as it is (pushJsonbValue unpacks it) under key; null when NULL */
static inline void
jsonb_push_jsonb(JsonbParseState **state, const char *key, const Jsonb *value)
{
	JsonbValue	v;

	if (value == NULL)
	{
		jsonb_push_null(state, key);
		return;
	}
	v.type = jbvBinary;
	v.val.binary.data = (JsonbContainer *) &value->root;
	v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	jsonb_push_value(state, key, &v);
}

#endif							/* COMMERCE_JSONB_PUSH_H */
