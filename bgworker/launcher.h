/*-------------------------------------------------------------------------
 *
 * launcher.h
 *	  Entry point of the launcher, named in its registration at
 *	  shared_preload_libraries time (launcher.c).
 *
 * bgworker/launcher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LAUNCHER_H
#define LAUNCHER_H

#include "postgres.h"

extern PGDLLEXPORT void outbox_launcher_main(Datum main_arg);

#endif							/* LAUNCHER_H */
