/*
 * gateway/request.c — the request stage: what the client sent, checked
 * before anything else looks at it.
 *
 * request_receive() takes a request in from libmicrohttpd (method, path,
 * X-Request-Id, the body within PGCOMMERCE_MAX_BODY, the request-target
 * within MAX_URI) and says when it is complete; request_parse_input()
 * turns the parts a route binds into checked values: the query string
 * (no repeats, UTF-8), the body (application/json, valid JSON, no
 * duplicate keys; a number beyond int64 is 422 amount_overflow) and
 * If-Match (one strong version ETag "N"). A plain body (body_scan.c) is
 * vouched for without building its tree; any other goes through jansson.
 * Malformed input is answered here (400, 413, 414, 415) and never reaches
 * SQL. Next stage: bind.c.
 */
#include "body_scan.h"
#include "request.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Longest request-target we route (the rest gets 414). */
#define MAX_URI 4096

long long
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

double
seconds_now(void)
{
	return (double) monotonic_us() / 1e6;
}

const char *
request_header(request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool
valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = p[i];
		int			n;
		unsigned int cp;

		if (c < 0x80)
		{
			if (c == 0)
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 2, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (i + (size_t) n >= len)
			return false;
		for (int k = 1; k <= n; k++)
		{
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
			cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += (size_t) n + 1;
	}
	return true;
}

void
copy_text(char *dst, size_t size, const char *src)
{
	size_t		n;

	if (src == NULL)
		src = "(null)";			/* what snprintf("%s") wrote */
	n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

bool
grow_buffer(char **buf, size_t *cap, size_t need, size_t initial)
{
	size_t		size = *cap ? *cap : initial;
	char	   *grown;

	if (need <= *cap)
		return true;
	while (size < need)
		size *= 2;
	grown = realloc(*buf, size);
	if (grown == NULL)
		return false;
	*buf = grown;
	*cap = size;
	return true;
}

/*
 * A random (version 4) UUID. The random bytes are drawn from OpenSSL a
 * batch at a time per thread: RAND_bytes costs a getpid() system call and
 * its locking on every call, and request ids are not secrets.
 */
#define REQUEST_IDS_PER_DRAW 32

static void
new_request_id(char *buf, size_t len)
{
	static __thread unsigned char batch[16 * REQUEST_IDS_PER_DRAW];
	static __thread int left;
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	char		out[37];
	int			o = 0;

	if (left == 0)
	{
		if (RAND_bytes(batch, sizeof(batch)) == 1)
			left = REQUEST_IDS_PER_DRAW;
		else
		{
			long long	t = monotonic_us();

			memcpy(batch, &t, sizeof(t));
			memcpy(batch + 8, &t, sizeof(t));
			left = 1;
		}
	}
	left--;
	memcpy(r, batch + 16 * left, sizeof(r));
	r[6] = (unsigned char) ((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char) ((r[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 15];
	}
	out[o] = '\0';
	copy_text(buf, len, out);
}

/* A client's X-Request-Id is echoed only when it is short and plain. */
static bool
acceptable_request_id(const char *id)
{
	size_t		n = 0;

	if (id == NULL)
		return false;
	for (const char *p = id; *p; p++, n++)
	{
		char		c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
	}
	return n >= 1 && n <= 128;
}

static bool
content_length_too_large(struct MHD_Connection *conn, size_t max)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

	return cl != NULL && strtoull(cl, NULL, 10) > max;
}

static enum MHD_Result
payload_too_large(request *req)
{
	return respond_error(req, 413, "payload_too_large",
						 "the request body is larger than the limit",
						 json_pack("{s:I}", "max_bytes", (json_int_t) gw_config->max_body));
}

/* First call for a request: method, path, request id, declared length. */
static bool
request_begin(request *req, struct MHD_Connection *conn, const char *url,
			  const char *method, enum MHD_Result *ret)
{
	const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");

	req->started = true;
	req->conn = conn;
	copy_text(req->method, sizeof(req->method), method);
	req->path = strdup(url);
	if (acceptable_request_id(rid))
		copy_text(req->request_id, sizeof(req->request_id), rid);
	else
		new_request_id(req->request_id, sizeof(req->request_id));
	*ret = MHD_YES;
	if (content_length_too_large(conn, gw_config->max_body))
	{
		req->body_too_large = true;
		*ret = payload_too_large(req);
	}
	return false;
}

/* A piece of the body, kept while the total stays within the limit. */
static enum MHD_Result
request_append_body(request *req, const char *data, size_t n)
{
	if (req->status != 0 || req->body_too_large)
		return MHD_YES;
	if (req->body_len + n > gw_config->max_body)
	{
		req->body_too_large = true;
		free(req->body);
		req->body = NULL;
		req->body_len = req->body_cap = 0;
		return MHD_YES;
	}
	if (!grow_buffer(&req->body, &req->body_cap, req->body_len + n + 1, 1024))
		return MHD_NO;
	memcpy(req->body + req->body_len, data, n);
	req->body_len += n;
	req->body[req->body_len] = '\0';
	return MHD_YES;
}

bool
request_receive(request *req, struct MHD_Connection *conn, const char *url,
				const char *method, const char *upload_data, size_t *upload_data_size,
				enum MHD_Result *ret)
{
	if (!req->started)
		return request_begin(req, conn, url, method, ret);
	if (*upload_data_size > 0)
	{
		size_t		n = *upload_data_size;

		*upload_data_size = 0;
		*ret = request_append_body(req, upload_data, n);
		return false;
	}
	*ret = MHD_YES;
	if (req->status != 0)
		return false;			/* answered early (413) */
	if (req->body_too_large)
		*ret = payload_too_large(req);
	else if (req->uri_len > MAX_URI)
		*ret = respond_error(req, 414, "uri_too_long",
							 "the request target is longer than the limit",
							 json_pack("{s:i}", "max_bytes", MAX_URI));
	else
		return true;
	return false;
}

typedef struct query_ctx
{
	json_t	   *obj;
	bool		bad;
	char		why[160];
} query_ctx;

static enum MHD_Result
collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	query_ctx  *q = cls;

	(void) kind;
	if (q->bad)
		return MHD_NO;
	if (!valid_utf8(key, strlen(key)) || (value && !valid_utf8(value, strlen(value))))
	{
		q->bad = true;
		snprintf(q->why, sizeof(q->why), "query parameters must be valid UTF-8");
		return MHD_NO;
	}
	if (json_object_get(q->obj, key) != NULL)
	{
		q->bad = true;
		snprintf(q->why, sizeof(q->why), "query parameter \"%.64s\" is repeated", key);
		return MHD_NO;
	}
	json_object_set_new(q->obj, key, json_string(value ? value : ""));
	return MHD_YES;
}

bool
query_params(request *req, json_t **out, enum MHD_Result *ret)
{
	query_ctx	q = {.obj = json_object()};

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_query, &q);
	if (q.bad)
	{
		json_decref(q.obj);
		*out = NULL;
		*ret = respond_error(req, 400, "invalid_parameter", q.why, NULL);
		return false;
	}
	*out = q.obj;
	return true;
}

/*
 * If-Match compares strongly (RFC 9110 section 13.1.1): a version ETag is
 * exactly "N". A weak tag W/"N" never matches strongly (1 returned: the
 * caller answers 412); anything else, an unquoted N included, is not an
 * entity-tag (0: 400). 2: "N" read into out.
 */
static int
parse_if_match(const char *h, char *out, size_t outlen)
{
	size_t		n = 0;

	if (strncmp(h, "W/\"", 3) == 0)
		return 1;
	if (*h != '"')
		return 0;
	h++;
	while (h[n] >= '0' && h[n] <= '9')
		n++;
	if (n == 0 || n >= outlen || n > 18 || h[n] != '"' || h[n + 1] != '\0')
		return 0;
	memcpy(out, h, n);
	out[n] = '\0';
	return 2;
}

static bool
is_json_content_type(const char *ct)
{
	const char *semi;
	size_t		n;

	if (ct == NULL)
		return false;
	semi = strchr(ct, ';');
	n = semi ? (size_t) (semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	return n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0 && strncasecmp(ct, "application/", 12) == 0;
}

void
request_input_free(request_input *in)
{
	json_decref(in->query);
	json_decref(in->body);
	in->query = in->body = NULL;
}

bool
request_parse_input(request *req, request_input *in, enum MHD_Result *ret)
{
	const char *if_match = request_header(req, "If-Match");

	memset(in, 0, sizeof(*in));
	in->idempotency_key = request_header(req, "Idempotency-Key");
	if (!query_params(req, &in->query, ret))
		return false;

	/* The body: JSON only, parsed here so malformed input never reaches SQL. */
	if (req->body_len > 0)
	{
		json_error_t jerr;

		if (!is_json_content_type(request_header(req, "Content-Type")))
		{
			*ret = respond_error(req, 415, "unsupported_media_type",
								 "the request body must be application/json", NULL);
			return false;
		}
		if (body_plain_json(req->body, req->body_len))
			in->body_text = req->body;	/* valid: no tree unless bind needs one */
		else
			in->body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (in->body_text == NULL && in->body == NULL && json_error_code(&jerr) == json_error_numeric_overflow)
		{
			/* Amounts are bigint minor units: a larger number cannot be one. */
			*ret = respond_error(req, 422, "amount_overflow",
								 "a number in the body does not fit in a 64-bit integer",
								 json_pack("{s:i, s:i}", "line", jerr.line, "column", jerr.column));
			return false;
		}
		if (in->body_text == NULL && in->body == NULL)
		{
			*ret = respond_error(req, 400, "malformed_json", "the request body is not valid JSON",
								 json_pack("{s:s, s:i, s:i}", "reason", jerr.text,
										   "line", jerr.line, "column", jerr.column));
			return false;
		}
	}
	if (if_match && strcmp(if_match, "*") != 0)
	{
		int			kind = parse_if_match(if_match, in->version, sizeof(in->version));

		if (kind == 1)
		{
			*ret = respond_error(req, 412, "version_conflict",
								 "a weak ETag never matches If-Match (strong comparison, RFC 9110)", NULL);
			return false;
		}
		if (kind == 0)
		{
			*ret = respond_error(req, 400, "invalid_parameter",
								 "If-Match must be one version ETag such as \"3\" (quoted)", NULL);
			return false;
		}
	}
	return true;
}
