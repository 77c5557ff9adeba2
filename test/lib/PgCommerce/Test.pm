# test/lib/PgCommerce/Test.pm — shared set-up for the TAP suites: a
# PostgreSQL::Test::Cluster node with pgcommerce preloaded and the extension
# created, and small helpers the suites repeat.
package PgCommerce::Test;

use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT_OK = qw(commerce_node repo_path);

# repo_path(REL) — absolute path of a file in the checkout under test.
sub repo_path
{
	my ($rel) = @_;
	return "$ENV{PGCOMMERCE_REPO}/$rel";
}

# commerce_node(NAME, %opts) — an initialised and started node with
# shared_preload_libraries = 'pgcommerce' and, unless create_extension => 0,
# database `commerce` holding the extension. extra_conf => "..." is appended
# to postgresql.conf before the start.
sub commerce_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', <<'CONF');
shared_preload_libraries = 'pgcommerce'
track_commit_timestamp = on
log_statement = none
max_connections = 300
CONF
	$node->append_conf('postgresql.conf', $opts{extra_conf}) if $opts{extra_conf};
	$node->start;
	unless (defined $opts{create_extension} && !$opts{create_extension})
	{
		$node->safe_psql('postgres', 'CREATE DATABASE commerce');
		$node->safe_psql('commerce', 'CREATE EXTENSION pgcommerce CASCADE');
	}
	return $node;
}

1;
