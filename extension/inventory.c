/*-------------------------------------------------------------------------
 *
 * inventory.c
 *	  Stock per variant and location (commerce.inventory_levels): on_hand,
 *	  reserved and the generated available = on_hand - reserved.
 *
 *	  Staff commands: commerce.set_inventory, adjust_inventory, and
 *	  reserve_stock/release_stock/fulfil_stock; get_inventory reads, for a
 *	  customer actor only a variant of an active product (not_found
 *	  otherwise, commerce_variant_visible). Orders
 *	  call the C entry points commerce_reserve_stock_lines (placing, all
 *	  lines in one statement),
 *	  commerce_release_stock (cancelling) and commerce_fulfil_stock
 *	  (shipping) inside their own transaction, for the 'default' location;
 *	  those emit nothing (the order's event carries the lines), while every
 *	  stock command emits one inventory.changed (docs/events.md).
 *
 *	  No oversell under any concurrency: a reservation is one
 *	  UPDATE ... WHERE on_hand - reserved >= quantity. The row lock makes a
 *	  concurrent reservation wait, and READ COMMITTED re-checks the WHERE
 *	  clause against the row it waited for, so two reservations can never
 *	  both take the last unit. set/adjust lock the row (FOR UPDATE) before
 *	  computing the new on_hand, and CHECK (reserved <= on_hand) backs the
 *	  rule at the table.
 *
 * extension/inventory.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "catalog.h"
#include "command.h"
#include "errors.h"
#include "inventory.h"
#include "outbox.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_set_inventory);
PG_FUNCTION_INFO_V1(commerce_adjust_inventory);
PG_FUNCTION_INFO_V1(commerce_get_inventory);
PG_FUNCTION_INFO_V1(commerce_reserve_stock_sql);
PG_FUNCTION_INFO_V1(commerce_release_stock_sql);
PG_FUNCTION_INFO_V1(commerce_fulfil_stock_sql);

#define DEFAULT_LOCATION "default"
#define LOCATION_MAX 100
#define REASON_MAX 200

/* The HTTP representation of an inventory_levels row. */
#define LEVEL_JSON \
	"pg_catalog.jsonb_build_object('variant_id', variant_id::text, 'location', location," \
	" 'on_hand', on_hand, 'reserved', reserved, 'available', available, 'version', version," \
	" 'updated_at', " COMMERCE_SQL_TIMESTAMP("updated_at") ")"

#define LEVEL_KEY \
	" WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND variant_id OPERATOR(pg_catalog.=) $2" \
	" AND location OPERATOR(pg_catalog.=) $3"

typedef enum StockMove
{
	STOCK_RESERVE,				/* reserved += q, needs available >= q */
	STOCK_RELEASE,				/* reserved -= q, needs reserved >= q */
	STOCK_FULFIL				/* on_hand -= q, reserved -= q, needs reserved >= q */
} StockMove;

static const char *const stock_move_names[] = {"reserve", "release", "fulfil"};

static SPIPlanPtr plan_move[3] = {NULL, NULL, NULL};
static SPIPlanPtr plan_reserve_lines = NULL;
static SPIPlanPtr plan_read_level = NULL;
static SPIPlanPtr plan_lock_level = NULL;
static SPIPlanPtr plan_insert_level = NULL;
static SPIPlanPtr plan_update_on_hand = NULL;

/* RETURNING columns only, the JSON built outside: Citus (docs/scaling.md) */
static const char *const move_sql[3] = {
	"WITH l AS (UPDATE commerce.inventory_levels SET reserved = reserved + $4,"
	" version = version + 1, updated_at = pg_catalog.now()" LEVEL_KEY
	" AND on_hand - reserved OPERATOR(pg_catalog.>=) $4 RETURNING *) SELECT " LEVEL_JSON " FROM l",
	"WITH l AS (UPDATE commerce.inventory_levels SET reserved = reserved - $4,"
	" version = version + 1, updated_at = pg_catalog.now()" LEVEL_KEY
	" AND reserved OPERATOR(pg_catalog.>=) $4 RETURNING *) SELECT " LEVEL_JSON " FROM l",
	"WITH l AS (UPDATE commerce.inventory_levels SET on_hand = on_hand - $4, reserved = reserved - $4,"
	" version = version + 1, updated_at = pg_catalog.now()" LEVEL_KEY
	" AND reserved OPERATOR(pg_catalog.>=) $4 RETURNING *) SELECT " LEVEL_JSON " FROM l",
};

static Jsonb *move_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant,
						 int64 quantity, StockMove move, bool emit);
static void emit_inventory_event(const pg_uuid_t *tenant, const pg_uuid_t *variant,
								 Jsonb *level, const char *change, int64 quantity,
								 const char *reason);
static void require_variant(const pg_uuid_t *tenant, const pg_uuid_t *variant);
static void report_short_line(const pg_uuid_t *tenant, int n, const pg_uuid_t *variants,
							  const int64 *quantities);
static bool read_level(const pg_uuid_t *tenant, const pg_uuid_t *variant,
					   const char *location, bool for_update,
					   int64 *on_hand, int64 *reserved, int64 *version);
static void check_location(const char *location);

/*
 * emit_inventory_event
 *		inventory.changed with the new level, what changed it and by how much.
 */
static void
emit_inventory_event(const pg_uuid_t *tenant, const pg_uuid_t *variant,
					 Jsonb *level, const char *change, int64 quantity,
					 const char *reason)
{
	StringInfoData extra;
	Datum		data;

	initStringInfo(&extra);
	appendStringInfo(&extra, "{\"change\": \"%s\", \"quantity\": " INT64_FORMAT,
					 change, quantity);
	if (reason != NULL)
	{
		appendStringInfoString(&extra, ", \"reason\": ");
		escape_json(&extra, reason);
	}
	appendStringInfoChar(&extra, '}');
	data = DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(level),
							   DirectFunctionCall1(jsonb_in, CStringGetDatum(extra.data)));
	commerce_emit_event(tenant, "inventory.changed", "inventory", variant,
						DatumGetJsonbP(data));
}

static void
check_location(const char *location)
{
	size_t		len = strlen(location);

	if (len == 0 || len > LOCATION_MAX)
		ereport_invalid_input("location must be 1 to %d characters long", LOCATION_MAX);
}

static void
require_variant(const pg_uuid_t *tenant, const pg_uuid_t *variant)
{
	if (!commerce_variant_visible(tenant, variant))
		commerce_not_found("variant", variant);
}

/* The level's figures, optionally row-locked; false when there is no row. */
static bool
read_level(const pg_uuid_t *tenant, const pg_uuid_t *variant,
		   const char *location, bool for_update,
		   int64 *on_hand, int64 *reserved, int64 *version)
{
	Datum		values[3];
	SPIPlanPtr	plan;
	bool		isnull;

	if (for_update)
		plan = commerce_prepare(&plan_lock_level,
								"SELECT on_hand, reserved, version FROM commerce.inventory_levels"
								LEVEL_KEY " FOR UPDATE",
								3, (Oid[]) {UUIDOID, UUIDOID, TEXTOID});
	else
		plan = commerce_prepare(&plan_read_level,
								"SELECT on_hand, reserved, version FROM commerce.inventory_levels"
								LEVEL_KEY,
								3, (Oid[]) {UUIDOID, UUIDOID, TEXTOID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(variant);
	values[2] = CStringGetTextDatum(location);
	if (commerce_execute(plan, values, NULL, !for_update, 1) == 0)
		return false;
	*on_hand = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*reserved = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	*version = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	return true;
}

/*
 * move_stock
 *		Reserve, release or fulfil quantity units of the default location in
 *		one row-locking UPDATE, return the new level (allocated in the
 *		caller's memory context). Only the stock commands emit
 *		inventory.changed (emit): an order command's own event (order.placed,
 *		order.cancelled, order.fulfilled) carries its lines, hence every
 *		stock move it made, and a command emits one event.
 */
static Jsonb *
move_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity,
		   StockMove move, bool emit)
{
	Datum		values[4];
	Jsonb	   *level;
	int64		on_hand = 0;
	int64		reserved = 0;
	int64		version;

	if (quantity <= 0)
		ereport_invalid_input("quantity to %s must be positive, not " INT64_FORMAT,
							  stock_move_names[move], quantity);

	SPI_connect();
	commerce_prepare(&plan_move[move], move_sql[move], 4,
					 (Oid[]) {UUIDOID, UUIDOID, TEXTOID, INT8OID});
	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(variant);
	values[2] = CStringGetTextDatum(DEFAULT_LOCATION);
	values[3] = Int64GetDatum(quantity);
	if (commerce_execute(plan_move[move], values, NULL, false, 0) == 0)
	{
		/* Report what there is (0 when the variant's stock is untracked). */
		(void) read_level(tenant, variant, DEFAULT_LOCATION, false,
						  &on_hand, &reserved, &version);
		if (move == STOCK_RESERVE)
			ereport(ERROR,
					(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
					 commerce_errcode("insufficient_stock"),
					 errmsg("insufficient stock for variant %s", commerce_uuid_string(variant)),
					 errdetail("Requested " INT64_FORMAT ", available " INT64_FORMAT ".",
							   quantity, on_hand - reserved)));
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("reservation_exceeded"),
				 errmsg("cannot %s " INT64_FORMAT " units of variant %s",
						stock_move_names[move], quantity, commerce_uuid_string(variant)),
				 errdetail("Only " INT64_FORMAT " units are reserved.", reserved)));
	}
	level = commerce_result_jsonb(1);
	if (emit)
		emit_inventory_event(tenant, variant, level, stock_move_names[move], quantity, NULL);
	SPI_finish();
	return level;
}

/*
 * commerce_reserve_stock_lines
 *		Placing's reservation of all an order's lines (distinct variants)
 *		in one UPDATE of the default-location rows, each line's quantity
 *		taken from the arrays by the row's variant. The rows are found by
 *		the primary key (tenant_id, variant_id, location) with
 *		variant_id = ANY: an index scan returns them in variant id order,
 *		and the update locks each row as the scan reaches it, so two
 *		placements sharing variants queue on the first one they share and
 *		never deadlock. The plan is made with sequential and bitmap scans
 *		off (which visit rows in page order) whatever the statistics say
 *		(commerce_execute_index_order). Locking by the update itself writes
 *		one WAL record per line instead of two (a FOR UPDATE first writes a
 *		lock record of its own).
 *
 *		No oversell: the WHERE clause keeps only rows whose available covers
 *		the quantity, and READ COMMITTED re-checks it against a row it had
 *		to wait for. When fewer rows moved than there are lines, a line is
 *		short (or its stock untracked, available 0): the first such line in
 *		variant order is reported, and the error undoes the rows that moved.
 */
void
commerce_reserve_stock_lines(const pg_uuid_t *tenant, int n, const pg_uuid_t *variants,
							 const int64 *quantities)
{
	Datum	   *variant_datums = palloc(sizeof(Datum) * n);
	Datum	   *quantity_datums = palloc(sizeof(Datum) * n);
	Datum		values[3];
	int			i;

	SPI_connect();
	commerce_prepare_generic(&plan_reserve_lines,
							 "UPDATE commerce.inventory_levels i"
							 "   SET reserved = i.reserved + $3[pg_catalog.array_position($2, i.variant_id)],"
							 "       version = i.version + 1, updated_at = pg_catalog.now()"
							 " WHERE i.tenant_id OPERATOR(pg_catalog.=) $1"
							 "   AND i.variant_id OPERATOR(pg_catalog.=) ANY ($2)"
							 "   AND i.location OPERATOR(pg_catalog.=) '" DEFAULT_LOCATION "'"
							 "   AND i.on_hand - i.reserved OPERATOR(pg_catalog.>=)"
							 "       $3[pg_catalog.array_position($2, i.variant_id)]"
							 " RETURNING i.variant_id",
							 3, (Oid[]) {UUIDOID, UUIDARRAYOID, INT8ARRAYOID});
	for (i = 0; i < n; i++)
	{
		variant_datums[i] = UUIDPGetDatum(&variants[i]);
		quantity_datums[i] = Int64GetDatum(quantities[i]);
	}
	values[0] = UUIDPGetDatum(tenant);
	values[1] = PointerGetDatum(construct_array(variant_datums, n, UUIDOID, UUID_LEN, false,
												TYPALIGN_CHAR));
	values[2] = PointerGetDatum(construct_array(quantity_datums, n, INT8OID, 8,
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (commerce_execute_index_order(plan_reserve_lines, values, NULL, false, 0) != (uint64) n)
		report_short_line(tenant, n, variants, quantities);
	SPI_finish();
}

/*
 * report_short_line
 *		The error of a reservation that moved fewer rows than it has lines
 *		(SPI_tuptable holds the variant ids it moved): insufficient_stock
 *		for the first line in variant id order that did not move, with its
 *		available as read now (0 when its stock is untracked).
 */
static void
report_short_line(const pg_uuid_t *tenant, int n, const pg_uuid_t *variants,
				  const int64 *quantities)
{
	int			short_line = -1;
	int64		on_hand = 0;
	int64		reserved = 0;
	int64		version;

	for (int i = 0; i < n; i++)
	{
		bool		moved = false;

		for (uint64 r = 0; r < SPI_processed && !moved; r++)
		{
			bool		isnull;
			Datum		id = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);

			moved = memcmp(DatumGetUUIDP(id)->data, variants[i].data, UUID_LEN) == 0;
		}
		if (!moved && (short_line < 0 ||
					   memcmp(variants[i].data, variants[short_line].data, UUID_LEN) < 0))
			short_line = i;
	}
	if (short_line < 0)
		elog(ERROR, "reservation of %d lines moved " UINT64_FORMAT " stock rows", n, SPI_processed);
	(void) read_level(tenant, &variants[short_line], DEFAULT_LOCATION, false,
					  &on_hand, &reserved, &version);
	ereport(ERROR,
			(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
			 commerce_errcode("insufficient_stock"),
			 errmsg("insufficient stock for variant %s",
					commerce_uuid_string(&variants[short_line])),
			 errdetail("Requested " INT64_FORMAT ", available " INT64_FORMAT ".",
					   quantities[short_line], on_hand - reserved)));
}

void
commerce_release_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity)
{
	(void) move_stock(tenant, variant, quantity, STOCK_RELEASE, false);
}

void
commerce_fulfil_stock(const pg_uuid_t *tenant, const pg_uuid_t *variant, int64 quantity)
{
	(void) move_stock(tenant, variant, quantity, STOCK_FULFIL, false);
}

/*
 * Shared body of commerce.reserve_stock/release_stock/fulfil_stock(variant
 * uuid, quantity bigint, idempotency_key text DEFAULT NULL) RETURNS jsonb.
 */
static Datum
stock_move_command(FunctionCallInfo fcinfo, StockMove move, const char *name)
{
	CommerceCommand cmd;
	pg_uuid_t  *variant = commerce_uuid_arg(fcinfo, 0, "variant");
	Jsonb	   *level;

	commerce_require_arg(fcinfo, 1, "quantity");
	level = commerce_write_begin(&cmd, name, fcinfo, 2,
								 psprintf("%s stock", stock_move_names[move]));
	if (level != NULL)
		PG_RETURN_JSONB_P(level);
	require_variant(&cmd.tenant, variant);
	level = move_stock(&cmd.tenant, variant, PG_GETARG_INT64(1), move, true);
	level = commerce_command_finish(&cmd, level);
	SPI_finish();
	PG_RETURN_JSONB_P(level);
}

Datum
commerce_reserve_stock_sql(PG_FUNCTION_ARGS)
{
	return stock_move_command(fcinfo, STOCK_RESERVE, "reserve_stock");
}

Datum
commerce_release_stock_sql(PG_FUNCTION_ARGS)
{
	return stock_move_command(fcinfo, STOCK_RELEASE, "release_stock");
}

Datum
commerce_fulfil_stock_sql(PG_FUNCTION_ARGS)
{
	return stock_move_command(fcinfo, STOCK_FULFIL, "fulfil_stock");
}

/*
 * write_on_hand
 *		Set the level's on_hand (creating the row when there is none), with
 *		the version check; returns the new level. The row is locked first.
 */
static Jsonb *
write_on_hand(const pg_uuid_t *tenant, const pg_uuid_t *variant,
			  const char *location, bool is_delta, int64 amount,
			  bool has_expected, int64 expected_version)
{
	int64		on_hand = 0;
	int64		reserved = 0;
	int64		version = 0;
	int64		new_on_hand;
	bool		exists;
	Datum		values[4];

	exists = read_level(tenant, variant, location, true, &on_hand, &reserved, &version);
	commerce_check_version("inventory level", has_expected, expected_version, version);

	if (!is_delta)
		new_on_hand = amount;
	else if (pg_add_s64_overflow(on_hand, amount, &new_on_hand))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 commerce_errcode("invalid_input"),
				 errmsg("on_hand would be out of range")));
	if (new_on_hand < reserved)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("insufficient_stock"),
				 errmsg("on_hand of variant %s cannot go below what is reserved",
						commerce_uuid_string(variant)),
				 errdetail("New on_hand " INT64_FORMAT ", on_hand " INT64_FORMAT ", reserved " INT64_FORMAT ".",
						   new_on_hand, on_hand, reserved)));
	if (new_on_hand < 0)
		ereport(ERROR,
				(errcode(ERRCODE_COMMERCE_STATE_CONFLICT),
				 commerce_errcode("insufficient_stock"),
				 errmsg("on_hand of variant %s cannot go below zero",
						commerce_uuid_string(variant)),
				 errdetail("on_hand is " INT64_FORMAT ", the change is " INT64_FORMAT ".",
						   on_hand, amount)));

	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(variant);
	values[2] = CStringGetTextDatum(location);
	values[3] = Int64GetDatum(new_on_hand);
	if (exists)
	{
		commerce_prepare(&plan_update_on_hand,
						 "WITH l AS (UPDATE commerce.inventory_levels SET on_hand = $4,"
						 " version = version + 1, updated_at = pg_catalog.now()" LEVEL_KEY
						 " RETURNING *) SELECT " LEVEL_JSON " FROM l",
						 4, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, INT8OID});
		commerce_execute(plan_update_on_hand, values, NULL, false, 0);
	}
	else
	{
		commerce_prepare(&plan_insert_level,
						 "WITH l AS (INSERT INTO commerce.inventory_levels (tenant_id, variant_id, location, on_hand)"
						 " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING *)"
						 " SELECT " LEVEL_JSON " FROM l",
						 4, (Oid[]) {UUIDOID, UUIDOID, TEXTOID, INT8OID});
		if (commerce_execute(plan_insert_level, values, NULL, false, 0) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 commerce_errcode("version_conflict"),
					 errmsg("inventory level was created concurrently"),
					 errhint("Read the inventory level again and retry with its current version.")));
	}
	return commerce_result_jsonb(1);
}

/*
 * change_on_hand
 *		The end of set_inventory and adjust_inventory: check the location
 *		and the variant, write the new on_hand, emit inventory.changed, and
 *		finish the command; returns its response.
 */
static Jsonb *
change_on_hand(CommerceCommand *cmd, const pg_uuid_t *variant, const char *location,
			   bool is_delta, int64 amount, bool has_expected, int64 expected_version,
			   const char *reason)
{
	Jsonb	   *level;

	check_location(location);
	require_variant(&cmd->tenant, variant);
	level = write_on_hand(&cmd->tenant, variant, location, is_delta, amount,
						  has_expected, expected_version);
	emit_inventory_event(&cmd->tenant, variant, level, is_delta ? "adjust" : "set",
						 amount, reason);
	level = commerce_command_finish(cmd, level);
	SPI_finish();
	return level;
}

/*
 * commerce.set_inventory(variant uuid, data jsonb, expected_version bigint
 *						  DEFAULT NULL, idempotency_key text DEFAULT NULL)
 *		RETURNS jsonb
 *
 * data: {"on_hand": int >= 0, "location": text (default "default")}.
 * expected_version 0 means "no level yet".
 */
Datum
commerce_set_inventory(PG_FUNCTION_ARGS)
{
	static const CommerceField fields[] = {
		{"on_hand", CF_INT64, true, 0},
		{"location", CF_TEXT, false, LOCATION_MAX},
	};
	CommerceValue values[lengthof(fields)];
	CommerceCommand cmd;
	pg_uuid_t  *variant = commerce_uuid_arg(fcinfo, 0, "variant");
	Jsonb	   *data = commerce_jsonb_arg(fcinfo, 1, "inventory");
	Jsonb	   *level;
	const char *location = DEFAULT_LOCATION;
	int64		on_hand;
	int64		expected = 0;
	bool		has_expected;

	level = commerce_write_begin(&cmd, "set_inventory", fcinfo, 3, "set inventory");
	if (level != NULL)
		PG_RETURN_JSONB_P(level);
	commerce_parse_object(data, "inventory", fields, lengthof(fields), values);
	on_hand = DatumGetInt64(values[0].value);
	if (on_hand < 0)
		ereport_invalid_input("invalid inventory: field \"on_hand\" must not be negative");
	if (values[1].present && !values[1].isnull)
		location = TextDatumGetCString(values[1].value);
	has_expected = commerce_expected_version(fcinfo, 2, &expected);
	PG_RETURN_JSONB_P(change_on_hand(&cmd, variant, location, false, on_hand,
									 has_expected, expected, NULL));
}

/*
 * commerce.adjust_inventory(variant uuid, delta bigint, reason text,
 *							 idempotency_key text DEFAULT NULL,
 *							 location text DEFAULT 'default') RETURNS jsonb
 *
 * on_hand += delta (received goods, shrinkage, counts). Never below what is
 * reserved.
 */
Datum
commerce_adjust_inventory(PG_FUNCTION_ARGS)
{
	CommerceCommand cmd;
	pg_uuid_t  *variant = commerce_uuid_arg(fcinfo, 0, "variant");
	Jsonb	   *replay;
	int64		delta;
	char	   *reason;
	int			reason_length;

	commerce_require_arg(fcinfo, 1, "delta");
	commerce_require_arg(fcinfo, 2, "reason");
	commerce_require_arg(fcinfo, 4, "location");
	delta = PG_GETARG_INT64(1);
	reason = text_to_cstring(PG_GETARG_TEXT_PP(2));
	/* the idempotency key comes before location (argument 3 of 5) */
	replay = commerce_write_begin_key(&cmd, "adjust_inventory", fcinfo, 5, 3, "adjust inventory");
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	if (delta == 0)
		ereport_invalid_input("delta must not be zero");
	reason_length = pg_mbstrlen(reason);
	if (reason_length == 0 || reason_length > REASON_MAX)
		ereport_invalid_input("reason must be 1 to %d characters long", REASON_MAX);
	PG_RETURN_JSONB_P(change_on_hand(&cmd, variant, text_to_cstring(PG_GETARG_TEXT_PP(4)),
									 true, delta, false, 0, reason));
}

/*
 * commerce.get_inventory(variant uuid, location text DEFAULT 'default')
 *		RETURNS jsonb
 *
 * A variant whose stock was never set has 0 on hand, 0 reserved, version 0.
 * A customer actor reads only variants of active products: any other is
 * not_found, exactly as a variant that does not exist.
 */
Datum
commerce_get_inventory(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant;
	pg_uuid_t  *variant;
	char	   *location;
	Datum		values[3];
	Jsonb	   *level;
	static SPIPlanPtr plan_get = NULL;

	commerce_query_begin(&tenant);
	variant = commerce_uuid_arg(fcinfo, 0, "variant");
	commerce_require_arg(fcinfo, 1, "location");
	location = text_to_cstring(PG_GETARG_TEXT_PP(1));
	check_location(location);

	SPI_connect();
	if (commerce_actor_is_shopper())
		require_variant(&tenant, variant);
	commerce_prepare(&plan_get,
					 "SELECT " LEVEL_JSON " FROM commerce.inventory_levels" LEVEL_KEY,
					 3, (Oid[]) {UUIDOID, UUIDOID, TEXTOID});
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = UUIDPGetDatum(variant);
	values[2] = CStringGetTextDatum(location);
	if (commerce_execute(plan_get, values, NULL, true, 1) > 0)
		level = commerce_result_jsonb(1);
	else
	{
		static SPIPlanPtr plan_untracked = NULL;

		require_variant(&tenant, variant);
		commerce_prepare(&plan_untracked,
						 "SELECT pg_catalog.jsonb_build_object('variant_id', $1::text, 'location', $2,"
						 " 'on_hand', 0, 'reserved', 0, 'available', 0, 'version', 0, 'updated_at', NULL)",
						 2, (Oid[]) {UUIDOID, TEXTOID});
		commerce_execute(plan_untracked, values + 1, NULL, true, 1);
		level = commerce_result_jsonb(1);
	}
	SPI_finish();
	PG_RETURN_JSONB_P(level);
}
