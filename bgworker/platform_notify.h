/*-------------------------------------------------------------------------
 *
 * platform_notify.h
 *	  The publisher's announcement of committed platform changes
 *	  (platform_notify.c).
 *
 * bgworker/platform_notify.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PLATFORM_NOTIFY_H
#define PLATFORM_NOTIFY_H

extern void outbox_announce_platform_changes(void);

#endif							/* PLATFORM_NOTIFY_H */
