/*
 * gateway/login_role.h — the gateway serves only through a database role
 * that row-level security binds: not a superuser, no BYPASSRLS, a member of
 * commerce_gateway. Checked at start-up and on every new connection.
 */
#ifndef GATEWAY_LOGIN_ROLE_H
#define GATEWAY_LOGIN_ROLE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* What to do about a refused login, for messages and logs. */
#define LOGIN_ROLE_HINT \
	"connect as a login role that is a member of commerce_gateway and neither a superuser nor BYPASSRLS, " \
	"created as a superuser with: CREATE ROLE pgcommerce_gateway LOGIN PASSWORD '...'; " \
	"GRANT commerce_gateway TO pgcommerce_gateway; and point PGCOMMERCE_DATABASE_URL at it " \
	"(docs/operations.md)"

/*
 * True when conn's roles may serve requests. Otherwise false with reason
 * saying why (the check itself failing counts as a refusal: the gateway
 * never serves through a connection it could not check).
 */
extern bool login_role_acceptable(PGconn *conn, char *reason, size_t reason_len);

#endif
