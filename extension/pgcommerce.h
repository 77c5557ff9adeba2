/*-------------------------------------------------------------------------
 *
 * pgcommerce.h
 *	  Declarations shared between the files of the pgcommerce library:
 *	  module-wide settings and the entry points each file offers the others.
 *
 * extension/pgcommerce.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGCOMMERCE_H
#define PGCOMMERCE_H

#include "postgres.h"
#include "utils/uuid.h"

#ifndef PGCOMMERCE_VERSION
#error "PGCOMMERCE_VERSION must be defined by the build"
#endif

/* pgcommerce.c: module initialisation */
extern void _PG_init(void);

/* gucs.c: every pgcommerce.* server setting */
extern int	commerce_idempotency_retention_minutes;
extern void commerce_define_gucs(void);

/* uuid.c: time-ordered identifiers */
extern void commerce_uuid_v7(pg_uuid_t *out);

#endif							/* PGCOMMERCE_H */
