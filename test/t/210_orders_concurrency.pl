# test/t/210_orders_concurrency.pl — orders under real concurrency: pgbench
# clients are separate server sessions running at once; each records its
# outcome (ok + response, or the pgcommerce error code) in a log table that
# the test then checks exactly.
#   1. 200 concurrent checkouts of the last 10 units: exactly 10 placed,
#      190 insufficient_stock, reserved = 10, on_hand unchanged.
#   2. 100 concurrent retries of one idempotency key: exactly one order,
#      every success response identical, the others idempotency_key_in_use.
#   3. 50 concurrent updates with the same expected version: exactly one wins.
#   4. Gapless order numbers: 8 clients x 40 checkouts, every 4th rolled
#      back after placing: the committed orders hold numbers 1..N exactly.
#   5. No deadlocks: 16 clients x 25 checkouts of the same 4 variants, the
#      lines listed in the opposite order by half of them (stock rows are
#      locked in variant id order whatever the order of the lines).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path run_pgbench);

my $node = commerce_node('orders_concurrency');

$node->safe_psql('commerce', slurp_file(repo_path('test/fixtures/make_variant.sql')));
$node->safe_psql('commerce', slurp_file(repo_path('test/fixtures/attempt.sql')));

sub pgbench { return run_pgbench($node, @_) }

sub query { return $node->safe_psql('commerce', $_[0]); }

# --- 1. the last 10 units -------------------------------------------------
my $t1 = query("SELECT commerce.create_tenant('last-units', 'Last units', 'EUR')");
my $v1 = query("SELECT public.make_variant('$t1', 'LAST-10', 1500, 10)");
pgbench('last_units', 200, 1, <<'SQL', tenant => $t1, variant => $v1);
SELECT public.attempt('last_units', :client_id, ':tenant',
  format('SELECT commerce.checkout(%L)', jsonb_build_object('currency', 'EUR', 'lines',
    jsonb_build_array(jsonb_build_object('variant_id', ':variant', 'quantity', 1)))));
SQL
is(query("SELECT string_agg(outcome || ':' || n, ',' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM public.outcomes WHERE scenario = 'last_units' GROUP BY outcome) s"),
	'insufficient_stock:190,ok:10', '200 checkouts of 10 units: exactly 10 placed, 190 insufficient_stock');
is(query("SELECT on_hand || '/' || reserved FROM commerce.inventory_levels WHERE variant_id = '$v1'"),
	'10/10', 'reserved = 10, on_hand unchanged');
is(query("SELECT count(*) FROM commerce.orders WHERE tenant_id = '$t1' AND status = 'placed'"),
	'10', 'exactly 10 orders in the table');
is(query("SELECT string_agg(number::text, ',' ORDER BY number) FROM commerce.orders WHERE tenant_id = '$t1'"),
	'1,2,3,4,5,6,7,8,9,10', 'their numbers are 1..10');

# --- 2. one idempotency key, 100 concurrent retries ------------------------
my $t2 = query("SELECT commerce.create_tenant('retries', 'Retries', 'EUR')");
my $v2a = query("SELECT public.make_variant('$t2', 'R-A', 990, 1000)");
my $v2b = query("SELECT public.make_variant('$t2', 'R-B', 1250, 1000)");
my $v2c = query("SELECT public.make_variant('$t2', 'R-C', 75, 1000)");
pgbench('retries', 100, 1, <<'SQL', tenant => $t2, a => $v2a, b => $v2b, c => $v2c);
SELECT public.attempt('retries', :client_id, ':tenant',
  format('SELECT commerce.checkout(%L, %L)', jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(
    jsonb_build_object('variant_id', ':a', 'quantity', 1), jsonb_build_object('variant_id', ':b', 'quantity', 2),
    jsonb_build_object('variant_id', ':c', 'quantity', 3))), 'retry-key-1'));
SQL
is(query("SELECT count(*) FROM commerce.orders WHERE tenant_id = '$t2'"), '1', '100 retries of one key: exactly one order');
is(query("SELECT count(*) FROM public.outcomes WHERE scenario = 'retries' AND outcome NOT IN ('ok', 'idempotency_key_in_use')"),
	'0', 'every retry either succeeded or found the key in use');
cmp_ok(query("SELECT count(*) FROM public.outcomes WHERE scenario = 'retries' AND outcome = 'ok'"), '>=', 1,
	'at least the first request succeeded');
is(query("SELECT count(DISTINCT response) FROM public.outcomes WHERE scenario = 'retries' AND outcome = 'ok'"),
	'1', 'every success response is identical');
is(query("SELECT (response->>'id') = (SELECT id::text FROM commerce.orders WHERE tenant_id = '$t2') FROM public.outcomes WHERE scenario = 'retries' AND outcome = 'ok' LIMIT 1"),
	't', 'and it is the one order');
is(query("SELECT sum(reserved) FROM commerce.inventory_levels WHERE tenant_id = '$t2'"), '6', 'stock reserved once: 1 + 2 + 3 units');

# --- 3. the same expected version, 50 times at once ------------------------
my $t3 = query("SELECT commerce.create_tenant('versions', 'Versions', 'EUR')");
my $v3 = query("SELECT public.make_variant('$t3', 'VER-1', 500, 1000)");
my $o3 = query("BEGIN; SELECT commerce.set_context('$t3') IS NULL; SELECT commerce.create_order('{\"currency\": \"EUR\"}')->>'id'; COMMIT;");
$o3 = (split /\n/, $o3)[-1];
pgbench('versions', 50, 1, <<'SQL', tenant => $t3, variant => $v3, order => $o3);
SELECT public.attempt('versions', :client_id, ':tenant',
  format('SELECT commerce.add_order_line(%L, %L, 1)', ':order',
         jsonb_build_object('variant_id', ':variant', 'quantity', 1)));
SQL
is(query("SELECT string_agg(outcome || ':' || n, ',' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM public.outcomes WHERE scenario = 'versions' GROUP BY outcome) s"),
	'ok:1,version_conflict:49', '50 updates with expected version 1: one wins, 49 version_conflict');
is(query("SELECT version || '/' || (SELECT quantity FROM commerce.order_lines WHERE order_id = '$o3') FROM commerce.orders WHERE id = '$o3'"),
	'2/1', "the order moved to version 2 with the winner's line only");

# --- 4. gapless numbers with rollbacks ---------------------------------------
my $t4 = query("SELECT commerce.create_tenant('gapless', 'Gapless', 'EUR')");
my $v4 = query("SELECT public.make_variant('$t4', 'GAP-1', 100, 100000)");
pgbench('gapless', 8, 40, <<'SQL', tenant => $t4, variant => $v4, n => 0);
\set n :n + 1
BEGIN;
SELECT commerce.set_context(':tenant');
SELECT commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(jsonb_build_object('variant_id', ':variant', 'quantity', 1))));
\if :n % 4 = 0
ROLLBACK;
\else
COMMIT;
\endif
SQL
is(query("SELECT count(*) || ' ' || min(number) || '..' || max(number) || ' ' || count(DISTINCT number) FROM commerce.orders WHERE tenant_id = '$t4'"),
	'240 1..240 240', '240 committed checkouts (80 rolled back) hold numbers 1..240, no gap, no duplicate');
is(query("SELECT last_number FROM commerce.order_counters WHERE tenant_id = '$t4'"), '240', 'the counter is at 240');
is(query("SELECT reserved FROM commerce.inventory_levels WHERE variant_id = '$v4'"), '240', 'rolled back checkouts reserved nothing');

# --- 5. opposite line orders, no deadlock ----------------------------------
my $t5 = query("SELECT commerce.create_tenant('deadlocks', 'Deadlocks', 'EUR')");
my @v5 = map { query("SELECT public.make_variant('$t5', 'DL-$_', 100, 100000)") } (1 .. 4);
pgbench('deadlocks', 16, 25, <<'SQL', tenant => $t5, a => $v5[0], b => $v5[1], c => $v5[2], d => $v5[3]);
\set up random(0, 1)
SELECT public.attempt('deadlocks', :client_id, ':tenant',
  format('SELECT commerce.checkout(%L)', jsonb_build_object('currency', 'EUR', 'lines',
    CASE WHEN :up = 1 THEN jsonb_build_array(jsonb_build_object('variant_id', ':a', 'quantity', 1), jsonb_build_object('variant_id', ':b', 'quantity', 1),
                                            jsonb_build_object('variant_id', ':c', 'quantity', 1), jsonb_build_object('variant_id', ':d', 'quantity', 1))
         ELSE jsonb_build_array(jsonb_build_object('variant_id', ':d', 'quantity', 1), jsonb_build_object('variant_id', ':c', 'quantity', 1),
                                jsonb_build_object('variant_id', ':b', 'quantity', 1), jsonb_build_object('variant_id', ':a', 'quantity', 1)) END)));
SQL
is(query("SELECT string_agg(outcome || ':' || n, ',' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM public.outcomes WHERE scenario = 'deadlocks' GROUP BY outcome) s"),
	'ok:400', '400 checkouts with lines in opposite orders: all placed, no deadlock');
is(query("SELECT string_agg(reserved::text, ',') FROM commerce.inventory_levels WHERE tenant_id = '$t5'"),
	'400,400,400,400', 'each variant reserved 400 times');

$node->stop;
done_testing();
