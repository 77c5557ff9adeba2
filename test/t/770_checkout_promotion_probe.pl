# test/t/770_checkout_promotion_probe.pl — pricing a new order skips the
# promotions probe for a tenant the backend knows to have no active
# automatic promotion (extension/promotion_presence.c, issue 13 session 10).
# Across sessions: a long-lived gateway session that has learned the
# absence sees an automatic promotion committed by another session at its
# next checkout (next transaction, and within its own open transaction, as
# READ COMMITTED would), never one that is not committed yet, and stops
# seeing it once it is archived elsewhere. The same for the tax settings
# pricing remembers (extension/tenant_cache.c).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('probe');
my ($tenant, $variant) = split /\|/, $node->safe_psql('commerce', q{
	CREATE ROLE probe_gateway LOGIN IN ROLE commerce_gateway;
	SELECT commerce.create_tenant('probe-a', 'A', 'EUR') AS t \gset
	BEGIN;
	SELECT commerce.set_context(:'t') IS NULL AS ok \gset
	SELECT commerce.create_product('{"title": "Tea", "status": "active"}')->>'id' AS p \gset
	SELECT commerce.create_variant(:'p', '{"sku": "TEA"}')->>'id' AS v \gset
	SELECT commerce.set_inventory(:'v', '{"on_hand": 1000}') IS NOT NULL AS ok \gset
	SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}')->>'id' AS l \gset
	SELECT commerce.set_price(:'l', jsonb_build_object('variant_id', :'v', 'amount', 1000)) IS NOT NULL AS ok \gset
	COMMIT;
	SELECT :'t' || '|' || :'v'});

my $checkout = qq{WITH c AS MATERIALIZED (SELECT commerce.set_context('$tenant'::uuid, 'staff-1', 'staff'))
	SELECT (commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines',
	  jsonb_build_array(jsonb_build_object('variant_id', '$variant', 'quantity', 1)))))->>'total' FROM c};
my $as_staff = "SELECT commerce.set_context('$tenant'::uuid, 'staff-1', 'staff') IS NULL";

my $shop = $node->background_psql('commerce', extra_params => [ '-U', 'probe_gateway' ]);
is($shop->query_safe($checkout), '1000', 'no automatic promotion: full price (absence learned)');
is($shop->query_safe($checkout), '1000', 'again, from what the session knows');

my $promotion = $node->safe_psql('commerce', qq{BEGIN; $as_staff;
	SELECT commerce.create_promotion('{"name": "Ten off", "automatic": true, "type": "percentage", "percent_ppm": 100000}')->>'id';
	COMMIT;});
($promotion) = $promotion =~ /([0-9a-f-]{36})/;
is($shop->query_safe($checkout), '900', 'a promotion committed by another session applies at the next checkout');

$node->safe_psql('commerce', qq{BEGIN; $as_staff; SELECT commerce.archive_promotion('$promotion'); COMMIT;});
is($shop->query_safe($checkout), '1000', 'archived elsewhere: full price again (learned again)');

# a promotion still being created in an open transaction is not seen
my $writer = $node->background_psql('commerce');
$writer->query_safe(qq{BEGIN; $as_staff;
	SELECT commerce.create_promotion('{"name": "Five off", "automatic": true, "type": "percentage", "percent_ppm": 50000}')});
is($shop->query_safe($checkout), '1000', 'an uncommitted promotion does not apply');
$writer->query_safe('COMMIT');
is($shop->query_safe($checkout), '950', 'once committed, the next checkout gets it');

# within one open transaction of the shop's session, as READ COMMITTED
$node->safe_psql('commerce', qq{BEGIN; $as_staff;
	UPDATE commerce.promotions SET status = 'archived', archived_at = now() WHERE tenant_id = '$tenant';
	COMMIT;});
$shop->query_safe('BEGIN');
is($shop->query_safe($checkout), '1000', "every promotion archived (an operator's UPDATE): full price, learned");
$writer->query_safe(qq{BEGIN; $as_staff;
	SELECT commerce.create_promotion('{"name": "Twenty off", "automatic": true, "type": "percentage", "percent_ppm": 200000}');
	COMMIT});
is($shop->query_safe($checkout), '800',
	"a promotion committed while the shop's transaction is open applies to its next statement");
$shop->query_safe('COMMIT');

# the tax settings pricing remembers (extension/tenant_cache.c)
$node->safe_psql('commerce', qq{BEGIN; $as_staff;
	UPDATE commerce.promotions SET status = 'archived', archived_at = now() WHERE tenant_id = '$tenant';
	SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 100000}');
	COMMIT;});
is($shop->query_safe($checkout), '1100', 'the default settings: tax added (remembered)');
is($shop->query_safe($checkout), '1100', 'again, from what the session remembers');
$node->safe_psql('commerce', qq{BEGIN; $as_staff;
	SELECT commerce.set_tax_settings('{"prices_include_tax": true}'); COMMIT;});
is($shop->query_safe($checkout), '1000', 'inclusive prices set by another session apply at the next checkout');

# A checkout whose statement's snapshot predates a promotion committed while
# it runs: it prices without it (its snapshot), and what it learns is
# checked under a fresh snapshot, so the next checkout gets the promotion.
is($shop->query_safe($checkout), '1000', 'no active automatic promotion: absence learned');
$shop->query_until(qr/sleeping/, qq{\\echo sleeping
	SELECT pg_sleep(4) IS NULL AS slept,
	       (SELECT (commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines',
	          jsonb_build_array(jsonb_build_object('variant_id', '$variant', 'quantity', 1)))))->>'total'
	          FROM (SELECT commerce.set_context('$tenant'::uuid, 'staff-1', 'staff')) c) AS total \\gset
});
$node->safe_psql('commerce', qq{BEGIN; $as_staff;
	SELECT commerce.create_promotion('{"name": "Late", "automatic": true, "type": "percentage", "percent_ppm": 100000}');
	COMMIT;});
is($shop->query_safe(q{SELECT :'total'}), '1000',
	'the checkout whose snapshot predates the commit prices without it');
is($shop->query_safe($checkout), '900', 'the next checkout gets it: no stale absence was kept');

$shop->quit;
$writer->quit;
$node->stop;
done_testing();
