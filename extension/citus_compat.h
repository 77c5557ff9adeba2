/*
 * citus_compat.h
 *	  The few things that differ on a Citus node (docs/scaling.md): whether
 *	  Citus is loaded, which local relation holds a platform table's rows
 *	  (the table itself on a single node, its local shard on Citus), and the
 *	  tenant context set as a SET LOCAL Citus forwards to the workers.
 *
 * extension/citus_compat.h
 */
#ifndef PGCOMMERCE_CITUS_COMPAT_H
#define PGCOMMERCE_CITUS_COMPAT_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/uuid.h"

extern bool commerce_citus_loaded(void);

/* pgcommerce.citus_sql_check (citus_sql_check.c) */
extern bool commerce_citus_sql_check;
extern void commerce_check_citus_sql(SPIPlanPtr plan, const char *sql);
extern bool commerce_node_runs_outbox(void);
extern void commerce_set_local_forwarded(const char *name, const char *value);
/* A bound role's tenant as the forwarded context (Citus coordinator only) */
extern void commerce_forward_bound_context(const pg_uuid_t *tenant);
extern Oid	commerce_local_placement(Oid relid);
extern Oid	commerce_local_placement_index(Oid relid, Oid placement, const char *indexname);

#endif
