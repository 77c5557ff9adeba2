/*
 * gateway/response.c — the response stage: building answers.
 *
 * Every answer carries X-Request-Id and Cache-Control, every error has the
 * one error body shape of ARCHITECTURE.md. respond_outcome() answers a
 * route from what the execution stage (execute.c) brought back: the
 * handler's JSON with its status and the headers derived from it (ETag
 * from "version", Location of a 201 from "id", Idempotent-Replayed), a
 * committed refusal, 204 or 404, or an error: the database's through
 * respond_db_error() (errmap.c, the one mapping of database errors), a
 * refused tenant (403), no connection (503). Last stage.
 */
#include "cors.h"
#include "errmap.h"
#include "response.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result
respond(request *req, int status, const char *content_type,
		const char *body, size_t len, const header_pair *headers, int nheaders)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *) body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	MHD_add_response_header(r, "X-Request-Id", req->request_id);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	cors_add_headers(req, r);
	for (int i = 0; i < nheaders; i++)
		if (headers[i].value)
			MHD_add_response_header(r, headers[i].name, headers[i].value);
	req->status = status;
	ret = MHD_queue_response(req->conn, (unsigned int) status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
respond_json(request *req, int status, json_t *value,
			 const header_pair *headers, int nheaders)
{
	char	   *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	enum MHD_Result ret;

	json_decref(value);
	if (text == NULL)
		return MHD_NO;
	ret = respond(req, status, "application/json", text, strlen(text), headers, nheaders);
	free(text);
	return ret;
}

json_t *
safe_json_string(const char *s)
{
	json_t	   *v = s ? json_string(s) : NULL;

	return v ? v : json_string(s ? "(not valid UTF-8)" : "");
}

enum MHD_Result
respond_error_h(request *req, int status, const char *code, const char *message,
				json_t *details, const header_pair *headers, int nheaders)
{
	json_t	   *err = json_object();

	copy_text(req->error_code, sizeof(req->error_code), code);
	json_object_set_new(err, "code", safe_json_string(code));
	json_object_set_new(err, "message", safe_json_string(message));
	json_object_set_new(err, "details", json_is_object(details) ? details : json_object());
	if (details && !json_is_object(details))
		json_decref(details);
	json_object_set_new(err, "request_id", safe_json_string(req->request_id));
	return respond_json(req, status, json_pack("{s:o}", "error", err), headers, nheaders);
}

enum MHD_Result
respond_error(request *req, int status, const char *code, const char *message,
			  json_t *details)
{
	return respond_error_h(req, status, code, message, details, NULL, 0);
}

/*
 * Location of a 201: the route's template (default: the request path +
 * /{id}), {id} from the answer, other {name}s from the request's path.
 */
static void
build_location(const route *r, char **values, const char *id, char *out, size_t outlen)
{
	char		fallback[512];
	const char *t = r->location;
	size_t		n = 0;

	if (t == NULL)
	{
		snprintf(fallback, sizeof(fallback), "%s/{id}", r->path);
		t = fallback;
	}
	out[0] = '\0';
	while (*t && n + 1 < outlen)
	{
		if (*t == '{')
		{
			const char *end = strchr(t, '}');
			const char *value = NULL;
			size_t		len;

			if (end == NULL)
				break;
			len = (size_t) (end - t - 1);
			if (len == 2 && strncmp(t + 1, "id", 2) == 0)
				value = id;
			for (int k = 0; value == NULL && k < r->nsegments; k++)
				if (r->params[k] && strlen(r->params[k]) == len && strncmp(r->params[k], t + 1, len) == 0)
					value = values[k];
			n += (size_t) snprintf(out + n, outlen - n, "%s", value ? value : "");
			t = end + 1;
		}
		else
			out[n++] = *t++, out[n] = '\0';
	}
	if (n >= outlen)
		out[outlen - 1] = '\0';
}

/* p at an opening quote: the character after the closing one, or NULL. */
static const char *
skip_string(const char *p)
{
	for (p++;;)
	{
		p += strcspn(p, "\"\\");
		if (*p == '"')
			return p + 1;
		if (*p == '\0' || *++p == '\0')	/* a backslash escapes the next one */
			return NULL;
		p++;
	}
}

/*
 * The values of two top-level keys of the JSON object text s (NULL when
 * absent; key2 may be NULL), in one pass. A scan, not a parse: answers can
 * be large and only "id" and "version" matter here, so the body is not
 * built into a tree on every request.
 */
static void
top_level_values(const char *s, const char *key1, const char **v1,
				 const char *key2, const char **v2)
{
	size_t		len1 = strlen(key1),
				len2 = key2 ? strlen(key2) : 0;
	int			depth = 0;
	bool		expect_key = false;
	const char *p = s;

	*v1 = *v2 = NULL;
	while (*p)
	{
		char		c = *p;

		if (c == '"')
		{
			const char *end = skip_string(p);

			if (end == NULL)
				return;
			if (depth == 1 && expect_key)
			{
				const char *q = end;
				size_t		klen = (size_t) (end - p - 2);

				while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
					q++;
				if (*q != ':')
					return;
				q++;
				while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
					q++;
				if (*v1 == NULL && klen == len1 && memcmp(p + 1, key1, len1) == 0)
					*v1 = q;
				else if (key2 && *v2 == NULL && klen == len2 && memcmp(p + 1, key2, len2) == 0)
					*v2 = q;
				if (*v1 && (key2 == NULL || *v2))
					return;
				expect_key = false;
				p = q;
				continue;
			}
			p = end;
			continue;
		}
		if (c == '{' || c == '[')
		{
			depth++;
			expect_key = c == '{' && depth == 1;
		}
		else if (c == '}' || c == ']')
			depth--;
		else if (c == ',' && depth == 1)
			expect_key = true;
		p++;
	}
}

/* The response headers derived from the body: ETag and Location. */
static void
body_headers(const route *r, char **values, const char *body, char *etag, size_t etaglen,
			 char *location, size_t loclen)
{
	const char *v,
			   *id;

	etag[0] = location[0] = '\0';
	if (body == NULL || body[0] != '{')
		return;
	top_level_values(body, "version", &v, r->success_status == 201 ? "id" : NULL, &id);
	if (v && (*v == '-' || (*v >= '0' && *v <= '9')))
	{
		char	   *end;
		long long	version;

		errno = 0;
		version = strtoll(v, &end, 10);
		if (errno == 0 && end != v && (*end == ',' || *end == '}' || *end == ' ' || *end == '\n'))
			snprintf(etag, etaglen, "\"%lld\"", version);
	}
	v = id;
	if (v && *v == '"')
	{
		const char *end = strchr(v + 1, '"');
		char		id[128];

		if (end && (size_t) (end - v - 1) < sizeof(id) && memchr(v + 1, '\\', (size_t) (end - v - 1)) == NULL)
		{
			memcpy(id, v + 1, (size_t) (end - v - 1));
			id[end - v - 1] = '\0';
			build_location(r, values, id, location, loclen);
		}
	}
}

/*
 * If-None-Match (a GET's conditional): "*" or a list of entity-tags, one of
 * which equals etag under weak comparison (RFC 9110 section 13.1.2: W/
 * ignored on both sides).
 */
static bool
none_match_hits(const char *header, const char *etag)
{
	const char *p = header;
	size_t		elen = strlen(etag);

	while (*p)
	{
		const char *end;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"' || (end = strchr(p + 1, '"')) == NULL)
			return false;
		if ((size_t) (end - p + 1) == elen && strncmp(p, etag, elen) == 0)
			return true;
		p = end + 1;
	}
	return false;
}

/* The statement's row: the handler's result, replayed, committed refusal. */
static enum MHD_Result
respond_row(request *req, const route *r, char **values, const PGresult *res)
{
	const char *out = PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0);
	bool		replayed = strcmp(PQgetvalue(res, 0, 1), "true") == 0;
	const char *refused = PQgetisnull(res, 0, 2) ? "" : PQgetvalue(res, 0, 2);
	char		etag[32],
				location[512];
	header_pair h[3];
	int			nh = 0;

	if (replayed)
		h[nh++] = (header_pair) {"Idempotent-Replayed", "true"};
	if (refused[0] != '\0')
	{
		/*
		 * The command committed an outcome that is a refusal (a declined
		 * payment: its attempt is recorded, so it could not raise). The
		 * status comes from commerce.error_codes; the committed result goes
		 * in details.
		 */
		int			status = errmap_status_for_code(refused);
		json_t	   *details = out ? json_loads(out, 0, NULL) : NULL;

		return respond_error_h(req, status ? status : 422, refused,
							   "the operation was refused; the attempt is recorded (see details)",
							   details, h, nh);
	}
	if (r->result == RESULT_VOID || (out == NULL && strcmp(req->method, "GET") != 0))
		return respond(req, 204, NULL, "", 0, h, nh);
	if (out == NULL)
		return respond_error(req, 404, "not_found", "no such object in this tenant", NULL);
	body_headers(r, values, out, etag, sizeof(etag), location, sizeof(location));
	if (etag[0])
		h[nh++] = (header_pair) {"ETag", etag};
	if (location[0])
		h[nh++] = (header_pair) {"Location", location};
	if (etag[0] && r->success_status == 200 && strcmp(req->method, "GET") == 0 &&
		request_header(req, "If-None-Match") != NULL &&
		none_match_hits(request_header(req, "If-None-Match"), etag))
		return respond(req, 304, NULL, "", 0, h, nh);
	return respond(req, r->success_status, "application/json", out, strlen(out), h, nh);
}

enum MHD_Result
respond_outcome(request *req, const route *r, char **values, const outcome *o,
				const char *precondition_code)
{
	switch (o->kind)
	{
		case OUTCOME_ROW:
			return respond_row(req, r, values, o->res);
		case OUTCOME_TENANT_REFUSED:
			return respond_tenant_refused(req, o->tenant);
		case OUTCOME_NO_CONNECTION:
			req->db_error = true;
			return respond_error(req, 503, "database_unavailable",
								 o->pool == POOL_TIMEOUT ? "every database connection is busy"
								 : "the database cannot be reached", NULL);
		case OUTCOME_DB_ERROR:
			break;
	}
	return respond_db_error(req, o->res, o->slot->conn, precondition_code);
}
