/*-------------------------------------------------------------------------
 *
 * product_render.c
 *	  get_product's document built in C from the rows of PRODUCT_ROWS_SQL
 *	  (product_render.h) instead of jsonb_build_object, jsonb_agg and
 *	  to_char in SQL, which look up every argument's type and format two
 *	  timestamps through a picture at every call. The document is the one
 *	  PRODUCT_JSON (products.c) and VARIANT_JSON (catalog.h) render for
 *	  list_products and the catalog events, byte for byte (jsonb orders
 *	  an object's keys itself): ids as text, integers as numbers, jsonb
 *	  columns as they are, timestamps RFC 3339 UTC with microseconds, as
 *	  COMMERCE_SQL_TIMESTAMP's to_char renders them whatever the session's
 *	  TimeZone (test/sql/perf_product_render.sql compares them).
 *
 * extension/product_render.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "jsonb_push.h"
#include "product_render.h"
#include "timestamp_text.h"

/* The product's columns the document shows, then a variant's, from 0 */
enum
{
	P_ID, P_TITLE, P_HANDLE, P_DESCRIPTION, P_STATUS, P_CATEGORY_ID, P_TAX_CATEGORY,
	P_ATTRIBUTES, P_OPTIONS, P_VERSION, P_CREATED_AT, P_UPDATED_AT, P_ARCHIVED_AT,
	V_ID, V_SKU, V_TITLE, V_OPTION_VALUES, V_ATTRIBUTES, V_POSITION, V_WEIGHT_GRAMS,
	V_VERSION, V_CREATED_AT, V_UPDATED_AT,
	PRODUCT_ROW_COLUMNS
};

/* A variant's columns and its product's id, or the product's columns */
typedef struct ProductRow
{
	Datum		values[PRODUCT_ROW_COLUMNS];
	bool		nulls[PRODUCT_ROW_COLUMNS];
} ProductRow;

/* A text column, as jsonb_build_object converts text: a string, or null */
static void
push_text(JsonbParseState **state, const char *key, const ProductRow *r, int col)
{
	text	   *t;
	JsonbValue	v;

	if (r->nulls[col])
	{
		jsonb_push_null(state, key);
		return;
	}
	t = DatumGetTextPP(r->values[col]);
	v.type = jbvString;
	v.val.string.val = VARDATA_ANY(t);
	v.val.string.len = VARSIZE_ANY_EXHDR(t);
	jsonb_push_value(state, key, &v);
}

/* A uuid column as its text (col::text), or null */
static void
push_uuid(JsonbParseState **state, const char *key, const ProductRow *r, int col)
{
	jsonb_push_uuid(state, key, r->nulls[col] ? NULL : DatumGetUUIDP(r->values[col]));
}

/* An integer column (int4 or int8: int8 is true) as a number, or null */
static void
push_integer(JsonbParseState **state, const char *key, const ProductRow *r, int col,
			 bool int8)
{
	Datum		d = r->values[col];

	jsonb_push_int64(state, key, r->nulls[col],
					 int8 ? DatumGetInt64(d) : (int64) DatumGetInt32(d));
}

/* A jsonb column as it is, or null */
static void
push_jsonb(JsonbParseState **state, const char *key, const ProductRow *r, int col)
{
	jsonb_push_jsonb(state, key, r->nulls[col] ? NULL : DatumGetJsonbP(r->values[col]));
}

/*
 * A timestamptz column as COMMERCE_SQL_TIMESTAMP renders it
 * (timestamp_text.c); null for NULL and for an infinite timestamp (to_char
 * returns NULL for those).
 */
static void
push_timestamp(JsonbParseState **state, const char *key, const ProductRow *r, int col)
{
	TimestampTz t;
	char		buf[COMMERCE_TIMESTAMP_TEXT_LEN];

	if (r->nulls[col] || TIMESTAMP_NOT_FINITE(t = DatumGetTimestampTz(r->values[col])))
	{
		jsonb_push_null(state, key);
		return;
	}
	commerce_timestamp_text(t, buf);
	jsonb_push_cstring(state, key, pstrdup(buf));
}

/*
 * VARIANT_JSON of the variant columns of r; its product is product_id.
 * Keys are pushed in the order jsonb keeps them (shorter first, then
 * bytewise), so that its sort of the object's pairs finds them in order.
 */
static void
push_variant(JsonbParseState **state, const ProductRow *r)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	push_uuid(state, "id", r, V_ID);
	push_text(state, "sku", r, V_SKU);
	push_text(state, "title", r, V_TITLE);
	jsonb_push_cstring(state, "object", "variant");
	push_integer(state, "version", r, V_VERSION, true);
	push_integer(state, "position", r, V_POSITION, false);
	push_jsonb(state, "attributes", r, V_ATTRIBUTES);
	push_timestamp(state, "created_at", r, V_CREATED_AT);
	push_uuid(state, "product_id", r, P_ID);
	push_timestamp(state, "updated_at", r, V_UPDATED_AT);
	push_integer(state, "weight_grams", r, V_WEIGHT_GRAMS, false);
	push_jsonb(state, "option_values", r, V_OPTION_VALUES);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* ORDER BY v.position, v.id (uuid order is the order of its bytes) */
static int
variant_order(const void *a, const void *b)
{
	const ProductRow *x = *(const ProductRow *const *) a;
	const ProductRow *y = *(const ProductRow *const *) b;
	int32		px = DatumGetInt32(x->values[V_POSITION]);
	int32		py = DatumGetInt32(y->values[V_POSITION]);

	if (px != py)
		return px < py ? -1 : 1;
	return memcmp(DatumGetUUIDP(x->values[V_ID])->data,
				  DatumGetUUIDP(y->values[V_ID])->data, UUID_LEN);
}

/* The columns of each table the document shows, in the order of the enum */
static const char *const product_columns[] = {
	"id", "title", "handle", "description", "status", "category_id", "tax_category",
	"attributes", "options", "version", "created_at", "updated_at", "archived_at"
};
static const char *const variant_columns[] = {
	"id", "sku", "title", "option_values", "attributes", "position", "weight_grams",
	"version", "created_at", "updated_at"
};
#define NPRODUCT_COLUMNS lengthof(product_columns)
#define NVARIANT_COLUMNS lengthof(variant_columns)
StaticAssertDecl(NPRODUCT_COLUMNS == V_ID && V_ID + NVARIANT_COLUMNS == PRODUCT_ROW_COLUMNS,
				 "the column names follow the enum");

/*
 * A row of a table's type (a whole-row value of PRODUCT_ROWS_SQL): its
 * descriptor (the type cache's, pinned until the rows are deformed) and
 * where each of the document's columns is in it, found by name so that the
 * table's column order does not matter.
 */
typedef struct RowShape
{
	TupleDesc	desc;
	const int  *where;
	Datum	   *values;
	bool	   *nulls;
} RowShape;

/*
 * Where the columns are in a table's row type, kept for the backend and
 * found again when the type cache's descriptor of the table changes (its
 * identifier is never reused: ALTER TABLE gives a new one).
 */
typedef struct ColumnMap
{
	Oid			typid;
	uint64		identifier;
	int			where[NPRODUCT_COLUMNS];
} ColumnMap;

static ColumnMap product_map;
static ColumnMap variant_map;

static void
row_shape(RowShape *shape, HeapTupleHeader row, const char *const *names, int n,
		  ColumnMap *map)
{
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	TypeCacheEntry *type = lookup_type_cache(typid, TYPECACHE_TUPDESC);
	int			i;
	int			a;

	if (type->tupDesc == NULL || HeapTupleHeaderGetTypMod(row) >= 0)
		elog(ERROR, "a row of the product document is not of a table's type");
	shape->desc = type->tupDesc;
	PinTupleDesc(shape->desc);
	shape->values = palloc(sizeof(Datum) * shape->desc->natts);
	shape->nulls = palloc(sizeof(bool) * shape->desc->natts);
	shape->where = map->where;
	if (map->typid == typid && map->identifier == type->tupDesc_identifier)
		return;
	map->typid = InvalidOid;
	for (i = 0; i < n; i++)
	{
		for (a = 0; a < shape->desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(shape->desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), names[i]) == 0)
				break;
		}
		if (a == shape->desc->natts)
			elog(ERROR, "column \"%s\" of the product document is missing", names[i]);
		map->where[i] = a;
	}
	map->typid = typid;
	map->identifier = type->tupDesc_identifier;
}

/* The n columns of row (of shape) into r's values from first */
static void
deform_row(const RowShape *shape, HeapTupleHeader row, int n, int first, ProductRow *r)
{
	HeapTupleData tuple;
	int			i;

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	heap_deform_tuple(&tuple, shape->desc, shape->values, shape->nulls);
	for (i = 0; i < n; i++)
	{
		r->values[first + i] = shape->values[shape->where[i]];
		r->nulls[first + i] = shape->nulls[shape->where[i]];
	}
}

Jsonb *
product_render(HeapTupleHeader product, ArrayType *variant_rows)
{
	JsonbParseState *state = NULL;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	int			nvariants = 0;
	ProductRow *deformed;
	ProductRow **variants;
	const ProductRow *p;
	RowShape	product_shape;
	RowShape	variant_shape = {.desc = NULL};
	int			i;

	/* rows of a table's type: varlena, aligned as double (DefineRelation) */
	deconstruct_array(variant_rows, ARR_ELEMTYPE(variant_rows), -1, false, TYPALIGN_DOUBLE,
					  &elems, &elem_nulls, &nelems);
	deformed = palloc(sizeof(ProductRow) * (nelems + 1));
	variants = palloc(sizeof(ProductRow *) * (nelems + 1));
	p = &deformed[0];
	row_shape(&product_shape, product, product_columns, NPRODUCT_COLUMNS, &product_map);
	deform_row(&product_shape, product, NPRODUCT_COLUMNS, 0, &deformed[0]);
	for (i = 0; i < nelems; i++)
	{
		HeapTupleHeader row;
		ProductRow *r = &deformed[i + 1];

		if (elem_nulls[i])
			continue;			/* a scanned row is never NULL */
		row = DatumGetHeapTupleHeader(elems[i]);
		if (variant_shape.desc == NULL)
			row_shape(&variant_shape, row, variant_columns, NVARIANT_COLUMNS, &variant_map);
		deform_row(&variant_shape, row, NVARIANT_COLUMNS, V_ID, r);
		r->values[P_ID] = p->values[P_ID];
		r->nulls[P_ID] = false;
		variants[nvariants++] = r;
	}
	ReleaseTupleDesc(product_shape.desc);
	if (variant_shape.desc != NULL)
		ReleaseTupleDesc(variant_shape.desc);
	qsort(variants, nvariants, sizeof(ProductRow *), variant_order);

	/* in jsonb's order of keys, as push_variant */
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_uuid(&state, "id", p, P_ID);
	push_text(&state, "title", p, P_TITLE);
	push_text(&state, "handle", p, P_HANDLE);
	jsonb_push_cstring(&state, "object", "product");
	push_text(&state, "status", p, P_STATUS);
	push_jsonb(&state, "options", p, P_OPTIONS);
	push_integer(&state, "version", p, P_VERSION, true);
	jsonb_push_key(&state, "variants");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < nvariants; i++)
		push_variant(&state, variants[i]);
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	push_jsonb(&state, "attributes", p, P_ATTRIBUTES);
	push_timestamp(&state, "created_at", p, P_CREATED_AT);
	push_timestamp(&state, "updated_at", p, P_UPDATED_AT);
	push_timestamp(&state, "archived_at", p, P_ARCHIVED_AT);
	push_uuid(&state, "category_id", p, P_CATEGORY_ID);
	push_text(&state, "description", p, P_DESCRIPTION);
	push_text(&state, "tax_category", p, P_TAX_CATEGORY);
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}
