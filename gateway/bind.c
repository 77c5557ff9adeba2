/*
 * gateway/bind.c — the binding stage: route and request to statement.
 *
 * A route's statement is
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
 * When the gateway does not know yet whether the tenant is active, the
 * same statement also reads the tenant's status after set_context and
 * calls the handler only for an active tenant (statement_sql), so the
 * tenant check costs no second statement.
 *
 * Arguments are bound by name: path parameters, `data` (the JSON body),
 * `idempotency_key` (Idempotency-Key), `expected_version` (If-Match),
 * `cart_secret` (X-Cart-Secret, never a query parameter: URLs are logged),
 * `verified_email` (a customer token's email when its email_verified is
 * true; never from the request),
 * `lim`/`after` (?limit=, ?after=), other query parameters by their name,
 * a jsonb `filter` every query parameter no other argument takes (the
 * list filters), and, for handlers without `data`, the body's fields by
 * name. An argument
 * with a default that the request does not give is left out, so the
 * statement text varies with what is given; each text is prepared once per
 * connection (pool_prepare). Previous stage: request.c; next: execute.c.
 */
#include "bind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A growing string (the statement's text), built without stdio: an
 * open_memstream costs a zeroed 8 KB buffer and a vfprintf per piece.
 * An allocation failure leaves data NULL.
 */
typedef struct text
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
} text;

static void
text_put(text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (!grow_buffer(&t->data, &t->cap, t->len + n + 1, 512))
	{
		free(t->data);
		*t = (text) {.failed = true};
		return;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

static void
text_puts(text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* One binding under way. */
typedef struct binder
{
	request    *req;
	const route *r;
	char	  **values;			/* path parameter values */
	request_input *in;
	const principal *p;
	bool		has_data_arg;	/* the handler takes the body whole */
	int			nbody_used;		/* body fields taken by name */
	int			nbound;			/* arguments in the call so far */
	statement  *st;
	text		call;
} binder;

/* What binding one argument found. */
typedef enum bound
{
	BOUND_FAILED = -1,			/* 400 queued */
	BOUND_SKIPPED = 0,			/* not given, has a default */
	BOUND_DONE = 1
} bound;

static int
add_param(statement *st, const char *value, char *owned)
{
	if (st->nparams == STATEMENT_MAX_PARAMS)
	{
		free(owned);
		return -1;
	}
	st->values[st->nparams] = value;
	st->owned[st->nparams] = owned;
	return ++st->nparams;
}

void
statement_free(statement *st)
{
	for (int i = 0; i < st->nparams; i++)
		free(st->owned[i]);
	free(st->call);
	memset(st, 0, sizeof(*st));
}

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

static enum MHD_Result
bad_request(request *req, const char *code, const char *fmt, const char *arg)
{
	char		msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	return respond_error(req, 400, code, msg, NULL);
}

/* ?limit= and ?after= bound to lim and after; limit within 1..200. */
static bool
bind_page_argument(request *req, const route_arg *a, request_input *in,
				   char **owned, enum MHD_Result *ret)
{
	const char *qname = a->name[0] == 'l' ? "limit" : "after";
	json_t	   *val = json_object_get(in->query, qname);

	if (val == NULL)
		return true;
	*owned = strdup(json_string_value(val));
	if (a->name[0] == 'l')
	{
		char	   *end;
		long		n;

		errno = 0;
		n = strtol(*owned, &end, 10);
		if (errno || *end || end == *owned || n < 1 || n > 200)
		{
			free(*owned);
			*owned = NULL;
			*ret = bad_request(req, "invalid_parameter", "limit must be an integer from 1 to 200%s", "");
			return false;
		}
	}
	json_object_del(in->query, qname);
	return true;
}

/*
 * A jsonb argument named `filter` (the list filters, docs/filters.md):
 * every query parameter that no other argument of the route takes, as a
 * JSON object of strings, checked by the command itself (invalid_filter).
 * NULL when there is none.
 */
static char *
filter_argument(const route *r, request_input *in)
{
	json_t	   *obj = json_object();
	const char *key;
	json_t	   *val;
	void	   *tmp;
	char	   *text = NULL;

	json_object_foreach_safe(in->query, tmp, key, val)
	{
		bool		other = strcmp(key, "limit") == 0 || strcmp(key, "after") == 0;

		for (int i = 0; !other && i < r->nargs; i++)
			other = strcmp(r->args[i].name, key) == 0;
		if (other)
			continue;
		json_object_set(obj, key, val);
		json_object_del(in->query, key);
	}
	if (json_object_size(obj) > 0)
		text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return text;
}

/* Bind argument a: its parameter, and "name => $n::type" in the call. */
static bound
bind_argument(binder *bd, const route_arg *a, enum MHD_Result *ret)
{
	request    *req = bd->req;
	request_input *in = bd->in;
	const char *value = NULL;
	char	   *owned = NULL;
	bool		given = false;
	json_t	   *val;
	int			n;

	for (int k = 0; k < bd->r->nsegments; k++)
		if (bd->r->params[k] && strcmp(bd->r->params[k], a->name) == 0)
			value = bd->values[k], given = true;
	if (given)
	{
		if (!valid_utf8(value, strlen(value)))
		{
			*ret = bad_request(req, "invalid_parameter", "path parameters must be valid UTF-8%s", "");
			return BOUND_FAILED;
		}
	}
	else if (strcmp(a->name, "data") == 0)
	{
		if (in->body_text)
			value = in->body_text, given = true;
		else if (in->body)		/* jansson's re-encoding, as it always was */
			owned = json_dumps(in->body, JSON_COMPACT | JSON_ENCODE_ANY), given = true;
		else if (!a->has_default)
			owned = strdup("{}"), given = true;
	}
	else if (strcmp(a->name, "idempotency_key") == 0)
		value = in->idempotency_key, given = value != NULL;
	else if (strcmp(a->name, "expected_version") == 0)
		value = in->version, given = in->version[0] != '\0';
	else if (strcmp(a->name, "cart_secret") == 0)
		value = request_header(req, "X-Cart-Secret"), given = true;	/* NULL: absent */
	else if (strcmp(a->name, "verified_email") == 0)	/* the token's, never the request's */
		value = bd->p->verified_email[0] ? bd->p->verified_email : NULL, given = true;
	else if (strcmp(a->name, "lim") == 0 || strcmp(a->name, "after") == 0)
	{
		if (!bind_page_argument(req, a, in, &owned, ret))
			return BOUND_FAILED;
		value = owned, given = owned != NULL;
	}
	else if (strcmp(a->name, "filter") == 0 && strcmp(a->type, "jsonb") == 0)
		owned = filter_argument(bd->r, in), given = owned != NULL;
	else if ((val = json_object_get(in->query, a->name)) != NULL)
	{
		owned = json_param_text(val), given = true;
		json_object_del(in->query, a->name);
	}
	else if (!bd->has_data_arg && json_is_object(in->body) &&
			 (val = json_object_get(in->body, a->name)) != NULL)
	{
		owned = json_param_text(val), given = true;
		bd->nbody_used++;
	}
	if (!given)
	{
		if (a->has_default)
			return BOUND_SKIPPED;
		if (strcmp(a->name, "lim") == 0)
			value = "50";
		else if (strcmp(a->name, "idempotency_key") != 0 &&
				 strcmp(a->name, "expected_version") != 0 && strcmp(a->name, "after") != 0)
		{
			*ret = bad_request(req, "invalid_parameter", "missing parameter \"%.64s\"", a->name);
			return BOUND_FAILED;
		}
	}
	n = add_param(bd->st, owned ? owned : value, owned);
	if (n < 0)
	{
		*ret = bad_request(req, "invalid_parameter", "too many parameters%s", "");
		return BOUND_FAILED;
	}
	{
		char		num[16];

		snprintf(num, sizeof(num), "%d", n);
		if (bd->nbound++)
			text_puts(&bd->call, ", ");
		text_puts(&bd->call, "\"");
		text_puts(&bd->call, a->name);
		text_puts(&bd->call, "\" => $");
		text_puts(&bd->call, num);
		text_puts(&bd->call, "::");
		text_puts(&bd->call, a->type);
	}
	return BOUND_DONE;
}

/* Whatever the handler did not take is a mistake of the client. */
static bool
check_leftovers(request *req, request_input *in, bool has_data_arg, int nbody_used,
				enum MHD_Result *ret)
{
	const char *key;
	json_t	   *val;

	json_object_foreach(in->query, key, val)
	{
		*ret = bad_request(req, "invalid_parameter", "unknown query parameter \"%.64s\"", key);
		return false;
	}
	if (!has_data_arg && json_is_object(in->body) && (int) json_object_size(in->body) != nbody_used)
	{
		*ret = bad_request(req, "invalid_input", "the body has fields this route does not take%s", "");
		return false;
	}
	if (!has_data_arg && in->body && !json_is_object(in->body))
	{
		*ret = bad_request(req, "invalid_input", "the body must be a JSON object%s", "");
		return false;
	}
	return true;
}

bool
bind_route(request *req, const route *r, char **values, const principal *p,
		   request_input *in, statement *st, enum MHD_Result *ret)
{
	binder		bd = {.req = req, .r = r, .values = values, .in = in, .p = p, .st = st};
	bool		ok = true;

	memset(st, 0, sizeof(*st));
	st->admin = r->admin;
	/* the result kinds wrapped below are jsonb; a handler's own may be json
	 * (or void: 204) */
	st->jsonb = r->result == RESULT_SET || r->result == RESULT_UUID ||
		r->result == RESULT_SCALAR || (r->result == RESULT_JSON && strcmp(r->returns, "jsonb") == 0);
	for (int i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].name, "data") == 0)
			bd.has_data_arg = true;
	/* a body checked by body_plain_json(): its tree, for a route taking fields */
	if (!bd.has_data_arg && in->body == NULL && in->body_text != NULL)
	{
		in->body = json_loads(in->body_text, JSON_REJECT_DUPLICATES, NULL);
		if (in->body == NULL)
		{
			*ret = respond_error(req, 500, "internal_error", "out of memory", NULL);
			return false;
		}
	}
	if (r->admin)
		add_param(st, req->request_id, NULL);
	else
	{
		add_param(st, p->tenant, NULL);
		add_param(st, p->subject[0] ? p->subject : NULL, NULL);
		add_param(st, p->actor, NULL);
		add_param(st, req->request_id, NULL);
	}

	/* a plugin's route answers only tenants that turned it on (404) */
	if (r->plugin)
	{
		text_puts(&bd.call, "CASE WHEN commerce.require_plugin('");
		text_puts(&bd.call, r->plugin);
		text_puts(&bd.call, "') THEN ");
	}
	switch (r->result)
	{
		case RESULT_SET:
			text_puts(&bd.call, "(SELECT pg_catalog.coalesce(pg_catalog.jsonb_agg(x), '[]'::jsonb) FROM ");
			break;
		case RESULT_UUID:
			text_puts(&bd.call, "pg_catalog.jsonb_build_object('id', ");
			break;
		case RESULT_SCALAR:
			text_puts(&bd.call, "pg_catalog.jsonb_build_object('result', ");
			break;
		default:
			text_puts(&bd.call, "(");
	}
	text_puts(&bd.call, r->function);
	text_puts(&bd.call, "(");
	for (int i = 0; ok && i < r->nargs; i++)
		ok = bind_argument(&bd, &r->args[i], ret) != BOUND_FAILED;
	text_puts(&bd.call, r->result == RESULT_SET ? ") AS x)" : "))");
	if (r->plugin)
		text_puts(&bd.call, " END");
	st->call = bd.call.data;
	st->call_len = bd.call.len;
	if (ok && st->call == NULL)
	{
		*ret = respond_error(req, 500, "internal_error", "out of memory", NULL);
		return false;
	}
	return ok && check_leftovers(req, in, bd.has_data_arg, bd.nbody_used, ret);
}

char *
statement_sql(const statement *st, bool with_tenant_status)
{
	text		t = {0};

	if (with_tenant_status)
	{
		/*
		 * set_context raises tenant_not_found for a tenant that does not
		 * exist; the status is read after it (the row is visible only in the
		 * context), and a suspended tenant's handler is never called.
		 */
		text_puts(&t, "WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4)),"
				  " tenant AS MATERIALIZED (SELECT (SELECT t.status FROM commerce.tenants t"
				  " WHERE t.id OPERATOR(pg_catalog.=) $1::uuid) AS status FROM ctx)"
				  " SELECT CASE WHEN tenant.status OPERATOR(pg_catalog.=) 'active' THEN ");
	}
	else if (st->admin)
		text_puts(&t, "WITH ctx AS MATERIALIZED (SELECT pg_catalog.set_config('role', 'commerce_admin', true),"
				  " pg_catalog.set_config('commerce.request_id', $1, true)) SELECT ");
	else
		text_puts(&t, "WITH ctx AS MATERIALIZED (SELECT commerce.set_context($1::uuid, $2, $3, $4)) SELECT ");
	/* a jsonb document's text as ::text writes it, faster (extension/json_text.c) */
	if (st->jsonb)
		text_puts(&t, "commerce.json_text(");
	text_put(&t, st->call, st->call_len);
	text_puts(&t, st->jsonb ? ")" : "::text");
	if (with_tenant_status)
		text_puts(&t, " END");
	text_puts(&t, ", pg_catalog.current_setting('commerce.idempotent_replayed', true),"
			  " pg_catalog.current_setting('commerce.response_error', true)");
	text_puts(&t, with_tenant_status ? ", tenant.status FROM tenant" : " FROM ctx");
	return t.data;
}
