# test/t/006_tenant_cache.pl — current_tenant() caches role facts per
# session, and forgets them as soon as they change in another session: a
# new binding, a new gateway membership, a revoked membership, a binding
# row removed by an operator. Each change must show in the long-lived
# session's next transaction.
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

$partner->quit;
$gateway->quit;
$node->stop;
done_testing();
