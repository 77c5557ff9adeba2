# test/t/741_promotion_limits_concurrency.pl — a code's uses where no counter
# is kept (docs/promotions.md, "Where uses are counted";
# extension/promotion_limits.c), under real concurrency: pgbench clients are
# separate sessions running at once, each logging its outcome.
#   1. 100 concurrent checkouts with a code without limits: all placed, the
#      code's row never written (same row version), no per-customer row,
#      100 uses counted from the orders.
#   2. A total limit set while 118 checkouts run (30 uses taken before):
#      the limit counts every use placed before it, and holds exactly after
#      (live orders = used = the limit, check_invariants clean).
#   3. A per-customer limit set while 118 checkouts of 10 customers run:
#      each customer ends with exactly the limit, the counters equal the
#      orders. (The limit change waits only for the checkouts in flight, at
#      most the first of each client's two, and the later ones wait for
#      it: hence 100 and 9, above what the first round can reach.)
#   4. The attack: a session in REPEATABLE READ whose snapshot predates a
#      limit cannot use the code past it (serialization failure), and one
#      that read "no limit" holds a limit change off until it ends.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path run_pgbench);

my $node = commerce_node('promotion_limits');

$node->safe_psql('commerce', slurp_file(repo_path('test/fixtures/make_variant.sql')));
$node->safe_psql('commerce', slurp_file(repo_path('test/fixtures/attempt.sql')));
$node->safe_psql('commerce', <<'SQL');
CREATE FUNCTION public.buy(code text, customer uuid, variant uuid) RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT commerce.checkout(%L)', jsonb_build_object('currency', 'EUR', 'discount_code', code,
    'customer_id', customer, 'lines', jsonb_build_array(jsonb_build_object('variant_id', variant, 'quantity', 1))))
$$;
SQL

sub pgbench { return run_pgbench($node, @_) }

sub query { return $node->safe_psql('commerce', $_[0]); }
sub as_tenant { my ($t, $sql) = @_; my @r = split /\n/, query("BEGIN; SELECT commerce.set_context('$t') IS NULL; $sql; COMMIT;"); return $r[-1]; }
sub outcomes
{
	my ($scenario) = @_;
	return query("SELECT string_agg(outcome || ':' || n, ',' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM public.outcomes WHERE scenario = '$scenario' GROUP BY outcome) s");
}
sub live_orders
{
	my ($code) = @_;
	return query("SELECT count(*) FROM commerce.orders o JOIN commerce.order_discounts d ON d.tenant_id = o.tenant_id AND d.order_id = o.id WHERE d.code_id = '$code' AND o.status <> 'cancelled'");
}
sub invariants
{
	return query("SELECT count(*) FROM commerce.check_invariants() WHERE invariant IN ('discount_usage_counted', 'discount_customer_usage_counted', 'order_total_is_sum_of_parts')");
}

my $t = query("SELECT commerce.create_tenant('promo-limits', 'Promotion limits', 'EUR')");
my $v = query("SELECT public.make_variant('$t', 'LIM-1', 2000, 1000000)");
query("INSERT INTO commerce.customers (tenant_id, id, email) SELECT '$t', ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, 'c' || i || '\@example.com' FROM generate_series(0, 9) i");
my $p = as_tenant($t, q{SELECT commerce.create_promotion('{"name": "Open", "type": "percentage", "percent_ppm": 100000}')->>'id'});
my $customer = q{('00000000-0000-7000-8000-' || lpad((:client_id % 10)::text, 12, '0'))::uuid};

# --- 1. no limit: nothing written to the code or a customer's counter ----
my $open = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p', '{"code": "OPEN"}')->>'id'});
my $row = query("SELECT ctid || ' ' || xmin FROM commerce.promotion_codes WHERE id = '$open'");
pgbench('open', 100, 1, <<"SQL", tenant => $t, variant => $v);
SELECT public.attempt('open', :client_id, ':tenant', public.buy('open', $customer, ':variant'));
SQL
is(outcomes('open'), 'ok:100', '100 concurrent checkouts with a code without limits: all placed');
is(live_orders($open), '100', 'each carries the code');
is(query("SELECT ctid || ' ' || xmin FROM commerce.promotion_codes WHERE id = '$open'"), $row,
	"the code's row was never written (same version)");
is(query("SELECT count(*) FROM commerce.promotion_code_customers WHERE code_id = '$open'"), '0',
	'no per-customer counter without a per-customer limit');
is(as_tenant($t, "SELECT commerce.get_promotion_code('$open')->>'used'"), '100', 'the 100 uses are counted from the orders');

# --- 2. a total limit set while checkouts run --------------------------
my $race = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p', '{"code": "RACE"}')->>'id'});
query("SELECT count(public.attempt('race-before', i, '$t', public.buy('RACE', NULL, '$v'))) FROM generate_series(1, 30) i");
is(outcomes('race-before'), 'ok:30', '30 uses taken before');
pgbench('race', 60, 2, <<"SQL", tenant => $t, variant => $v, code => $race);
\\if :client_id = 30
SELECT public.attempt('setlimit', :client_id, ':tenant',
  format('SELECT commerce.update_promotion_code(%L, %L)', ':code', '{"usage_limit": 100}'));
\\else
SELECT public.attempt('race', :client_id, ':tenant', public.buy('RACE', NULL, ':variant'));
\\endif
SQL
my $set = outcomes('setlimit');
my $placed = query("SELECT count(*) FROM public.outcomes WHERE scenario = 'race' AND outcome = 'ok'");
if ($set =~ /^ok:/)
{
	is($set, 'ok:2', 'usage_limit 100 set while 118 checkouts ran');
	is(outcomes('race'), 'discount_limit_reached:48,ok:70',
		'exactly 70 more placed (30 + 70 = the limit), 48 discount_limit_reached');
}
else
{
	# the limit came after more than 100 uses: refused, nothing lost
	like($set, qr/invalid_input/, 'usage_limit 100 refused: more uses were already taken');
	is($placed, '118', 'and every checkout was placed');
}
is(live_orders($race), 30 + $placed, 'the live orders are the uses taken');
is(query("SELECT used FROM commerce.promotion_codes WHERE id = '$race'"), $set =~ /^ok:/ ? '100' : '0',
	'the stored counter is the exact count under the limit');
is(invariants(), '0', 'check_invariants: the counters equal the orders');

# --- 3. a per-customer limit set while checkouts run -------------------
my $each = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p', '{"code": "EACH"}')->>'id'});
query("SELECT count(public.attempt('each-before', i, '$t', public.buy('EACH', ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, '$v'))) FROM generate_series(0, 9) i");
pgbench('each', 60, 2, <<"SQL", tenant => $t, variant => $v, code => $each);
\\if :client_id = 30
SELECT public.attempt('setcustomer', :client_id, ':tenant',
  format('SELECT commerce.update_promotion_code(%L, %L)', ':code', '{"per_customer_limit": 9}'));
\\else
SELECT public.attempt('each', :client_id, ':tenant', public.buy('EACH', $customer, ':variant'));
\\endif
SQL
is(outcomes('setcustomer'), 'ok:2', 'per_customer_limit 9 set while 118 checkouts of 10 customers ran');
is(query("SELECT string_agg(DISTINCT n::text, ',') FROM (SELECT count(*) n FROM commerce.orders o JOIN commerce.order_discounts d ON d.order_id = o.id AND d.code_id = '$each' GROUP BY o.customer_id) s"),
	'9', 'every customer ends with exactly 9 orders with the code (1 before, 8 of its 10-12 raced)');
is(outcomes('each'), 'discount_limit_reached:38,ok:80', '80 placed, 38 discount_limit_reached');
is(query("SELECT string_agg(DISTINCT used::text, ',') || '/' || count(*) FROM commerce.promotion_code_customers WHERE code_id = '$each'"),
	'9/10', 'the per-customer counters start from the orders and say 9 for each of the 10');
is(invariants(), '0', 'check_invariants: clean');

# --- 4. REPEATABLE READ: a snapshot older than the limit -----------------
my $rr_code = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p', '{"code": "SNAP"}')->>'id'});
query("SELECT public.attempt('snap-before', 1, '$t', public.buy('SNAP', NULL, '$v'))");
my $old = $node->background_psql('commerce', on_error_stop => 0, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
$old->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$old->query_safe("SELECT commerce.set_context('$t') IS NULL, count(*) FROM commerce.orders");
is(as_tenant($t, "SELECT commerce.update_promotion_code('$rr_code', '{\"usage_limit\": 1}')->>'used'"), '1',
	'usage_limit 1 set on a code used once (the code is full)');
$old->query(query("SELECT public.buy('SNAP', NULL, '$v')"));
like($old->{stderr}, qr/40001|could not serialize/,
	'a REPEATABLE READ checkout whose snapshot saw no limit: serialization failure, not a use past the limit');
$old->{stderr} = '';
$old->query_safe('ROLLBACK');
is(live_orders($rr_code), '1', 'the code still has exactly its 1 use');

# ... and a placement that read "no limit" holds the limit change off
my $rr2 = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p', '{"code": "HOLD"}')->>'id'});
$old->query_safe('BEGIN');
$old->query_safe("SELECT commerce.set_context('$t') IS NULL");
$old->query_safe(query("SELECT public.buy('HOLD', NULL, '$v')"));
my ($out, $err) = ('', '');
my $h = IPC::Run::start([ 'psql', '-XAtq', '-h', $node->host, '-p', $node->port, '-d', 'commerce', '-c',
	"SELECT commerce.set_context('$t') IS NULL; SELECT commerce.update_promotion_code('$rr2', '{\"usage_limit\": 1}')->>'used'" ],
	'>', \$out, '2>', \$err);
sleep 1;
is(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 28784 AND NOT granted"), '1',
	'the limit change waits for the placement in flight (code-limits lock, field4 0x7070)');
$old->query_safe('COMMIT');
$h->finish;
like($out, qr/^1$/m, 'then counts its use: used = 1');
$old->quit;

$node->stop;
done_testing();
