/*
 * gateway/body_scan.h — a quick test that a request body is plain JSON
 * (no escapes, no real numbers), so the text itself can be bound.
 */
#ifndef GATEWAY_BODY_SCAN_H
#define GATEWAY_BODY_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True only when s[0..len) is an object or array that jansson accepts
 * under JSON_REJECT_DUPLICATES and whose every string has no backslash
 * and every number is an integer of at most 18 digits. False means "not
 * sure" (jansson then decides, with its own error message).
 */
extern bool body_plain_json(const char *s, size_t len);

#endif
