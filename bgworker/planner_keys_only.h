/*-------------------------------------------------------------------------
 *
 * planner_keys_only.h
 *	  The planner settings under which the outbox workers plan their
 *	  statements: key and index-range look-ups, whatever the statistics
 *	  say (planner_keys_only.c).
 *
 * bgworker/planner_keys_only.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PLANNER_KEYS_ONLY_H
#define PLANNER_KEYS_ONLY_H

#include "executor/spi.h"
#include "storage/block.h"

extern int	outbox_planner_keys_only(bool no_hash_merge);
extern void outbox_planner_restore(int nestlevel);
extern uint64 outbox_execute_keys_only(SPIPlanPtr plan, const Datum *args,
									   const char *nulls, bool read_only, long count);
extern bool outbox_table_outgrew(const char *relname, BlockNumber *blocks);

#endif							/* PLANNER_KEYS_ONLY_H */
