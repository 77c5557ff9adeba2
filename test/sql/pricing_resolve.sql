-- test/sql/pricing_resolve.sql — commerce.resolve_price, table-driven:
-- group-specific against general lists, priority, tiers, validity windows
-- (from included, until excluded), currency, inactive lists, the final
-- tie-break (lowest amount, then oldest list), customers, no price and the
-- other errors; and EXPLAIN proving that resolution and inventory look-ups
-- use tenant_id-leading indexes. The rules are docs/pricing.md.
BEGIN;

CREATE ROLE pr_staff;
SELECT commerce.create_tenant('pr-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('pr-b', 'B', 'EUR') AS b \gset
SELECT commerce.bind_role('pr_staff', :'a');

-- Catalog and customers of tenant A (and one of B's), written directly.
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid NOT NULL DEFAULT commerce.uuid_generate_v7());
INSERT INTO ids (name) VALUES ('P'), ('V1'), ('V2'), ('V3'), ('V4'), ('V5'), ('V6'), ('VB'), ('PB'),
  ('G_VIP'), ('G_WHOLESALE'), ('C_VIP'), ('C_WHOLESALE'), ('C_PLAIN'), ('C_B'), ('G_B');
GRANT SELECT ON ids TO PUBLIC;
CREATE FUNCTION pg_temp.id(n text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM ids WHERE name = n $$;
GRANT EXECUTE ON FUNCTION pg_temp.id(text) TO PUBLIC;

INSERT INTO commerce.products (tenant_id, id, title, handle, status)
VALUES (:'a', pg_temp.id('P'), 'Tea', 'tea', 'active'),
       (:'b', pg_temp.id('PB'), 'Tea', 'tea', 'active');
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title, option_values)
SELECT :'a', pg_temp.id(v), pg_temp.id('P'), 'SKU-' || v, v, jsonb_build_object('n', v)
FROM unnest(ARRAY['V1','V2','V3','V4','V5','V6']) v;
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
VALUES (:'b', pg_temp.id('VB'), pg_temp.id('PB'), 'SKU-VB', 'VB');
INSERT INTO commerce.customer_groups (tenant_id, id, name)
VALUES (:'a', pg_temp.id('G_VIP'), 'VIP'), (:'a', pg_temp.id('G_WHOLESALE'), 'Wholesale'),
       (:'b', pg_temp.id('G_B'), 'B group');
INSERT INTO commerce.customers (tenant_id, id, email, group_id)
VALUES (:'a', pg_temp.id('C_VIP'), 'vip@example.com', pg_temp.id('G_VIP')),
       (:'a', pg_temp.id('C_WHOLESALE'), 'wholesale@example.com', pg_temp.id('G_WHOLESALE')),
       (:'a', pg_temp.id('C_PLAIN'), 'plain@example.com', NULL),
       (:'b', pg_temp.id('C_B'), 'b@example.com', pg_temp.id('G_B'));

-- Price lists and prices of A, through the commands, as A's bound role.
SET LOCAL ROLE pr_staff;
CREATE TEMP TABLE lists (name text PRIMARY KEY, id uuid);
CREATE FUNCTION pg_temp.list(n text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM lists WHERE name = n $$;
CREATE FUNCTION pg_temp.new_list(n text, data jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO lists VALUES (n, (commerce.create_price_list(data || jsonb_build_object('name', n))->>'id')::uuid) $$;
CREATE FUNCTION pg_temp.price(l text, v text, amount bigint, min_quantity int DEFAULT 1) RETURNS void LANGUAGE sql AS $$
  SELECT commerce.set_price(pg_temp.list(l), jsonb_build_object('variant_id', pg_temp.id(v), 'amount', amount, 'min_quantity', min_quantity)) $$;

SELECT pg_temp.new_list('general',     '{"currency": "EUR"}');
SELECT pg_temp.new_list('general_hi',  '{"currency": "EUR", "priority": 10}');
SELECT pg_temp.new_list('vip',         jsonb_build_object('currency', 'EUR', 'customer_group_id', pg_temp.id('G_VIP')));
SELECT pg_temp.new_list('wholesale',   jsonb_build_object('currency', 'EUR', 'customer_group_id', pg_temp.id('G_WHOLESALE')));
SELECT pg_temp.new_list('usd',         '{"currency": "USD"}');
SELECT pg_temp.new_list('jpy',         '{"currency": "JPY"}');
SELECT pg_temp.new_list('future',      '{"currency": "EUR", "priority": 100, "valid_from": "2030-01-01T00:00:00Z"}');
SELECT pg_temp.new_list('past',        '{"currency": "EUR", "priority": 50, "valid_until": "2020-01-01T00:00:00Z"}');
SELECT pg_temp.new_list('june',        '{"currency": "EUR", "priority": 5, "valid_from": "2026-06-01T00:00:00Z", "valid_until": "2026-07-01T00:00:00Z"}');
SELECT pg_temp.new_list('inactive',    '{"currency": "EUR", "priority": 1000, "status": "inactive"}');
SELECT pg_temp.new_list('tie_old',     '{"currency": "EUR", "priority": 20}');
SELECT pg_temp.new_list('tie_new',     '{"currency": "EUR", "priority": 20}');

SELECT pg_temp.price('general', 'V1', 1000), pg_temp.price('general', 'V1', 900, 10),
       pg_temp.price('general', 'V1', 800, 100),
       pg_temp.price('general', 'V2', 500), pg_temp.price('general_hi', 'V2', 450),
       pg_temp.price('vip', 'V1', 950), pg_temp.price('vip', 'V2', 480),
       pg_temp.price('wholesale', 'V1', 700, 50),
       pg_temp.price('usd', 'V1', 1100), pg_temp.price('jpy', 'V1', 150),
       pg_temp.price('general', 'V3', 400), pg_temp.price('future', 'V3', 100),
       pg_temp.price('past', 'V3', 200), pg_temp.price('june', 'V3', 300),
       pg_temp.price('inactive', 'V1', 1), pg_temp.price('inactive', 'V2', 1),
       pg_temp.price('tie_old', 'V4', 700), pg_temp.price('tie_new', 'V4', 600),
       pg_temp.price('tie_old', 'V5', 650), pg_temp.price('tie_new', 'V5', 650),
       pg_temp.price('general', 'V5', 10);

-- The cases: expected unit amount, winning list and tier.
CREATE TEMP TABLE cases (n serial, what text, variant text, currency text, quantity int,
                         customer text, at timestamptz, unit bigint, list text, min_quantity int);
INSERT INTO cases (what, variant, currency, quantity, customer, at, unit, list, min_quantity) VALUES
  ('base tier at quantity 1',                         'V1', 'EUR',   1, NULL, NULL, 1000, 'general', 1),
  ('quantity 9 stays on the first tier',              'V1', 'EUR',   9, NULL, NULL, 1000, 'general', 1),
  ('quantity 10 reaches the 10-tier (inclusive)',     'V1', 'EUR',  10, NULL, NULL,  900, 'general', 10),
  ('quantity 99 stays on the 10-tier',                'V1', 'EUR',  99, NULL, NULL,  900, 'general', 10),
  ('quantity 100 reaches the 100-tier',               'V1', 'EUR', 100, NULL, NULL,  800, 'general', 100),
  ('higher priority general list wins',               'V2', 'EUR',   1, NULL, NULL,  450, 'general_hi', 1),
  ('inactive list is never a candidate',              'V1', 'EUR',   5, NULL, NULL, 1000, 'general', 1),
  ('group list beats general for its customer',       'V1', 'EUR',   1, 'C_VIP', NULL, 950, 'vip', 1),
  ('group list beats general even at more tiers',     'V1', 'EUR', 100, 'C_VIP', NULL, 950, 'vip', 1),
  ('group list beats higher-priority general list',   'V2', 'EUR',   1, 'C_VIP', NULL, 480, 'vip', 1),
  ('customer without group gets general prices',      'V1', 'EUR',  10, 'C_PLAIN', NULL, 900, 'general', 10),
  ('another group''s list is not a candidate',        'V2', 'EUR',   1, 'C_WHOLESALE', NULL, 450, 'general_hi', 1),
  ('group list without an applicable tier falls back','V1', 'EUR',  10, 'C_WHOLESALE', NULL, 900, 'general', 10),
  ('group tier applies from its minimum quantity',    'V1', 'EUR',  50, 'C_WHOLESALE', NULL, 700, 'wholesale', 50),
  ('USD resolves in the USD list',                    'V1', 'USD',   3, NULL, NULL, 1100, 'usd', 1),
  ('JPY (exponent 0) resolves in the JPY list',       'V1', 'JPY',   2, NULL, NULL,  150, 'jpy', 1),
  ('no window list: general at a plain date',         'V3', 'EUR',   1, NULL, '2026-05-31 23:59:59.999999+00', 400, 'general', 1),
  ('window list from its valid_from (inclusive)',     'V3', 'EUR',   1, NULL, '2026-06-01 00:00:00+00', 300, 'june', 1),
  ('window list inside its window',                   'V3', 'EUR',   1, NULL, '2026-06-15 12:00:00+00', 300, 'june', 1),
  ('window list not at its valid_until (exclusive)',  'V3', 'EUR',   1, NULL, '2026-07-01 00:00:00+00', 400, 'general', 1),
  ('expired list applies before its valid_until',     'V3', 'EUR',   1, NULL, '2019-06-01 00:00:00+00', 200, 'past', 1),
  ('future list applies once valid',                  'V3', 'EUR',   1, NULL, '2031-01-01 00:00:00+00', 100, 'future', 1),
  ('same priority: lowest amount wins',               'V4', 'EUR',   1, NULL, NULL,  600, 'tie_new', 1),
  ('same priority and amount: oldest list wins',      'V5', 'EUR',   1, NULL, NULL,  650, 'tie_old', 1),
  ('priority beats a lower amount',                   'V5', 'EUR',   2, NULL, NULL,  650, 'tie_old', 1);

SELECT plan((SELECT count(*)::int FROM cases) + 17);

SELECT is(commerce.resolve_price(pg_temp.id(variant), currency, quantity, pg_temp.id(customer),
                                 coalesce(at, now())),
          jsonb_build_object('variant_id', pg_temp.id(variant)::text, 'currency', currency,
                             'quantity', quantity, 'unit_amount', unit, 'amount', unit * quantity,
                             'price_list_id', pg_temp.list(list)::text, 'min_quantity', min_quantity),
          format('case %s: %s', n, what))
  FROM cases ORDER BY n;

-- Errors, with their SQLSTATE and pgcommerce code.
CREATE FUNCTION pg_temp.error_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; code text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, code = CONSTRAINT_NAME;
  RETURN state || ' ' || code;
END $$;

SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''GBP'', 1)', pg_temp.id('V1'))),
          'P0002 no_price', 'no list in the currency: no_price');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 1)', pg_temp.id('V6'))),
          'P0002 no_price', 'a variant without prices: no_price');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 1, NULL, ''2029-01-01Z'')', pg_temp.id('V1'))),
          'no error', 'a time with only general prices still resolves');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 1, NULL, ''2019-01-01Z'')', pg_temp.id('V4'))),
          'no error', 'lists without window are valid at any time');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''XXX'', 1)', pg_temp.id('V1'))),
          '22023 unknown_currency', 'unknown currency');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 0)', pg_temp.id('V1'))),
          '22023 invalid_input', 'quantity 0 is invalid input');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 1)', pg_temp.id('VB'))),
          'P0002 not_found', 'another tenant''s variant is not found');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 1)', commerce.uuid_generate_v7())),
          'P0002 not_found', 'a random variant is not found the same way');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 1, %L)', pg_temp.id('V1'), pg_temp.id('C_B'))),
          'P0002 not_found', 'another tenant''s customer is not found');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 2147483647)', pg_temp.id('V1'))),
          'no error', 'the largest quantity resolves (800 x 2147483647 fits)');

-- amount = unit x quantity, overflow-checked
SELECT pg_temp.price('general', 'V6', 9223372036854775807);
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 2)', pg_temp.id('V6'))),
          '22003 amount_overflow', 'unit x quantity beyond bigint: amount_overflow');
SELECT is((commerce.resolve_price(pg_temp.id('V6'), 'EUR', 1)->>'amount')::numeric, 9223372036854775807::numeric,
          'the largest amount resolves at quantity 1');

-- The C entry point agrees with the SQL command (via a customer actor's view below).
RESET ROLE;

-- A customer actor is priced as itself and cannot name another customer.
CREATE ROLE pr_gateway;
GRANT commerce_gateway TO pr_gateway;
SET LOCAL ROLE pr_gateway;
SELECT commerce.set_context(:'a', pg_temp.id('C_VIP')::text, 'customer');
SELECT is((commerce.resolve_price(pg_temp.id('V1'), 'EUR', 1)->>'unit_amount')::bigint, 950::bigint,
          'a customer actor gets its group''s price without naming itself');
SELECT is(pg_temp.error_of(format('SELECT commerce.resolve_price(%L, ''EUR'', 1, %L)', pg_temp.id('V1'), pg_temp.id('C_PLAIN'))),
          '42501 permission_denied', 'a customer actor cannot resolve for another customer');
RESET ROLE;

-- EXPLAIN: the look-ups use tenant_id-leading indexes. Enough rows of
-- another tenant that a sequential scan would lose; the query text is the
-- one extension/resolve_price.c prepares.
INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
VALUES (:'b', '00000000-0000-7000-8000-0000000000b1', 'bulk', 'EUR');
INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
SELECT :'b', commerce.uuid_generate_v7(), 'bulk ' || g, 'EUR' FROM generate_series(1, 2000) g;
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title, option_values)
SELECT :'b', commerce.uuid_generate_v7(), pg_temp.id('PB'), 'BULK-' || g, 'bulk', jsonb_build_object('n', g)
FROM generate_series(1, 5000) g;
INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
SELECT :'b', commerce.uuid_generate_v7(), '00000000-0000-7000-8000-0000000000b1', id, 1, 100
FROM commerce.variants WHERE tenant_id = :'b';
INSERT INTO commerce.inventory_levels (tenant_id, variant_id, on_hand)
SELECT tenant_id, id, 10 FROM commerce.variants WHERE tenant_id = :'b';
ANALYZE commerce.prices;
ANALYZE commerce.price_lists;
ANALYZE commerce.inventory_levels;
ANALYZE commerce.variants;

CREATE FUNCTION pg_temp.plan_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || sql LOOP plan := plan || line || E'\n'; END LOOP;
  RETURN plan;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.plan_of(text) TO PUBLIC;
SET LOCAL ROLE pr_staff;
PREPARE resolve_query(uuid, uuid, text, int, uuid, timestamptz) AS
  SELECT p.amount, p.price_list_id, p.min_quantity
  FROM commerce.prices p
  JOIN commerce.price_lists l ON l.tenant_id = p.tenant_id AND l.id = p.price_list_id
  WHERE p.tenant_id = $1 AND p.variant_id = $2 AND p.min_quantity <= $4
    AND l.tenant_id = $1 AND l.currency = $3 AND l.status = 'active'
    AND (l.valid_from IS NULL OR l.valid_from <= $6) AND (l.valid_until IS NULL OR $6 < l.valid_until)
    AND (l.customer_group_id IS NULL OR l.customer_group_id = $5)
  ORDER BY (l.customer_group_id IS NOT NULL) DESC, l.priority DESC, p.min_quantity DESC, p.amount ASC, l.id ASC
  LIMIT 1;
SELECT matches(pg_temp.plan_of(format('EXECUTE resolve_query(%L, %L, ''EUR'', 1, NULL, now())', :'a', pg_temp.id('V1'))),
               'Index (Only )?Scan using prices_variant_idx on prices p\s+Index Cond: \(+tenant_id = ',
               'resolve_price scans the variant''s tiers by the (tenant_id, variant_id, min_quantity) index');
SELECT matches(pg_temp.plan_of(format('EXECUTE resolve_query(%L, %L, ''EUR'', 1, NULL, now())', :'a', pg_temp.id('V1'))),
               'Index Scan using price_lists_pkey on price_lists l\s+Index Cond: \(+tenant_id = ',
               'resolve_price joins each tier to its list by the (tenant_id, id) primary key');
SELECT matches(pg_temp.plan_of(format('SELECT on_hand, reserved FROM commerce.inventory_levels WHERE tenant_id = %L AND variant_id = %L AND location = ''default''', :'a', pg_temp.id('V1'))),
               'Index Scan using inventory_levels_pkey on inventory_levels\s+Index Cond: \(+tenant_id = ',
               'inventory look-ups use the (tenant_id, variant_id, location) primary key');

SELECT * FROM finish();
ROLLBACK;
