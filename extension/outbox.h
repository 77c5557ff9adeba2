/*-------------------------------------------------------------------------
 *
 * outbox.h
 *	  The outbox writer: events written in the command's transaction and
 *	  published by the background worker after commit (outbox.c,
 *	  docs/events.md).
 *
 * extension/outbox.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_OUTBOX_H
#define COMMERCE_OUTBOX_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

/* One event about one aggregate of tenant, in this transaction; returns
 * the event's id. */
extern pg_uuid_t commerce_emit_event(const pg_uuid_t *tenant, const char *type,
								const char *aggregate_type,
								const pg_uuid_t *aggregate_id, Jsonb *data);

#endif							/* COMMERCE_OUTBOX_H */
