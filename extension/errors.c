/*-------------------------------------------------------------------------
 *
 * errors.c
 *	  commerce_errcode(): attaches a stable pgcommerce error code to an
 *	  ereport() (see errors.h for the convention).
 *
 * extension/errors.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/elog.h"

#include "errors.h"

int
commerce_errcode(const char *code)
{
	err_generic_string(PG_DIAG_SCHEMA_NAME, "commerce");
	err_generic_string(PG_DIAG_CONSTRAINT_NAME, code);
	return 0;
}
