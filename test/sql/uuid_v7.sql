-- test/sql/uuid_v7.sql — commerce.uuid_generate_v7(): RFC 9562 layout,
-- uniqueness and strict monotonicity in one backend, timestamp near now().
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE ids AS
  SELECT g AS n, commerce.uuid_generate_v7() AS id
  FROM generate_series(1, 1000000) AS g;

SELECT is((SELECT count(DISTINCT id) FROM ids), 1000000::bigint,
          'one million identifiers are unique');

SELECT ok((SELECT bool_and(id > prev) FROM (
             SELECT id, lag(id) OVER (ORDER BY n) AS prev FROM ids) s
           WHERE prev IS NOT NULL),
          'each identifier is greater than the one generated before it');

SELECT ok((SELECT bool_and(get_byte(uuid_send(id), 6) >> 4 = 7) FROM ids),
          'version nibble is 7');

SELECT ok((SELECT bool_and(get_byte(uuid_send(id), 8) >> 6 = 2) FROM ids),
          'variant bits are 10');

SELECT ok(abs(('x' || substr(replace(commerce.uuid_generate_v7()::text, '-', ''), 1, 12))::bit(48)::bigint
              - (extract(epoch FROM clock_timestamp()) * 1000)::bigint) < 1000,
          'embedded millisecond timestamp is within a second of now');

SELECT is(commerce.version(), '0.1.0', 'commerce.version() reports the library version');

SELECT * FROM finish();
ROLLBACK;
