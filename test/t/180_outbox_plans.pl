# test/t/180_outbox_plans.pl — the publisher's statements keep the plans
# that find rows by key when the plans were made while the outbox was empty
# (a new database, before autovacuum has analyzed anything). Such a plan is
# cached for the publisher's lifetime, or until the next ANALYZE: a join on
# the primary key planned then walked the whole outbox for every batch, and
# the look-up of unpublished rows read and sorted the whole table.
# auto_explain logs every plan the publisher executes; the statistics stay
# those of an empty outbox (autovacuum off for it) while 3,030 events are
# published, and every look-up of unpublished events must be an index scan
# of outbox_written_queue with a probe of the marks per event (a sub-plan:
# an anti-join planned on an empty table compared every event with every
# mark through a Materialize), by outbox_published_pkey once the marks have
# grown, and the batch's numbering an insert that reads no table.
# The same holds for the dispatcher's claim of a due delivery (30
# deliveries).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('plans', extra_conf => <<'CONF');
shared_preload_libraries = 'pgcommerce,auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_nested_statements = on
CONF
my $tenant = $node->safe_psql('commerce', "SELECT commerce.create_tenant('pl', 'PL', 'EUR')");

# A subscription, so that the dispatcher works too.
$node->safe_psql('commerce', <<'SQL');
CREATE SCHEMA plug;
CREATE TABLE plug.seen (event_id uuid PRIMARY KEY);
GRANT USAGE ON SCHEMA plug TO commerce_gateway;
GRANT INSERT ON plug.seen TO commerce_gateway;
CREATE FUNCTION plug.record(event jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO plug.seen VALUES ((event->>'id')::uuid) $$;
SELECT commerce.subscribe('record_some', 'test.delivered', 'plug.record(jsonb)');
SQL

# Statistics of an empty outbox and deliveries table, kept: what a new
# database's workers see.
for my $table ('outbox_written', 'outbox_published', 'deliveries')
{
	$node->safe_psql('commerce', "ALTER TABLE commerce.$table SET (autovacuum_enabled = off)");
	$node->safe_psql('commerce', "DELETE FROM commerce.$table");
	$node->safe_psql('commerce', "VACUUM ANALYZE commerce.$table");
	is($node->safe_psql('commerce', "SELECT reltuples FROM pg_class WHERE oid = 'commerce.$table'::regclass"),
		'0', "$table is analyzed empty");
}

# New workers, so that their plans are made now.
for my $kind ('publisher', 'dispatcher')
{
	my $old = $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE datname = 'commerce' AND backend_type = 'pgcommerce $kind'");
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($old)") if $old;
	ok($node->poll_query_until('postgres',
			"SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'commerce' "
			  . "AND backend_type = 'pgcommerce $kind' AND pid <> " . ($old || 0)),
		"a new $kind runs");
}

my $log_start = -s $node->logfile;
for my $t (1 .. 30)
{
	$node->safe_psql('commerce', "BEGIN; SELECT commerce.set_context('$tenant'); "
		  . "SELECT commerce.emit_event('test.planned', 'thing', commerce.uuid_generate_v7(), "
		  . "jsonb_build_object('n', g)) FROM generate_series(1, 100) g; "
		  . "SELECT commerce.emit_event('test.delivered', 'thing', commerce.uuid_generate_v7()); COMMIT;");
}
ok($node->poll_query_until('commerce',
		'SELECT count(*) = 3030 AND count(seq) = 3030 FROM commerce.outbox'),
	'3,030 events published');
ok($node->poll_query_until('commerce', 'SELECT count(*) = 30 FROM plug.seen'),
	'30 of them delivered to the subscription');
is($node->safe_psql('commerce', "SELECT string_agg(reltuples::text, ' ') FROM pg_class "
		  . "WHERE oid IN ('commerce.outbox_written'::regclass, 'commerce.outbox_published'::regclass,"
		  . " 'commerce.deliveries'::regclass)"),
	'0 0 0', 'the statistics still say empty');

# The plans auto_explain logged since: one entry per "plan:", up to the next
# log line (continuation lines start with a tab).
my $log = slurp_file($node->logfile, $log_start);
my @plans;
for my $line (split /\n/, $log)
{
	if ($line =~ /\bplan:\s*$/) { push @plans, ''; next; }
	if (@plans && $line =~ /^\s/) { $plans[-1] .= "$line\n"; next; }
	push @plans, undef if @plans && defined $plans[-1];
}
@plans = grep { defined } @plans;

my @marks = grep { /Query Text: INSERT INTO commerce\.outbox_published/ } @plans;
my @lookups = grep { /Query Text: SELECT o\.tenant_id, o\.id, .*NOT EXISTS/s } @plans;
cmp_ok(scalar @marks, '>=', 1, 'batch numberings were logged') or diag(scalar(@plans) . " plans logged");
cmp_ok(scalar @lookups, '>=', 1, 'look-ups were logged');
is(scalar(grep { /Scan on outbox|Scan using outbox/ } @marks), 0,
	'every batch numbering inserts its marks without reading the outbox')
  or diag((grep { /Scan on outbox|Scan using outbox/ } @marks)[0] // '');
is(scalar(grep { !/Index Scan using outbox_written_queue/ || !/SubPlan/
				 || /Seq Scan on outbox|Hash|Merge|Materialize/ } @lookups), 0,
	'every look-up reads outbox_written_queue and probes the marks per event, none a whole table')
  or diag((grep { !/Index Scan using outbox_written_queue/ || !/SubPlan/ || /Seq Scan on outbox|Hash|Merge|Materialize/ } @lookups)[0] // '');
# A probe planned on the empty table may take the narrower (tenant_id, seq)
# index and filter the tenant's marks by id; the publisher plans again once
# the marks have outgrown twice their size (and 16 blocks): the last
# look-ups, made after 3,000 marks, probe the primary key by both columns.
like($lookups[-1],
	qr/Index (Only )?Scan using outbox_published_pkey on outbox_published p.*\n\s*Index Cond: \(\(tenant_id = o\.tenant_id\) AND \(id = o\.id\)\)/,
	'the last look-up probes outbox_published_pkey by tenant and id');

my @claims = grep { /Query Text: SELECT d\.tenant_id, d\.id,/ } @plans;
cmp_ok(scalar @claims, '>=', 30, 'the dispatcher\'s claims were logged');
is(scalar(grep { !/Index Scan using deliveries_due/ || /Seq Scan on (outbox|deliveries)/ } @claims), 0,
	'every claim reads deliveries_due and the outbox by key, none a whole table')
  or diag((grep { !/Index Scan using deliveries_due/ || /Seq Scan on (outbox|deliveries)/ } @claims)[0] // '');

is($node->safe_psql('commerce', 'SELECT count(*) - count(DISTINCT seq) FROM commerce.outbox_published'),
	'0', 'every seq is given once');

$node->stop;
done_testing();
