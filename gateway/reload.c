/*
 * gateway/reload.c — what SIGHUP reloads, without a restart and without
 * dropping a request: the JWKS file (PGCOMMERCE_JWKS_FILE), the CORS
 * policy and the log level. A process's environment cannot change from
 * outside, so the reloadable settings may also be written in
 * PGCOMMERCE_RELOAD_FILE (lines NAME=value, # comments; only
 * PGCOMMERCE_CORS_* and PGCOMMERCE_LOG_LEVEL are read from it), whose
 * values win over the environment's. Each part is built aside and swapped
 * in whole under its own lock (cors.c, jwks.c), so a request sees the old
 * or the new policy, never half of one; a part whose new value is bad
 * keeps the old one and the failure is logged. One log line says what
 * was reloaded.
 */
#include "config.h"
#include "cors.h"
#include "jwks.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OVERRIDES 32

static struct
{
	char	   *name[MAX_OVERRIDES];
	char	   *value[MAX_OVERRIDES];
	int			n;
} file;

static void
forget_file(void)
{
	for (int i = 0; i < file.n; i++)
	{
		free(file.name[i]);
		free(file.value[i]);
	}
	file.n = 0;
}

static bool
reloadable(const char *name)
{
	return strncmp(name, "PGCOMMERCE_CORS_", 16) == 0 || strcmp(name, "PGCOMMERCE_LOG_LEVEL") == 0;
}

/* Read PGCOMMERCE_RELOAD_FILE; false with err when it cannot be used. */
static bool
read_file(char *err, size_t errlen)
{
	const char *path = getenv("PGCOMMERCE_RELOAD_FILE");
	FILE	   *f;
	char		line[4096];
	int			lineno = 0;

	forget_file();
	if (path == NULL || *path == '\0')
		return true;
	if ((f = fopen(path, "r")) == NULL)
	{
		snprintf(err, errlen, "PGCOMMERCE_RELOAD_FILE \"%s\" cannot be read", path);
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *eq,
				   *end;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (eq != NULL)
			*eq = '\0';
		if (eq == NULL || !reloadable(line) || file.n == MAX_OVERRIDES)
		{
			snprintf(err, errlen, "PGCOMMERCE_RELOAD_FILE line %d: only PGCOMMERCE_CORS_*=... and PGCOMMERCE_LOG_LEVEL=... lines can be reloaded", lineno);
			fclose(f);
			forget_file();
			return false;
		}
		end = eq + 1 + strlen(eq + 1);
		while (end > eq + 1 && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		file.name[file.n] = strdup(line);
		file.value[file.n++] = strdup(eq + 1);
	}
	fclose(f);
	return true;
}

const char *
config_get(const char *name)
{
	for (int i = file.n - 1; i >= 0; i--)
		if (strcmp(file.name[i], name) == 0)
			return file.value[i];
	return getenv(name);
}

/* Every reloadable part; false with err at the first that fails. */
static bool
load_parts(gateway_config *cfg, char *err, size_t errlen, json_t *done)
{
	const char *v;
	log_level	level;

	if (!read_file(err, errlen))
		return false;
	v = config_get("PGCOMMERCE_LOG_LEVEL");
	if (!config_parse_log_level(v, &level))
	{
		snprintf(err, errlen, "PGCOMMERCE_LOG_LEVEL must be one of debug, info, warn, error, not \"%s\"", v);
		return false;
	}
	cfg->log_level = level;
	log_init(level);
	json_array_append_new(done, json_string("log_level"));
	if (!cors_load(err, errlen))
		return false;
	json_array_append_new(done, json_string("cors"));
	if (cfg->jwks_file != NULL)
	{
		if (!jwks_load(cfg->jwks_file, err, errlen))
			return false;
		json_array_append_new(done, json_string("jwks"));
	}
	return true;
}

bool
reload_first(gateway_config *cfg)
{
	char		err[512];
	json_t	   *done = json_array();
	bool		ok = load_parts(cfg, err, sizeof(err), done);

	json_decref(done);
	if (!ok)
		fprintf(stderr, "pgcommerce-gateway: configuration error: %s\n", err);
	return ok;
}

void
reload_on_sighup(gateway_config *cfg)
{
	char		err[512];
	json_t	   *done = json_array();

	if (load_parts(cfg, err, sizeof(err), done))
		log_event(LOG_INFO, "configuration reloaded", json_pack("{s:s, s:o}", "signal", "SIGHUP", "reloaded", done));
	else
		log_event(LOG_ERROR, "configuration reload failed; the rest keeps its previous value",
				  json_pack("{s:s, s:s, s:o}", "signal", "SIGHUP", "error", err, "reloaded", done));
}
