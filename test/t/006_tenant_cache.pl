# test/t/006_tenant_cache.pl — current_tenant() caches role facts per
# session, and forgets them as soon as they change in another session: a
# new binding, a new gateway membership, a revoked membership, a binding
# row removed by an operator. Each change must show in the long-lived
# session's next transaction. Likewise a tenant's status, which every
# request checks and each session keeps once read (issue 13 session 14):
# a suspension or an activation committed elsewhere is seen at once.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('cache');
my $tenant = $node->safe_psql('commerce', q{
	CREATE ROLE cache_partner LOGIN;
	CREATE ROLE cache_gateway LOGIN;
	SELECT commerce.create_tenant('cache-a', 'A', 'EUR')});

my $partner = $node->background_psql('commerce', extra_params => [ '-U', 'cache_partner' ]);
my $gateway = $node->background_psql('commerce', extra_params => [ '-U', 'cache_gateway' ]);

is($partner->query_safe('SELECT commerce.current_tenant() IS NULL'), 't', 'unbound role: no tenant (now cached)');
$node->safe_psql('commerce', "SELECT commerce.bind_role('cache_partner', '$tenant')");
is($partner->query_safe('SELECT commerce.current_tenant()'), $tenant, 'a binding made elsewhere shows in the next transaction');

$node->safe_psql('commerce', "DELETE FROM commerce.tenant_roles WHERE role_name = 'cache_partner'");
is($partner->query_safe('SELECT commerce.current_tenant() IS NULL'), 't', 'a binding removed by an operator is forgotten');

$gateway->query_safe("SELECT set_config('commerce.tenant_id', '$tenant', false)");
is($gateway->query_safe('SELECT commerce.current_tenant() IS NULL'),
	't', 'a role outside commerce_gateway ignores the context');
$node->safe_psql('commerce', 'GRANT commerce_gateway TO cache_gateway');
is($gateway->query_safe('SELECT commerce.current_tenant()'), $tenant, 'a new gateway membership shows in the next transaction');
$node->safe_psql('commerce', 'REVOKE commerce_gateway FROM cache_gateway');
is($gateway->query_safe('SELECT commerce.current_tenant() IS NULL'), 't', 'a revoked membership is forgotten');

# A tenant's status: kept once read, forgotten when any tenant row changes.
$node->safe_psql('commerce', 'GRANT commerce_gateway TO cache_gateway');
my $request = qq{DO \$\$ BEGIN
	PERFORM commerce.set_context('$tenant'::uuid, 'staff-1', 'staff');
	PERFORM commerce.list_products();
	PERFORM set_config('cache.answer', 'served', false);
EXCEPTION WHEN OTHERS THEN
	PERFORM set_config('cache.answer', SQLERRM, false);
END \$\$; SELECT current_setting('cache.answer')};
my $tenant_reads = q{SELECT coalesce(sum(idx_scan + seq_scan), 0) FROM pg_stat_xact_user_tables
	WHERE schemaname = 'commerce' AND relname = 'tenants'};
is($gateway->query_safe($request), 'served', 'an active tenant is served (its status now kept)');
$gateway->query_safe('BEGIN');
my $reads = $gateway->query_safe($tenant_reads);
is($gateway->query_safe($request =~ s/\$\$; SELECT current_setting\('cache.answer'\)$/\$\$/r), '', 'served again');
is($gateway->query_safe($tenant_reads) - $reads, 0, '... without reading the tenant row');
$gateway->query_safe('COMMIT');
$node->safe_psql('commerce', "SELECT commerce.suspend_tenant('$tenant')");
is($gateway->query_safe($request), 'tenant is suspended', 'a suspension committed elsewhere: refused at the next request');
is($gateway->query_safe($request), 'tenant is suspended', '... and at the one after (the suspended status kept)');
$node->safe_psql('commerce', "SELECT commerce.activate_tenant('$tenant')");
is($gateway->query_safe($request), 'served', 'an activation committed elsewhere: served at the next request');
$node->safe_psql('commerce', "UPDATE commerce.tenants SET status = 'suspended' WHERE id = '$tenant'");
is($gateway->query_safe($request), 'tenant is suspended', 'a status written by an operator directly: seen too');

$partner->quit;
$gateway->quit;
$node->stop;
done_testing();
