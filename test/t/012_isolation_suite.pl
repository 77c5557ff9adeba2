# test/t/012_isolation_suite.pl — a partner's login role bound to tenant A
# attacks tenant B through real connections (issue 11's acceptance); the
# checks are test/lib/PgCommerce/Isolation.pm's, which test/t/004 also runs
# on a database restored from a full pg_dump.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Isolation qw(seed_isolation_tenants isolation_suite);

my $node = commerce_node('isolation',
	extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\n");
seed_isolation_tenants($node, 'commerce');
isolation_suite($node, 'commerce');

$node->stop;
done_testing();
