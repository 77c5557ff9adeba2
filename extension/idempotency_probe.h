/*-------------------------------------------------------------------------
 *
 * idempotency_probe.h
 *	  Whether a scoped idempotency key has a stored row, asked of the
 *	  table's primary key without an executor (idempotency_probe.c).
 *
 * extension/idempotency_probe.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_IDEMPOTENCY_PROBE_H
#define COMMERCE_IDEMPOTENCY_PROBE_H

#include "postgres.h"

#include "utils/uuid.h"

extern bool commerce_idempotency_key_stored(const pg_uuid_t *tenant, const char *actor,
											const char *subject, const char *key);

#endif							/* COMMERCE_IDEMPOTENCY_PROBE_H */
