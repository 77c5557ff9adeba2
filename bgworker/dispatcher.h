/*-------------------------------------------------------------------------
 *
 * dispatcher.h
 *	  The subscription dispatcher's loop: runs the handlers of due
 *	  deliveries (dispatcher.c).
 *
 * bgworker/dispatcher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISPATCHER_H
#define DISPATCHER_H

extern void outbox_dispatcher_loop(void);

#endif							/* DISPATCHER_H */
