/*-------------------------------------------------------------------------
 *
 * gucs.h
 *	  The pgcommerce.* server settings of the commands (gucs.c).
 *
 * extension/gucs.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_GUCS_H
#define COMMERCE_GUCS_H

/* pgcommerce.idempotency_retention_minutes */
extern int	commerce_idempotency_retention_minutes;
extern bool commerce_catalog_cache;

/* Define the settings; called from _PG_init. */
extern void commerce_define_gucs(void);

#endif							/* COMMERCE_GUCS_H */
