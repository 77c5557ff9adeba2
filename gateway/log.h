/*
 * gateway/log.h — JSON log lines on stdout: one per request (access log)
 * and one per notable event (start, stop, database trouble).
 */
#ifndef GATEWAY_LOG_H
#define GATEWAY_LOG_H

#include "config.h"

#include <jansson.h>

extern void log_init(log_level level);
extern bool log_enabled(log_level level);

/* One line: {"time":..., "level":..., "msg":...} plus the fields of extra. */
extern void log_event(log_level level, const char *msg, json_t *extra);

/* printf-style convenience for events without extra fields. */
extern void log_msg(log_level level, const char *fmt, ...)
			__attribute__((format(printf, 2, 3)));

/*
 * Hand lines to a writer thread (call once signals are blocked) / flush and
 * stop it. Lines dropped because the log reader fell behind: log_dropped().
 */
extern void log_start_writer(void);
extern void log_stop_writer(void);
extern unsigned long long log_dropped(void);

/* RFC 3339 UTC time with milliseconds into buf (at least 32 bytes). */
extern void log_time_now(char *buf, size_t len);

#endif
