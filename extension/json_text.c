/*-------------------------------------------------------------------------
 *
 * json_text.c
 *	  commerce.json_text(jsonb): a document's text, exactly as jsonb's own
 *	  output (jsonb_out, the ::text cast) writes it, for the gateway's
 *	  statements, which answer every request with a document's text.
 *	  PostgreSQL 15 copies each string and escapes it one character at a
 *	  time (escape_json): that was a third of a checkout response's output,
 *	  and the output 7 % of a checkout's instructions (docs/benchmarks.md,
 *	  "Issue 13, session 14"). Here a string's runs without anything to
 *	  escape are copied whole, and the text is built in place of the
 *	  result (no cstring copied into a text after). The walk is jsonb's own
 *	  iterator and its layout ("{", "key": value, ", " between items), so
 *	  the text is the same byte for byte: test/sql/json_text.sql compares
 *	  them over documents with every character JSON escapes. The
 *	  idempotency fingerprint hashes a jsonb argument's text through it too
 *	  (the same bytes as its output function's, command.c).
 *
 * extension/json_text.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "json_text.h"

PG_FUNCTION_INFO_V1(commerce_json_text);

/* The bytes escape_json escapes: control characters, '"' and '\\'. */
static const bool escaped[256] = {
	[0x00] = true, [0x01] = true, [0x02] = true, [0x03] = true, [0x04] = true, [0x05] = true,
	[0x06] = true, [0x07] = true, [0x08] = true, [0x09] = true, [0x0a] = true, [0x0b] = true,
	[0x0c] = true, [0x0d] = true, [0x0e] = true, [0x0f] = true, [0x10] = true, [0x11] = true,
	[0x12] = true, [0x13] = true, [0x14] = true, [0x15] = true, [0x16] = true, [0x17] = true,
	[0x18] = true, [0x19] = true, [0x1a] = true, [0x1b] = true, [0x1c] = true, [0x1d] = true,
	[0x1e] = true, [0x1f] = true, ['"'] = true, ['\\'] = true
};

/* n bytes at p, appended (room made first: the common case is a copy). */
static inline void
put_bytes(StringInfo out, const char *p, int n)
{
	if (out->len + n >= out->maxlen)
		enlargeStringInfo(out, n);
	memcpy(out->data + out->len, p, n);
	out->len += n;
	out->data[out->len] = '\0';
}

/* The len bytes at s as a JSON string, as escape_json writes them. */
static void
put_string(StringInfo out, const char *s, int len)
{
	const char *end = s + len;

	appendStringInfoCharMacro(out, '"');
	while (s < end)
	{
		const char *run = s;

		while (s < end && !escaped[(unsigned char) *s])
			s++;
		if (s > run)
			put_bytes(out, run, s - run);
		if (s == end)
			break;
		switch (*s)
		{
			case '\b':
				put_bytes(out, "\\b", 2);
				break;
			case '\f':
				put_bytes(out, "\\f", 2);
				break;
			case '\n':
				put_bytes(out, "\\n", 2);
				break;
			case '\r':
				put_bytes(out, "\\r", 2);
				break;
			case '\t':
				put_bytes(out, "\\t", 2);
				break;
			case '"':
				put_bytes(out, "\\\"", 2);
				break;
			case '\\':
				put_bytes(out, "\\\\", 2);
				break;
			default:
				appendStringInfo(out, "\\u%04x", (int) *s);
				break;
		}
		s++;
	}
	appendStringInfoCharMacro(out, '"');
}

/* A scalar, as jsonb_put_escaped_value writes it. */
static void
put_scalar(StringInfo out, const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			put_bytes(out, "null", 4);
			break;
		case jbvString:
			put_string(out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out,
																			NumericGetDatum(v->val.numeric))));
			break;
		case jbvBool:
			if (v->val.boolean)
				put_bytes(out, "true", 4);
			else
				put_bytes(out, "false", 5);
			break;
		default:
			elog(ERROR, "unknown jsonb scalar type %d", (int) v->type);
	}
}

/*
 * commerce.json_text(document jsonb) RETURNS text
 */
Datum
commerce_json_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(commerce_jsonb_text(PG_GETARG_JSONB_P(0)));
}

/*
 * commerce_jsonb_text
 *		jb's text as jsonb_out writes it, in a text (palloc'd): JsonbToCString's
 *		walk without indentation: ", " between items, ": " after a key, a
 *		raw scalar without its pseudo-array's brackets.
 */
text *
commerce_jsonb_text(Jsonb *jb)
{
	StringInfoData out;
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbIteratorToken type;
	JsonbValue	v;
	bool		first = true;
	bool		raw_scalar = false;
	bool		redo = false;
	text	   *result;

	initStringInfo(&out);
	enlargeStringInfo(&out, VARHDRSZ + VARSIZE(jb));
	out.len = VARHDRSZ;			/* the result's header, set at the end */
	while (redo || (type = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		redo = false;
		switch (type)
		{
			case WJB_BEGIN_ARRAY:
				if (!first)
					put_bytes(&out, ", ", 2);
				if (v.val.array.rawScalar)
					raw_scalar = true;
				else
					appendStringInfoCharMacro(&out, '[');
				first = true;
				break;
			case WJB_BEGIN_OBJECT:
				if (!first)
					put_bytes(&out, ", ", 2);
				appendStringInfoCharMacro(&out, '{');
				first = true;
				break;
			case WJB_KEY:
				if (!first)
					put_bytes(&out, ", ", 2);
				put_scalar(&out, &v);
				put_bytes(&out, ": ", 2);
				type = JsonbIteratorNext(&it, &v, false);
				if (type == WJB_VALUE)
				{
					put_scalar(&out, &v);
					first = false;
				}
				else
				{
					/* a container: its opening token, taken again */
					first = true;
					redo = true;
				}
				break;
			case WJB_ELEM:
				if (!first)
					put_bytes(&out, ", ", 2);
				put_scalar(&out, &v);
				first = false;
				break;
			case WJB_END_ARRAY:
				if (!raw_scalar)
					appendStringInfoCharMacro(&out, ']');
				first = false;
				break;
			case WJB_END_OBJECT:
				appendStringInfoCharMacro(&out, '}');
				first = false;
				break;
			default:
				elog(ERROR, "unknown jsonb iterator token %d", (int) type);
		}
	}
	result = (text *) out.data;
	SET_VARSIZE(result, out.len);
	return result;
}
