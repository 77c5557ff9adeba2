/*
 * gateway/plugin_gate.h — whether the caller's tenant has a plugin on,
 * asked of the database before a plugin's route is parsed or bound.
 */
#ifndef GATEWAY_PLUGIN_GATE_H
#define GATEWAY_PLUGIN_GATE_H

#include "auth.h"
#include "request.h"

typedef enum plugin_gate
{
	PLUGIN_OFF,					/* the tenant did not turn it on */
	PLUGIN_ON,
	PLUGIN_UNKNOWN				/* the database could not say (no connection,
								 * set_context refused the tenant) */
} plugin_gate;

/* commerce.plugin_enabled(plugin) in p's context, in one transaction. */
extern plugin_gate plugin_gate_ask(const request *req, const principal *p, const char *plugin);

#endif
