/*-------------------------------------------------------------------------
 *
 * tenants.c
 *	  Tenant lifecycle for platform operators (members of commerce_admin):
 *	  commerce.create_tenant, suspend_tenant, activate_tenant, bind_role.
 *
 * extension/tenants.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/regproc.h"

#include "command.h"
#include "currencies.h"
#include "errors.h"
#include "tenant_context.h"
#include "uuid.h"

PG_FUNCTION_INFO_V1(commerce_create_tenant);
PG_FUNCTION_INFO_V1(commerce_suspend_tenant);
PG_FUNCTION_INFO_V1(commerce_activate_tenant);
PG_FUNCTION_INFO_V1(commerce_bind_role);

static SPIPlanPtr plan_insert_tenant = NULL;
static SPIPlanPtr plan_set_status = NULL;
static SPIPlanPtr plan_bind = NULL;

static void require_admin(const char *action);
static Datum set_tenant_status(FunctionCallInfo fcinfo, const char *status);

static void
require_admin(const char *action)
{
	Oid			admin = get_role_oid("commerce_admin", true);

	if (!OidIsValid(admin) || !has_privs_of_role(GetUserId(), admin))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 commerce_errcode("permission_denied"),
				 errmsg("permission denied to %s", action),
				 errhint("Only members of commerce_admin manage tenants.")));
}

static void
check_slug(const char *slug)
{
	size_t		len = strlen(slug);
	size_t		i;

	if (len < 2 || len > 63)
		ereport_invalid_input("tenant slug must be 2 to 63 characters long");
	for (i = 0; i < len; i++)
	{
		char		c = slug[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 commerce_errcode("invalid_input"),
					 errmsg("tenant slug \"%s\" is invalid", slug),
					 errdetail("A slug holds lower-case letters, digits and inner hyphens.")));
	}
}

/*
 * commerce.create_tenant(slug text, name text, default_currency text) RETURNS uuid
 */
Datum
commerce_create_tenant(PG_FUNCTION_ARGS)
{
	char	   *slug;
	text	   *name;
	text	   *currency;
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));
	Datum		values[4];

	require_admin("create a tenant");
	commerce_require_arg(fcinfo, 0, "slug");
	commerce_require_arg(fcinfo, 1, "name");
	commerce_require_arg(fcinfo, 2, "default_currency");
	slug = text_to_cstring(PG_GETARG_TEXT_PP(0));
	name = PG_GETARG_TEXT_PP(1);
	currency = PG_GETARG_TEXT_PP(2);
	check_slug(slug);
	if (VARSIZE_ANY_EXHDR(name) == 0 || VARSIZE_ANY_EXHDR(name) > 200)
		ereport_invalid_input("tenant name must be 1 to 200 bytes long");
	commerce_require_currency(currency);

	commerce_uuid_v7(id);
	SPI_connect();
	commerce_prepare(&plan_insert_tenant,
					 "INSERT INTO commerce.tenants (id, slug, name, default_currency)"
					 " VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING",
					 4, (Oid[]) {UUIDOID, TEXTOID, TEXTOID, TEXTOID});
	values[0] = UUIDPGetDatum(id);
	values[1] = CStringGetTextDatum(slug);
	values[2] = PointerGetDatum(name);
	values[3] = PointerGetDatum(currency);
	if (commerce_execute(plan_insert_tenant, values, NULL, false, 0) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 commerce_errcode("tenant_slug_taken"),
				 errmsg("a tenant with slug \"%s\" already exists", slug)));
	SPI_finish();
	PG_RETURN_UUID_P(id);
}

static Datum
set_tenant_status(FunctionCallInfo fcinfo, const char *status)
{
	pg_uuid_t  *id;
	Datum		values[2];

	require_admin(strcmp(status, "active") == 0 ? "activate a tenant" : "suspend a tenant");
	id = commerce_uuid_arg(fcinfo, 0, "tenant");
	SPI_connect();
	commerce_prepare(&plan_set_status,
					 "UPDATE commerce.tenants SET status = $2, version = version + 1,"
					 " updated_at = pg_catalog.now() WHERE id OPERATOR(pg_catalog.=) $1",
					 2, (Oid[]) {UUIDOID, TEXTOID});
	values[0] = UUIDPGetDatum(id);
	values[1] = CStringGetTextDatum(status);
	if (commerce_execute(plan_set_status, values, NULL, false, 0) == 0)
		commerce_not_found("tenant", id);
	SPI_finish();
	commerce_reset_tenant_cache();
	PG_RETURN_VOID();
}

/* commerce.suspend_tenant(tenant uuid) */
Datum
commerce_suspend_tenant(PG_FUNCTION_ARGS)
{
	return set_tenant_status(fcinfo, "suspended");
}

/* commerce.activate_tenant(tenant uuid) */
Datum
commerce_activate_tenant(PG_FUNCTION_ARGS)
{
	return set_tenant_status(fcinfo, "active");
}

/*
 * commerce.bind_role(role regrole, tenant uuid)
 *		Bind a role to one tenant for good: from then on it always acts for
 *		that tenant. The role is made a member of commerce_partner.
 *		Superusers and commerce_gateway/commerce_admin members cannot be
 *		bound: they would then mix platform and tenant powers.
 */
Datum
commerce_bind_role(PG_FUNCTION_ARGS)
{
	Oid			role;
	pg_uuid_t  *tenant;
	char	   *rolename;
	bool		active;
	Datum		values[2];
	Oid			gateway = get_role_oid("commerce_gateway", false);
	Oid			admin = get_role_oid("commerce_admin", false);

	require_admin("bind a role to a tenant");
	commerce_require_arg(fcinfo, 0, "role");
	role = PG_GETARG_OID(0);
	tenant = commerce_uuid_arg(fcinfo, 1, "tenant");
	rolename = GetUserNameFromId(role, false);
	if (superuser_arg(role) || has_privs_of_role(role, gateway) ||
		has_privs_of_role(role, admin))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 commerce_errcode("invalid_input"),
				 errmsg("role \"%s\" cannot be bound to a tenant", rolename),
				 errdetail("Superusers and members of commerce_gateway or commerce_admin act across tenants.")));
	if (!commerce_tenant_exists(tenant, &active))
		commerce_not_found("tenant", tenant);

	SPI_connect();
	commerce_prepare(&plan_bind,
					 "INSERT INTO commerce.tenant_roles (role_name, tenant_id) VALUES ($1, $2)"
					 " ON CONFLICT (role_name) DO NOTHING",
					 2, (Oid[]) {NAMEOID, UUIDOID});
	values[0] = DirectFunctionCall1(namein, CStringGetDatum(rolename));
	values[1] = UUIDPGetDatum(tenant);
	if (commerce_execute(plan_bind, values, NULL, false, 0) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 commerce_errcode("role_already_bound"),
				 errmsg("role \"%s\" is already bound to a tenant", rolename),
				 errhint("A binding is permanent; create a new role for another tenant.")));
	if (SPI_execute(psprintf("GRANT commerce_partner TO %s", quote_identifier(rolename)),
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not grant commerce_partner to \"%s\"", rolename);
	SPI_finish();
	commerce_reset_tenant_cache();
	PG_RETURN_VOID();
}
