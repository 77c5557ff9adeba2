/*
 * local_placement.h
 *	  Which local relation holds a commerce table's rows on this node: the
 *	  table itself on a single node, its local shard on Citus.
 *
 * extension/local_placement.h
 */
#ifndef PGCOMMERCE_LOCAL_PLACEMENT_H
#define PGCOMMERCE_LOCAL_PLACEMENT_H

#include "postgres.h"

extern Oid	commerce_local_placement(Oid relid);
extern Oid	commerce_local_placement_index(Oid relid, Oid placement, const char *indexname);

#endif
