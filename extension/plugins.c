/*-------------------------------------------------------------------------
 *
 * plugins.c
 *	  The C pieces of the plugin registry (sql/src/870_plugins.sql):
 *	  commerce.creating_extension(), which tells the registry which
 *	  extension's script is registering routes, hooks and subscriptions,
 *	  and commerce.hooks_changed(), the statement trigger that makes every
 *	  backend reload its cached hook table (hooks.c).
 *
 * extension/plugins.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/extension.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(commerce_creating_extension);
PG_FUNCTION_INFO_V1(commerce_hooks_changed);

/* commerce.creating_extension() RETURNS text */
Datum
commerce_creating_extension(PG_FUNCTION_ARGS)
{
	char	   *name;

	if (!creating_extension || !OidIsValid(CurrentExtensionObject))
		PG_RETURN_NULL();
	name = get_extension_name(CurrentExtensionObject);
	if (name == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/* Trigger on commerce.hooks: a relcache invalidation every backend sees
 * before its next transaction (and this one at its next command). */
Datum
commerce_hooks_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "commerce.hooks_changed() must be called as a trigger");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
