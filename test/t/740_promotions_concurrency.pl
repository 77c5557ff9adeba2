# test/t/740_promotions_concurrency.pl — discount code usage limits under
# real concurrency (issue 17, "Concurrency"; the read-then-settle race of
# vendurehq/vendure PR 4660 and medusajs/medusa PR 13760). pgbench clients
# are separate server sessions running at once; each logs its outcome (ok +
# the order, or the pgcommerce error code) in a table checked exactly.
#   1. 200 concurrent checkouts with a code limited to 10 uses: exactly 10
#      orders, each carrying the discount; 190 discount_limit_reached with
#      nothing written (no order, no stock reserved); used = 10.
#   2. Per-customer limit 2, 10 customers x 20 concurrent checkouts each:
#      exactly 2 orders per customer.
#   3. Cancelling one order of scenario 1 frees one use: 50 concurrent
#      checkouts then place exactly one more order; used is 10 again.
#   4. Draft carts placed concurrently (apply_discount_code, then 100
#      concurrent place_order of 100 carts for a code limited to 5).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path run_pgbench);

my $node = commerce_node('promotions_concurrency');

$node->safe_psql('commerce', slurp_file(repo_path('test/fixtures/make_variant.sql')));
$node->safe_psql('commerce', slurp_file(repo_path('test/fixtures/attempt.sql')));

sub pgbench { return run_pgbench($node, @_) }

sub query { return $node->safe_psql('commerce', $_[0]); }
sub as_tenant { my ($t, $sql) = @_; my @r = split /\n/, query("BEGIN; SELECT commerce.set_context('$t') IS NULL; $sql; COMMIT;"); return $r[-1]; }
sub outcomes
{
	my ($scenario) = @_;
	return query("SELECT string_agg(outcome || ':' || n, ',' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM public.outcomes WHERE scenario = '$scenario' GROUP BY outcome) s");
}

my $t = query("SELECT commerce.create_tenant('promo-race', 'Promotion race', 'EUR')");
my $v = query("SELECT public.make_variant('$t', 'RACE-1', 2000, 100000)");
my $p = as_tenant($t, q{SELECT commerce.create_promotion('{"name": "Race", "type": "percentage", "percent_ppm": 250000}')->>'id'});
my $code = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p', '{"code": "LIMIT10", "usage_limit": 10}')->>'id'});

# --- 1. 200 concurrent checkouts, 10 uses ----------------------------------
pgbench('limit10', 200, 1, <<'SQL', tenant => $t, variant => $v);
SELECT public.attempt('limit10', :client_id, ':tenant',
  format('SELECT commerce.checkout(%L)', jsonb_build_object('currency', 'EUR', 'discount_code', 'limit10', 'lines',
    jsonb_build_array(jsonb_build_object('variant_id', ':variant', 'quantity', 1)))));
SQL
is(outcomes('limit10'), 'discount_limit_reached:190,ok:10',
	'200 concurrent checkouts with a code limited to 10: 10 placed, 190 discount_limit_reached');
is(query("SELECT count(*) FROM commerce.orders WHERE tenant_id = '$t' AND discount_total = 500"), '10',
	'exactly 10 orders carry the discount (25 % of 20.00)');
is(query("SELECT count(*) FROM commerce.orders WHERE tenant_id = '$t'"), '10', 'and no other order was written');
is(query("SELECT count(*) FROM commerce.order_discounts WHERE tenant_id = '$t' AND code_id = '$code'"), '10',
	'10 discount rows');
is(query("SELECT used FROM commerce.promotion_codes WHERE id = '$code'"), '10', 'the code shows 10 uses');
is(query("SELECT reserved FROM commerce.inventory_levels WHERE variant_id = '$v'"), '10',
	'only the 10 placed orders reserved stock');

# --- 2. per-customer limit ---------------------------------------------------
my $p2 = as_tenant($t, q{SELECT commerce.create_promotion('{"name": "Twice each", "type": "fixed", "amounts": {"EUR": 300}}')->>'id'});
my $code2 = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p2', '{"code": "TWICE", "per_customer_limit": 2}')->>'id'});
query("INSERT INTO commerce.customers (tenant_id, id, email) SELECT '$t', ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, 'c' || i || '\@example.com' FROM generate_series(0, 9) i");
pgbench('per_customer', 200, 1, <<'SQL', tenant => $t, variant => $v);
SELECT public.attempt('per_customer', :client_id, ':tenant',
  format('SELECT commerce.checkout(%L)', jsonb_build_object('currency', 'EUR', 'discount_code', 'TWICE',
    'customer_id', '00000000-0000-7000-8000-' || lpad((:client_id % 10)::text, 12, '0'),
    'lines', jsonb_build_array(jsonb_build_object('variant_id', ':variant', 'quantity', 1)))));
SQL
is(outcomes('per_customer'), 'discount_limit_reached:180,ok:20',
	'10 customers x 20 concurrent checkouts, 2 uses each: 20 placed');
is(query("SELECT string_agg(DISTINCT n::text, ',') FROM (SELECT count(*) n FROM commerce.orders o JOIN commerce.order_discounts d ON d.order_id = o.id AND d.code_id = '$code2' GROUP BY o.customer_id) s"),
	'2', 'every customer has exactly 2 orders with the code');
is(query("SELECT string_agg(DISTINCT used::text, ',') || '/' || count(*) FROM commerce.promotion_code_customers WHERE code_id = '$code2'"),
	'2/10', 'the per-customer counters say 2 for each of the 10');

# --- 3. cancelling frees one use --------------------------------------------
my $cancel = query("SELECT (response->>'id') FROM public.outcomes WHERE scenario = 'limit10' AND outcome = 'ok' LIMIT 1");
as_tenant($t, "SELECT commerce.cancel_order('$cancel') IS NOT NULL");
is(query("SELECT used FROM commerce.promotion_codes WHERE id = '$code'"), '9', 'cancelling gives one use back');
pgbench('freed', 50, 1, <<'SQL', tenant => $t, variant => $v);
SELECT public.attempt('freed', :client_id, ':tenant',
  format('SELECT commerce.checkout(%L)', jsonb_build_object('currency', 'EUR', 'discount_code', 'LIMIT10', 'lines',
    jsonb_build_array(jsonb_build_object('variant_id', ':variant', 'quantity', 1)))));
SQL
is(outcomes('freed'), 'discount_limit_reached:49,ok:1', '50 concurrent checkouts after the cancel: exactly one more');
is(query("SELECT used FROM commerce.promotion_codes WHERE id = '$code'"), '10', 'the code is at its limit again');
is(query("SELECT count(*) FROM commerce.orders WHERE tenant_id = '$t' AND status <> 'cancelled' AND id IN (SELECT order_id FROM commerce.order_discounts WHERE code_id = '$code')"),
	'10', 'exactly 10 live orders carry the code');

# --- 4. carts placed concurrently ------------------------------------------
my $code3 = as_tenant($t, qq{SELECT commerce.create_promotion_code('$p', '{"code": "CART5", "usage_limit": 5}')->>'id'});
query("CREATE TABLE public.carts AS SELECT 0 AS n, NULL::uuid AS id WHERE false");
# The 100 carts in one psql session (one transaction per cart), not 300
# psql runs: the set-up is not what races.
query(join '', map { qq{BEGIN; SELECT commerce.set_context('$t') IS NULL;
DO \$\$ DECLARE o uuid; BEGIN
  o := commerce.create_order(jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(jsonb_build_object('variant_id', '$v', 'quantity', 1))))->>'id';
  PERFORM commerce.apply_discount_code(o, '{"code": "cart5"}');
  INSERT INTO public.carts VALUES ($_, o);
END \$\$;
COMMIT;
} } 1 .. 100);
is(query("SELECT count(*) || ' ' || count(DISTINCT id) FROM public.carts c JOIN commerce.order_discounts d ON d.order_id = c.id AND d.code_id = '$code3'"),
	'100 100', '100 draft carts, each with the code applied');
pgbench('carts', 100, 1, <<'SQL', tenant => $t);
SELECT public.attempt('carts', :client_id, ':tenant',
  format('SELECT commerce.place_order(%L)', (SELECT id FROM public.carts WHERE n = :client_id + 1)));
SQL
is(outcomes('carts'), 'discount_limit_reached:95,ok:5', '100 carts with a code limited to 5 placed at once: 5 placed');
is(query("SELECT count(*) FROM commerce.orders WHERE id IN (SELECT id FROM public.carts) AND status = 'placed' AND discount_total > 0"),
	'5', 'the 5 placed carry the discount, the 95 others stay drafts');
is(query("SELECT used FROM commerce.promotion_codes WHERE id = '$code3'"), '5', 'the code shows 5 uses');

$node->stop;
done_testing();
