-- sql/src/130_errors.sql — every pgcommerce error code with its SQLSTATE and
-- HTTP status. The gateway maps errors with this table; docs/errors.md
-- shows it (a test keeps the two equal). Each area adds its own rows.

CREATE TABLE commerce.error_codes (
  code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  sqlstate    text NOT NULL CHECK (sqlstate ~ '^[0-9A-Z]{5}$'),
  http_status int NOT NULL CHECK (http_status BETWEEN 400 AND 599),
  description text NOT NULL
);
COMMENT ON TABLE commerce.error_codes IS 'Stable error codes: the code travels in the error''s constraint-name field (schema field "commerce"); the gateway answers with http_status.';
GRANT SELECT ON commerce.error_codes TO PUBLIC;

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('tenant_context_missing', '42501', 403, 'No tenant context: the role is not bound and no context is set.'),
  ('tenant_not_found',       '42501', 403, 'The tenant of the context does not exist.'),
  ('tenant_suspended',       '42501', 403, 'The tenant is suspended; its commands are refused.'),
  ('permission_denied',      '42501', 403, 'The role or actor may not do this.'),
  ('invalid_input',          '22023', 400, 'A field is missing, unknown, of the wrong type, too long or out of range.'),
  ('not_found',              'P0002', 404, 'No such object in this tenant (another tenant''s objects look the same).'),
  ('version_conflict',       '40001', 412, 'The expected version is not the current one.'),
  ('invalid_idempotency_key','22023', 400, 'The idempotency key is empty or longer than 255 characters.'),
  ('idempotency_key_in_use', '55P03', 409, 'A request with this idempotency key is still running.'),
  ('idempotency_key_reused', '22023', 422, 'The idempotency key was used for a different request.'),
  ('idempotency_response_gone', '55000', 409, 'The first response of this idempotency key is no longer kept (its event was purged).'),
  ('tenant_slug_taken',      '23505', 409, 'Another tenant has this slug.'),
  ('role_already_bound',     '23505', 409, 'The role is already bound to a tenant.'),
  ('unknown_currency',       '22023', 422, 'Not an ISO 4217 currency the platform knows.'),
  ('negative_amount',        '22023', 422, 'Amounts must not be negative.'),
  ('amount_overflow',        '22003', 422, 'The amount does not fit in bigint minor units.'),
  ('currency_mismatch',      '22023', 422, 'Amounts in different currencies were mixed.');
