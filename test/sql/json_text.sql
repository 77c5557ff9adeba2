-- test/sql/json_text.sql — commerce.json_text(jsonb), the gateway's way to a
-- document's text (extension/json_text.c), must write exactly what jsonb's
-- own output (::text) writes, byte for byte: every character JSON escapes
-- (each control character, quote, backslash) in values and keys, text
-- around and between them, non-ASCII text, numbers of every shape, nested
-- and empty containers, raw scalars, long strings, and real documents (an
-- order, a product, rows of the system catalogues).
BEGIN;
SELECT plan(9);
\ir ../fixtures/orders.sql

CREATE TEMP TABLE corpus (label text, d jsonb);
INSERT INTO corpus VALUES
  ('empty object', '{}'), ('empty array', '[]'), ('empty string', '""'),
  ('raw string', '"x"'), ('raw number', '1'), ('raw null', 'null'), ('raw true', 'true'),
  ('raw false', 'false'), ('raw negative decimal', '-1.50'),
  ('numbers', '[0, -0, 0.000, 1e100, 1.5e-7, 123456789012345678901234567890, -9223372036854775808]'),
  ('nested', '{"a": {"b": [1, {"c": []}, [[], {}]], "d": null}, "": "", "e": [true, false, null]}'),
  ('escapes given as \u', '"\u00e9\u0001\u001f\"\\\/\b\f\n\r\t"'),
  ('non-ASCII', '{"é": "€ 😀 Straße", "日本": ["語"]}');
-- every character from 1 to 127 in a value and in a key, alone and in text
INSERT INTO corpus
SELECT 'character ' || i, jsonb_build_object('k' || chr(i) || 'k', chr(i), chr(i), 'a' || chr(i) || 'b' || chr(i))
  FROM generate_series(1, 127) i;
INSERT INTO corpus
SELECT 'all characters', to_jsonb(string_agg(chr(i), '' ORDER BY i)) FROM generate_series(1, 300) i;
INSERT INTO corpus
SELECT 'long runs', to_jsonb(repeat('abc', 5000) || E'\n' || repeat('"', 3000) || repeat('x', 10000) || E'\\');
INSERT INTO corpus
SELECT 'catalogue rows', jsonb_agg(to_jsonb(c)) FROM (SELECT * FROM pg_class ORDER BY oid LIMIT 200) c;
INSERT INTO corpus
SELECT 'function rows', jsonb_agg(to_jsonb(p)) FROM (SELECT * FROM pg_proc ORDER BY oid LIMIT 300) p;
SELECT orders_test.tenant('json-text') AS t \gset
SELECT orders_test.variant(:'t', 'JT-1', 1250) AS v \gset
SELECT orders_test.customer(:'t', 'jt@example.com') AS c \gset
INSERT INTO corpus
SELECT 'a checkout', commerce.checkout(jsonb_build_object('currency', 'EUR', 'customer_id', :'c',
  'metadata', jsonb_build_object('note', E'line one\nline "two"\t\\end'),
  'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 2))));
INSERT INTO corpus
SELECT 'a product', commerce.get_product((SELECT product_id FROM commerce.variants WHERE id = :'v'));
RESET ROLE;

SELECT is((SELECT count(*) FROM corpus), 146::bigint, 'the corpus');
SELECT is((SELECT string_agg(label, ', ') FROM corpus WHERE commerce.json_text(d) IS DISTINCT FROM d::text),
          NULL, 'json_text(d) = d::text for every document of the corpus');
SELECT is(commerce.json_text('{"a": [1, "x"]}'), '{"a": [1, "x"]}', 'the example of its comment');
SELECT is(commerce.json_text(E'"\\u0001"'), E'"\\u0001"', 'a control character as \u0001 (lower-case hex)');
SELECT is(commerce.json_text(jsonb_build_object(E'k"\\', E'v\n')), E'{"k\\"\\\\": "v\\n"}', 'a key and a value escaped');
SELECT is(commerce.json_text(NULL), NULL, 'NULL in, NULL out');
SELECT is(length(commerce.json_text(d)), length(d::text), 'long runs: the same length')
  FROM corpus WHERE label = 'long runs';
SELECT is((SELECT count(*) FROM corpus WHERE commerce.json_text(d)::jsonb IS DISTINCT FROM d), 0::bigint,
          'and it reads back as the same document');
SELECT ok(has_function_privilege('public', 'commerce.json_text(jsonb)', 'EXECUTE'), 'anyone may call it');

SELECT * FROM finish();
ROLLBACK;
