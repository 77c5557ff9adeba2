/*
 * fuzz/cursor.c — the small parsers of query values and headers: event
 * cursors and limits (parse_cursor, for ?after=, ?limit= and
 * Last-Event-ID), UUIDs (is_uuid, for X-Tenant-Id and claims), UTF-8
 * (valid_utf8, for paths and query strings) and base64url (b64url_decode).
 * Checked against what they promise: a cursor is never negative, an
 * accepted UUID is 36 characters, decoding never writes past its buffer.
 */
#include "driver.h"
#include "events_read.h"
#include "jwt.h"
#include "request.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);
	unsigned char *out = malloc(size + 1);
	long long	v = -1;
	long		n;

	memcpy(s, data, size);
	s[size] = '\0';
	if (parse_cursor(s, &v) && v < 0)
		abort();
	if (is_uuid(s) && strlen(s) != 36)
		abort();
	(void) valid_utf8(s, size);
	n = b64url_decode(s, size, out, size / 2);
	if (n > (long) (size / 2))
		abort();
	free(s);
	free(out);
	return 0;
}
