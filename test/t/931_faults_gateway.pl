# test/t/931_faults_gateway.pl — the gateway and the database fail under
# checkout load over HTTP, and nothing acknowledged is lost (issue 18).
# Six clients send POST /v1/checkout, each with its own Idempotency-Key,
# and retry the same key with the same body until answered (any failure:
# refused connection, reset, 409 key in use, 503).
#  1. kill -9 of the gateway while a checkout is in the database, then a
#     new gateway on the same port (GATEWAY_KILLS times, default 4);
#  2. the database stopped (fast, then immediate) and started again under
#     a running gateway: every answer meanwhile is 201 or a JSON 503
#     `database_unavailable` within 5 s (no hang, no other status), the
#     gateway never exits, and after the start it serves checkouts again.
# After both: every key answered by exactly one order, every acknowledged
# order there and placed, each order.placed served once by the events
# feed, every committed event published, commerce.check_invariants(true)
# empty, and the last gateway stops cleanly (no sanitizer report).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway);
use PgCommerce::Faults qw(seed_catalogue start_clients stop_clients read_logs check_outcome);

my $kills = $ENV{GATEWAY_KILLS} // 4;
my $node = commerce_node('gw_faults', extra_conf => "pgcommerce.publisher_batch_size = 100\n");
my $cat = seed_catalogue($node, 'gwf', 2, 6);
$node->safe_psql('commerce', <<'SQL');
CREATE FUNCTION public.gateway_checkout_running() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. 400 LOOP
    PERFORM pg_stat_clear_snapshot();
    IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE usename = 'gw' AND state = 'active'
                  AND query LIKE '%checkout%') THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.005);
  END LOOP;
  RETURN false;
END $$;
SQL
my $gw = start_gateway($node);
my $port = $gw->port;

sub acks { my $n = 0; $n += keys %{ read_logs(@_)->{acked} }; return $n }

sub wait_acks
{
	my ($dir, $more) = @_;
	my $target = acks($dir) + $more;
	my $deadline = time + 90;
	sleep 0.1 while acks($dir) < $target && time < $deadline;
	return acks($dir) >= $target;
}

# A new gateway on the old port (the clients keep their URL).
sub restart_gateway
{
	my $g = start_gateway($node, wait => 0, env => { PGCOMMERCE_LISTEN => "127.0.0.1:$port" });
	$g->{port} = $port;
	$g->{base} = "http://127.0.0.1:$port";
	my $deadline = time + 30;
	while (time < $deadline)
	{
		return $g if $g->{http}->get("$g->{base}/healthz")->{status} == 200;
		sleep 0.05;
	}
	die 'the new gateway did not answer /healthz: ' . $g->stderr;
}

# --- 1. kill -9 of the gateway mid-request ----------------------------
my $dir1 = PostgreSQL::Test::Utils::tempdir();
my $clients = start_clients(base => $gw->base, catalogue => $cat, clients => 6, dir => $dir1, prefix => 'k');
my $mid = 0;
for my $k (1 .. $kills)
{
	ok(wait_acks($dir1, 25), "kill $k: 25 more checkouts acknowledged first");
	# a checkout of the gateway's in the database right now (polled for up
	# to 2 s inside one statement)
	my $busy = $node->safe_psql('commerce', 'SELECT public.gateway_checkout_running()');
	$mid++ if $busy eq 't';
	$gw->{h}->signal('KILL');
	eval { $gw->{h}->finish };
	sleep 0.2;
	$gw = restart_gateway();
}
cmp_ok($mid, '>=', 1, "$mid of $kills kills hit a checkout in the database");
ok(wait_acks($dir1, 25), 'checkouts go on after the last kill');
stop_clients($clients);
my $logs = read_logs($dir1);
my @replayed = grep { $_->[2] } values %{ $logs->{acked} };
my @refused = grep { $_->[2] == 599 } @{ $logs->{responses} };
my %other;
$other{"$_->[2] $_->[3]"}++ for grep { $_->[2] != 201 && $_->[2] != 599 } @{ $logs->{responses} };
diag(sprintf "%.0f s: " . 'gateway kills: %d keys, %d kills, %d answers replayed, %d requests failed in transit, other: %s',
	time - $^T, scalar(keys %{ $logs->{acked} }), $kills, scalar @replayed, scalar @refused,
	join(', ', map { "$_ × $other{$_}" } sort keys %other) || 'none');
is(scalar(grep { !/^(409 idempotency_key_in_use|503 database_unavailable|503 routes_not_loaded)$/ } keys %other), 0,
	'no answer but 201, a refused or cut connection, 409 key in use or 503 (database, routes not loaded yet)');
check_outcome($node, $gw, $cat, $logs, 'after gateway kills');

# --- 2. the database stopped and started under the gateway ---------------
my $dir2 = PostgreSQL::Test::Utils::tempdir();
$clients = start_clients(base => $gw->base, catalogue => $cat, clients => 6, dir => $dir2, prefix => 'd');
my @down;
for my $mode ('fast', 'immediate')
{
	ok(wait_acks($dir2, 25), "$mode: 25 checkouts acknowledged first");
	$node->stop($mode);
	my $t_down = time;
	my ($probes, $bad, $slow) = (0, 0, 0);
	while (time - $t_down < 2)
	{
		my $t0 = time;
		my $r = $gw->get('/v1/products', token => PgCommerce::Faults::staff_tokens($cat)->[0]);
		$probes++;
		$slow++ if time - $t0 > 2;
		$bad++ unless $r->{status} == 503 && ($r->{json}{error}{code} // '') eq 'database_unavailable';
		sleep 0.1;
	}
	is($bad, 0, "$mode: $probes reads while the database is down: all JSON 503 database_unavailable");
	is($slow, 0, "$mode: none took over 2 s");
	ok($gw->alive, "$mode: the gateway still runs");
	$node->start;
	my $t_up = time;
	push @down, [ $mode, $t_down, $t_up ];
	my $n = acks($dir2);
	sleep 0.05 while acks($dir2) == $n && time - $t_up < 30;
	cmp_ok(acks($dir2), '>', $n, sprintf('%s: checkouts acknowledged again %.1f s after the start', $mode, time - $t_up));
}
ok(wait_acks($dir2, 25), 'checkouts go on after the database came back');
stop_clients($clients);
my $logs2 = read_logs($dir2);
my @wrong = grep { !($_->[2] == 201 || ($_->[2] == 503 && $_->[3] eq 'database_unavailable')) } @{ $logs2->{responses} };
is(scalar @wrong, 0, 'every checkout answer is 201 or a JSON 503 database_unavailable')
  or diag(join "\n", map { "@$_" } @wrong[0 .. ($#wrong > 9 ? 9 : $#wrong)]);
my @hung = grep { $_->[4] > 5 } @{ $logs2->{responses} };
is(scalar @hung, 0, 'no checkout answer took over 5 s');
my $n503 = grep { $_->[2] == 503 } @{ $logs2->{responses} };
my $max = 0;
$max < $_->[4] and $max = $_->[4] for @{ $logs2->{responses} };
diag(sprintf 'database stop/start: %d keys, %d answers 503 while down, slowest answer %.2f s',
	scalar(keys %{ $logs2->{acked} }), $n503, $max);
cmp_ok($n503, '>', 0, 'clients saw the 503s');

my $all = read_logs($dir1, $dir2);
check_outcome($node, $gw, $cat, $all, 'at the end');
is($gw->stop, 0, 'the gateway stops cleanly');
$node->stop;
done_testing();
