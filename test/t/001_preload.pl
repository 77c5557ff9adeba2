# test/t/001_preload.pl — the library loads from shared_preload_libraries, the
# extension can be created in several databases of one cluster, and the
# pgcommerce.* GUC prefix is reserved (a misspelt setting is reported).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('preload');

is($node->safe_psql('commerce', 'SELECT commerce.version()'), '0.1.0',
	'extension answers in the first database');

$node->safe_psql('postgres', 'CREATE DATABASE second');
$node->safe_psql('second', 'CREATE EXTENSION pgcommerce');
is($node->safe_psql('second', 'SHOW pgcommerce.idempotency_retention'), '1d',
	'server GUC is defined with its default');

my ($ret, $out, $err) = $node->psql('commerce', "SET pgcommerce.no_such_setting = 1");
isnt($ret, 0, 'an unknown pgcommerce.* setting is rejected');
like($err, qr/invalid configuration parameter name|unrecognized configuration parameter/,
	'with a clear message');

$node->stop;
done_testing();
