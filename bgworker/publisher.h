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

extern void outbox_publisher_loop(void);

#endif							/* PUBLISHER_H */
