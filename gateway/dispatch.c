/*
 * gateway/dispatch.c — one request, one statement, one transaction.
 *
 * The statement for a route is
 *
 *   WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1,$2,$3,$4))
 *   SELECT (schema.handler(arg => $5::type, ...))::text,
 *          current_setting('commerce.idempotent_replayed', true),
 *          current_setting('commerce.response_error', true)
 *   FROM ctx
 *
 * (response_error: a command that committed a refusal, such as a declined
 * payment whose attempt must stay recorded, names its error code there;
 * the answer is then that code's HTTP status with the result in details)
 *
 * so the tenant context is set (transaction-locally) before the handler
 * runs, in a single round trip and a single implicit transaction. Platform
 * routes instead switch to commerce_admin with set_config('role', ...).
 * Arguments are bound by name: path parameters, `data` (the JSON body),
 * `idempotency_key` (Idempotency-Key), `expected_version` (If-Match),
 * `lim`/`after` (?limit=, ?after=), other query parameters by their name,
 * and, for handlers without `data`, the body's fields by name. An argument
 * with a default that the request does not give is left out, so the
 * statement text varies with what is given; each text is prepared once per
 * connection (pool_prepare).
 */
#include "dispatch.h"
#include "auth.h"
#include "errmap.h"
#include "log.h"
#include "pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARAMS 64
#define POOL_WAIT_MS 5000

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

/* A string builder over open_memstream. */
typedef struct sqlbuf
{
	FILE	   *f;
	char	   *text;
	size_t		len;
} sqlbuf;

/* The text form of a JSON value bound to an argument. */
static char *
json_param_text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_null(v))
		return NULL;
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* If-Match: "N", W/"N" or N -> N. */
static bool
parse_if_match(const char *h, char *out, size_t outlen)
{
	const char *p = h;
	size_t		n = 0;

	if (strncmp(p, "W/", 2) == 0)
		p += 2;
	if (*p == '"')
		p++;
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0 || n >= outlen || n > 18)
		return false;
	if (p[n] != '\0' && !(p[n] == '"' && p[n + 1] == '\0'))
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
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

typedef struct binding
{
	int			nparams;
	const char *values[MAX_PARAMS];
	char	   *owned[MAX_PARAMS];	/* values to free */
	sqlbuf		sql;
} binding;

static void
binding_free(binding *b)
{
	for (int i = 0; i < b->nparams; i++)
		free(b->owned[i]);
	if (b->sql.f)
		fclose(b->sql.f);
	free(b->sql.text);
}

static int
add_param(binding *b, const char *value, char *owned)
{
	if (b->nparams == MAX_PARAMS)
	{
		free(owned);
		return -1;
	}
	b->values[b->nparams] = value;
	b->owned[b->nparams] = owned;
	return ++b->nparams;
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
	for (p++; *p; p++)
	{
		if (*p == '\\')
		{
			if (*++p == '\0')
				return NULL;
		}
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/*
 * The value of a top-level key of the JSON object text s, or NULL. A scan,
 * not a parse: answers can be large and only "id" and "version" matter
 * here, so the body is not built into a tree on every request.
 */
static const char *
top_level_value(const char *s, const char *key)
{
	size_t		keylen = strlen(key);
	int			depth = 0;
	bool		expect_key = false;
	const char *p = s;

	while (*p)
	{
		char		c = *p;

		if (c == '"')
		{
			const char *end = skip_string(p);

			if (end == NULL)
				return NULL;
			if (depth == 1 && expect_key)
			{
				const char *q = end;

				while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
					q++;
				if (*q != ':')
					return NULL;
				q++;
				while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
					q++;
				if ((size_t) (end - p - 2) == keylen && memcmp(p + 1, key, keylen) == 0)
					return q;
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
	return NULL;
}

/* The response headers derived from the body: ETag and Location. */
static void
body_headers(const route *r, char **values, const char *body, char *etag, size_t etaglen,
			 char *location, size_t loclen)
{
	const char *v;

	etag[0] = location[0] = '\0';
	if (body == NULL || body[0] != '{')
		return;
	v = top_level_value(body, "version");
	if (v && (*v == '-' || (*v >= '0' && *v <= '9')))
	{
		char	   *end;
		long long	version;

		errno = 0;
		version = strtoll(v, &end, 10);
		if (errno == 0 && end != v && (*end == ',' || *end == '}' || *end == ' ' || *end == '\n'))
			snprintf(etag, etaglen, "\"%lld\"", version);
	}
	v = r->success_status == 201 ? top_level_value(body, "id") : NULL;
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

static enum MHD_Result
bad_request(request *req, const char *code, const char *fmt, const char *arg)
{
	char		msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	return respond_error(req, 400, code, msg, NULL);
}

enum MHD_Result
dispatch_route(request *req, const route *r, char **values)
{
	principal	p;
	enum MHD_Result ret = MHD_NO;
	json_t	   *query = NULL;
	json_t	   *body = NULL;
	binding		b = {0};
	bool		has_data_arg = false;
	const char *idem = request_header(req, "Idempotency-Key");
	const char *if_match = request_header(req, "If-Match");
	char		version[24] = "";
	pool_slot  *slot = NULL;
	pool_status pstatus;
	PGresult   *res = NULL;
	const char *stmt;
	const char *key;
	json_t	   *val;
	int			nbody_used = 0;

	if (!auth_resolve(req, !r->admin, &p, &ret))
		return ret;
	if (!query_params(req, &query, &ret))
		return ret;

	/* The body: JSON only, parsed here so malformed input never reaches SQL. */
	if (req->body_len > 0)
	{
		json_error_t jerr;

		if (!is_json_content_type(request_header(req, "Content-Type")))
		{
			ret = respond_error(req, 415, "unsupported_media_type",
								"the request body must be application/json", NULL);
			goto done;
		}
		body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (body == NULL)
		{
			ret = respond_error(req, 400, "malformed_json", "the request body is not valid JSON",
								json_pack("{s:s, s:i, s:i}", "reason", jerr.text,
										  "line", jerr.line, "column", jerr.column));
			goto done;
		}
	}
	if (if_match && strcmp(if_match, "*") != 0 && !parse_if_match(if_match, version, sizeof(version)))
	{
		ret = bad_request(req, "invalid_parameter", "If-Match must be a version ETag such as \"3\"%s", "");
		goto done;
	}

	for (int i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].name, "data") == 0)
			has_data_arg = true;

	b.sql.f = open_memstream(&b.sql.text, &b.sql.len);
	if (r->admin)
	{
		add_param(&b, req->request_id, NULL);
		fputs("WITH ctx AS MATERIALIZED (SELECT pg_catalog.set_config('role', 'commerce_admin', true),"
			  " pg_catalog.set_config('commerce.request_id', $1, true)) SELECT ", b.sql.f);
	}
	else
	{
		add_param(&b, p.tenant, NULL);
		add_param(&b, p.subject[0] ? p.subject : NULL, NULL);
		add_param(&b, p.actor, NULL);
		add_param(&b, req->request_id, NULL);
		fputs("WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4)) SELECT ", b.sql.f);
	}
	switch (r->result)
	{
		case RESULT_SET:
			fputs("(SELECT pg_catalog.coalesce(pg_catalog.jsonb_agg(x), '[]'::jsonb) FROM ", b.sql.f);
			break;
		case RESULT_UUID:
			fputs("pg_catalog.jsonb_build_object('id', ", b.sql.f);
			break;
		case RESULT_SCALAR:
			fputs("pg_catalog.jsonb_build_object('result', ", b.sql.f);
			break;
		default:
			fputs("(", b.sql.f);
	}
	fprintf(b.sql.f, "%s(", r->function);

	for (int i = 0, nbound = 0; i < r->nargs; i++)
	{
		const route_arg *a = &r->args[i];
		const char *value = NULL;
		char	   *owned = NULL;
		bool		given = false;
		int			n;

		for (int k = 0; k < r->nsegments; k++)
			if (r->params[k] && strcmp(r->params[k], a->name) == 0)
				value = values[k], given = true;
		if (given)
		{
			if (!valid_utf8(value, strlen(value)))
			{
				ret = bad_request(req, "invalid_parameter", "path parameters must be valid UTF-8%s", "");
				goto done;
			}
		}
		else if (strcmp(a->name, "data") == 0)
		{
			if (body)
				owned = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY), given = true;
			else if (!a->has_default)
				owned = strdup("{}"), given = true;
		}
		else if (strcmp(a->name, "idempotency_key") == 0)
			value = idem, given = idem != NULL;
		else if (strcmp(a->name, "expected_version") == 0)
			value = version, given = version[0] != '\0';
		else if (strcmp(a->name, "lim") == 0 || strcmp(a->name, "after") == 0)
		{
			const char *qname = a->name[0] == 'l' ? "limit" : "after";

			val = json_object_get(query, qname);
			if (val)
			{
				owned = strdup(json_string_value(val)), given = true;
				value = owned;
				if (a->name[0] == 'l')
				{
					char	   *end;
					long		n2;

					errno = 0;
					n2 = strtol(value, &end, 10);
					if (errno || *end || end == value || n2 < 1 || n2 > 200)
					{
						free(owned);
						ret = bad_request(req, "invalid_parameter", "limit must be an integer from 1 to 200%s", "");
						goto done;
					}
				}
				json_object_del(query, qname);
			}
		}
		else if ((val = json_object_get(query, a->name)) != NULL)
		{
			owned = json_param_text(val), given = true;
			json_object_del(query, a->name);
		}
		else if (!has_data_arg && json_is_object(body) &&
				 (val = json_object_get(body, a->name)) != NULL)
		{
			owned = json_param_text(val), given = true;
			nbody_used++;
		}
		if (!given)
		{
			if (a->has_default)
				continue;
			if (strcmp(a->name, "lim") == 0)
				value = "50";
			else if (strcmp(a->name, "idempotency_key") != 0 &&
					 strcmp(a->name, "expected_version") != 0 && strcmp(a->name, "after") != 0)
			{
				ret = bad_request(req, "invalid_parameter", "missing parameter \"%.64s\"", a->name);
				goto done;
			}
		}
		n = add_param(&b, owned ? owned : value, owned);
		if (n < 0)
		{
			ret = bad_request(req, "invalid_parameter", "too many parameters%s", "");
			goto done;
		}
		fprintf(b.sql.f, "%s\"%s\" => $%d::%s", nbound++ ? ", " : "", a->name, n, a->type);
	}
	fputs(")", b.sql.f);
	if (r->result == RESULT_SET)
		fputs(" AS x)", b.sql.f);
	else
		fputs(")", b.sql.f);
	fputs("::text, pg_catalog.current_setting('commerce.idempotent_replayed', true),"
		  " pg_catalog.current_setting('commerce.response_error', true) FROM ctx", b.sql.f);
	fflush(b.sql.f);

	/* Whatever the handler did not take is a mistake of the client. */
	if (json_object_size(query) > 0)
	{
		json_object_foreach(query, key, val)
		{
			ret = bad_request(req, "invalid_parameter", "unknown query parameter \"%.64s\"", key);
			goto done;
		}
	}
	if (!has_data_arg && json_is_object(body) && (int) json_object_size(body) != nbody_used)
	{
		ret = bad_request(req, "invalid_input", "the body has fields this route does not take%s", "");
		goto done;
	}
	if (!has_data_arg && body && !json_is_object(body))
	{
		ret = bad_request(req, "invalid_input", "the body must be a JSON object%s", "");
		goto done;
	}

	slot = pool_acquire(POOL_WAIT_MS, &pstatus);
	if (slot == NULL)
	{
		req->db_error = true;
		ret = respond_error(req, 503, "database_unavailable",
							pstatus == POOL_TIMEOUT ? "every database connection is busy"
							: "the database cannot be reached", NULL);
		goto done;
	}
	if (!r->admin && !tenant_check(req, slot, &p, &ret))
		goto done;

	stmt = pool_prepare(slot, b.sql.text, b.nparams, &res);
	if (stmt)
		res = PQexecPrepared(slot->conn, stmt, b.nparams, b.values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		/* A version mismatch is a failed precondition when If-Match was sent. */
		ret = respond_db_error(req, res, slot->conn, version[0] ? "version_conflict" : NULL);
	else
	{
		const char *out = PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0);
		bool		replayed = strcmp(PQgetvalue(res, 0, 1), "true") == 0;
		char		etag[32],
					location[512];
		header_pair h[3];
		int			nh = 0;

		const char *refused = PQgetisnull(res, 0, 2) ? "" : PQgetvalue(res, 0, 2);

		if (replayed)
			h[nh++] = (header_pair) {"Idempotent-Replayed", "true"};
		if (refused[0] != '\0')
		{
			/*
			 * The command committed an outcome that is a refusal (a declined
			 * payment: its attempt is recorded, so it could not raise). The
			 * status comes from commerce.error_codes; the committed result
			 * goes in details.
			 */
			int			status = errmap_status_for_code(refused);
			json_t	   *details = out ? json_loads(out, 0, NULL) : NULL;

			ret = respond_error_h(req, status ? status : 422, refused,
								  "the operation was refused; the attempt is recorded (see details)",
								  details, h, nh);
		}
		else if (r->result == RESULT_VOID || (out == NULL && strcmp(req->method, "GET") != 0))
			ret = respond(req, 204, NULL, "", 0, h, nh);
		else if (out == NULL)
			ret = respond_error(req, 404, "not_found", "no such object in this tenant", NULL);
		else
		{
			body_headers(r, values, out, etag, sizeof(etag), location, sizeof(location));
			if (etag[0])
				h[nh++] = (header_pair) {"ETag", etag};
			if (location[0])
				h[nh++] = (header_pair) {"Location", location};
			ret = respond(req, r->success_status, "application/json", out, strlen(out), h, nh);
		}
	}

done:
	PQclear(res);
	if (slot)
		pool_release(slot);
	json_decref(query);
	json_decref(body);
	binding_free(&b);
	return ret;
}
