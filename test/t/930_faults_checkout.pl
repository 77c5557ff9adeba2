# test/t/930_faults_checkout.pl — checkouts under faults lose nothing
# acknowledged and break no invariant (issue 18): while pgbench clients run
# checkouts (set_context + checkout in one statement, as the gateway sends
# it, each with a fresh idempotency key) and record every acknowledged order
# in public.acks after the commit, the test kills -9 a backend in the middle
# of a checkout, kills -9 the publisher, kills -9 the postmaster, and shuts
# down immediately, each followed by crash recovery. After each fault and at
# the end: every acknowledged order is there and placed, every event is
# published once, and commerce.check_invariants(true) reports nothing
# (stock held equals the open orders' lines, gapless numbers, totals the
# sums of their parts, one event per change, seq unique).
# FAULT_BACKEND_KILLS=1000 is the long run: 1,000 kills of a backend.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use PgCommerce::Test qw(commerce_node);

my $node = commerce_node('checkout_faults',
	extra_conf => "restart_after_crash = on\npgcommerce.publisher_batch_size = 100\n");
$node->safe_psql('commerce', <<'SQL');
CREATE TABLE public.acks (order_id uuid PRIMARY KEY, run int NOT NULL);
CREATE TABLE public.stock (tenant_id uuid, variant_id uuid);
DO $$
DECLARE t uuid; p uuid; v uuid; l uuid;
BEGIN
  FOR i IN 1..3 LOOP
    t := commerce.create_tenant('faults-' || i, 'Faults ' || i, 'EUR');
    PERFORM commerce.set_context(t);
    l := (commerce.create_price_list('{"name": "Retail", "currency": "EUR"}') ->> 'id')::uuid;
    FOR j IN 1..8 LOOP
      p := (commerce.create_product(jsonb_build_object('title', 'P' || j, 'status', 'active')) ->> 'id')::uuid;
      v := (commerce.create_variant(p, jsonb_build_object('sku', 'SKU-' || j)) ->> 'id')::uuid;
      PERFORM commerce.set_inventory(v, '{"on_hand": 1000000}');
      PERFORM commerce.set_price(l, jsonb_build_object('variant_id', v, 'amount', 100 * j + 99));
      INSERT INTO public.stock VALUES (t, v);
    END LOOP;
  END LOOP;
END $$;
SQL

# One checkout of two distinct variants of a random tenant, as the gateway
# sends it; the acknowledgement is recorded only after the commit.
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $script = "$tmp/checkout.sql";
PostgreSQL::Test::Utils::append_to_file($script, <<'SQL');
\set tenant random(1, 3)
\set a random(1, 4)
\set b random(5, 8)
WITH ctx AS MATERIALIZED (
  SELECT commerce.set_context((SELECT id FROM commerce.tenants WHERE slug = 'faults-' || :tenant))),
lines AS (
  SELECT jsonb_agg(jsonb_build_object('variant_id', s.variant_id, 'quantity', 1 + (n % 3))) AS lines
    FROM (SELECT variant_id, row_number() OVER () AS n FROM public.stock
           WHERE tenant_id = (SELECT id FROM commerce.tenants WHERE slug = 'faults-' || :tenant)) s
   WHERE s.n IN (:a, :b))
SELECT (commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines', lines.lines),
                          gen_random_uuid()::text)) ->> 'id' AS order_id
  FROM ctx, lines \gset
INSERT INTO public.acks VALUES (:order_id, :run);
SQL

my ($out, $err) = ('', '');
my $run = 0;
sub start_load
{
	($out, $err) = ('', '');
	$run++;
	return IPC::Run::start(
		[ 'pgbench', '-n', '-M', 'extended', '-c', 6, '-j', 3, '-T', 60, '-D', "run=$run", '-f', $script,
		  '-h', $node->host, '-p', $node->port, 'commerce' ],
		'>', \$out, '2>', \$err);
}

sub acks { return $node->safe_psql('commerce', 'SELECT count(*) FROM public.acks') }

# Wait until recovery is over and the publisher has published everything
# committed, then check what must hold.
sub check_after
{
	my ($fault) = @_;
	ok($node->poll_query_until('commerce', 'SELECT NOT pg_is_in_recovery()'), "$fault: recovered");
	ok($node->poll_query_until('commerce', <<'SQL'), "$fault: every committed event published");
SELECT NOT EXISTS (SELECT 1 FROM commerce.outbox_written w
                    WHERE NOT EXISTS (SELECT 1 FROM commerce.outbox_published p
                                       WHERE p.tenant_id = w.tenant_id AND p.id = w.id))
SQL
	is($node->safe_psql('commerce', <<'SQL'), '0', "$fault: every acknowledged order is there, placed");
SELECT count(*) FROM public.acks a
 WHERE NOT EXISTS (SELECT 1 FROM commerce.orders o WHERE o.id = a.order_id AND o.status = 'placed')
SQL
	is($node->safe_psql('commerce',
			"SELECT string_agg(invariant || ' ' || coalesce(object_id::text, '') || ' ' || detail, E'\\n') "
			  . 'FROM commerce.check_invariants(true)'),
		'', "$fault: every invariant holds");
}

# A client backend in the middle of a checkout (not the test's own).
sub checkout_backend
{
	return $node->safe_psql('commerce',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
		  . "AND query LIKE '%commerce.checkout%' AND state = 'active' ORDER BY xact_start LIMIT 1");
}

sub wait_for_acks
{
	my ($more) = @_;
	my $target = acks() + $more;
	$node->poll_query_until('commerce', "SELECT count(*) >= $target FROM public.acks");
}

# 1. kill -9 of a backend in the middle of a checkout
my $load = start_load();
wait_for_acks(200);
my $victim;
for (1 .. 100) { $victim = checkout_backend(); last if $victim; usleep(20_000) }
ok($victim, 'a backend is in the middle of a checkout') or diag($err);
kill 'KILL', $victim;
$load->finish;
check_after('kill -9 of a checkout backend');

# The long run (docs/reliability.md): FAULT_BACKEND_KILLS=n kills a
# checkout backend n times in all. The load restarts itself (pgbench in a
# loop: a crash ends every client); each kill waits for a backend in the
# middle of a checkout, each is followed by crash recovery; the checks run
# after every 250th kill and after the last.
my $kills = $ENV{FAULT_BACKEND_KILLS} // 1;
if ($kills > 1)
{
	$node->safe_psql('commerce', <<'SQL');
CREATE FUNCTION public.checkout_backend() RETURNS int LANGUAGE plpgsql AS $$
DECLARE p int;
BEGIN
  FOR i IN 1 .. 2000 LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT pid INTO p FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
       AND query LIKE '%commerce.checkout%' AND state = 'active' LIMIT 1;
    IF p IS NOT NULL THEN RETURN p; END IF;
    PERFORM pg_sleep(0.005);
  END LOOP;
  RETURN NULL;
END $$;
SQL
	# the load in a loop; stopped (and waited for) before each check
	my ($loop, $stop);
	my $start_loop = sub {
		$stop = "$tmp/stop-loop-" . ++$run;
		$loop = IPC::Run::start([ 'bash', '-c', "while [ ! -e $stop ]; do pgbench -n -M extended -c 6 -j 3 -T 5 "
			  . "-D run=$run -f $script -h '" . $node->host . "' -p " . $node->port
			  . " commerce >/dev/null 2>&1; sleep 0.1; done" ]);
	};
	my $stop_loop = sub { PostgreSQL::Test::Utils::append_to_file($stop, ''); $loop->finish };
	$start_loop->();
	my ($hit, $t_kills) = (1, time);
	for my $k (2 .. $kills)
	{
		my $before = acks();
		my $v = '';
		for (1 .. 100)
		{
			$v = $node->safe_psql('commerce', 'SELECT public.checkout_backend()', on_error_stop => 0) // '';
			last if $v =~ /^\d+$/;
			usleep(100_000);
		}
		if ($v =~ /^\d+$/) { kill 'KILL', $v; $hit++ }
		$node->poll_query_until('commerce', "SELECT NOT pg_is_in_recovery() AND count(*) > $before FROM public.acks");
		next unless $k % 250 == 0 || $k == $kills;
		$stop_loop->();
		check_after("kill -9 number $k");
		$start_loop->() if $k < $kills;
	}
	cmp_ok($hit, '>=', $kills * 0.99, sprintf('%d of %d kills hit a backend in a checkout (%.0f s, %d acknowledged)',
		$hit, $kills, time - $t_kills, acks()));
}

# 2. kill -9 of the publisher while checkouts commit
$load = start_load();
wait_for_acks(200);
my $publisher = $node->safe_psql('commerce',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgcommerce publisher'");
ok($publisher, 'the publisher runs');
kill 'KILL', $publisher;
$load->finish;
check_after('kill -9 of the publisher');
ok($node->poll_query_until('commerce',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pgcommerce publisher' AND pid <> $publisher"),
	'a new publisher runs');

# 3. kill -9 of the postmaster: its children notice and exit, the next
# start recovers from the WAL.
$load = start_load();
wait_for_acks(200);
my ($postmaster) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
$node->kill9;
$load->finish;
# the postmaster gone (a lock file naming a live or unreaped process stops
# the next start) and its children too: they exit when they notice
my $left = 1;
for (1 .. 600)
{
	$left = kill(0, $postmaster) + grep { /postgres: checkout_faults/ } split /\n/, `ps -eo args`;
	last unless $left;
	usleep(100_000);
}
is($left, 0, 'the killed postmaster and its children are gone');
my $started = $node->start(fail_ok => 1);
ok($started, 'the cluster starts again after kill -9 of the postmaster');
check_after('kill -9 of the postmaster');

# 4. immediate shutdown under load, then a normal start
$load = start_load();
wait_for_acks(200);
$node->stop('immediate');
$load->finish;
$node->start;
check_after('immediate shutdown');

# What was measured: acknowledged orders through the four faults.
my $acked = acks();
cmp_ok($acked, '>=', 800, "$acked acknowledged checkouts across four faults");
is($node->safe_psql('commerce', 'SELECT count(*) FROM public.acks a JOIN commerce.orders o ON o.id = a.order_id'),
	$acked, 'none of them lost');

$node->stop;
done_testing();
