/*
 * gateway/log.c — structured logging. Every line is one compact JSON object.
 * Field names (time, level, request_id, tenant, actor, method, route,
 * status, duration_ms) are the contract in ARCHITECTURE.md.
 *
 * Once the writer thread runs, request threads only append lines to a
 * bounded in-memory buffer and the writer empties it to stdout: a slow or
 * stalled log reader never stalls requests. When the buffer is full, lines
 * are dropped and counted (log_dropped(), shown in /metrics). Before the
 * writer starts and after it stops, lines are written directly.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_BUFFER (4 * 1024 * 1024)

static log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qready = PTHREAD_COND_INITIALIZER;
static pthread_t writer;
static bool writer_running;
static bool writer_stop;
static char *qbuf;
static size_t qlen;
static unsigned long long dropped;

static void
write_all(const char *p, size_t n)
{
	while (n > 0)
	{
		ssize_t		w = write(STDOUT_FILENO, p, n);

		if (w <= 0)
			return;				/* nowhere to log to: give up quietly */
		p += w;
		n -= (size_t) w;
	}
}

static void *
writer_main(void *arg)
{
	char	   *spare = malloc(LOG_BUFFER);

	(void) arg;
	pthread_mutex_lock(&qlock);
	for (;;)
	{
		char	   *full;
		size_t		n;

		while (qlen == 0 && !writer_stop)
			pthread_cond_wait(&qready, &qlock);
		if (qlen == 0 && writer_stop)
			break;
		full = qbuf;
		n = qlen;
		qbuf = spare;
		qlen = 0;
		pthread_mutex_unlock(&qlock);
		write_all(full, n);
		spare = full;
		pthread_mutex_lock(&qlock);
	}
	pthread_mutex_unlock(&qlock);
	free(spare);
	return NULL;
}

void
log_start_writer(void)
{
	fflush(stdout);
	qbuf = malloc(LOG_BUFFER);
	writer_stop = false;
	if (qbuf && pthread_create(&writer, NULL, writer_main, NULL) == 0)
		writer_running = true;
}

void
log_stop_writer(void)
{
	if (!writer_running)
		return;
	pthread_mutex_lock(&qlock);
	writer_stop = true;
	pthread_cond_signal(&qready);
	pthread_mutex_unlock(&qlock);
	pthread_join(writer, NULL);
	writer_running = false;
	free(qbuf);
	qbuf = NULL;
}

unsigned long long
log_dropped(void)
{
	unsigned long long n;

	pthread_mutex_lock(&qlock);
	n = dropped;
	pthread_mutex_unlock(&qlock);
	return n;
}

void
log_init(log_level level)
{
	__atomic_store_n(&min_level, level, __ATOMIC_RELAXED);
}

bool
log_enabled(log_level level)
{
	return level >= __atomic_load_n(&min_level, __ATOMIC_RELAXED);
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
	pthread_mutex_lock(&qlock);
	if (writer_running && !writer_stop)
	{
		if (qlen + n + 1 <= LOG_BUFFER)
		{
			/* The writer sleeps only on an empty buffer: wake it then. */
			if (qlen == 0)
				pthread_cond_signal(&qready);
			memcpy(qbuf + qlen, text, n + 1);
			qlen += n + 1;
		}
		else
			dropped++;
		pthread_mutex_unlock(&qlock);
	}
	else
	{
		pthread_mutex_unlock(&qlock);
		fwrite(text, 1, n + 1, stdout);
		fflush(stdout);
	}
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
