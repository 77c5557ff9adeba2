-- sql/src/010_core.sql — identity and version functions every area uses.

CREATE FUNCTION commerce.uuid_generate_v7() RETURNS uuid
    AS 'MODULE_PATHNAME', 'commerce_uuid_generate_v7'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.uuid_generate_v7() IS
  'A new RFC 9562 version 7 UUID (48-bit millisecond timestamp, random rest), strictly increasing within a session. Example: SELECT commerce.uuid_generate_v7();';

CREATE FUNCTION commerce.version() RETURNS text
    AS 'MODULE_PATHNAME', 'commerce_version'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION commerce.version() IS
  'Version of the loaded pgcommerce library, e.g. 0.1.0. The gateway''s /readyz compares it with the version it was built for.';

GRANT USAGE ON SCHEMA commerce TO PUBLIC;
