# test/t/140_outbox_lifecycle.pl — the launcher follows the databases:
# CREATE EXTENSION in a new database starts its publisher at once (no
# restart); DROP EXTENSION stops it cleanly; DROP DATABASE (without FORCE)
# succeeds although a publisher was connected; pgcommerce.databases
# restricts the served databases on reload; SIGTERM of a publisher is a
# clean exit and it comes back; template databases are never touched.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('lifecycle', extra_conf => "max_worker_processes = 16\npgcommerce.launcher_naptime = '60s'\n");

sub workers
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher')");
}

ok($node->poll_query_until('postgres', "SELECT " . "count(*) = 2 FROM pg_stat_activity WHERE datname = 'commerce' AND backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher')"),
	'publisher and dispatcher serve the first database');

# A new database: no worker until the extension exists, then at once
# (the launcher's naptime is 60 s here, so only the CREATE EXTENSION wake-up
# can explain a prompt start).
$node->safe_psql('postgres', 'CREATE DATABASE shop2');
sleep 1;
is(workers('shop2'), '0', 'no worker stays in a database without the extension');
$node->safe_psql('shop2', 'CREATE EXTENSION pgcommerce CASCADE');
my $t0 = time;
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE datname = 'shop2' AND backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher')"),
	'CREATE EXTENSION starts a publisher and dispatcher without a restart');
cmp_ok(time - $t0, '<', 10, 'promptly');
my $tenant = $node->safe_psql('shop2', "SELECT commerce.create_tenant('s2', 'S2', 'EUR')");
$node->safe_psql('shop2', "BEGIN; DO \$\$ BEGIN PERFORM commerce.set_context('$tenant'); END \$\$; "
	  . "SELECT commerce.emit_event('test.one', 'thing', commerce.uuid_generate_v7()); COMMIT;");
ok($node->poll_query_until('shop2', 'SELECT count(*) = 1 FROM commerce.outbox WHERE seq IS NOT NULL'),
	'the new database\'s events are published');

# SIGTERM: clean exit, restarted by the launcher.
my $pid = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE datname = 'shop2' AND backend_type = 'pgcommerce publisher'");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'shop2' AND backend_type = 'pgcommerce publisher' AND pid <> $pid"),
	'a terminated publisher is replaced');

# DROP EXTENSION stops the workers.
$node->safe_psql('shop2', 'DROP EXTENSION pgcommerce CASCADE');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'shop2' AND backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher')"),
	'DROP EXTENSION stops the database\'s workers');
sleep 2;
is(workers('shop2'), '0', 'and they stay stopped');
is(workers('commerce'), '2', 'other databases are not affected');

# DROP DATABASE with the extension and running workers, without FORCE.
$node->safe_psql('shop2', 'CREATE EXTENSION pgcommerce CASCADE');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE datname = 'shop2' AND backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher')"),
	'workers back after re-creating the extension');
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE shop2');
is($ret, 0, 'DROP DATABASE succeeds while the publisher was connected') or diag($err);
is(workers('shop2'), '0', 'no worker left for the dropped database');

# CREATE DATABASE ... TEMPLATE a database with the extension.
($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE shop3 TEMPLATE commerce');
is($ret, 0, 'a served database can be used as a template') or diag($err);
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'shop3' AND backend_type = 'pgcommerce publisher'"),
	'the copy gets its publisher');

# pgcommerce.databases restricts, on reload.
$node->append_conf('postgresql.conf', "pgcommerce.databases = 'shop3'\n");
$node->reload;
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'commerce' AND backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher')"),
	'a database left out of pgcommerce.databases loses its workers');
is(workers('shop3'), '2', 'the listed one keeps them');
$node->append_conf('postgresql.conf', "pgcommerce.databases = ''\n");
$node->reload;
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE datname = 'commerce' AND backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher')"),
	'and gets them back when the restriction is lifted');

is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity a JOIN pg_database d ON d.datname = a.datname WHERE d.datistemplate AND a.backend_type LIKE 'pgcommerce%'"),
	'0', 'no worker ever connects to a template database');

$node->stop;
like(slurp_file($node->logfile), qr/pgcommerce launcher started/, 'launcher logged its start');
unlike(slurp_file($node->logfile), qr/TRAP|PANIC|server process .* was terminated by signal/, 'no crash in the log');
done_testing();
