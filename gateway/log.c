/*
 * gateway/log.c — structured logging. Every line is one compact JSON object
 * written with a single fwrite, so lines from concurrent threads never mix.
 * Field names (time, level, request_id, tenant, actor, method, route,
 * status, duration_ms) are the contract in ARCHITECTURE.md.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_init(log_level level)
{
	min_level = level;
}

bool
log_enabled(log_level level)
{
	return level >= min_level;
}

void
log_time_now(char *buf, size_t len)
{
	struct timeval tv;
	struct tm	tm;
	char		base[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, (long) (tv.tv_usec / 1000));
}

void
log_event(log_level level, const char *msg, json_t *extra)
{
	json_t	   *line;
	char		now[40];
	char	   *text;
	char	   *grown;
	size_t		n;

	if (!log_enabled(level))
	{
		json_decref(extra);
		return;
	}
	log_time_now(now, sizeof(now));
	line = json_object();
	json_object_set_new(line, "time", json_string(now));
	json_object_set_new(line, "level", json_string(level_names[level]));
	if (msg)
		json_object_set_new(line, "msg", json_string(msg));
	if (extra)
	{
		json_object_update(line, extra);
		json_decref(extra);
	}
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	json_decref(line);
	if (text == NULL)
		return;
	n = strlen(text);
	grown = realloc(text, n + 2);
	if (grown == NULL)
	{
		free(text);
		return;
	}
	text = grown;
	text[n] = '\n';
	text[n + 1] = '\0';
	fwrite(text, 1, n + 1, stdout);
	fflush(stdout);
	free(text);
}

void
log_msg(log_level level, const char *fmt, ...)
{
	char		buf[1024];
	va_list		ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_event(level, buf, NULL);
}
