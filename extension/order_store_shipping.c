/*-------------------------------------------------------------------------
 *
 * order_store_shipping.c
 *	  The address and shipping columns of an order row (issue 17,
 *	  docs/shipping.md): reading them from an order row, binding them for an
 *	  insert or a placement, and storing a draft's addresses and method.
 *	  Split from order_store.c, which reads and writes the rest of the row.
 *
 * extension/order_store_shipping.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "command.h"
#include "order_store.h"

static SPIPlanPtr plan_store_shipping = NULL;

/* The shipping columns of ORDER_COLUMNS, from column first on. */
void
order_read_shipping_columns(HeapTuple row, TupleDesc desc, int first, Order *order)
{
	bool		isnull;
	Datum		d;

	d = SPI_getbinval(row, desc, first, &isnull);
	order->shipping_address = isnull ? NULL : DatumGetJsonbPCopy(d);
	d = SPI_getbinval(row, desc, first + 1, &isnull);
	order->billing_address = isnull ? NULL : DatumGetJsonbPCopy(d);
	d = SPI_getbinval(row, desc, first + 2, &isnull);
	order->has_shipping_method = !isnull;
	if (!isnull)
		order->shipping_method_id = *DatumGetUUIDP(d);
	order->shipping_method_name = SPI_getvalue(row, desc, first + 3);
	d = SPI_getbinval(row, desc, first + 4, &isnull);
	order->shipping_tax_rate_ppm = isnull ? 0 : DatumGetInt32(d);
	order->shipping_total = DatumGetInt64(SPI_getbinval(row, desc, first + 5, &isnull));
	order->shipping_tax = DatumGetInt64(SPI_getbinval(row, desc, first + 6, &isnull));
}

/* The 7 shipping values of an order insert ($14..$20): a draft stores its
 * addresses and method, a placed order its snapshot too. */
void
order_bind_shipping(const Order *order, bool placed, Datum *v, char *n)
{
	v[0] = order->shipping_address ? JsonbPGetDatum(order->shipping_address) : (Datum) 0;
	n[0] = order->shipping_address ? ' ' : 'n';
	v[1] = order->billing_address ? JsonbPGetDatum(order->billing_address) : (Datum) 0;
	n[1] = order->billing_address ? ' ' : 'n';
	v[2] = UUIDPGetDatum(&order->shipping_method_id);
	n[2] = order->has_shipping_method ? ' ' : 'n';
	placed = placed && order->has_shipping_method;
	v[3] = placed ? CStringGetTextDatum(order->shipping_method_name) : (Datum) 0;
	n[3] = placed ? ' ' : 'n';
	v[4] = Int32GetDatum(order->shipping_tax_rate_ppm);
	n[4] = placed ? ' ' : 'n';
	v[5] = Int64GetDatum(placed ? order->shipping_total : 0);
	n[5] = ' ';
	v[6] = Int64GetDatum(placed ? order->shipping_tax : 0);
	n[6] = ' ';
}

/* Store a draft's addresses and shipping method; bump its version. */
void
order_store_shipping(Order *order)
{
	Datum		v[6];
	char		n[6];
	Datum		ship[7];
	char		ship_nulls[7];

	commerce_prepare(&plan_store_shipping,
					 "UPDATE commerce.orders SET shipping_address = $3, billing_address = $4,"
					 " shipping_method_id = $5, updated_at = $6,"
					 " version = version OPERATOR(pg_catalog.+) 1"
					 COMMERCE_BY_ID,
					 6, (Oid[]) {UUIDOID, UUIDOID, JSONBOID, JSONBOID, UUIDOID, TIMESTAMPTZOID});
	order_bind_shipping(order, false, ship, ship_nulls);
	v[0] = UUIDPGetDatum(&order->tenant);
	v[1] = UUIDPGetDatum(&order->id);
	memcpy(&v[2], ship, sizeof(Datum) * 3);
	n[0] = n[1] = n[5] = ' ';
	memcpy(&n[2], ship_nulls, 3);
	v[5] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	commerce_execute(plan_store_shipping, v, n, false, 0);
	order->version++;
	order->at[ORDER_UPDATED_AT] = GetCurrentTransactionStartTimestamp();
}

