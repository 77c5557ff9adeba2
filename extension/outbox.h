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

/*
 * For a statement that writes an event with another row (the idempotency
 * key of the command whose response the event carries, command.c): the
 * event's INSERT over $1 tenant, $2 id, $3 type, $4 aggregate_type, $5
 * aggregate_id, $6 data; outbox_new_event() checks the names and makes the
 * id first, outbox_event_written() has the publisher woken at commit after.
 */
#define OUTBOX_INSERT_SQL \
	"INSERT INTO commerce.outbox_written" \
	" (tenant_id, id, type, aggregate_type, aggregate_id, data)" \
	" VALUES ($1, $2, $3, $4, $5, $6)"
extern void outbox_new_event(const char *type, const char *aggregate_type, pg_uuid_t *id);
extern void outbox_event_written(void);

#endif							/* COMMERCE_OUTBOX_H */
