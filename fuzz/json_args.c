/*
 * fuzz/json_args.c — the extension's strict jsonb body parser
 * (extension/json_args.c, compiled into this module unchanged) fuzzed by
 * libFuzzer inside a real PostgreSQL backend: scripts/fuzz.sh loads this
 * module into `postgres --single` and calls fuzz_json_args(args), which
 * hands libFuzzer's driver a callback. Each input is JSON text (byte 0
 * picks a field list and create/update); jsonb_in parses it (PostgreSQL's
 * own parser: its refusals are not ours), then commerce_parse_body runs in
 * a subtransaction. Every error it raises must be a clean ereport with a
 * commerce code (or the datetime error of a timestamp field, with its
 * context), never XX000 or another SQLSTATE; anything else aborts, which
 * libFuzzer reports with the input.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "command.h"

PG_MODULE_MAGIC;
PG_FUNCTION_INFO_V1(fuzz_json_args);

extern int	LLVMFuzzerRunDriver(int *argc, char ***argv,
								int (*cb) (const uint8_t *data, size_t size));

/* Every field type and limit, and the product body of products.c. */
static const CommerceField all_types[] = {
	{"t", CF_TEXT, true, 5}, {"u", CF_UUID, false, 0}, {"ts", CF_TIMESTAMPTZ, false, 0},
	{"i", CF_INT64, false, 0}, {"i32", CF_INT32, false, 0}, {"b", CF_BOOL, false, 0},
	{"o", CF_OBJECT, false, 3}, {"a", CF_ARRAY, false, 3}, {"d", CF_TEXT, false, 0},
};
static const CommerceField product[] = {
	{"title", CF_TEXT, true, 500}, {"handle", CF_TEXT, false, 255},
	{"description", CF_TEXT, false, 20000}, {"status", CF_TEXT, false, 20},
	{"category_id", CF_UUID, false, 0}, {"tax_category", CF_TEXT, false, 64},
	{"attributes", CF_OBJECT, false, 100}, {"options", CF_ARRAY, false, 20},
};
static const char *const not_null[2][2] = {{"t", NULL}, {"title", NULL}};
static const char *const not_empty[2][2] = {{"d", NULL}, {"handle", NULL}};

static MemoryContext fuzz_cxt;

static bool
clean_error(const ErrorData *ed, bool in_parser)
{
	if (!in_parser)
		return ed->sqlerrcode != ERRCODE_INTERNAL_ERROR;
	if (ed->schema_name && strcmp(ed->schema_name, "commerce") == 0 &&
		ed->constraint_name && strcmp(ed->constraint_name, "invalid_input") == 0)
		return ed->sqlerrcode == ERRCODE_INVALID_PARAMETER_VALUE ||
			ed->sqlerrcode == ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
	/* timestamptz_in's own error, named by the field's error context */
	return ERRCODE_TO_CATEGORY(ed->sqlerrcode) == ERRCODE_DATA_EXCEPTION &&
		ed->context && strstr(ed->context, "must be an RFC 3339 timestamp");
}

static int
one_input(const uint8_t *data, size_t size)
{
	MemoryContext old = MemoryContextSwitchTo(fuzz_cxt);
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool in_parser = false;
	bool		use_product = data[0] & 1;
	CommerceValue values[16];
	char	   *text = pnstrdup((const char *) data + 1, size - 1);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(fuzz_cxt);
	PG_TRY();
	{
		Jsonb	   *j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));

		in_parser = true;
		commerce_parse_body(j, "fuzz input", use_product ? product : all_types,
							use_product ? lengthof(product) : lengthof(all_types),
							(data[0] & 2) != 0, not_null[use_product], not_empty[use_product],
							values);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(fuzz_cxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		if (!clean_error(ed, in_parser))
		{
			fprintf(stderr, "fuzz_json_args: unclean error %s: %s (context: %s)\n",
					unpack_sql_state(ed->sqlerrcode), ed->message, ed->context ? ed->context : "");
			abort();
		}
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	CurrentResourceOwner = owner;
	MemoryContextReset(fuzz_cxt);
	return 0;
}

static int
callback(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return -1;
	/* a client's text is always verified before any input function sees it */
	if (memchr(data + 1, 0, size - 1) != NULL ||
		!pg_verify_mbstr(PG_UTF8, (const char *) data + 1, (int) size - 1, true))
		return -1;
	return one_input(data, size);
}

/* fuzz_json_args(libFuzzer arguments): runs libFuzzer (which exits). */
Datum
fuzz_json_args(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	int			n;
	char	  **argv;
	int			argc;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &n);
	argv = palloc0(sizeof(char *) * (n + 2));
	argv[0] = "fuzz_json_args";
	for (int i = 0; i < n; i++)
		argv[i + 1] = TextDatumGetCString(elems[i]);
	argc = n + 1;
	fuzz_cxt = AllocSetContextCreate(TopMemoryContext, "fuzz_json_args", ALLOCSET_DEFAULT_SIZES);
	PG_RETURN_INT32(LLVMFuzzerRunDriver(&argc, &argv, callback));
}
