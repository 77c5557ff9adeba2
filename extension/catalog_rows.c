/*-------------------------------------------------------------------------
 *
 * catalog_rows.c
 *	  The create_*, update_*, get_* and list_* commands of the catalog's
 *	  plain aggregates, driven by their CatalogAggregate (catalog_rows.h):
 *	  the opening, the body, the lock and version check, the aggregate's
 *	  own rules (check_rows), the one statement that writes, the event and
 *	  the response. Each aggregate's file keeps its statements and rules.
 *
 * extension/catalog_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"

#include "catalog_rows.h"
#include "uuid.h"

const CommerceValue *
catalog_value(const CatalogWrite *w, const char *field)
{
	const CatalogAggregate *aggregate = w->aggregate;

	return commerce_field_value(aggregate->fields, aggregate->nfields, w->values, field);
}

void
catalog_parse(const CatalogAggregate *aggregate, Jsonb *data, bool create,
			  CommerceValue *values)
{
	Assert(aggregate->nfields <= CATALOG_MAX_FIELDS);
	commerce_parse_body(data, aggregate->what, aggregate->fields, aggregate->nfields, create,
						aggregate->not_null, aggregate->not_empty, values);
	commerce_check_size(aggregate->what, aggregate->sized,
						commerce_field_value(aggregate->fields, aggregate->nfields, values,
											 aggregate->sized),
						aggregate->max_bytes);
	if (aggregate->check_body != NULL)
		aggregate->check_body(values, create);
}

Jsonb *
catalog_create(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate)
{
	CatalogWrite w = {.aggregate = aggregate};
	Jsonb	   *replay;

	replay = commerce_create_begin(&w.cmd, psprintf("create_%s", aggregate->type), fcinfo,
								   aggregate->create_action, aggregate->what, &w.data);
	if (replay != NULL)
		return replay;
	catalog_parse(aggregate, w.data, true, w.values);
	if (aggregate->check_rows != NULL)
		aggregate->check_rows(&w);	/* w.id is NULL: a new row */

	commerce_uuid_v7(&w.new_id);
	commerce_write_row(&aggregate->plans->insert, aggregate->insert_sql, &w.cmd.tenant,
					   &w.new_id, w.data, aggregate->unique, aggregate->nunique);
	return commerce_write_end(&w.cmd, psprintf("%s.created", aggregate->type),
							  aggregate->type, &w.new_id);
}

Jsonb *
catalog_update(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate)
{
	CatalogWrite w = {.aggregate = aggregate};
	Jsonb	   *replay;

	replay = commerce_update_begin(&w.cmd, psprintf("update_%s", aggregate->type), fcinfo,
								   aggregate->update_action, aggregate->what, &w.id, &w.data);
	if (replay != NULL)
		return replay;
	catalog_parse(aggregate, w.data, false, w.values);
	commerce_lock_expected(fcinfo, 2, &aggregate->plans->lock, aggregate->lock_sql,
						   &w.cmd.tenant, w.id, aggregate->what);
	if (aggregate->check_rows != NULL)
		aggregate->check_rows(&w);	/* the locked row is in SPI_tuptable */

	commerce_write_row(&aggregate->plans->update, aggregate->update_sql, &w.cmd.tenant,
					   w.id, w.data, aggregate->unique, aggregate->nunique);
	return commerce_write_end(&w.cmd, psprintf("%s.updated", aggregate->type),
							  aggregate->type, w.id);
}

Jsonb *
catalog_get(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate)
{
	return commerce_get_by_id(fcinfo, &aggregate->plans->get, aggregate->get_sql,
							  aggregate->what);
}

Jsonb *
catalog_list(FunctionCallInfo fcinfo, const CatalogAggregate *aggregate)
{
	CommerceListPage page;

	commerce_list_begin(&page, fcinfo, 0, 1);
	return commerce_list_fetch(&page, &aggregate->plans->list, aggregate->list_sql,
							   0, NULL, NULL);
}
