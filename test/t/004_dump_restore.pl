# test/t/004_dump_restore.pl — a full pg_dump of a database with pgcommerce
# (tenants with a row in every area: orders, payments, events, deliveries,
# subscriptions; bindings, idempotency keys) restores with zero errors into
# an empty database, in both formats: custom with `pg_restore
# --exit-on-error`, plain with `psql -v ON_ERROR_STOP=1`. Every table of
# schema commerce comes back identical (they are registered with
# pg_extension_config_dump), the sequence of published events goes on above
# the restored ones, and the restored database passes the isolation suite
# (test/lib/PgCommerce/Isolation.pm, as test/t/012 runs it). The example
# plugin (plugins/loyalty) is installed and enabled, with a delivery to its
# subscription: CREATE EXTENSION makes its registration again on restore
# (same subscription id), its tables' rows come back from the dump.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Isolation qw(seed_isolation_tenants isolation_suite);

my $node = commerce_node('dump',
	extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\n");
$node->safe_psql('commerce', 'CREATE EXTENSION loyalty');
seed_isolation_tenants($node, 'commerce');
# Tenant A's order paid: the plugin's subscription gets a delivery.
$node->safe_psql('commerce', q{DO $$ BEGIN
	PERFORM commerce.set_context((SELECT (a->>'tenant')::uuid FROM public.seeded));
	PERFORM commerce.capture_payment((SELECT (a->>'payment')::uuid FROM public.seeded));
	END $$});
$node->safe_psql('commerce', q{
	CREATE ROLE dump_a LOGIN;
	SELECT commerce.bind_role('dump_a', commerce.create_tenant('dump-a', 'A', 'EUR'));
	SELECT commerce.create_tenant('dump-b', 'B', 'KWD');
	INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response)
	SELECT id, 'staff', '', slug || '-key', 'seed', '\x00', '{}' FROM commerce.tenants WHERE slug LIKE 'dump-%';
});
$node->poll_query_until('commerce',
	"SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox WHERE seq IS NULL)"
	  . " AND NOT EXISTS (SELECT 1 FROM commerce.deliveries WHERE status = 'pending')")
  or die 'the workers did not settle';

# Every row of every table of schemas commerce and loyalty, per table, from
# the catalogue; of a table with a dump filter (routes: not the core ones
# nor an extension plugin's), the rows it selects: the others are written
# by CREATE EXTENSION.
my $everything = q{
	SELECT string_agg(x, E'\n' ORDER BY x) FROM (
	  SELECT c.oid::regclass::text || ' ' || (xpath('/row/n/text()', query_to_xml(format(
	           'SELECT count(*) || '' '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''-'') AS n FROM %s t %s',
	           c.oid::regclass, coalesce(f.cond, '')), false, true, '')))[1]::text AS x
	    FROM pg_class c
	    LEFT JOIN (SELECT u.tbl, u.cond FROM pg_extension e, unnest(e.extconfig, e.extcondition) u(tbl, cond)) f
	      ON f.tbl = c.oid
	   WHERE c.relnamespace IN ('commerce'::regnamespace, 'loyalty'::regnamespace) AND c.relkind = 'r') s};
my $source = $node->safe_psql('commerce', $everything);
like($source, qr/^commerce\.deliveries [1-9]/m, 'the source holds deliveries');
like($source, qr/^commerce\.payments [1-9]/m, '... payments');
like($source, qr/^commerce\.subscriptions [1-9]/m, '... subscriptions');
like($source, qr/^commerce\.plugin_tenants [1-9]/m, '... plugin enablements');
like($source, qr/^loyalty\.accounts [1-9]/m, "... the plugin's rows");
is($node->safe_psql('commerce', q{SELECT count(*) FROM commerce.deliveries d JOIN commerce.subscriptions s
	ON s.id = d.subscription_id WHERE s.plugin = 'loyalty'}), 1, "... and a delivery to the plugin's subscription");
my $top_seq = $node->safe_psql('commerce', 'SELECT max(seq) FROM commerce.outbox');

# --- custom format, pg_restore --exit-on-error ---------------------------
my $custom = $node->basedir . '/full.dump';
command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('commerce'), '-f', $custom ], 'pg_dump -Fc of the whole database');
$node->safe_psql('postgres', 'CREATE DATABASE restored_custom');
my ($out, $err) = ('', '');
IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored_custom'), $custom ],
	'>', \$out, '2>', \$err);
is($?, 0, 'pg_restore --exit-on-error restores it');
is($err, '', '... with no error or warning');
is($node->safe_psql('restored_custom', $everything), $source, '... every table of schema commerce identical');

# --- plain format, psql -v ON_ERROR_STOP=1 --------------------------------
my $plain = $node->basedir . '/full.sql';
command_ok([ 'pg_dump', '-d', $node->connstr('commerce'), '-f', $plain ], 'pg_dump of the whole database, plain');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
my $ret;
($ret, $out, $err) = $node->psql('restored', undef, extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', $plain ]);
is($ret, 0, 'psql -v ON_ERROR_STOP=1 restores it');
is($err, '', '... with no error or warning');
is($node->safe_psql('restored', $everything), $source, '... every table of schema commerce identical');
my $registration = q{SELECT (SELECT string_agg(method || ' ' || path, ', ' ORDER BY path) FROM commerce.routes WHERE plugin = 'loyalty')
	|| ' / ' || (SELECT string_agg(point || ' ' || handler::text, ', ') FROM commerce.hooks WHERE plugin = 'loyalty')
	|| ' / ' || (SELECT string_agg(id || ' ' || handler, ', ') FROM commerce.subscriptions WHERE plugin = 'loyalty')};
is($node->safe_psql('restored', $registration), $node->safe_psql('commerce', $registration),
	"the plugin's routes, hook and subscription (same id) made again by CREATE EXTENSION");

is($node->safe_psql('restored', "SELECT key FROM commerce.idempotency_keys WHERE key LIKE 'dump-%'",
		extra_params => [ '-U', 'dump_a' ]),
	'dump-a-key', 'the restored binding and policy keep a partner inside its tenant');

# The restored publisher numbers new events above the restored ones.
$node->safe_psql('restored_custom', q{
	BEGIN;
	SELECT commerce.set_context((SELECT id FROM commerce.tenants WHERE slug = 'dump-a'));
	SELECT commerce.create_customer('{"email": "after@example.com"}', 'after-restore');
	COMMIT;});
$node->poll_query_until('restored_custom', 'SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox WHERE seq IS NULL)')
  or die 'the restored publisher did not run';
cmp_ok($node->safe_psql('restored_custom', "SELECT min(seq) FROM commerce.outbox WHERE seq > $top_seq"),
	'>', $top_seq, 'a new event in the restored database is published above the restored seq values');
is($node->safe_psql('restored_custom', "SELECT count(*) FROM commerce.outbox WHERE seq <= $top_seq"),
	$node->safe_psql('commerce', 'SELECT count(*) FROM commerce.outbox'), '... and no restored seq is handed out again');

# --- the isolation suite, on the database restored from the custom format ---
isolation_suite($node, 'restored_custom');

$node->stop;
done_testing();
