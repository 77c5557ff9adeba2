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
use PgCommerce::Test qw(commerce_node repo_path);

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

# --- the cache is the cluster's: shared by sessions, apart by database -----
$node->safe_psql('commerce', qq{UPDATE commerce.products SET status = 'active' WHERE id = '$product'});
is($shop->query_safe($checkout), '900', 'active again: a miss') for 1 .. 4;
my $other = $node->background_psql('commerce', extra_params => [ '-U', 'catcache_gateway' ]);
is($other->query_safe($checkout), '900', 'a new session (its first checkout learns promotions)');
$other->query_safe('BEGIN');
$reads = $other->query_safe($price_reads);
is($other->query_safe($checkout), '900', 'its second checkout');
is($other->query_safe($price_reads) - $reads, 0, 'from what the shop session read: prices not read');
$other->query_safe('COMMIT');

# a change by a session that never priced, while the sessions that read the
# tenant are idle: a session started after it does not get the old price
# (the writer's commit made the entries stale, not the readers' relcache
# callbacks)
$node->safe_psql('commerce', qq{UPDATE commerce.prices SET amount = 950
	WHERE tenant_id = '$tenant' AND amount = 900});
my $third = $node->background_psql('commerce', extra_params => [ '-U', 'catcache_gateway' ]);
is($third->query_safe($checkout), '950', 'a session started after the change: the new price');
is($third->query_safe($checkout), '950', 'and at its second checkout, the cache asked');
is($other->query_safe($checkout), '950', 'an idle session that read the old price: the new one');

# a transaction that wrote the catalog neither reads nor fills the cache:
# what it priced with its uncommitted price is not kept for others
# (its checkouts in a savepoint rolled back: their locks on the order
# counter and the stock go, the uncommitted price stays)
$writer->query_safe(qq{BEGIN; UPDATE commerce.prices SET amount = 1234 WHERE tenant_id = '$tenant' AND amount = 950});
$writer->query_safe('SAVEPOINT s');
is($writer->query_safe($checkout), '1234', 'the writing transaction: its own price') for 1 .. 5;
$writer->query_safe('ROLLBACK TO SAVEPOINT s');
is($other->query_safe($checkout), '950', 'meanwhile another session: the committed price');
$writer->query_safe('ROLLBACK');

# the same tenant and variant ids in a second database (an import): each
# database's prices
$node->safe_psql('commerce', qq{CREATE ROLE catcache_part LOGIN;
	SELECT commerce.bind_role('catcache_part', '$tenant')});
$node->safe_psql('postgres', 'CREATE DATABASE copy');
$node->safe_psql('copy', 'CREATE EXTENSION pgcommerce CASCADE');
my $archive = PostgreSQL::Test::Utils::tempdir . '/a.tar';
my ($out, $err) = ('', '');
IPC::Run::run([ repo_path('bin/pgcommerce-tenant'), 'export', '-d', $node->connstr('commerce') . ' user=catcache_part',
		'-f', $archive ], '>', \$out, '2>', \$err);
is($?, 0, 'the tenant exported') or diag($err);
IPC::Run::run([ repo_path('bin/pgcommerce-tenant'), 'import', '-d', $node->connstr('copy'), '-f', $archive ],
	'>', \$out, '2>', \$err);
is($?, 0, 'and imported into database copy') or diag($err);
$node->safe_psql('copy', qq{UPDATE commerce.prices SET amount = 444 WHERE tenant_id = '$tenant' AND amount = 950});
my $copy = $node->background_psql('copy', extra_params => [ '-U', 'catcache_gateway' ]);
is($copy->query_safe($checkout), '444', "database copy: its price") for 1 .. 5;
$copy->query_safe('BEGIN');
$reads = $copy->query_safe($price_reads);
is($copy->query_safe($checkout), '444', 'database copy, read whole: its price');
is($copy->query_safe($price_reads) - $reads, 0, '... from the cache');
$copy->query_safe('COMMIT');
$shop->query_safe($checkout) for 1 .. 5;	# the 950 made the tenant's entries stale: misses
$shop->query_safe('BEGIN');
$reads = $shop->query_safe($price_reads);
is($shop->query_safe($checkout), '950', 'database commerce, the same ids: its own price');
is($shop->query_safe($price_reads) - $reads, 0, '... from the cache');
$shop->query_safe('COMMIT');
$copy->query_safe('BEGIN');
$reads = $copy->query_safe($price_reads);
is($copy->query_safe($checkout), '444', 'database copy again: its price');
is($copy->query_safe($price_reads) - $reads, 0, '... still from the cache: the two are kept apart');
$copy->query_safe('COMMIT');

$shop->quit;
$writer->quit;
$other->quit;
$third->quit;
$copy->quit;

# --- a cache too small for the tenant: a checkout's variants at a time -----
$node->append_conf('postgresql.conf', 'pgcommerce.catalog_cache_size = 4');
$node->restart;
$shop = $node->background_psql('commerce', extra_params => [ '-U', 'catcache_gateway' ]);
is($shop->query_safe(checkout_sql($second)), '2500', 'a cache of 4 variants: the price') for 1 .. 5;
$shop->query_safe('BEGIN');
$reads = $shop->query_safe($price_reads);
is($shop->query_safe(checkout_sql($second)), '2500', 'the variant asked for, again');
is($shop->query_safe($price_reads) - $reads, 0, '... from the cache');
$reads = $shop->query_safe($price_reads);
is($shop->query_safe($checkout), '950', 'the tenant\'s other variant');
cmp_ok($shop->query_safe($price_reads) - $reads, '>', 0, '... read at its first checkout (the tenant is not read whole)');
$reads = $shop->query_safe($price_reads);
is($shop->query_safe($checkout) . '/' . $shop->query_safe(checkout_sql($second)), '950/2500', 'both again');
is($shop->query_safe($price_reads) - $reads, 0, '... from the cache');
$shop->query_safe('COMMIT');
$shop->quit;
$node->stop;
done_testing();
