/*
 * fuzz/driver.c — the harnesses' shared set-up (driver.h). The route table
 * is parsed with routes.c's own parse_route (the file is included here so
 * its static parser is reachable without changing the gateway); requests
 * go through a real libmicrohttpd daemon (run by the fuzzing thread itself,
 * MHD_run, so each input is handled to the end before the next) and then, stage by stage, through
 * the code handlers.c runs before a statement reaches the database:
 * request_receive, the UTF-8 path check, CORS, routes_match/routes_allow,
 * auth_resolve (JWT), request_parse_input (query, JSON body, If-Match),
 * bind_route and statement_sql; the event feed's cursors with parse_cursor.
 * Nothing here talks to a database.
 */
#include "driver.h"
#include "../gateway/routes.c"

#include "auth.h"
#include "bind.h"
#include "cors.h"
#include "events_read.h"
#include "jwks.h"
#include "request.h"

#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FUZZ_SECRET "fuzzing-secret-fuzzing-secret-0123456789"

static gateway_config cfg;
static struct MHD_Daemon *daemon_handle;
static EVP_PKEY *rsa_key,
		   *ec_key;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz driver: %s\n", what);
	abort();
}

char *
driver_b64url(const unsigned char *in, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char	   *out = malloc(len * 4 / 3 + 4);
	size_t		k = 0;

	for (size_t i = 0; i < len; i += 3)
	{
		unsigned int v = (unsigned int) in[i] << 16 |
			(i + 1 < len ? (unsigned int) in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);

		out[k++] = a[(v >> 18) & 63];
		out[k++] = a[(v >> 12) & 63];
		if (i + 1 < len)
			out[k++] = a[(v >> 6) & 63];
		if (i + 2 < len)
			out[k++] = a[v & 63];
	}
	out[k] = '\0';
	return out;
}

static char *
bn_b64(EVP_PKEY *key, const char *name, int pad)
{
	BIGNUM	   *bn = NULL;
	unsigned char buf[512];
	int			n;
	char	   *s;

	if (!EVP_PKEY_get_bn_param(key, name, &bn))
		die("EVP_PKEY_get_bn_param");
	n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	s = driver_b64url(buf, (size_t) n);
	BN_free(bn);
	return s;
}

/* Real keys, and a JWKS naming them (kid "rsa1" and "ec1"). */
static void
make_keys(char *path, size_t len)
{
	char	   *n,
			   *e,
			   *x,
			   *y;
	FILE	   *f;

	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (rsa_key == NULL || ec_key == NULL)
		die("key generation");
	n = bn_b64(rsa_key, OSSL_PKEY_PARAM_RSA_N, 0);
	e = bn_b64(rsa_key, OSSL_PKEY_PARAM_RSA_E, 0);
	x = bn_b64(ec_key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
	y = bn_b64(ec_key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	snprintf(path, len, "/tmp/pgcommerce-fuzz-jwks-%d.json", (int) getpid());
	f = fopen(path, "w");
	if (f == NULL)
		die("cannot write the JWKS file");
	fprintf(f, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa1\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"},"
			"{\"kty\":\"EC\",\"kid\":\"ec1\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}", n, e, x, y);
	fclose(f);
	free(n), free(e), free(x), free(y);
}

char *
driver_sign(int alg, const char *header, size_t hlen, const char *payload, size_t plen)
{
	char	   *h = driver_b64url((const unsigned char *) header, hlen);
	char	   *p = driver_b64url((const unsigned char *) payload, plen);
	size_t		ilen = strlen(h) + 1 + strlen(p);
	char	   *input = malloc(ilen + 1);
	unsigned char sig[512];
	size_t		slen = sizeof(sig);
	char	   *s,
			   *token;

	snprintf(input, ilen + 1, "%s.%s", h, p);
	if (alg == 0)
	{
		unsigned int l = 0;

		HMAC(EVP_sha256(), FUZZ_SECRET, (int) strlen(FUZZ_SECRET),
			 (const unsigned char *) input, ilen, sig, &l);
		slen = l;
	}
	else
	{
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned char der[128];
		size_t		dlen = sizeof(der);

		if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, alg == 1 ? rsa_key : ec_key) != 1 ||
			EVP_DigestSign(md, alg == 1 ? sig : der, alg == 1 ? &slen : &dlen,
						   (const unsigned char *) input, ilen) != 1)
			die("EVP_DigestSign");
		EVP_MD_CTX_free(md);
		if (alg == 2)
		{
			const unsigned char *q = der;
			ECDSA_SIG  *es = d2i_ECDSA_SIG(NULL, &q, (long) dlen);

			BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
			slen = 64;
			ECDSA_SIG_free(es);
		}
	}
	s = driver_b64url(sig, slen);
	token = malloc(ilen + strlen(s) + 2);
	sprintf(token, "%s.%s", input, s);
	free(h), free(p), free(s), free(input);
	return token;
}

/* The route table (fuzz/routes.json: commerce.route_table() rows). */
static void
load_routes(void)
{
	json_error_t jerr;
	json_t	   *doc = json_load_file(FUZZ_ROUTES_FILE, 0, &jerr);
	route_set  *set = calloc(1, sizeof(route_set));
	size_t		i;
	json_t	   *j;

	if (!json_is_array(doc))
		die("cannot read " FUZZ_ROUTES_FILE);
	set->routes = calloc(json_array_size(doc) + 1, sizeof(route));
	json_array_foreach(doc, i, j)
	{
		if (parse_route(j, &set->routes[set->nroutes]))
			set->nroutes++;
		else
			free_route(&set->routes[set->nroutes]);
	}
	json_decref(doc);
	set->refcount = 1;
	set->generation = 1;
	current = set;
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "fuzz driver: %d routes\n", set->nroutes);
}

static bool
keep_all(const route *r, void *arg)
{
	(void) r, (void) arg;
	return true;
}

/* /v1/events and /v1/events/stream: their cursors (events_feed.c). */
static enum MHD_Result
events_stage(request *req)
{
	json_t	   *query = NULL,
			   *v;
	long long	n;
	const char *last = request_header(req, "Last-Event-ID");
	enum MHD_Result ret;

	if (!query_params(req, &query, &ret))
		return ret;
	if ((v = json_object_get(query, "after")) && !parse_cursor(json_string_value(v), &n))
		ret = respond_error(req, 400, "invalid_parameter", "after", NULL);
	else if ((v = json_object_get(query, "limit")) &&
			 (!parse_cursor(json_string_value(v), &n) || n < 1 || n > 200))
		ret = respond_error(req, 400, "invalid_parameter", "limit", NULL);
	else if (last && !parse_cursor(last, &n))
		ret = respond_error(req, 400, "invalid_parameter", "Last-Event-ID", NULL);
	else
		ret = respond_json(req, 200, json_object(), NULL, 0);
	json_decref(query);
	return ret;
}

/* A matched route: every stage of run_route before execute_statement. */
static enum MHD_Result
route_stage(request *req, const route *r, char **values)
{
	principal	p;
	request_input in = {0};
	statement	st = {0};
	enum MHD_Result ret;

	if (!auth_resolve(req, !r->admin, &p, &ret))
		return ret;
	if (request_parse_input(req, &in, &ret) &&
		bind_route(req, r, values, &p, &in, &st, &ret))
	{
		char	   *sql = statement_sql(&st, true);

		ret = respond_json(req, 200, json_pack("{s:I}", "sql_bytes", (json_int_t) strlen(sql)), NULL, 0);
		free(sql);
	}
	statement_free(&st);
	request_input_free(&in);
	return ret;
}

/* handle_request's order: path UTF-8, preflight, events, route match. */
static enum MHD_Result
dispatch(request *req)
{
	route_set  *set;
	const route *r;
	char	   *values[ROUTE_MAX_SEGMENTS + 1] = {0};
	char	   *buffer = NULL;
	char		allow[64];
	enum MHD_Result ret;

	if (!valid_utf8(req->path, strlen(req->path)))
		return respond_error(req, 400, "invalid_parameter", "path", NULL);
	if (cors_is_preflight(req))
		return cors_preflight(req);
	if (strncmp(req->path, "/v1/events", 10) == 0)
		return events_stage(req);
	set = routes_acquire();
	r = routes_match(set, req->method, req->path, values, &buffer, allow, sizeof(allow));
	if (r)
		ret = route_stage(req, r, values);
	else if (allow[0])
	{
		routes_allow(set, req->method, req->path, keep_all, NULL, allow, sizeof(allow));
		ret = respond_error(req, 405, "method_not_allowed", allow, NULL);
	}
	else
		ret = respond_error(req, 404, "route_not_found", "no route", NULL);
	free(buffer);
	routes_release(set);
	return ret;
}

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	request    *req = calloc(1, sizeof(request));

	(void) cls;
	req->conn = conn;
	req->uri_len = uri ? strlen(uri) : 0;
	return req;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	request    *req = *con_cls;

	(void) cls, (void) conn, (void) toe;
	if (req == NULL)
		return;
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "fuzz driver: %s %s -> %d %s\n", req->method, req->path ? req->path : "", req->status, req->error_code);
	free(req->path);
	free(req->body);
	free(req);
	*con_cls = NULL;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
			   const char *method, const char *version,
			   const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	request    *req = *con_cls;
	enum MHD_Result ret;

	(void) cls, (void) version;
	if (req == NULL)
		return MHD_NO;
	if (!request_receive(req, conn, url, method, upload_data, upload_data_size, &ret))
		return ret;
	return dispatch(req);
}

const gateway_config *
driver_init(void)
{
	char		err[512];
	char		jwks[128];

	if (gw_config)
		return gw_config;
	make_keys(jwks, sizeof(jwks));
	setenv("PGCOMMERCE_DATABASE_URL", "postgresql:///fuzzing_never_connects", 1);
	setenv("PGCOMMERCE_JWT_SECRET", FUZZ_SECRET, 1);
	setenv("PGCOMMERCE_JWKS_FILE", jwks, 1);
	setenv("PGCOMMERCE_MAX_BODY", "8192", 1);
	setenv("PGCOMMERCE_MAX_HEADER", "8192", 1);
	setenv("PGCOMMERCE_LOG_LEVEL", "error", 1);
	setenv("PGCOMMERCE_CORS_ORIGINS", "https://shop.example.com, https://admin.example.com:8443", 1);
	setenv("PGCOMMERCE_CORS_CREDENTIALS", "true", 1);
	if (!config_load(&cfg, err, sizeof(err)) || !cors_load(err, sizeof(err)) ||
		!jwks_load(jwks, err, sizeof(err)))
		die(err);
	unlink(jwks);
	log_init(LOG_ERROR);
	gw_config = &cfg;
	load_routes();
	daemon_handle = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
									 access_handler, NULL,
									 MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg.max_header,
									 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 5,
									 MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
									 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
									 MHD_OPTION_END);
	if (daemon_handle == NULL)
		die("MHD_start_daemon");
	return gw_config;
}

void
driver_http(const uint8_t *data, size_t size)
{
	int			sv[2];
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
	char		buf[16384];
	size_t		off = 0;
	time_t		deadline = time(NULL) + 30;

	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
		die("socketpair");
	if (MHD_add_connection(daemon_handle, sv[1], (struct sockaddr *) &peer, sizeof(peer)) != MHD_YES)
		die("MHD_add_connection");
	/* This thread runs the daemon: send, let it work, until it closes. */
	for (;;)
	{
		ssize_t		r;

		if (off < size)
		{
			r = send(sv[0], data + off, size - off, MSG_NOSIGNAL);
			if (r > 0)
				off += (size_t) r;
			else if (errno != EAGAIN)
				off = size;		/* the daemon closed early (413, 414, 400) */
			if (off == size)
				shutdown(sv[0], SHUT_WR);
		}
		MHD_run(daemon_handle);
		r = read(sv[0], buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno != EAGAIN))
			break;
		if (time(NULL) > deadline)
			die("the daemon neither answered nor closed within 30 s");
	}
	close(sv[0]);
	MHD_run(daemon_handle);
}
