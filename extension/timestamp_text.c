/*-------------------------------------------------------------------------
 *
 * timestamp_text.c
 *	  A finite timestamptz as COMMERCE_SQL_TIMESTAMP renders it in SQL,
 *	  to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
 *	  whatever the session's TimeZone, for the C renderers. Written by
 *	  hand: psprintf cost more than the rest of a document's timestamps
 *	  (docs/benchmarks.md). test/sql/perf_product_render.sql and the order
 *	  tests compare it with the SQL rendering.
 *
 * extension/timestamp_text.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "timestamp_text.h"

/* value as at least width decimal digits (value >= 0) at p; returns the end */
static char *
put_digits(char *p, int value, int width)
{
	char		digits[12];
	int			n = 0;

	do
	{
		digits[n++] = '0' + value % 10;
		value /= 10;
	} while (value > 0);
	while (n < width)
		digits[n++] = '0';
	while (n > 0)
		*p++ = digits[--n];
	return p;
}

/*
 * commerce_timestamp_text
 *		t (finite) into buf (COMMERCE_TIMESTAMP_TEXT_LEN bytes). YYYY is at
 *		least four digits, more when the year needs them; a year BC shows
 *		its number without sign, as to_char does.
 */
void
commerce_timestamp_text(TimestampTz t, char *buf)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *p = buf;

	if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	p = put_digits(p, tm.tm_year > 0 ? tm.tm_year : -(tm.tm_year - 1), 4);
	*p++ = '-';
	p = put_digits(p, tm.tm_mon, 2);
	*p++ = '-';
	p = put_digits(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_sec, 2);
	*p++ = '.';
	p = put_digits(p, (int) fsec, 6);
	*p++ = 'Z';
	*p = '\0';
}
