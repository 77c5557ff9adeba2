/*
 * gateway/login_role.c — refuse database roles that row-level security does
 * not bind.
 *
 * Tenant isolation is row-level security, and RLS does not bind superusers
 * or roles with BYPASSRLS: a gateway connected as one would serve one
 * tenant's (or one customer's) rows to another. So every connection the
 * gateway opens is checked before it is used, not only the first one: a
 * connection string can resolve to another role later (a changed
 * .pgpass, pg_hba.conf or pgbouncer user after a restart of the database).
 *
 * Both the login (session_user) and the role in effect (current_user,
 * which `options=-c role=...` in the connection string can change) must be
 * neither superuser nor BYPASSRLS, and the role in effect must be a member
 * of commerce_gateway, whose members alone may set a tenant context.
 */
#include "login_role.h"

#include <stdio.h>
#include <string.h>

static const char *const check_sql =
	"SELECT s.rolname, s.rolsuper, s.rolbypassrls,"
	"       c.rolname, c.rolsuper, c.rolbypassrls,"
	"       EXISTS (SELECT 1 FROM pg_catalog.pg_roles g"
	"                WHERE g.rolname OPERATOR(pg_catalog.=) 'commerce_gateway'"
	"                  AND pg_catalog.pg_has_role(c.oid, g.oid, 'MEMBER'))"
	"  FROM pg_catalog.pg_roles s, pg_catalog.pg_roles c"
	" WHERE s.rolname OPERATOR(pg_catalog.=) pg_catalog.session_user()"
	"   AND c.rolname OPERATOR(pg_catalog.=) pg_catalog.current_user()";

static bool
is_true(const PGresult *res, int column)
{
	return strcmp(PQgetvalue(res, 0, column), "t") == 0;
}

/* Why a role (column offset: 0 login, 3 role in effect) is unfit, or NULL. */
static const char *
bypass_reason(const PGresult *res, int offset)
{
	if (is_true(res, offset + 1))
		return "is a superuser";
	if (is_true(res, offset + 2))
		return "has BYPASSRLS";
	return NULL;
}

bool
login_role_acceptable(PGconn *conn, char *reason, size_t reason_len)
{
	PGresult   *res = PQexecParams(conn, check_sql, 0, NULL, NULL, NULL, NULL, 0);
	const char *why;
	bool		ok = false;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		const char *msg = PQresultErrorMessage(res);
		size_t		n = strcspn(msg, "\n");

		snprintf(reason, reason_len, "could not check the database login: %.*s",
				 (int) n, *msg ? msg : "no such role");
	}
	else if ((why = bypass_reason(res, 0)) != NULL)
		snprintf(reason, reason_len,
				 "database login \"%s\" %s, which row-level security does not bind: "
				 "every tenant's data would be served to anyone",
				 PQgetvalue(res, 0, 0), why);
	else if ((why = bypass_reason(res, 3)) != NULL)
		snprintf(reason, reason_len,
				 "database role \"%s\" (set by the connection string) %s, which row-level "
				 "security does not bind: every tenant's data would be served to anyone",
				 PQgetvalue(res, 0, 3), why);
	else if (!is_true(res, 6))
		snprintf(reason, reason_len,
				 "database role \"%s\" is not a member of commerce_gateway",
				 PQgetvalue(res, 0, 3));
	else
		ok = true;
	PQclear(res);
	return ok;
}
