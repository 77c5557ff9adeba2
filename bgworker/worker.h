/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  Entry point of the per-database workers, named in the launcher's
 *	  registrations (worker.c).
 *
 * bgworker/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WORKER_H
#define WORKER_H

#include "postgres.h"

extern PGDLLEXPORT void outbox_database_worker_main(Datum main_arg);

#endif							/* WORKER_H */
