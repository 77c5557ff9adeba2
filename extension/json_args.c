/*-------------------------------------------------------------------------
 *
 * json_args.c
 *	  Strict parsing of a command's jsonb argument against a field list
 *	  (command.h): the one place that turns wrong JSON types, unknown or
 *	  missing fields, and oversized strings or arrays into invalid_input
 *	  errors naming the field, before a command writes anything.
 *
 * extension/json_args.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "command.h"
#include "errors.h"

static const char *json_type_name(const JsonbValue *v);
static void timestamp_field_context(void *arg);
static void convert_field(const char *what, const CommerceField *field,
						  JsonbValue *v, CommerceValue *out);
static void invalid_field(const char *what, const char *field,
						  const char *problem) pg_attribute_noreturn();

/* Canonical 8-4-4-4-12 hexadecimal form. */
bool
commerce_is_uuid_text(const char *s)
{
	int			i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (!isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

static void
timestamp_field_context(void *arg)
{
	errcontext("field \"%s\" must be an RFC 3339 timestamp", (const char *) arg);
}

static const char *
json_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a scalar";
	}
}

static void
invalid_field(const char *what, const char *field, const char *problem)
{
	ereport_invalid_input("invalid %s: field \"%s\" %s", what, field, problem);
}

Jsonb *
commerce_require_object(Jsonb *input, const char *what)
{
	if (input == NULL || !JB_ROOT_IS_OBJECT(input) || JB_ROOT_IS_SCALAR(input))
		ereport_invalid_input("invalid %s: expected a JSON object", what);
	return input;
}

static void
convert_field(const char *what, const CommerceField *field, JsonbValue *v,
			  CommerceValue *out)
{
	int			max = field->max;

	out->present = true;
	out->isnull = false;
	if (v->type == jbvNull)
	{
		if (field->required)
			invalid_field(what, field->name, "must not be null");
		out->isnull = true;
		return;
	}

	switch (field->type)
	{
		case CF_TEXT:
		case CF_UUID:
		case CF_TIMESTAMPTZ:
			{
				char	   *s;

				if (v->type != jbvString)
					invalid_field(what, field->name,
								  psprintf("must be a string, not %s", json_type_name(v)));
				s = pnstrdup(v->val.string.val, v->val.string.len);
				if (field->type == CF_UUID)
				{
					if (!commerce_is_uuid_text(s))
						invalid_field(what, field->name, "must be a UUID");
					out->value = DirectFunctionCall1(uuid_in, CStringGetDatum(s));
				}
				else if (field->type == CF_TIMESTAMPTZ)
				{
					ErrorContextCallback callback;

					callback.callback = timestamp_field_context;
					callback.arg = (void *) field->name;
					callback.previous = error_context_stack;
					error_context_stack = &callback;
					out->value = DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
													 ObjectIdGetDatum(InvalidOid),
													 Int32GetDatum(-1));
					error_context_stack = callback.previous;
				}
				else
				{
					if (max <= 0)
						max = COMMERCE_DEFAULT_TEXT_MAX;
					if (pg_mbstrlen_with_len(s, v->val.string.len) > max)
						invalid_field(what, field->name,
									  psprintf("is longer than %d characters", max));
					out->value = PointerGetDatum(cstring_to_text_with_len(s, v->val.string.len));
				}
				break;
			}
		case CF_INT64:
		case CF_INT32:
			{
				char	   *digits;
				char	   *end;
				int64		i64;

				if (v->type != jbvNumeric)
					invalid_field(what, field->name,
								  psprintf("must be an integer, not %s", json_type_name(v)));
				if (numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric))
					invalid_field(what, field->name, "must be an integer");
				digits = numeric_normalize(v->val.numeric);
				if (strpbrk(digits, ".eE") != NULL)
					invalid_field(what, field->name, "must be an integer");
				errno = 0;
				i64 = strtoll(digits, &end, 10);
				if (errno == ERANGE || *end != '\0' ||
					(field->type == CF_INT32 && (i64 < PG_INT32_MIN || i64 > PG_INT32_MAX)))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 commerce_errcode("invalid_input"),
							 errmsg("invalid %s: field \"%s\" is out of range for %s",
									what, field->name,
									field->type == CF_INT32 ? "a 32-bit integer" : "a 64-bit integer")));
				out->value = field->type == CF_INT32 ? Int32GetDatum((int32) i64) : Int64GetDatum(i64);
				break;
			}
		case CF_BOOL:
			if (v->type != jbvBool)
				invalid_field(what, field->name,
							  psprintf("must be a boolean, not %s", json_type_name(v)));
			out->value = BoolGetDatum(v->val.boolean);
			break;
		case CF_OBJECT:
		case CF_ARRAY:
			{
				bool		want_array = field->type == CF_ARRAY;
				int			count;

				if (v->type != jbvBinary ||
					JsonContainerIsArray(v->val.binary.data) != want_array ||
					JsonContainerIsScalar(v->val.binary.data))
					invalid_field(what, field->name,
								  psprintf("must be %s, not %s",
										   want_array ? "an array" : "an object",
										   json_type_name(v)));
				if (max <= 0)
					max = COMMERCE_DEFAULT_ITEMS_MAX;
				count = JsonContainerSize(v->val.binary.data);
				if (count > max)
					invalid_field(what, field->name,
								  psprintf("has more than %d %s", max,
										   want_array ? "items" : "keys"));
				out->value = PointerGetDatum(JsonbValueToJsonb(v));
				break;
			}
	}
}

void
commerce_parse_object(Jsonb *input, const char *what,
					  const CommerceField *fields, int nfields,
					  CommerceValue *values)
{
	JsonbIterator *it;
	JsonbValue	key;
	JsonbValue	value;
	JsonbIteratorToken token;
	int			i;

	commerce_require_object(input, what);
	memset(values, 0, sizeof(CommerceValue) * nfields);

	it = JsonbIteratorInit(&input->root);
	token = JsonbIteratorNext(&it, &key, true);	/* WJB_BEGIN_OBJECT */
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		char	   *name;
		bool		known = false;

		if (token != WJB_KEY)
			continue;
		name = pnstrdup(key.val.string.val, key.val.string.len);
		token = JsonbIteratorNext(&it, &value, true);
		Assert(token == WJB_VALUE);
		for (i = 0; i < nfields; i++)
		{
			if (strcmp(fields[i].name, name) == 0)
			{
				convert_field(what, &fields[i], &value, &values[i]);
				known = true;
				break;
			}
		}
		if (!known)
			ereport_invalid_input("invalid %s: unknown field \"%s\"", what,
								  strlen(name) > 64 ? psprintf("%.64s...", name) : name);
	}

	for (i = 0; i < nfields; i++)
		if (fields[i].required && !values[i].present)
			invalid_field(what, fields[i].name, "is required");
}

void
commerce_reject_null(const char *what, const CommerceField *fields, int nfields,
					const CommerceValue *values, const char *const *names)
{
	for (; *names != NULL; names++)
	{
		const CommerceValue *value = commerce_field_value(fields, nfields, values, *names);

		if (value->present && value->isnull)
			ereport_invalid_input("invalid %s: field \"%s\" must not be null", what, *names);
	}
}

void
commerce_check_size(const char *what, const char *field, const CommerceValue *value,
				   int max_bytes)
{
	if (value->present && !value->isnull &&
		VARSIZE_ANY(DatumGetPointer(value->value)) > max_bytes)
		ereport_invalid_input("invalid %s: field \"%s\" is larger than %d bytes", what, field, max_bytes);
}

const CommerceValue *
commerce_field_value(const CommerceField *fields, int nfields, const CommerceValue *values,
			  const char *name)
{
	int			i;

	for (i = 0; i < nfields; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &values[i];
	elog(ERROR, "no field \"%s\" in the field list", name);
	pg_unreachable();
}

void
commerce_reject_empty(const char *what, const CommerceField *fields, int nfields,
					 const CommerceValue *values, const char *const *names)
{
	for (; *names != NULL; names++)
	{
		const CommerceValue *value = commerce_field_value(fields, nfields, values, *names);

		if (value->present && !value->isnull &&
			VARSIZE_ANY_EXHDR(DatumGetPointer(value->value)) == 0)
			ereport_invalid_input("invalid %s: field \"%s\" must not be empty", what, *names);
	}
}

/*
 * Aggregate reads and writes by id (see command.h): the steps every
 * aggregate's get_*, list_*, create_* and update_* repeat around its SQL.
 */
void
commerce_parse_body(Jsonb *data, const char *what, const CommerceField *fields, int nfields,
					bool create, const char *const *not_null, const char *const *not_empty,
					CommerceValue *values)
{
	CommerceField *declared = palloc(sizeof(CommerceField) * nfields);
	int			i;

	memcpy(declared, fields, sizeof(CommerceField) * nfields);
	for (i = 0; i < nfields && !create; i++)
		declared[i].required = false;
	commerce_parse_object(data, what, declared, nfields, values);
	if (not_null != NULL)
		commerce_reject_null(what, declared, nfields, values, not_null);
	if (not_empty != NULL)
		commerce_reject_empty(what, declared, nfields, values, not_empty);
	pfree(declared);
}

void
commerce_invalid_input(const char *what, const char *problem)
{
	ereport_invalid_input("invalid %s: %s", what, problem);
}
