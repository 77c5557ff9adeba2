/*
 * gateway/errmap.c — database errors to HTTP.
 *
 * pgcommerce raises its errors with a stable code in the constraint-name
 * field and "commerce" in the schema-name field. When both are there and
 * the code is in commerce.error_codes (loaded at start and on every route
 * reload), its http_status decides. Anything else (PostgreSQL's own
 * errors, a plugin's plain RAISE) is mapped by SQLSTATE, most specific
 * first, then by class; SQLSTATE CM422 is a plugin hook's rejection: 422
 * with the plugin's code from the constraint-name field. The table below is documented in docs/errors.md.
 */
#include "errmap.h"
#include "log.h"
#include "pool.h"
#include "request.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct code_status
{
	char	   *code;
	int			status;
} code_status;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static code_status *codes;
static int	ncodes;

typedef struct sqlstate_rule
{
	const char *prefix;			/* full SQLSTATE or class (2 chars) */
	int			status;
	const char *code;
	const char *message;		/* NULL: keep the server's message */
} sqlstate_rule;

static const sqlstate_rule rules[] = {
	{"40001", 409, "serialization_failure", NULL},
	{"40P01", 409, "deadlock_detected", NULL},
	{"23505", 409, "conflict", NULL},
	{"42501", 403, "permission_denied", NULL},
	{"57014", 504, "statement_timeout", "the request took longer than the statement timeout"},
	{"55P03", 409, "lock_not_available", NULL},
	{"55000", 409, "state_conflict", NULL},
	{"P0002", 404, "not_found", NULL},
	{"22", 400, "invalid_parameter", NULL},
	{"23", 422, "constraint_violation", NULL},
	{"08", 503, "database_unavailable", "the database is unavailable"},
	{"57P", 503, "database_unavailable", "the database is unavailable"},
	{"53", 503, "database_unavailable", "the database is out of resources"},
	{"28", 503, "database_unavailable", "the gateway cannot log in to the database"},
	{"3D", 503, "database_unavailable", "the gateway's database does not exist"},
	{NULL, 0, NULL, NULL}
};

bool
errmap_load(PGconn *conn)
{
	PGresult   *res = pool_read_rows(conn, "SELECT code, http_status FROM commerce.error_codes",
										 "cannot load commerce.error_codes");
	code_status *fresh;
	int			n;

	if (res == NULL)
		return false;
	n = PQntuples(res);
	fresh = calloc((size_t) n + 1, sizeof(code_status));
	for (int i = 0; i < n; i++)
	{
		fresh[i].code = strdup(PQgetvalue(res, i, 0));
		fresh[i].status = atoi(PQgetvalue(res, i, 1));
	}
	PQclear(res);
	pthread_rwlock_wrlock(&lock);
	for (int i = 0; i < ncodes; i++)
		free(codes[i].code);
	free(codes);
	codes = fresh;
	ncodes = n;
	pthread_rwlock_unlock(&lock);
	return true;
}

void
errmap_free(void)
{
	pthread_rwlock_wrlock(&lock);
	for (int i = 0; i < ncodes; i++)
		free(codes[i].code);
	free(codes);
	codes = NULL;
	ncodes = 0;
	pthread_rwlock_unlock(&lock);
}

int
errmap_status_for_code(const char *code)
{
	int			status = 0;

	pthread_rwlock_rdlock(&lock);
	for (int i = 0; i < ncodes; i++)
		if (strcmp(codes[i].code, code) == 0)
		{
			status = codes[i].status;
			break;
		}
	pthread_rwlock_unlock(&lock);
	return status;
}

static void
set_field(json_t *obj, const char *key, const char *value)
{
	json_t	   *v;

	if (value == NULL || *value == '\0')
		return;
	v = json_string(value);
	if (v)
		json_object_set_new(obj, key, v);
}

void
errmap_from_result(const PGresult *res, PGconn *conn, const char *request_id,
				   http_error *out)
{
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *schema = res ? PQresultErrorField(res, PG_DIAG_SCHEMA_NAME) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	int			status = 0;

	memset(out, 0, sizeof(*out));
	out->details = json_object();

	/* No answer at all, or the connection is gone: the database is down. */
	if (sqlstate == NULL || (conn && PQstatus(conn) != CONNECTION_OK))
	{
		out->status = 503;
		snprintf(out->code, sizeof(out->code), "database_unavailable");
		snprintf(out->message, sizeof(out->message), "the database is unavailable");
		log_event(LOG_WARN, "database unavailable",
				  json_pack("{s:s, s:o}", "request_id", request_id,
							"error", safe_json_string(conn ? PQerrorMessage(conn) : "no connection")));
		return;
	}

	if (schema && strcmp(schema, "commerce") == 0 && constraint &&
		(status = errmap_status_for_code(constraint)) != 0)
	{
		out->status = status;
		snprintf(out->code, sizeof(out->code), "%s", constraint);
		snprintf(out->message, sizeof(out->message), "%s", primary ? primary : constraint);
		set_field(out->details, "detail", detail);
		set_field(out->details, "hint", hint);
		set_field(out->details, "sqlstate", sqlstate);
		return;
	}

	/* A plugin hook's rejection (commerce.reject, docs/plugins.md): 422
	 * with the plugin's own code, which commerce.error_codes does not hold. */
	if (strcmp(sqlstate, "CM422") == 0 && schema && strcmp(schema, "commerce") == 0 &&
		constraint && *constraint)
	{
		out->status = 422;
		snprintf(out->code, sizeof(out->code), "%s", constraint);
		snprintf(out->message, sizeof(out->message), "%s", primary ? primary : constraint);
		set_field(out->details, "detail", detail);
		set_field(out->details, "sqlstate", sqlstate);
		return;
	}

	for (const sqlstate_rule *r = rules; r->prefix; r++)
	{
		if (strncmp(sqlstate, r->prefix, strlen(r->prefix)) != 0)
			continue;
		out->status = r->status;
		snprintf(out->code, sizeof(out->code), "%s", r->code);
		snprintf(out->message, sizeof(out->message), "%s",
				 r->message ? r->message : (primary ? primary : r->code));
		set_field(out->details, "sqlstate", sqlstate);
		if (r->status < 500)
		{
			set_field(out->details, "detail", detail);
			set_field(out->details, "hint", hint);
		}
		else
			log_event(LOG_WARN, "database error", json_pack("{s:s, s:s, s:s}", "request_id", request_id,
															 "sqlstate", sqlstate, "error", primary ? primary : ""));
		return;
	}

	/* Anything else is ours to fix: log it, tell little. */
	out->status = 500;
	snprintf(out->code, sizeof(out->code), "internal_error");
	snprintf(out->message, sizeof(out->message), "internal error (see the gateway log for request %s)", request_id);
	set_field(out->details, "sqlstate", sqlstate);
	log_event(LOG_ERROR, "database error", json_pack("{s:s, s:s, s:s}", "request_id", request_id,
													  "sqlstate", sqlstate, "error", primary ? primary : ""));
}

enum MHD_Result
respond_db_error(request *req, const PGresult *res, PGconn *conn,
				 const char *precondition_code)
{
	http_error	e;

	errmap_from_result(res, conn, req->request_id, &e);
	req->db_error = true;
	if (precondition_code != NULL && strcmp(e.code, precondition_code) == 0)
		e.status = 412;
	return respond_error(req, e.status, e.code, e.message, e.details);
}
