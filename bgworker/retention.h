/*-------------------------------------------------------------------------
 *
 * retention.h
 *	  The retention purges of expired events and idempotency keys, run by
 *	  the publisher when idle (retention.c).
 *
 * bgworker/retention.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETENTION_H
#define RETENTION_H

extern bool outbox_purge_expired(void);

#endif							/* RETENTION_H */
