/*
 * gateway/body_scan.c — the request stage's quick look at a JSON body.
 *
 * Parsing a body with jansson builds a tree (a hash table per object) that
 * a route taking the body whole (`data`) only turns back into text; for
 * a checkout that is most of the gateway's own work. This scanner accepts
 * a strict subset of what jansson accepts: an object or array nested at
 * most MAX_DEPTH deep, of at most MAX_KEYS keys per object, no duplicate
 * key, strings of valid UTF-8 without control characters and without any
 * backslash escape (so a key's bytes are its value: duplicates compare
 * byte for byte), integers of at most 18 digits (within int64), not -0,
 * and no fraction or exponent (a real is re-encoded by jansson, bind.c), the
 * literals true, false, null, JSON white space. Whatever it does not
 * accept goes to jansson as before, which answers the errors; what it
 * accepts, jansson would accept with the same meaning, so the client's
 * text is bound as it is (request.c, bind.c).
 */
#include "body_scan.h"
#include "request.h"

#include <string.h>

#define MAX_DEPTH 32
#define MAX_KEYS 32

typedef struct scan
{
	const char *p;
	const char *end;
	int			depth;
} scan;

static void
skip_ws(scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

/* At an opening quote: the string's bytes (start, length) and past it. */
static bool
scan_string(scan *s, const char **start, size_t *len)
{
	const char *q = s->p + 1;

	while (q < s->end && *q != '"')
	{
		if (*q == '\\' || (unsigned char) *q < 0x20)
			return false;
		q++;
	}
	if (q >= s->end)
		return false;
	*start = s->p + 1;
	*len = (size_t) (q - *start);
	if (!valid_utf8(*start, *len))
		return false;
	s->p = q + 1;
	return true;
}

static bool
scan_number(scan *s)
{
	const char *q = s->p;
	const char *digits;

	if (*q == '-')
		q++;
	digits = q;
	while (q < s->end && *q >= '0' && *q <= '9')
		q++;
	if (q == digits || q - digits > 18 || (*digits == '0' && (q - digits > 1 || digits > s->p)))
		return false;			/* none, too long, a leading zero, or -0 */
	if (q < s->end && (*q == '.' || *q == 'e' || *q == 'E'))
		return false;			/* a real: jansson's text, not ours */
	s->p = q;
	return true;
}

static bool
scan_literal(scan *s, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool scan_value(scan *s);

static bool
scan_object(scan *s)
{
	const char *keys[MAX_KEYS];
	size_t		lens[MAX_KEYS];
	int			nkeys = 0;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}')
		return s->p++, true;
	for (;;)
	{
		if (s->p >= s->end || *s->p != '"' || nkeys == MAX_KEYS ||
			!scan_string(s, &keys[nkeys], &lens[nkeys]))
			return false;
		for (int i = 0; i < nkeys; i++)
			if (lens[i] == lens[nkeys] && memcmp(keys[i], keys[nkeys], lens[i]) == 0)
				return false;	/* a duplicate: jansson says so */
		nkeys++;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		if (!scan_value(s))
			return false;
		skip_ws(s);
		if (s->p < s->end && *s->p == '}')
			return s->p++, true;
		if (s->p >= s->end || *s->p != ',')
			return false;
		s->p++;
		skip_ws(s);
	}
}

static bool
scan_array(scan *s)
{
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']')
		return s->p++, true;
	for (;;)
	{
		if (!scan_value(s))
			return false;
		skip_ws(s);
		if (s->p < s->end && *s->p == ']')
			return s->p++, true;
		if (s->p >= s->end || *s->p != ',')
			return false;
		s->p++;
	}
}

/* A value, white space before it skipped. */
static bool
scan_value(scan *s)
{
	const char *str;
	size_t		len;
	bool		ok;

	skip_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p)
	{
		case '{':
		case '[':
			if (++s->depth > MAX_DEPTH)
				return false;
			ok = *s->p == '{' ? scan_object(s) : scan_array(s);
			s->depth--;
			return ok;
		case '"':
			return scan_string(s, &str, &len);
		case 't':
			return scan_literal(s, "true");
		case 'f':
			return scan_literal(s, "false");
		case 'n':
			return scan_literal(s, "null");
		default:
			return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) && scan_number(s);
	}
}

bool
body_plain_json(const char *text, size_t len)
{
	scan		s = {.p = text, .end = text + len};

	skip_ws(&s);
	if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
		return false;			/* jansson takes only an object or an array */
	if (!scan_value(&s))
		return false;
	skip_ws(&s);
	return s.p == s.end;
}
