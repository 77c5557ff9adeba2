/*-------------------------------------------------------------------------
 *
 * scan_floor.h
 *	  Where the publisher's look-up of unpublished rows starts
 *	  (scan_floor.c).
 *
 * bgworker/scan_floor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCAN_FLOOR_H
#define SCAN_FLOOR_H

#include "datatype/timestamp.h"
#include "utils/uuid.h"

extern void outbox_floor_probe_start(void);
extern bool outbox_floor_probe_ripe(TimestampTz *time);
extern pg_uuid_t outbox_floor_uuid(TimestampTz t);

#endif							/* SCAN_FLOOR_H */
