/*
 * gateway/server.c — the libmicrohttpd daemon and the life of a request.
 *
 * A request is created by the URI log callback (the first thing MHD tells
 * us, with the raw request-target), taken in by the request stage
 * (request.c) through the access handler, answered once complete
 * (handlers.c), and logged, counted and freed by the completion callback.
 * Requests under way are counted so that SIGTERM can stop accepting, let
 * them finish, then stop.
 */
#include "server.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "request.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
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

bool
server_shutting_down(void)
{
	return __atomic_load_n(&shutting_down, __ATOMIC_ACQUIRE);
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

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
			   const char *method, const char *version,
			   const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	request    *req = *con_cls;
	enum MHD_Result ret;

	(void) cls;
	(void) version;
	if (req == NULL)
		return MHD_NO;
	if (!request_receive(req, conn, url, method, upload_data, upload_data_size, &ret))
		return ret;				/* more to read, or answered (413, 414) */
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

/*
 * The first address PGCOMMERCE_LISTEN's host resolves to (an IPv4 or IPv6
 * literal, or a host name such as localhost), with the port set.
 */
static bool
listen_address(const gateway_config *cfg, struct sockaddr_storage *addr, socklen_t *len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	.ai_flags = AI_PASSIVE | AI_ADDRCONFIG};
	struct addrinfo *res = NULL;
	char		port[8];
	int			rc;

	snprintf(port, sizeof(port), "%u", cfg->listen_port);
	rc = getaddrinfo(cfg->listen_host, port, &hints, &res);
	if (rc != 0 || res == NULL)
	{
		log_msg(LOG_ERROR, "PGCOMMERCE_LISTEN host \"%s\" does not resolve: %s",
				cfg->listen_host, gai_strerror(rc));
		return false;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

bool
server_start(const gateway_config *cfg)
{
	struct sockaddr_storage addr;
	socklen_t	addrlen = 0;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	gw_config = cfg;
	memset(&addr, 0, sizeof(addr));
	if (!listen_address(cfg, &addr, &addrlen))
		return false;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
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
		log_msg(LOG_ERROR, "cannot listen on %s port %u", cfg->listen_host, cfg->listen_port);
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
