/*
 * gateway/server.c — the libmicrohttpd daemon and the life of a request.
 *
 * A request is created by the URI log callback (the first thing MHD tells
 * us, with the raw request-target), fed its body by the access handler
 * within PGCOMMERCE_MAX_BODY, answered once complete, and logged, counted
 * and freed by the completion callback. Requests under way are counted so
 * that SIGTERM can stop accepting, let them finish, then stop.
 */
#include "server.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "request.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const gateway_config *gw_config;

static struct MHD_Daemon *daemon_handle;
static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inflight_done = PTHREAD_COND_INITIALIZER;
static int	inflight;
static volatile bool shutting_down;

/* Longest request-target we route (the rest gets 414). */
#define MAX_URI 4096

bool
server_shutting_down(void)
{
	return __atomic_load_n(&shutting_down, __ATOMIC_ACQUIRE);
}

static void
new_request_id(char *buf, size_t len)
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
	{
		long long	t = monotonic_us();

		memcpy(r, &t, sizeof(t));
		memcpy(r + 8, &t, sizeof(t));
	}
	r[6] = (unsigned char) ((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char) ((r[8] & 0x3f) | 0x80);
	snprintf(buf, len,
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
			 r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* A client's X-Request-Id is echoed only when it is short and plain. */
static bool
acceptable_request_id(const char *id)
{
	size_t		n = 0;

	if (id == NULL)
		return false;
	for (const char *p = id; *p; p++, n++)
	{
		char		c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
	}
	return n >= 1 && n <= 128;
}

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	request    *req = calloc(1, sizeof(request));

	(void) cls;
	req->conn = conn;
	req->start_us = monotonic_us();
	req->uri_len = uri ? strlen(uri) : 0;
	pthread_mutex_lock(&inflight_lock);
	inflight++;
	pthread_mutex_unlock(&inflight_lock);
	return req;
}

static void
log_request(request *req, double ms)
{
	json_t	   *line;

	if (!log_enabled(LOG_INFO))
		return;
	line = json_object();
	json_object_set_new(line, "request_id", json_string(req->request_id));
	json_object_set_new(line, "tenant", req->tenant[0] ? json_string(req->tenant) : json_null());
	json_object_set_new(line, "actor", req->actor[0] ? json_string(req->actor) : json_null());
	json_object_set_new(line, "method", safe_json_string(req->method));
	json_object_set_new(line, "route", safe_json_string(req->route[0] ? req->route : "unmatched"));
	json_object_set_new(line, "path", safe_json_string(req->path ? req->path : ""));
	json_object_set_new(line, "status", json_integer(req->status));
	json_object_set_new(line, "duration_ms", json_real((double) ((long long) (ms * 1000)) / 1000.0));
	if (req->error_code[0])
		json_object_set_new(line, "error_code", json_string(req->error_code));
	log_event(LOG_INFO, NULL, line);
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	request    *req = *con_cls;

	(void) cls;
	(void) conn;
	if (req == NULL)
		return;
	if (req->started)
	{
		double		ms = (double) (monotonic_us() - req->start_us) / 1000.0;

		if (req->status == 0)
			req->status = 499;	/* client went away before an answer */
		(void) toe;
		log_request(req, ms);
		metrics_observe_request(req->route[0] ? req->route : "unmatched",
								req->method, req->status, ms, req->db_error);
	}
	free(req->path);
	free(req->body);
	free(req);
	*con_cls = NULL;
	pthread_mutex_lock(&inflight_lock);
	if (--inflight == 0)
		pthread_cond_broadcast(&inflight_done);
	pthread_mutex_unlock(&inflight_lock);
}

static bool
content_length_too_large(struct MHD_Connection *conn, size_t max)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

	return cl != NULL && strtoull(cl, NULL, 10) > max;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
			   const char *method, const char *version,
			   const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	request    *req = *con_cls;

	(void) cls;
	(void) version;
	if (req == NULL)
		return MHD_NO;
	if (!req->started)
	{
		const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");

		req->started = true;
		req->conn = conn;
		snprintf(req->method, sizeof(req->method), "%s", method);
		req->path = strdup(url);
		if (acceptable_request_id(rid))
			snprintf(req->request_id, sizeof(req->request_id), "%s", rid);
		else
			new_request_id(req->request_id, sizeof(req->request_id));
		if (content_length_too_large(conn, gw_config->max_body))
		{
			req->body_too_large = true;
			return respond_error(req, 413, "payload_too_large",
								 "the request body is larger than the limit",
								 json_pack("{s:I}", "max_bytes", (json_int_t) gw_config->max_body));
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0)
	{
		size_t		n = *upload_data_size;

		*upload_data_size = 0;
		if (req->status != 0 || req->body_too_large)
			return MHD_YES;
		if (req->body_len + n > gw_config->max_body)
		{
			req->body_too_large = true;
			free(req->body);
			req->body = NULL;
			req->body_len = req->body_cap = 0;
			return MHD_YES;
		}
		if (req->body_len + n + 1 > req->body_cap)
		{
			size_t		cap = req->body_cap ? req->body_cap : 1024;
			char	   *grown;

			while (cap < req->body_len + n + 1)
				cap *= 2;
			grown = realloc(req->body, cap);
			if (grown == NULL)
				return MHD_NO;
			req->body = grown;
			req->body_cap = cap;
		}
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	if (req->status != 0)
		return MHD_YES;			/* answered early (413) */
	if (req->body_too_large)
		return respond_error(req, 413, "payload_too_large",
							 "the request body is larger than the limit",
							 json_pack("{s:I}", "max_bytes", (json_int_t) gw_config->max_body));
	if (req->uri_len > MAX_URI)
		return respond_error(req, 414, "uri_too_long",
							 "the request target is longer than the limit",
							 json_pack("{s:i}", "max_bytes", MAX_URI));
	return handle_request(req);
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char		buf[512];
	size_t		n;

	(void) cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_event(LOG_WARN, "http server", json_pack("{s:o}", "detail", safe_json_string(buf)));
}

bool
server_start(const gateway_config *cfg)
{
	struct sockaddr_in addr;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	gw_config = cfg;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(cfg->listen_port);
	if (inet_pton(AF_INET, cfg->listen_host, &addr.sin_addr) != 1)
	{
		log_msg(LOG_ERROR, "PGCOMMERCE_LISTEN host \"%s\" is not an IPv4 address", cfg->listen_host);
		return false;
	}
	daemon_handle = MHD_start_daemon(flags, cfg->listen_port, NULL, NULL,
									 access_handler, NULL,
									 MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
									 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
									 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) cfg->threads,
									 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) cfg->max_connections,
									 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) cfg->read_timeout_s,
									 MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header,
									 MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
									 MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
									 MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int) 1024,
									 MHD_OPTION_END);
	if (daemon_handle == NULL)
	{
		log_msg(LOG_ERROR, "cannot listen on %s:%u", cfg->listen_host, cfg->listen_port);
		return false;
	}
	return true;
}

void
server_quiesce(void)
{
	MHD_socket	fd;

	__atomic_store_n(&shutting_down, true, __ATOMIC_RELEASE);
	if (daemon_handle == NULL)
		return;
	fd = MHD_quiesce_daemon(daemon_handle);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

bool
server_wait_idle(int timeout_s)
{
	struct timespec deadline;
	bool		idle = true;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_s;
	pthread_mutex_lock(&inflight_lock);
	while (inflight > 0)
	{
		if (pthread_cond_timedwait(&inflight_done, &inflight_lock, &deadline) != 0)
		{
			idle = inflight == 0;
			break;
		}
	}
	pthread_mutex_unlock(&inflight_lock);
	return idle;
}

void
server_stop(void)
{
	if (daemon_handle)
		MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
}
