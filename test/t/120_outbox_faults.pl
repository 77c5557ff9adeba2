# test/t/120_outbox_faults.pl — no committed event is lost across faults:
# kill -9 of a writing backend, kill -9 of the publisher in the middle of a
# backlog, and an immediate shutdown while publishing, each followed by
# crash recovery. Afterwards every outbox row is published, and a
# pgcommerce-listen that lived through it all printed every event once,
# in seq order.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use PgCommerce::Test qw(commerce_node repo_path);

my $node = commerce_node('faults',
	extra_conf => "restart_after_crash = on\npgcommerce.publisher_batch_size = 200\n");
my $tenant = $node->safe_psql('commerce', "SELECT commerce.create_tenant('faulty', 'Faulty', 'EUR')");
$node->safe_psql('commerce',
	'CREATE TABLE public.commit_log (run int, client int, n int, PRIMARY KEY (run, client, n))');

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $listener = IPC::Run::start(
	[ repo_path('bin/pgcommerce-listen'), '--tenant', $tenant,
	  $node->connstr('commerce') . ' application_name=listener' ],
	'>', "$tmp/listener.out", '2>', "$tmp/listener.err");

my $script = "$tmp/writer.sql";
PostgreSQL::Test::Utils::append_to_file($script, <<'SQL');
\set n :n + 1
BEGIN;
SELECT commerce.set_context((SELECT id FROM commerce.tenants WHERE slug = 'faulty'));
SELECT commerce.emit_event('test.written', 'writer', commerce.uuid_generate_v7(), jsonb_build_object('run', :run, 'client', :client_id, 'n', :n, 'k', k)) FROM generate_series(1, 5) k;
SELECT pg_sleep(random() * 0.002);
COMMIT;
INSERT INTO public.commit_log VALUES (:run, :client_id, :n);
SQL

my ($writers_out, $writers_err) = ('', '');
my $run = 0;
sub start_writers
{
	($writers_out, $writers_err) = ('', '');
	$run++;
	return IPC::Run::start(
		[ 'pgbench', '-n', '-c', 4, '-j', 4, '-T', 30, '-D', 'n=0', '-D', "run=$run", '-f', $script,
		  '-h', $node->host, '-p', $node->port, 'commerce' ],
		'>', \$writers_out, '2>', \$writers_err);
}

sub wait_recovered
{
	ok($node->poll_query_until('commerce', 'SELECT NOT pg_is_in_recovery()'), $_[0]);
}

sub backlog
{
	my ($n) = @_;
	$node->safe_psql('commerce', "BEGIN; DO \$\$ BEGIN PERFORM commerce.set_context('$tenant'); END \$\$; "
		  . "SELECT count(commerce.emit_event('test.backlog', 'bulk', commerce.uuid_generate_v7(), jsonb_build_object('i', g))) FROM generate_series(1, $n) g; COMMIT;");
}

# 1. kill -9 of a backend in the middle of writing.
my $writers = start_writers();
$node->poll_query_until('commerce', "SELECT count(*) > 500 FROM commerce.outbox WHERE seq IS NOT NULL");
my $victim = $node->safe_psql('commerce',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
	  . "AND application_name <> 'listener' AND datname = 'commerce' ORDER BY xact_start NULLS LAST LIMIT 1");
ok($victim, 'found a writing backend') or diag($writers_err);
kill 'KILL', $victim;
$writers->finish;
wait_recovered('server recovered after kill -9 of a writer');

# 2. kill -9 of the publisher while it works through a backlog.
backlog(20000);
ok($node->poll_query_until('commerce',
		"SELECT count(*) > 0 FROM commerce.outbox WHERE type = 'test.backlog' AND seq IS NOT NULL"),
	'publisher is working through the backlog');
my $publisher = $node->safe_psql('commerce',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgcommerce publisher'");
my $unpublished = $node->safe_psql('commerce', 'SELECT count(*) FROM commerce.outbox WHERE seq IS NULL');
kill 'KILL', $publisher;
cmp_ok($unpublished, '>', 0, "publisher killed with $unpublished events still to publish");
wait_recovered('server recovered after kill -9 of the publisher');
ok($node->poll_query_until('commerce',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pgcommerce publisher' AND pid <> $publisher"),
	'a new publisher runs after the crash');

# 3. Immediate shutdown while publishing, with writers running.
$writers = start_writers();
backlog(20000);
$node->poll_query_until('commerce',
	"SELECT count(*) > 0 FROM commerce.outbox WHERE seq IS NOT NULL AND published_at > now() - interval '1 second'");
$unpublished = $node->safe_psql('commerce', 'SELECT count(*) FROM commerce.outbox WHERE seq IS NULL');
$node->stop('immediate');
$writers->finish;
cmp_ok($unpublished, '>', 0, "immediate shutdown with $unpublished events still to publish");
$node->start;

ok($node->poll_query_until('commerce', 'SELECT count(*) = 0 FROM commerce.outbox WHERE seq IS NULL'),
	'after all three faults every committed event is published');
is($node->safe_psql('commerce', 'SELECT count(*) - count(DISTINCT seq) FROM commerce.outbox'), '0',
	'seq values are unique');
is($node->safe_psql('commerce', <<'SQL'), '0', 'every acknowledged commit has its five events');
SELECT count(*) FROM public.commit_log l
  LEFT JOIN (SELECT (data->>'run')::int AS run, (data->>'client')::int AS client, (data->>'n')::int AS n, count(*) AS events
               FROM commerce.outbox WHERE type = 'test.written' GROUP BY 1, 2, 3) o USING (run, client, n)
 WHERE o.events IS DISTINCT FROM 5
SQL
is($node->safe_psql('commerce', <<'SQL'), '0', 'no partial transaction in the outbox');
SELECT count(*) FROM (SELECT count(*) FROM commerce.outbox WHERE type = 'test.written'
                       GROUP BY data->>'run', data->>'client', data->>'n' HAVING count(*) <> 5) s
SQL

my $total = $node->safe_psql('commerce', 'SELECT count(*) FROM commerce.outbox');
my $lines = 0;
for (1 .. 600)
{
	$lines = () = slurp_file("$tmp/listener.out") =~ /\n/g;
	last if $lines >= $total;
	usleep(100_000);
}
$listener->signal('TERM');
$listener->finish;
my @events = split /\n/, slurp_file("$tmp/listener.out");
my (%ids, @seqs);
for (@events)
{
	$ids{$1}++ if /^\{"id": "([^"]+)"/;
	push @seqs, $1 if /"seq": (\d+)/;
}
is(scalar(keys %ids), $total, "the listener printed all $total committed events");
is(scalar(@events), $total, 'each exactly once');
my $increasing = 1;
for my $k (1 .. $#seqs) { $increasing = 0 if $seqs[$k] <= $seqs[ $k - 1 ] }
ok($increasing, 'in strictly increasing seq');
my $db_ids = $node->safe_psql('commerce', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM commerce.outbox');
is_deeply([ sort keys %ids ], [ split /,/, $db_ids ], 'and they are exactly the outbox rows');

$node->stop;
done_testing();
