/*-------------------------------------------------------------------------
 *
 * planner_keyed.h
 *	  How the commands' kept statements are planned: by key, whatever the
 *	  statistics say (planner_keyed.c).
 *
 * extension/planner_keyed.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_PLANNER_KEYED_H
#define COMMERCE_PLANNER_KEYED_H

typedef enum CommercePlanning
{
	COMMERCE_PLAN_ANY,			/* the planner's own choice */
	COMMERCE_PLAN_KEYED,		/* no sequential scans */
	COMMERCE_PLAN_INDEX_ORDER	/* no sequential or bitmap heap scans */
} CommercePlanning;

extern CommercePlanning commerce_planning_begin(CommercePlanning how);
extern void commerce_planning_end(CommercePlanning previous);
extern void commerce_planner_init(void);

#endif							/* COMMERCE_PLANNER_KEYED_H */
