# test/t/801_citus_isolation.pl — the isolation suite (test/lib/PgCommerce/
# Isolation.pm) through a Citus coordinator (issue 19): a partner's login
# role bound to tenant A attacks tenant B on a cluster where every tenant
# table is distributed by tenant_id. Run by scripts/citus-check.sh, which
# starts the cluster and sets PGCOMMERCE_CITUS_HOST (the coordinator's
# socket directory) and PGCOMMERCE_CITUS_PORT; skipped without them (so in
# make test).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Isolation qw(seed_isolation_tenants isolation_suite);

if (!$ENV{PGCOMMERCE_CITUS_HOST} || !$ENV{PGCOMMERCE_CITUS_PORT})
{
	plan skip_all => 'no Citus cluster: run scripts/citus-check.sh (docs/scaling.md)';
}

# A handle on the running coordinator: never initialised, started or
# stopped here (the script owns the cluster).
my $node = PostgreSQL::Test::Cluster->new('coordinator', port => $ENV{PGCOMMERCE_CITUS_PORT});
$node->{_host} = $ENV{PGCOMMERCE_CITUS_HOST};
is($node->safe_psql('commerce', q{SELECT count(*) > 0 FROM pg_dist_partition
	WHERE logicalrelid = 'commerce.orders'::regclass AND partmethod = 'h'}), 't',
	'the coordinator distributes commerce.orders');

seed_isolation_tenants($node, 'commerce');
isolation_suite($node, 'commerce');
done_testing();
