/*-------------------------------------------------------------------------
 *
 * promotion_limits.c
 *	  Where a code's uses are counted (docs/promotions.md, "The
 *	  concurrency guarantee"). Uses are written only under a limit: a
 *	  placement takes a use of the code's counter (promotion_codes.used)
 *	  only when the code has a total usage limit, and a use of the
 *	  customer's counter (promotion_code_customers) only when it has a
 *	  per-customer limit. Without a limit nothing is written to the code or
 *	  the customer: the uses are the placed, not cancelled orders whose
 *	  order_discounts rows carry the code, counted when needed (a staff
 *	  read of the code, a limit being set).
 *
 *	  What keeps that exact is the tenant's code-limits lock, a heavyweight
 *	  lock with a tag of our own (no SQL role can take or wait on it):
 *	  - placing takes it in ShareLock before it reads the codes' limits
 *	    (promotion_apply), and cancelling before it gives uses back, both
 *	    held to commit; placements do not wait on each other;
 *	  - update_promotion_code takes it in ExclusiveLock, before it locks
 *	    the code's row, when the body sets a limit: it waits for every
 *	    placement or cancellation in flight to end, counts the uses with
 *	    the latest snapshot (so it sees them all), and no placement reads
 *	    the limits again until it commits. A placement that read "no
 *	    limit" has thus either committed before the count (and is counted)
 *	    or reads again after the new limit is committed.
 *	  Under REPEATABLE READ or SERIALIZABLE a placement's read may be
 *	  older than the lock, so placing then always writes the code's row
 *	  (promotion_take_usage): a change committed after its snapshot is a
 *	  serialization failure, never a use counted wrong.
 *
 * extension/promotion_limits.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/snapmgr.h"

#include "command.h"
#include "promotions.h"

/*
 * field4 of the lock tag (SQL's pg_advisory_lock() uses 1 and 2 only: see
 * IDEMPOTENCY_LOCKTAG_FIELD4 in command.c). 0x7070: "pp", pgcommerce
 * promotions.
 */
#define PROMOTION_LIMITS_LOCKTAG_FIELD4 0x7070

/* Placed (not draft), not cancelled orders whose discounts carry the code:
 * order_discounts_code_idx, then each order's row by its key. */
#define USES_FROM_ORDERS \
	" FROM commerce.order_discounts d JOIN commerce.orders o" \
	"   ON o.tenant_id OPERATOR(pg_catalog.=) d.tenant_id AND o.id OPERATOR(pg_catalog.=) d.order_id" \
	" WHERE d.tenant_id OPERATOR(pg_catalog.=) $1 AND d.code_id OPERATOR(pg_catalog.=) $2" \
	"   AND d.amount IS NOT NULL" \
	"   AND o.status OPERATOR(pg_catalog.<>) ALL ('{draft,cancelled}'::text[])"

static SPIPlanPtr plan_count = NULL;
static SPIPlanPtr plan_delete_customers = NULL;
static SPIPlanPtr plan_insert_customers = NULL;

void
promotion_limits_lock(const pg_uuid_t *tenant, LOCKMODE mode)
{
	LOCKTAG		tag;
	uint64		hash = hash_bytes_extended(tenant->data, UUID_LEN, 0);

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (hash >> 32), (uint32) hash,
						 PROMOTION_LIMITS_LOCKTAG_FIELD4);
	(void) LockAcquire(&tag, mode, false, false);
}

/* Run plan with the latest snapshot: everything committed before the
 * exclusive lock was granted, whatever the isolation level. */
static uint64
execute_latest(SPIPlanPtr plan, const pg_uuid_t *tenant, const pg_uuid_t *code_id)
{
	Datum		values[2] = {UUIDPGetDatum(tenant), UUIDPGetDatum(code_id)};
	int			rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(),
										  InvalidSnapshot, false, true, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

int32
promotion_count_uses(const pg_uuid_t *tenant, const pg_uuid_t *code_id)
{
	int64		n = 0;

	commerce_prepare(&plan_count,
					 "SELECT pg_catalog.count(*)" USES_FROM_ORDERS,
					 2, (Oid[]) {UUIDOID, UUIDOID});
	execute_latest(plan_count, tenant, code_id);
	if (!commerce_result_int64(1, &n) || n > PG_INT32_MAX)
		elog(ERROR, "counting the uses of a discount code failed");
	return (int32) n;
}

void
promotion_rebuild_customer_uses(const pg_uuid_t *tenant, const pg_uuid_t *code_id, bool limited)
{
	commerce_prepare(&plan_delete_customers,
					 "DELETE FROM commerce.promotion_code_customers"
					 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND code_id OPERATOR(pg_catalog.=) $2",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	commerce_prepare(&plan_insert_customers,
					 "INSERT INTO commerce.promotion_code_customers (tenant_id, code_id, customer_id, used)"
					 " SELECT $1, $2, d.customer_id, pg_catalog.count(*)::integer" USES_FROM_ORDERS
					 "   AND d.customer_id IS NOT NULL GROUP BY d.customer_id",
					 2, (Oid[]) {UUIDOID, UUIDOID});
	execute_latest(plan_delete_customers, tenant, code_id);
	if (limited)
		execute_latest(plan_insert_customers, tenant, code_id);
}
