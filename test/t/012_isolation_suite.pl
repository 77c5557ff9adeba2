# test/t/012_isolation_suite.pl — a partner's login role bound to tenant A
# attacks tenant B through real connections (issue 11's acceptance); the
# checks are test/lib/PgCommerce/Isolation.pm's, which test/t/004 also runs
# on a database restored from a full pg_dump (without plugins); here with
# the example plugin (plugins/loyalty) installed and enabled by both.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Isolation qw(seed_isolation_tenants isolation_suite);

my $node = commerce_node('isolation',
	extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\n");
# With the example plugin installed (issue 14): its tables and functions
# are attacked like the core's, found from the catalogue.
$node->safe_psql('commerce', 'CREATE EXTENSION loyalty');
is($node->safe_psql('commerce', q{SELECT string_agg(c.oid::regclass::text, ' ' ORDER BY 1) FROM pg_class c
	JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'tenant_isolation' WHERE c.relnamespace = 'loyalty'::regnamespace}),
	'loyalty.accounts loyalty.awards loyalty.settings', "the plugin's tables are tenant tables");
seed_isolation_tenants($node, 'commerce');
is($node->safe_psql('commerce', q{SELECT (SELECT count(*) FROM loyalty.accounts) || ' ' || (SELECT count(*) FROM loyalty.awards)
	|| ' ' || (SELECT count(*) FROM loyalty.settings) || ' ' || (SELECT count(*) FROM commerce.plugin_tenants WHERE plugin = 'loyalty')}),
	'2 2 2 2', 'each tenant has enabled the plugin and has a row in each of its tables');
isolation_suite($node, 'commerce');

$node->stop;
done_testing();
