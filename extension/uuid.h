/*-------------------------------------------------------------------------
 *
 * uuid.h
 *	  Time-ordered identifiers (UUID version 7) and their text (uuid.c).
 *
 * extension/uuid.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_UUID_H
#define COMMERCE_UUID_H

#include "postgres.h"

#include "utils/uuid.h"

/* A new UUIDv7, monotonic within this backend. */
extern void commerce_uuid_v7(pg_uuid_t *out);

/* The canonical text of a uuid, palloc'd, for messages. */
extern char *commerce_uuid_string(const pg_uuid_t *id);

#endif							/* COMMERCE_UUID_H */
