# test/t/100_outbox_publish.pl — the publisher: events committed in a tenant
# are published in commit order with strictly increasing seq, and wake
# listeners with an empty NOTIFY commerce_events; rolled-back events never
# appear; events_since() returns the current tenant's events only, whole
# whatever their size; the workers show up in pg_stat_activity; the writer
# never notifies. (What a listener can learn: test/t/150.)
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('publish', extra_conf => "max_prepared_transactions = 2\npgcommerce.publisher_poll_interval = '500ms'\n");

my $t1 = $node->safe_psql('commerce', "SELECT commerce.create_tenant('alpha', 'Alpha', 'EUR')");
my $t2 = $node->safe_psql('commerce', "SELECT commerce.create_tenant('beta', 'Beta', 'EUR')");

ok($node->poll_query_until('commerce',
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type IN ('pgcommerce publisher', 'pgcommerce dispatcher') AND datname = 'commerce'"),
	'publisher and dispatcher run in the database with the extension');
is($node->safe_psql('commerce',
		"SELECT application_name FROM pg_stat_activity WHERE backend_type = 'pgcommerce publisher'"),
	'pgcommerce publisher', 'publisher has a clear application_name');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgcommerce launcher'"),
	'1', 'one launcher');

my $listener = $node->background_psql('commerce');
$listener->query_safe('LISTEN commerce_events');

# in_tenant(TENANT, SQL): SQL run in one transaction with TENANT's context.
sub in_tenant
{
	my ($tenant, $sql) = @_;
	return "BEGIN; DO \$\$ BEGIN PERFORM commerce.set_context('$tenant'); END \$\$; $sql COMMIT;";
}

sub emit
{
	my ($tenant, $n, $type) = @_;
	$type //= 'test.happened';
	return "DO \$\$ BEGIN PERFORM commerce.set_context('$tenant'); END \$\$; "
	  . "SELECT commerce.emit_event('$type', 'thing', commerce.uuid_generate_v7(), jsonb_build_object('n', g)) FROM generate_series(1, $n) g;";
}

$node->safe_psql('commerce', "BEGIN; " . emit($t1, 3) . " COMMIT;");
$node->safe_psql('commerce', "BEGIN; " . emit($t2, 2) . " COMMIT;");
$node->safe_psql('commerce', "BEGIN; " . emit($t1, 4, 'test.rolled_back') . " ROLLBACK;");
$node->safe_psql('commerce', "BEGIN; " . emit($t1, 1, 'test.last') . " COMMIT;");

ok($node->poll_query_until('commerce', "SELECT count(*) = 0 FROM commerce.outbox WHERE seq IS NULL"),
	'every committed event is published');

# psql prints notifications after the next command.
my $out = '';
for (1 .. 50)
{
	$out .= $listener->query_safe('SELECT 1');
	last if $out =~ /Asynchronous notification/;
	usleep(100_000);
}
my @notes = $out =~ /(Asynchronous notification "commerce_events"[^\n]*)/g;
cmp_ok(scalar(@notes), '>=', 1, 'publishing wakes listeners');
cmp_ok(scalar(@notes), '<=', 3, 'at most one wake-up per batch, not one per event');
is(scalar(grep { /with payload/ } @notes), 0, 'wake-ups carry no payload');

# Order, as published (the superuser reads the outbox whole).
my @published = split /\n/, $node->safe_psql('commerce',
	"SELECT seq || ' ' || type || ' ' || tenant_id FROM commerce.outbox ORDER BY seq");
is(scalar(@published), 6, 'six events published for six committed');
my @seqs = map { (split / /)[0] } @published;
my %distinct = map { $_ => 1 } @seqs;
is(scalar(keys %distinct), 6, 'seq values are distinct');
my @types = map { (split / /)[1] } @published;
is_deeply(\@types, [ ('test.happened') x 5, 'test.last' ], 'commit order across transactions');
is((split / /, $published[0])[2], $t1, 'first event is the first transaction\'s');
unlike(join("\n", @published), qr/rolled_back/, 'rolled-back events never published');
like($node->safe_psql('commerce', in_tenant($t1, "SELECT e->>'occurred_at' FROM commerce.events_since(0, 1) e;")),
	qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'occurred_at is RFC 3339 UTC');
like($node->safe_psql('commerce', in_tenant($t1, "SELECT e::text FROM commerce.events_since(0, 1) e;")),
	qr/"tenant_id": "$t1".*"aggregate_type": "thing"|"aggregate_type": "thing".*"tenant_id": "$t1"/,
	'envelope carries tenant_id and aggregate_type');

# events_since: only the current tenant, after the cursor.
is($node->safe_psql('commerce',
		in_tenant($t1, "SELECT count(*) FROM commerce.events_since(0);")),
	'4', 'events_since returns the current tenant\'s events only');
my $second = $node->safe_psql('commerce',
	in_tenant($t1, "SELECT (e->>'seq') FROM commerce.events_since(0, 2) e;"));
my @two = split /\n/, $second;
is(scalar(@two), 2, 'max limits the page');
is($node->safe_psql('commerce',
		in_tenant($t1, "SELECT count(*) FROM commerce.events_since($two[1]);")),
	'2', 'the cursor skips what was already read');
my ($ret, $stdout, $stderr) = $node->psql('commerce', "SELECT * FROM commerce.events_since(0)");
isnt($ret, 0, 'events_since without a tenant context fails');
like($stderr, qr/no tenant context/, 'naming the missing tenant context');
($ret, $stdout, $stderr) = $node->psql('commerce',
	in_tenant($t1, "SELECT * FROM commerce.events_since(0, 5000);"));
like($stderr, qr/max must be between 1 and 1000/, 'max is bounded');

# A big event (more than a NOTIFY payload could hold): the wake-up is
# still empty, events_since has all of it.
$node->safe_psql('commerce', in_tenant($t2,
	  "SELECT commerce.emit_event('test.big', 'thing', commerce.uuid_generate_v7(), jsonb_build_object('blob', repeat('x', 9000)));"));
$out = '';
for (1 .. 50)
{
	$out .= $listener->query_safe('SELECT 1');
	last if $out =~ /Asynchronous notification/;
	usleep(100_000);
}
like($out, qr/Asynchronous notification "commerce_events" received/, 'a big event wakes listeners too');
unlike($out, qr/with payload|test\.big|xxxxxxxxxx/, 'with an empty payload');
is($node->safe_psql('commerce',
		in_tenant($t2, "SELECT length(e->'data'->>'blob') FROM commerce.events_since(0) e WHERE e->>'type' = 'test.big';")),
	'9000', 'events_since returns the full event');

# The writer does not notify: a transaction that did NOTIFY cannot be
# prepared, and this one can. Its event appears at COMMIT PREPARED, found
# by the publisher's polling backstop.
($ret, $stdout, $stderr) = $node->psql('commerce',
	"BEGIN; DO \$\$ BEGIN PERFORM commerce.set_context('$t1'); END \$\$; "
	  . "SELECT commerce.emit_event('test.prepared', 'thing', commerce.uuid_generate_v7()); PREPARE TRANSACTION 'p1';",
	on_error_stop => 1);
is($ret, 0, 'a transaction that emitted an event can be prepared: it sent no NOTIFY');
$node->safe_psql('commerce', "COMMIT PREPARED 'p1'");
ok($node->poll_query_until('commerce',
		"SELECT seq IS NOT NULL FROM commerce.outbox WHERE type = 'test.prepared'"),
	'an event committed by COMMIT PREPARED is published by polling');

# Retention: published events past pgcommerce.event_retention are purged
# (the publisher purges at once after a reload), unpublished ones never.
$node->safe_psql('commerce', "UPDATE commerce.outbox_published p SET published_at = now() - interval '8 days'"
	  . " FROM commerce.outbox_written e WHERE e.tenant_id = p.tenant_id AND e.id = p.id AND e.type = 'test.happened'");
my $kept = $node->safe_psql('commerce', "SELECT count(*) FROM commerce.outbox WHERE type <> 'test.happened'");
$node->safe_psql('commerce', 'SELECT pg_reload_conf()');
ok($node->poll_query_until('commerce', "SELECT count(*) = 0 FROM commerce.outbox WHERE type = 'test.happened'"),
	'published events older than the retention are purged');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.outbox WHERE type <> 'test.happened'"), $kept,
	'younger events are kept');

# Append-only for everyone but the workers.
($ret, $stdout, $stderr) = $node->psql('commerce',
	"BEGIN; SET LOCAL ROLE commerce_gateway; DO \$\$ BEGIN PERFORM commerce.set_context('$t1'); END \$\$; "
	  . "DELETE FROM commerce.outbox_written;");
like($stderr, qr/permission denied for table outbox_written/, 'a tenant cannot delete its events');
($ret, $stdout, $stderr) = $node->psql('commerce',
	"BEGIN; SET LOCAL ROLE commerce_gateway; DO \$\$ BEGIN PERFORM commerce.set_context('$t1'); END \$\$; "
	  . "DELETE FROM commerce.outbox;");
like($stderr, qr/cannot delete from view "outbox"|permission denied for view outbox/, 'nor through the outbox view');
($ret, $stdout, $stderr) = $node->psql('commerce',
	"BEGIN; SET LOCAL ROLE commerce_gateway; DO \$\$ BEGIN PERFORM commerce.set_context('$t1'); END \$\$; "
	  . "UPDATE commerce.outbox_published SET seq = 1;");
like($stderr, qr/permission denied/, 'nor number them');

$listener->quit;
$node->stop;
done_testing();
