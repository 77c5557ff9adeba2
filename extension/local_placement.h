/*
 * local_placement.h
 *	  Which local relation holds a commerce table's rows on this node: the
 *	  table itself on a single node, its local shard on Citus; and whether
 *	  Citus is loaded at all.
 *
 * extension/local_placement.h
 */
#ifndef PGCOMMERCE_LOCAL_PLACEMENT_H
#define PGCOMMERCE_LOCAL_PLACEMENT_H

#include "postgres.h"

extern bool commerce_citus_loaded(void);
extern Oid	commerce_local_placement(Oid relid);
extern Oid	commerce_local_placement_index(Oid relid, Oid placement, const char *indexname);

#endif
