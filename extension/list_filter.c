/*-------------------------------------------------------------------------
 *
 * list_filter.c
 *	  The filter language of the list_* commands (list_filter.h,
 *	  docs/filters.md): the filter object read into terms, every value
 *	  checked against its field's type and limits, invalid_filter (22023)
 *	  naming what is allowed. The statement is built by list_query.c.
 *
 * extension/list_filter.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "command.h"
#include "errors.h"
#include "list_filter.h"
#include "list_query.h"

static const char *const op_names[] = {"eq", "in", "gt", "gte", "lt", "lte"};

const char *
list_op_name(int op)
{
	int			i;

	for (i = 0; i < (int) lengthof(op_names); i++)
		if (op == (1 << i))
			return op_names[i];
	return "?";
}

/* "status, status[in], created_at[gt], ..., q, sort" of spec */
char *
list_allowed_keys(const ListSpec *spec)
{
	StringInfoData s;
	int			i,
				b;

	initStringInfo(&s);
	for (i = 0; i < spec->nfields; i++)
		for (b = 0; b < (int) lengthof(op_names); b++)
			if (spec->fields[i].ops & (1 << b))
				appendStringInfo(&s, "%s%s%s%s%s", s.len ? ", " : "", spec->fields[i].name,
								 b ? "[" : "", b ? op_names[b] : "", b ? "]" : "");
	if (spec->q_condition)
		appendStringInfoString(&s, ", q");
	appendStringInfoString(&s, ", sort (");
	b = 0;
	for (i = 0; i < spec->nfields; i++)
		if (spec->fields[i].sortable)
			appendStringInfo(&s, "%s%s, -%s", b++ ? ", " : "", spec->fields[i].name,
							 spec->fields[i].name);
	appendStringInfoString(&s, b ? ")" : "none)");
	return s.data;
}

static void invalid_filter(const ListSpec *spec, const char *message) pg_attribute_noreturn();

/* invalid_filter (22023): message, and the allowed keys in the detail */
static void
invalid_filter(const ListSpec *spec, const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 commerce_errcode("invalid_filter"),
			 errmsg("invalid filter of %s: %s", spec->command, message),
			 errdetail("Allowed: %s.", list_allowed_keys(spec)),
			 errhint("See docs/filters.md.")));
}

/* --- values ------------------------------------------------------------ */

static bool
parse_int64(const char *s, int64 *out)
{
	const char *p = s;
	uint64		v = 0;
	bool		neg = (*p == '-');

	if (neg)
		p++;
	if (*p == '\0' || strlen(p) > 19)
		return false;
	for (; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v > (uint64) PG_INT64_MAX + (neg ? 1 : 0))
		return false;
	*out = neg ? (int64) (0 - v) : (int64) v;
	return true;
}

static bool
digits(const char *s, int n, int *out)
{
	int			i;

	*out = 0;
	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * An RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.f]Z or with an offset) or a
 * date (YYYY-MM-DD, UTC midnight), checked before timestamptz_in so that a
 * wrong value is invalid_filter, never a datetime error.
 */
static bool
parse_timestamp(const char *s, Datum *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			y,
				mo,
				d,
				h,
				mi,
				se,
				len = strlen(s);
	const char *z;

	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
		s[7] != '-' || !digits(s + 8, 2, &d) || y < 1 || mo < 1 || mo > 12 || d < 1 ||
		d > mdays[mo - 1] || (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return false;
	if (len == 10)
	{
		*out = DirectFunctionCall3(timestamptz_in, CStringGetDatum(psprintf("%sT00:00:00Z", s)),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		return true;
	}
	if ((s[10] != 'T' && s[10] != 't') || len < 20 || !digits(s + 11, 2, &h) || s[13] != ':' ||
		!digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se) ||
		h > 23 || mi > 59 || se > 59)
		return false;
	z = s + 19;
	if (*z == '.')
	{
		int			n = 0,
					ignored;

		while (z[1 + n] >= '0' && z[1 + n] <= '9')
			n++;
		if (n < 1 || n > 6 || !digits(z + 1, n, &ignored))
			return false;
		z += 1 + n;
	}
	if (!((strcmp(z, "Z") == 0 || strcmp(z, "z") == 0) ||
		  ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && digits(z + 1, 2, &h) &&
		   z[3] == ':' && digits(z + 4, 2, &mi) && h <= 23 && mi <= 59)))
		return false;
	*out = DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	return true;
}

/* One value of field f, or invalid_filter naming key. */
static Datum
field_value(const ListSpec *spec, const ListField *f, const char *key, const char *s)
{
	int			max = f->max_len > 0 ? f->max_len : LIST_FILTER_MAX_VALUE;
	int64		n;
	Datum		d;

	switch (f->type)
	{
		case LF_TEXT:
			if (strlen(s) == 0 || (int) strlen(s) > max)
				invalid_filter(spec, psprintf("%s must be 1 to %d bytes", key, max));
			if (f->values)
			{
				const char *const *v;

				for (v = f->values; *v; v++)
					if (strcmp(*v, s) == 0)
						return CStringGetTextDatum(s);
				invalid_filter(spec, psprintf("%s \"%.64s\" is not one of its values", key, s));
			}
			return CStringGetTextDatum(s);
		case LF_UUID:
			if (!commerce_is_uuid_text(s))
				invalid_filter(spec, psprintf("%s must be a uuid", key));
			return DirectFunctionCall1(uuid_in, CStringGetDatum(s));
		case LF_TIMESTAMPTZ:
			if (strlen(s) > 40 || !parse_timestamp(s, &d))
				invalid_filter(spec, psprintf("%s must be an RFC 3339 date-time (2026-01-31T12:00:00Z) or a date", key));
			return d;
		case LF_BIGINT:
			if (!parse_int64(s, &n))
				invalid_filter(spec, psprintf("%s must be an integer", key));
			return Int64GetDatum(n);
	}
	pg_unreachable();
}

static Oid
field_type(const ListField *f)
{
	switch (f->type)
	{
		case LF_TEXT:
			return TEXTOID;
		case LF_UUID:
			return UUIDOID;
		case LF_TIMESTAMPTZ:
			return TIMESTAMPTZOID;
		case LF_BIGINT:
			return INT8OID;
	}
	pg_unreachable();
}

/* field[in]: comma-separated values as one array */
static void
in_values(const ListSpec *spec, const ListField *f, const char *key, const char *s,
		  ListTerm *t)
{
	Datum		elems[LIST_FILTER_MAX_IN];
	int			n = 0;
	char	   *copy = pstrdup(s);
	char	   *item = copy;
	Oid			elem = field_type(f);
	int16		typlen;
	bool		byval;
	char		align;

	for (;;)
	{
		char	   *comma = strchr(item, ',');

		if (comma)
			*comma = '\0';
		if (n == LIST_FILTER_MAX_IN)
			invalid_filter(spec, psprintf("%s takes at most %d values", key, LIST_FILTER_MAX_IN));
		elems[n++] = field_value(spec, f, key, item);
		if (!comma)
			break;
		item = comma + 1;
	}
	get_typlenbyvalalign(elem, &typlen, &byval, &align);
	t->value = PointerGetDatum(construct_array(elems, n, elem, typlen, byval, align));
	t->type = get_array_type(elem);
}

/* --- terms ------------------------------------------------------------- */

/* The text of a JSON value of the filter object: a string or a number. */
static char *
scalar_text(const ListSpec *spec, const char *key, JsonbValue *v)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	invalid_filter(spec, psprintf("%s must be a string", key));
}

/* q: its words (letters, digits) as a prefix tsquery "w1:* & w2:*" */
static void
q_term(const ListSpec *spec, const char *s, ListRequest *req)
{
	StringInfoData out;
	int			words = 0;
	const unsigned char *p = (const unsigned char *) s;

	if (spec->q_condition == NULL)
		invalid_filter(spec, "q is not a filter of this list");
	if (strlen(s) > LIST_FILTER_MAX_Q)
		invalid_filter(spec, psprintf("q is at most %d bytes", LIST_FILTER_MAX_Q));
	initStringInfo(&out);
	while (*p)
	{
		int			len = 0;

		/* a word: ASCII letters and digits, and any non-ASCII character */
		while (p[len] && (isalnum(p[len]) || p[len] >= 0x80))
			len++;
		if (len == 0)
		{
			p++;
			continue;
		}
		if (++words > LIST_FILTER_MAX_Q_WORDS)
			invalid_filter(spec, psprintf("q has at most %d words", LIST_FILTER_MAX_Q_WORDS));
		appendStringInfo(&out, "%s'%.*s':*", out.len ? " & " : "", len, (const char *) p);
		p += len;
	}
	if (words == 0)
		invalid_filter(spec, "q must hold a letter or a digit");
	req->q = out.data;
}

static void
sort_term(const ListSpec *spec, const char *s, ListRequest *req)
{
	bool		desc = (s[0] == '-');
	int			i;

	for (i = 0; i < spec->nfields; i++)
		if (spec->fields[i].sortable && strcmp(spec->fields[i].name, s + (desc ? 1 : 0)) == 0)
		{
			req->sort = &spec->fields[i];
			req->desc = desc;
			req->sort_name = pstrdup(s);
			return;
		}
	invalid_filter(spec, psprintf("cannot sort by \"%.64s\"", s));
}

/* One "key": value of the filter (or a legacy argument). */
void
list_add_term(const ListSpec *spec, const char *key, const char *value, ListRequest *req)
{
	const char *bracket = strchr(key, '[');
	size_t		namelen = bracket ? (size_t) (bracket - key) : strlen(key);
	int			op = LF_EQ;
	int			i;

	if (strcmp(key, "q") == 0)
	{
		q_term(spec, value, req);
		return;
	}
	if (strcmp(key, "sort") == 0)
	{
		sort_term(spec, value, req);
		return;
	}
	if (bracket)
	{
		op = 0;
		for (i = 0; i < (int) lengthof(op_names); i++)
			if (strlen(bracket) == strlen(op_names[i]) + 2 &&
				strncmp(bracket + 1, op_names[i], strlen(op_names[i])) == 0 &&
				bracket[strlen(op_names[i]) + 1] == ']')
				op = 1 << i;
	}
	for (i = 0; i < spec->nfields; i++)
	{
		const ListField *f = &spec->fields[i];
		ListTerm   *t;

		if (strlen(f->name) != namelen || strncmp(f->name, key, namelen) != 0)
			continue;
		if (op == 0 || !(f->ops & op))
			invalid_filter(spec, psprintf("unknown operator in \"%.64s\"", key));
		if (req->nterms == LIST_FILTER_MAX_TERMS)
			invalid_filter(spec, psprintf("at most %d filter terms", LIST_FILTER_MAX_TERMS));
		t = &req->terms[req->nterms++];
		t->field = f;
		t->fieldno = i;
		t->op = op;
		if (op == LF_IN)
			in_values(spec, f, key, value, t);
		else
		{
			t->value = field_value(spec, f, key, value);
			t->type = field_type(f);
		}
		return;
	}
	invalid_filter(spec, psprintf("unknown field \"%.64s\"", key));
}

/* The terms of a filter object (NULL: none), sorted into their shape. */
void
list_parse_filter(const ListSpec *spec, Jsonb *filter, ListRequest *req)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (filter == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(filter) || JB_ROOT_IS_SCALAR(filter))
		invalid_filter(spec, "the filter must be a JSON object");
	it = JsonbIteratorInit(&filter->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, Min(v.val.string.len, 64));
		else if (tok == WJB_VALUE)
			list_add_term(spec, key, scalar_text(spec, key, &v), req);
	}
}

/* Terms in field order then operator order: one plan per shape. */
static int
term_cmp(const void *a, const void *b)
{
	const ListTerm *x = a;
	const ListTerm *y = b;

	if (x->fieldno != y->fieldno)
		return x->fieldno - y->fieldno;
	return x->op - y->op;
}

void
list_sort_terms(ListRequest *req)
{
	if (req->nterms > 1)
		qsort(req->terms, req->nterms, sizeof(ListTerm), term_cmp);
}

Datum
list_timestamp_from_unix_micros(int64 micros)
{
	return TimestampTzGetDatum(micros -
							   (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
}
