/*-------------------------------------------------------------------------
 *
 * publisher.h
 *	  The outbox publisher's loop: seq in commit order, the wake-up,
 *	  subscription deliveries (publisher.c).
 *
 * bgworker/publisher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PUBLISHER_H
#define PUBLISHER_H

#include "datatype/timestamp.h"

extern void outbox_publisher_loop(void);
/* Woken: wait out pgcommerce.publisher_gather since last_start (publisher_gather.c). */
extern void outbox_publisher_gather(TimestampTz last_start);

#endif							/* PUBLISHER_H */
