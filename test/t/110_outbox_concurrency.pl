# test/t/110_outbox_concurrency.pl — 8 concurrent writers (pgbench) commit
# 5,000 events each in 1,000 transactions of 5 events, with random delays
# inside their transactions and every tenth transaction rolled back, across
# three tenants. One pgcommerce-listen per tenant (LISTEN + events_since
# catch-up, and killed connections mid-run to force reconnects) must print
# exactly that tenant's committed events, each once, seq strictly
# increasing; nothing rolled back appears; and publish order respects
# commit order: no event gets a lower seq than an event whose transaction
# had finished committing before the first one started to commit.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use PgCommerce::Test qw(commerce_node repo_path);

my $writers = 8;
my $txns_per_writer = 1111;    # 111 rolled back, 1,000 committed
my $events_per_txn = 5;
my $committed_per_writer = 1000 * $events_per_txn;

my $node = commerce_node('concurrency', extra_conf => "pgcommerce.publisher_batch_size = 300\n");
my @tenants = map {
	$node->safe_psql('commerce', "SELECT commerce.create_tenant('t$_', 'Tenant $_', 'EUR')")
} (1 .. 3);
$node->safe_psql('commerce',
	'CREATE TABLE public.commit_log (client int, n int, done_at timestamptz, PRIMARY KEY (client, n))');

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $listen = repo_path('bin/pgcommerce-listen');
my (@listeners, @outputs);
for my $i (0 .. 2)
{
	my $connstr = $node->connstr('commerce') . " application_name=listener$i";
	my $h = IPC::Run::start([ $listen, '--tenant', $tenants[$i], $connstr ],
		'>', "$tmp/listener$i.out", '2>', "$tmp/listener$i.err");
	push @listeners, $h;
}
ok($node->poll_query_until('commerce',
		"SELECT count(*) = 3 FROM pg_stat_activity WHERE application_name LIKE 'listener%'"),
	'three listeners connected');

my $script = "$tmp/writer.sql";
PostgreSQL::Test::Utils::append_to_file($script, <<'SQL');
\set n :n + 1
\set t random(0, 2)
BEGIN;
SELECT commerce.set_context((SELECT id FROM commerce.tenants ORDER BY slug OFFSET :t LIMIT 1));
SELECT commerce.emit_event('test.written', 'writer', commerce.uuid_generate_v7(), jsonb_build_object('client', :client_id, 'n', :n, 'k', k)) FROM generate_series(1, 2) k;
SELECT pg_sleep(random() * 0.004);
SELECT commerce.emit_event('test.written', 'writer', commerce.uuid_generate_v7(), jsonb_build_object('client', :client_id, 'n', :n, 'k', k + 2, 'before_commit', clock_timestamp())) FROM generate_series(1, 3) k;
\if :n % 10 = 0
ROLLBACK;
\else
COMMIT;
INSERT INTO public.commit_log VALUES (:client_id, :n, clock_timestamp());
\endif
SQL

my ($pgbench_out, $pgbench_err) = ('', '');
my $pgbench = IPC::Run::start(
	[ 'pgbench', '-n', '-c', $writers, '-j', $writers, '-t', $txns_per_writer, '-D', 'n=0',
	  '-f', $script, '-h', $node->host, '-p', $node->port, 'commerce' ],
	'>', \$pgbench_out, '2>', \$pgbench_err);

# Cut the listeners' connections twice while the writers run: they must
# reconnect and catch up from their cursor.
for my $round (1 .. 2)
{
	$node->poll_query_until('commerce',
		"SELECT count(*) >= $round * 8000 FROM commerce.outbox WHERE seq IS NOT NULL");
	$node->safe_psql('commerce',
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'listener%'");
}
$pgbench->finish;
is($?, 0, 'pgbench writers finished') or diag($pgbench_err);

my $expected = $writers * $committed_per_writer;
is($node->safe_psql('commerce', 'SELECT count(*) FROM commerce.outbox'), $expected,
	"$expected committed events in the outbox");
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.outbox WHERE (data->>'n')::int % 10 = 0"),
	'0', 'no event from a rolled-back transaction');
ok($node->poll_query_until('commerce', 'SELECT count(*) = 0 FROM commerce.outbox WHERE seq IS NULL'),
	'every committed event is published');
is($node->safe_psql('commerce', 'SELECT count(DISTINCT seq) FROM commerce.outbox'), $expected,
	'every seq is distinct');

# Commit order: scanning in descending seq, no row may come after (in seq)
# a transaction that was done before this row's transaction began to commit.
is($node->safe_psql('commerce', <<'SQL'), '0', 'publish order respects commit order across writers');
WITH tx AS (
  SELECT (data->>'client')::int AS client, (data->>'n')::int AS n,
         max((data->>'before_commit')::timestamptz) AS before_commit
    FROM commerce.outbox GROUP BY 1, 2),
rows AS (
  SELECT o.seq, tx.before_commit, l.done_at
    FROM commerce.outbox o
    JOIN tx ON tx.client = (o.data->>'client')::int AND tx.n = (o.data->>'n')::int
    JOIN public.commit_log l ON l.client = tx.client AND l.n = tx.n),
w AS (
  SELECT seq, before_commit,
         min(done_at) OVER (ORDER BY seq DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS done_later_in_seq
    FROM rows)
SELECT count(*) FROM w WHERE done_later_in_seq < before_commit
SQL
is($node->safe_psql('commerce', <<'SQL'), '0', 'each writer\'s events are in its own commit order');
SELECT count(*) FROM (
  SELECT (data->>'n')::int * 10 + (data->>'k')::int AS pos,
         lag((data->>'n')::int * 10 + (data->>'k')::int) OVER (PARTITION BY data->>'client' ORDER BY seq) AS prev
    FROM commerce.outbox) s
 WHERE prev >= pos
SQL

# The listeners: wait until each printed its tenant's last event.
for my $i (0 .. 2)
{
	my $count = $node->safe_psql('commerce', "SELECT count(*) FROM commerce.outbox WHERE tenant_id = '$tenants[$i]'");
	my $lines = 0;
	for (1 .. 600)
	{
		$lines = () = slurp_file("$tmp/listener$i.out") =~ /\n/g;
		last if $lines >= $count;
		usleep(100_000);
	}
	$listeners[$i]->signal('TERM');
	$listeners[$i]->finish;

	my @events = split /\n/, slurp_file("$tmp/listener$i.out");
	my (%ids, @seqs, $foreign);
	for my $line (@events)
	{
		my ($id) = $line =~ /^\{"id": "([^"]+)"/;
		my ($seq) = $line =~ /"seq": (\d+)/;
		my ($t) = $line =~ /"tenant_id": "([^"]+)"/;
		$ids{$id}++;
		push @seqs, $seq;
		$foreign++ if $t ne $tenants[$i];
	}
	my $db_ids = $node->safe_psql('commerce',
		"SELECT string_agg(id::text, ',' ORDER BY seq) FROM commerce.outbox WHERE tenant_id = '$tenants[$i]'");
	is(scalar(@events), $count, "listener $i printed $count events (its tenant's committed events)");
	is(scalar(grep { $ids{$_} > 1 } keys %ids), 0, "listener $i printed no event twice");
	is_deeply([ sort keys %ids ], [ sort split(/,/, $db_ids) ], "listener $i printed exactly its tenant's events");
	ok(!$foreign, "listener $i printed no other tenant's event");
	my $increasing = 1;
	for my $k (1 .. $#seqs) { $increasing = 0 if $seqs[$k] <= $seqs[ $k - 1 ] }
	ok($increasing, "listener $i printed seq strictly increasing");
	like(slurp_file("$tmp/listener$i.err"), qr/terminating connection/,
		"listener $i saw its connection cut and came back");
}

$node->stop;
done_testing();
