# test/t/004_dump_restore.pl — a full pg_dump of a database with pgcommerce
# restores with zero errors into a new database, with every extension
# table's rows (they are registered with pg_extension_config_dump) and the
# tenant policies working after the restore.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('dump');
$node->safe_psql('commerce', q{
	CREATE ROLE dump_a LOGIN;
	SELECT commerce.bind_role('dump_a', commerce.create_tenant('dump-a', 'A', 'EUR'));
	SELECT commerce.create_tenant('dump-b', 'B', 'KWD');
	INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response)
	SELECT id, 'staff', '', slug || '-key', 'seed', '\x00', '{}' FROM commerce.tenants;
});

my $dump = $node->basedir . '/full.sql';
command_ok([ 'pg_dump', '-d', $node->connstr('commerce'), '-f', $dump ], 'pg_dump of the whole database');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
my ($ret, $out, $err) = $node->psql('restored', undef,
	extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', $dump ]);
is($ret, 0, 'the dump restores');
is($err, '', 'with no error or warning');

my $counts = q{SELECT (SELECT count(*) FROM commerce.tenants) || ',' ||
                      (SELECT count(*) FROM commerce.tenant_roles) || ',' ||
                      (SELECT count(*) FROM commerce.idempotency_keys)};
is($node->safe_psql('restored', $counts), $node->safe_psql('commerce', $counts),
	'every row of the extension tables came back');

is($node->safe_psql('restored', 'SELECT key FROM commerce.idempotency_keys',
		extra_params => [ '-U', 'dump_a' ]),
	'dump-a-key', 'the restored binding and policy keep a partner inside its tenant');

$node->stop;
done_testing();
