/*-------------------------------------------------------------------------
 *
 * errors.h
 *	  How pgcommerce raises domain errors. Every domain error is an ordinary
 *	  ereport() with the most specific SQLSTATE plus commerce_errcode(code):
 *	  the stable snake_case code travels in the error's constraint-name
 *	  field and the schema-name field says "commerce", so a libpq client
 *	  (the gateway) reads it without parsing the message. Codes, SQLSTATEs
 *	  and HTTP statuses are listed in commerce.error_codes and
 *	  docs/errors.md.
 *
 *	  ereport(ERROR,
 *			  (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
 *			   commerce_errcode("invalid_input"),
 *			   errmsg("field \"%s\" must be a string", name)));
 *
 * extension/errors.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMERCE_ERRORS_H
#define COMMERCE_ERRORS_H

/* Attach a pgcommerce error code to the error being built. */
extern int	commerce_errcode(const char *code);

/*
 * The invalid_input error (22023) with errmsg(...)'s format and arguments:
 * a request its command's rules refuse.
 */
#define ereport_invalid_input(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
			 commerce_errcode("invalid_input"), \
			 errmsg(__VA_ARGS__)))

/* SQLSTATEs pgcommerce uses beyond PostgreSQL's own names */
#define ERRCODE_COMMERCE_NOT_FOUND			ERRCODE_NO_DATA_FOUND	/* P0002 */
#define ERRCODE_COMMERCE_STATE_CONFLICT		ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE	/* 55000 */
#define ERRCODE_COMMERCE_IN_USE				ERRCODE_LOCK_NOT_AVAILABLE	/* 55P03 */
#define ERRCODE_COMMERCE_PAYMENT_DECLINED	MAKE_SQLSTATE('P','C','4','0','2')

#endif							/* COMMERCE_ERRORS_H */
