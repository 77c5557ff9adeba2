/*-------------------------------------------------------------------------
 *
 * order_lines.c
 *	  The SQL entry points for the lines of an order: add_order_line,
 *	  update_order_line and remove_order_line (a draft only: the draft is
 *	  the cart). Each reads its request, locks the order with its version
 *	  check, changes one line, and answers with the repriced draft. The
 *	  line rows are written by order_store.c; the catalog look-up and
 *	  quantity rules are order_rules.c's.
 *
 * extension/order_lines.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "command.h"
#include "errors.h"
#include "order_render.h"
#include "order_rules.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_add_order_line);
PG_FUNCTION_INFO_V1(commerce_update_order_line);
PG_FUNCTION_INFO_V1(commerce_remove_order_line);

typedef enum LineChange
{
	LINE_ADD,
	LINE_UPDATE,
	LINE_REMOVE
} LineChange;

/* One line command's request, read before anything is read or written. */
typedef struct LineRequest
{
	LineChange	change;
	int			version_arg;	/* where expected_version is */
	pg_uuid_t  *line_id;		/* update and remove */
	pg_uuid_t	variant_id;		/* add */
	int32		quantity;		/* add and update */
} LineRequest;

static const char *const command_names[] = {
	[LINE_ADD] = "add_order_line",
	[LINE_UPDATE] = "update_order_line",
	[LINE_REMOVE] = "remove_order_line",
};

static void read_line_request(FunctionCallInfo fcinfo, LineChange change, LineRequest *req);
static void add_line(Order *order, LineRequest *req);
static int	find_line(const Order *order, const pg_uuid_t *line_id);
static Datum change_line(FunctionCallInfo fcinfo, LineChange change);

/*
 * read_line_request
 *		The arguments of a line command, strictly: nothing is read or
 *		written for bad input.
 *		add_order_line(order_id uuid, data jsonb, expected_version, key)
 *		update_order_line(order_id uuid, line_id uuid, data jsonb, expected_version, key)
 *		remove_order_line(order_id uuid, line_id uuid, expected_version, key)
 */
static void
read_line_request(FunctionCallInfo fcinfo, LineChange change, LineRequest *req)
{
	static const CommerceField add_fields[] = {
		{"variant_id", CF_UUID, true, 0},
		{"quantity", CF_INT32, true, 0},
	};
	static const CommerceField update_fields[] = {
		{"quantity", CF_INT32, true, 0},
	};
	CommerceValue in[lengthof(add_fields)];

	memset(req, 0, sizeof(*req));
	req->change = change;
	req->version_arg = change == LINE_UPDATE ? 3 : 2;
	commerce_require_arg(fcinfo, 0, "order_id");
	if (change != LINE_ADD)
		req->line_id = commerce_uuid_arg(fcinfo, 1, "line_id");
	if (change == LINE_REMOVE)
		return;
	commerce_require_arg(fcinfo, req->version_arg - 1, "data");
	if (change == LINE_ADD)
	{
		commerce_parse_object(PG_GETARG_JSONB_P(1), "order_line", add_fields,
							  lengthof(add_fields), in);
		req->variant_id = *DatumGetUUIDP(in[0].value);
		req->quantity = DatumGetInt32(in[1].value);
	}
	else
	{
		commerce_parse_object(PG_GETARG_JSONB_P(2), "order_line", update_fields,
							  lengthof(update_fields), in);
		req->quantity = DatumGetInt32(in[0].value);
	}
	if (req->quantity < 1 || req->quantity > ORDER_QUANTITY_MAX)
		ereport_invalid_input("field \"order_line.quantity\" must be between 1 and %d",
							  ORDER_QUANTITY_MAX);
}

/*
 * add_line
 *		A variant the order already has adds to its line (req->line_id and
 *		req->quantity become that line and the sum); another variant is a
 *		new line, inserted here.
 */
static void
add_line(Order *order, LineRequest *req)
{
	OrderLine	line;
	int			found = order_find_variant(order, &req->variant_id);

	memset(&line, 0, sizeof(line));
	line.variant_id = req->variant_id;
	order_line_catalog(&order->tenant, &line.variant_id, &line, true);
	if (found < 0 && order->nlines >= ORDER_LINES_MAX)
		ereport_invalid_input("an order has at most %d lines", ORDER_LINES_MAX);
	if (found >= 0)
	{
		req->quantity = order_add_quantity(&line.variant_id, order->lines[found].quantity,
										   req->quantity);
		req->line_id = &order->lines[found].id;
		return;
	}
	commerce_uuid_v7(&line.id);
	line.quantity = req->quantity;
	order_line_insert(order, &line, false);
}

/* The index of a line of the order; not_found when it has none such. */
static int
find_line(const Order *order, const pg_uuid_t *line_id)
{
	int			i;

	for (i = 0; i < order->nlines; i++)
		if (memcmp(order->lines[i].id.data, line_id->data, UUID_LEN) == 0)
			return i;
	commerce_not_found("order line", line_id);
}

/* Shared body of the three line commands. */
static Datum
change_line(FunctionCallInfo fcinfo, LineChange change)
{
	CommerceCommand cmd;
	Jsonb	   *replay;
	LineRequest req;
	Order		order;

	replay = commerce_write_begin(&cmd, command_names[change], fcinfo,
								  change == LINE_UPDATE ? 4 : 3, NULL);
	if (replay != NULL)
		PG_RETURN_JSONB_P(replay);
	read_line_request(fcinfo, change, &req);
	order_lock_for_command(fcinfo, req.version_arg, &cmd.tenant, ORDER_EDIT_LINES, &order);

	if (change == LINE_ADD)
		add_line(&order, &req);
	else
		(void) find_line(&order, req.line_id);
	if (change == LINE_REMOVE)
		order_line_delete(&order, req.line_id);
	else if (req.line_id != NULL)
		order_line_set_quantity(&order, req.line_id, req.quantity);

	order_touch(&order);
	order_load_lines(&order);
	order_price(&order, false);
	PG_RETURN_JSONB_P(commerce_command_done(&cmd, "order.updated", "order", &order.id,
											order_render(&order, true)));
}

/* commerce.add_order_line(order_id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_add_order_line(PG_FUNCTION_ARGS)
{
	return change_line(fcinfo, LINE_ADD);
}

/* commerce.update_order_line(order_id uuid, line_id uuid, data jsonb, expected_version bigint, idempotency_key text) */
Datum
commerce_update_order_line(PG_FUNCTION_ARGS)
{
	return change_line(fcinfo, LINE_UPDATE);
}

/* commerce.remove_order_line(order_id uuid, line_id uuid, expected_version bigint, idempotency_key text) */
Datum
commerce_remove_order_line(PG_FUNCTION_ARGS)
{
	return change_line(fcinfo, LINE_REMOVE);
}
