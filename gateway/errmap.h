/*
 * gateway/errmap.h — the one place where database errors become HTTP
 * answers (docs/errors.md, gateway section).
 */
#ifndef GATEWAY_ERRMAP_H
#define GATEWAY_ERRMAP_H

#include "request.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

typedef struct http_error
{
	int			status;
	char		code[64];
	char		message[512];
	json_t	   *details;		/* owned by the caller once filled */
} http_error;

/* Load commerce.error_codes (code -> HTTP status); keeps the old on failure. */
extern bool errmap_load(PGconn *conn);
extern void errmap_free(void);

/*
 * Map a failed result (res may be NULL when the connection broke) to an
 * HTTP error. Server-side details of 5xx errors are logged, not sent.
 */
extern void errmap_from_result(const PGresult *res, PGconn *conn,
							   const char *request_id, http_error *out);

/*
 * Answer a request whose statement failed with the mapped error, marking
 * it a database error (its transaction is rolled back). A failure whose
 * code is precondition_code (when not NULL) is answered 412 instead: a
 * version_conflict after the client sent If-Match.
 */
extern enum MHD_Result respond_db_error(request *req, const PGresult *res, PGconn *conn,
										const char *precondition_code);

/* HTTP status for a pgcommerce code, or 0 when unknown. */
extern int	errmap_status_for_code(const char *code);

#endif
