/*-------------------------------------------------------------------------
 *
 * tenant_rows.h
 *	  Rows of platform tables read for the tenant context without
 *	  permission checks (tenant_rows.c).
 *
 * extension/tenant_rows.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_TENANT_ROWS_H
#define COMMERCE_TENANT_ROWS_H

#include "postgres.h"

#include "access/attnum.h"

/*
 * The row of commerce.<relname> whose key column (uuid or name) equals key,
 * through index <indexname>: its column resultattno into *result; false
 * when there is none or the column is NULL. fresh: under a snapshot taken
 * now, else the catalog snapshot.
 */
extern bool commerce_lookup_uuid_row(const char *relname, const char *indexname,
									 AttrNumber keyattno, Oid keytype, Datum key,
									 AttrNumber resultattno, Datum *result, bool fresh);

#endif							/* COMMERCE_TENANT_ROWS_H */
