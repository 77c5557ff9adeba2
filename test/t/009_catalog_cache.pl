# test/t/009_catalog_cache.pl — pricing keeps a tenant's variants and price
# tiers per backend (extension/catalog_cache.c, issue 13 session 12). Across
# sessions: a long-lived gateway session that has read the catalog sees, at
# its next checkout, a price, a list, a product status or a new variant
# committed by another session (and within its own open READ COMMITTED
# transaction, at its next statement), never a change not committed yet; a
# REPEATABLE READ transaction keeps its snapshot's prices (no cache there);
# a customer actor and a staff member of the tenant get the same answers
# from what was read for either.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('catcache');
my ($tenant, $variant, $list, $product, $customer) = split /\|/, $node->safe_psql('commerce', q{
	CREATE ROLE catcache_gateway LOGIN IN ROLE commerce_gateway;
	SELECT commerce.create_tenant('catcache-a', 'A', 'EUR') AS t \gset
	BEGIN;
	SELECT commerce.set_context(:'t') IS NULL AS ok \gset
	SELECT commerce.create_product('{"title": "Tea", "status": "active"}')->>'id' AS p \gset
	SELECT commerce.create_variant(:'p', '{"sku": "TEA"}')->>'id' AS v \gset
	SELECT commerce.set_inventory(:'v', '{"on_hand": 100000}') IS NOT NULL AS ok \gset
	SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}')->>'id' AS l \gset
	SELECT commerce.set_price(:'l', jsonb_build_object('variant_id', :'v', 'amount', 1000)) IS NOT NULL AS ok \gset
	SELECT commerce.create_customer('{"email": "c@example.com"}')->>'id' AS c \gset
	COMMIT;
	SELECT :'t' || '|' || :'v' || '|' || :'l' || '|' || :'p' || '|' || :'c'});

my $as_staff = "SELECT commerce.set_context('$tenant'::uuid, 'staff-1', 'staff') IS NULL";
# checkout_sql(variant, actor, sub): the unit amount, or the error's code
sub checkout_sql
{
	my ($v, $actor, $sub) = @_;
	$actor //= 'staff';
	$sub //= 'staff-1';
	return qq{DO \$\$ DECLARE o jsonb; code text; BEGIN
	  PERFORM commerce.set_context('$tenant'::uuid, '$sub', '$actor');
	  o := commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines',
	         jsonb_build_array(jsonb_build_object('variant_id', '$v', 'quantity', 1))));
	  PERFORM set_config('cat.answer', o -> 'lines' -> 0 ->> 'unit_amount', false);
	EXCEPTION WHEN OTHERS THEN
	  GET STACKED DIAGNOSTICS code = CONSTRAINT_NAME;
	  PERFORM set_config('cat.answer', coalesce(nullif(code, ''), SQLERRM), false);
	END \$\$; SELECT current_setting('cat.answer')};
}
my $checkout = checkout_sql($variant);
my $price_reads = q{SELECT coalesce(sum(idx_scan + seq_scan), 0) FROM pg_stat_xact_user_tables
	WHERE schemaname = 'commerce' AND relname = 'prices'};

my $shop = $node->background_psql('commerce', extra_params => [ '-U', 'catcache_gateway' ]);
is($shop->query_safe($checkout), '1000', 'the price (the tenant has no automatic promotion: learned)');
is($shop->query_safe($checkout), '1000', "again: the statement's (a miss)") for 1 .. 3;
is($shop->query_safe($checkout), '1000', 'the fourth miss: the tenant read whole');
# (the view counts what is not sent yet, earlier transactions' too: a difference)
$shop->query_safe('BEGIN');
my $reads = $shop->query_safe($price_reads);
is($shop->query_safe($checkout), '1000', 'again');
is($shop->query_safe($price_reads) - $reads, 0, 'from what the session keeps: prices not read');
$shop->query_safe('COMMIT');

$node->safe_psql('commerce', qq{BEGIN; $as_staff;
	SELECT commerce.set_price('$list', jsonb_build_object('variant_id', '$variant', 'amount', 1500)); COMMIT;});
is($shop->query_safe($checkout), '1500', 'a price committed by another session applies at the next checkout');

# an uncommitted change is not seen; once committed, the next statement of an
# open READ COMMITTED transaction sees it
my $writer = $node->background_psql('commerce');
$writer->query_safe(qq{BEGIN; $as_staff;
	SELECT commerce.set_price('$list', jsonb_build_object('variant_id', '$variant', 'amount', 1700))});
is($shop->query_safe($checkout), '1500', 'an uncommitted price does not apply');
$shop->query_safe('BEGIN');
is($shop->query_safe($checkout), '1500', 'in an open transaction: the committed price');
$writer->query_safe('COMMIT');
is($shop->query_safe($checkout), '1700', "committed while the shop's transaction is open: its next statement");
$shop->query_safe('COMMIT');

# REPEATABLE READ: the transaction's snapshot, not what the backend keeps
$shop->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
is($shop->query_safe($checkout), '1700', 'repeatable read: the price at its snapshot');
$node->safe_psql('commerce', qq{BEGIN; $as_staff;
	SELECT commerce.set_price('$list', jsonb_build_object('variant_id', '$variant', 'amount', 1800)); COMMIT;});
is($shop->query_safe($checkout), '1700', 'repeatable read: a later commit is not seen');
$shop->query_safe('COMMIT');
is($shop->query_safe($checkout), '1800', 'the next transaction: the new price');

# a list of higher priority, a product made inactive, a new variant
$node->safe_psql('commerce', qq{BEGIN; $as_staff;
	SELECT commerce.set_price((commerce.create_price_list('{"name": "Sale", "currency": "EUR", "priority": 5}')->>'id')::uuid,
	                          jsonb_build_object('variant_id', '$variant', 'amount', 900));
	COMMIT;});
is($shop->query_safe($checkout), '900', "another session's list of higher priority wins");
$node->safe_psql('commerce', qq{UPDATE commerce.products SET status = 'draft' WHERE id = '$product'});
is($shop->query_safe($checkout), 'variant_not_available', 'a product made inactive elsewhere cannot be ordered');
$node->safe_psql('commerce', qq{UPDATE commerce.products SET status = 'active' WHERE id = '$product'});
is($shop->query_safe($checkout), '900', 'active again');
my $second = $node->safe_psql('commerce', qq{BEGIN; $as_staff;
	SELECT commerce.create_variant('$product', '{"sku": "TEA-2"}')->>'id' AS v \\gset
	SELECT commerce.set_inventory(:'v', '{"on_hand": 10}') IS NOT NULL AS ok \\gset
	SELECT commerce.set_price('$list', jsonb_build_object('variant_id', :'v', 'amount', 2500)) IS NOT NULL AS ok \\gset
	COMMIT;
	SELECT :'v'});
($second) = $second =~ /([0-9a-f-]{36})\s*$/;
is($shop->query_safe(checkout_sql($second)), '2500', 'a variant made elsewhere: its price');

# a customer actor gets what a staff member got, from the same backend
is($shop->query_safe(checkout_sql($variant, 'customer', $customer)), '900',
	'a customer actor: the same price');
$node->safe_psql('commerce', qq{UPDATE commerce.products SET status = 'draft' WHERE id = '$product'});
is($shop->query_safe(checkout_sql($variant, 'customer', $customer)), 'variant_not_available',
	'a customer actor: an inactive product cannot be ordered');

$shop->quit;
$writer->quit;
$node->stop;
done_testing();
