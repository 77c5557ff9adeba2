# test/t/530_gateway_events.pl — GET /v1/events (cursor feed) and
# GET /v1/events/stream (server-sent events) over real HTTP: events in seq
# order, only the token's tenant, Last-Event-ID resumes through
# events_since with nothing lost or repeated, heartbeats, a client that
# does not read is dropped without holding others, a suspended or missing
# tenant is refused with the tenant checked by the events statement itself
# (a tenant the gateway has not cached costs one statement, not a probe and
# a read), and open streams end on SIGTERM with a clean exit. Forged
# notifications and a lost listener connection:
# test/t/531_gateway_events_wakeup.pl.
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt stream_events wait_events);

my $node = commerce_node('gw_events',
	extra_conf => "shared_preload_libraries = 'pgcommerce,pg_stat_statements'\n");
$node->safe_psql('commerce', 'CREATE EXTENSION pg_stat_statements');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('globex', 'Globex', 'EUR')});
$node->safe_psql('commerce', q{
CREATE FUNCTION public.emit(type text, data jsonb) RETURNS void LANGUAGE sql AS $$
  SELECT commerce.emit_event(type, 'note', commerce.uuid_generate_v7(), data) $$;});
$node->safe_psql('commerce', q{
CREATE FUNCTION public.ping(data jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT public.emit('note.pinged', data); SELECT jsonb_build_object('ok', true) $$;
CREATE FUNCTION public.ping_many(n int, size int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT public.emit('note.bulk', jsonb_build_object('i', i, 'pad', repeat('x', size)))
  FROM generate_series(1, n) i;
  SELECT jsonb_build_object('ok', true) $$;
SELECT commerce.register_route('POST', '/v1/pings', 'public.ping(jsonb)');
SELECT commerce.register_route('POST', '/v1/pings/bulk', 'public.ping_many(int,int)');});

# The connection idle timeout (PGCOMMERCE_READ_TIMEOUT) is raised well above
# the stream stall limit (5 s): a client that reads nothing must be dropped
# by the stall rule below, not by the idle timeout, even on a loaded machine
# where the bulk load takes longer.
my $gw = start_gateway($node, env => { PGCOMMERCE_SSE_HEARTBEAT => 1, PGCOMMERCE_SSE_MAX_BUFFER => 1048576,
		PGCOMMERCE_READ_TIMEOUT => 120 });
my $exp = time + 3600;
my $staff1 = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => $exp });
my $staff2 = make_jwt({ tenant_id => $t2, sub => 'bob', role => 'staff', exp => $exp });

my $r;
for (1 .. 100) { $r = $gw->post('/v1/pings', token => $staff1, body => { n => 0 }); last if $r->{status} == 200; sleep 0.1 }
is($r->{status}, 200, 'setup: ping route served') or diag($r->{content});
# Wait for the warm-up event to be published, then start from after it.
my $feed;
for (1 .. 100) { $feed = $gw->get('/v1/events', token => $staff1); last if @{ $feed->{json}{data} // [] }; sleep 0.1 }
my $base = $feed->{json}{data}[-1]{seq};
ok($base, 'warm-up event visible in the feed');

my $s1 = $gw->open_stream($staff1);
my $s2 = $gw->open_stream($staff2);
sleep 0.5;
$gw->post('/v1/pings', token => $staff1, body => { n => $_ }) for 1 .. 3;
$gw->post('/v1/pings', token => $staff2, body => { n => 99 });

my @e1 = wait_events($s1, 3);
is(scalar @e1, 3, 'tenant 1 stream got its three events');
is_deeply([ map { $_->{env}{data}{n} } @e1 ], [ 1, 2, 3 ], 'in order');
ok($e1[0]{seq} < $e1[1]{seq} && $e1[1]{seq} < $e1[2]{seq}, 'seq strictly increasing');
is($e1[0]{type}, 'note.pinged', 'SSE event name is the event type');
ok(!grep({ $_->{env}{tenant_id} ne $t1 } @e1), "no other tenant's event on tenant 1's stream");
my @e2 = wait_events($s2, 1);
is_deeply([ map { $_->{env}{data}{n} } @e2 ], [99], "tenant 2's stream got only its own event");

# The feed: the same events, by cursor.
$r = $gw->get("/v1/events?after=$base&limit=2", token => $staff1);
is($r->{status}, 200, 'feed answers');
is_deeply([ map { $_->{data}{n} } @{ $r->{json}{data} } ], [ 1, 2 ], 'first page');
ok($r->{json}{next_cursor}, 'next_cursor given');
$r = $gw->get("/v1/events?after=$r->{json}{next_cursor}&limit=2", token => $staff1);
is_deeply([ map { $_->{data}{n} } @{ $r->{json}{data} } ], [3], 'second page');
is($r->{json}{next_cursor}, undef, 'no next_cursor at the end');
is($gw->get('/v1/events?after=abc', token => $staff1)->{status}, 400, 'bad cursor is 400');
for my $bad ('%2B1', '%201', '-1', '1%20', '99999999999999999999', '') {
	is($gw->get("/v1/events?after=$bad", token => $staff1)->{status}, 400, "cursor '$bad' (sign, space, overflow, empty) is 400");
}
is($gw->get('/v1/events?after=1&limit=%2B2', token => $staff1)->{status}, 400, 'a signed limit is 400');

my $hb = 0;
for (1 .. 40) { stream_events($s2); $hb = 1, last if $s2->{seen} =~ /: heartbeat\n\n/; sleep 0.1 }
ok($hb, 'heartbeats on a quiet stream');

# Resume from Last-Event-ID: catch-up from the outbox, then live, no gaps.
my $s3 = $gw->open_stream($staff1, 'Last-Event-ID' => $e1[0]{seq});
my @e3 = wait_events($s3, 2);
is_deeply([ map { $_->{env}{data}{n} } @e3 ], [ 2, 3 ], 'resumed stream replays what followed Last-Event-ID');
$gw->post('/v1/pings', token => $staff1, body => { n => 4 });
@e3 = wait_events($s3, 3);
is_deeply([ map { $_->{env}{data}{n} } @e3 ], [ 2, 3, 4 ], 'then continues live without repeats');
@e1 = wait_events($s1, 4);
is_deeply([ map { $_->{env}{data}{n} } @e1 ], [ 1, 2, 3, 4 ], 'the first stream saw it too');

# An event bigger than a NOTIFY payload could be reaches the stream whole
# (streams read the outbox).
{
	my $big = 'y' x 12000;
	$gw->post('/v1/pings', token => $staff1, body => { n => 5, big => $big });
	my @e = wait_events($s1, 5);
	my ($ev) = grep { ($_->{env}{data}{n} // 0) == 5 } @e;
	is(length($ev->{env}{data}{big} // ''), 12000, 'a 12 kB event arrives whole on the stream');
	ok(!$ev->{env}{truncated}, 'not marked truncated');
	@e3 = wait_events($s3, 4);
	is(scalar(grep { ($_->{env}{data}{n} // 0) == 5 } @e3), 1, 'on every stream of the tenant');
}

# A client that never reads is dropped at the buffer bound; others go on.
my $lazy = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp');
setsockopt($lazy, SOL_SOCKET, SO_RCVBUF, 4096);
print $lazy "GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $staff1\r\n\r\n";
sleep 0.5;
# 40 commits of 40 events of 6 kB: 9.6 MB, more than the stalled client's
# socket buffers and its 1 MB bound, never more than the bound at once.
my $bulk_ok = 0;
for (1 .. 40)
{
	$bulk_ok++ if $gw->post('/v1/pings/bulk', token => $staff1, body => { n => 40, size => 6000 })->{status} == 200;
}
is($bulk_ok, 40, 'bulk events emitted');
my $before = 5;
@e1 = wait_events($s1, $before + 1600, 60);
is(scalar @e1, $before + 1600, 'a reading stream gets every bulk event while another client stalls');
my $dropped = 0;
for (1 .. 300) { $dropped = 1, last if $gw->stdout =~ /too slow; dropped/; sleep 0.1 }
ok($dropped, 'the stalled client was dropped');
close $lazy;

# A client that stops reading while its buffer sits between half and full is
# dropped too: events come in small commits (60 kB each, a sixteenth of the
# bound; 90 of them, more than the kernel's socket buffers take), so no
# append overflows its buffer; once half full the poller
# leaves it out, and the stall clock must run all the same. Tenant 2's own
# reading stream is drained meanwhile, so the drop logged for tenant 2 is
# the lazy client's.
my $lazy2 = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $gw->port, Proto => 'tcp');
setsockopt($lazy2, SOL_SOCKET, SO_RCVBUF, 4096);
print $lazy2 "GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $staff2\r\n\r\n";
sleep 0.5;
for (1 .. 90)
{
	$gw->post('/v1/pings/bulk', token => $staff2, body => { n => 10, size => 6000 });
	sleep 0.05;
}
my $dropped2 = 0;
for (1 .. 200) { stream_events($s2); $dropped2 = 1, last if $gw->stdout =~ /too slow; dropped.*\Q$t2\E/; sleep 0.1 }
ok($dropped2, 'a client stalled between half and full is dropped too');
close $lazy2;
is($gw->get('/readyz')->{status}, 200, 'gateway healthy');

like($gw->get('/metrics')->{content}, qr/pgcommerce_http_requests_total\{route="\/v1\/events\/stream"/,
	'streams counted in metrics');

# Tenant refusals, and what a tenant the gateway has not cached costs: its
# state comes from the events statement, never from a statement of its own
# (pg_stat_statements counts the statements that complete). The set-up of
# new pool connections, transaction control and the listener's reads (for
# the streams still open) are left out.
sub gateway_statements
{
	return $node->safe_psql('commerce', q{
		SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
		 WHERE userid OPERATOR(pg_catalog.=) 'gw'::regrole AND query NOT LIKE 'SET %'
		   AND query NOT IN ('BEGIN', 'COMMIT') AND query NOT LIKE '%events_since($2%'});
}
{
	my %tok;
	for my $slug (qw(fresh-feed fresh-stream suspended-feed suspended-stream suspended-head))
	{
		my $t = $node->safe_psql('commerce', "SELECT commerce.create_tenant('$slug', 'T', 'EUR')");
		$node->safe_psql('commerce', "SELECT commerce.suspend_tenant('$t')") if $slug =~ /^suspended/;
		$tok{$slug} = make_jwt({ tenant_id => $t, sub => 'carol', role => 'staff', exp => $exp });
	}
	$tok{"ghost$_"} = make_jwt({ tenant_id => "01900000-0000-7000-8000-00000000dea$_",
			sub => 'carol', role => 'staff', exp => $exp }) for 1 .. 2;
	sleep 0.5;				# the tenant notifications have emptied the cache by now
	my $refused = sub {
		my ($r, $code, $what) = @_;
		is($r->{status}, 403, "$what: 403");
		is($r->{json}{error}{code}, $code, "$what: $code") or diag($r->{content});
	};
	my $costs = sub {
		my ($n, $what) = @_;
		is(gateway_statements(), $n, "$what: $n statement(s)") if defined $n;
		$node->safe_psql('commerce', 'SELECT pg_stat_statements_reset()');
	};
	$costs->(undef);
	$r = $gw->get('/v1/events', token => $tok{'fresh-feed'});
	is_deeply([ $r->{status}, $r->{json}{data} ], [ 200, [] ], 'feed of an active tenant not cached yet');
	$costs->(1, 'feed, active tenant not cached');
	$gw->get('/v1/events', token => $tok{'fresh-feed'});
	$costs->(1, 'feed, active tenant cached');
	my $fresh = $gw->open_stream($tok{'fresh-stream'});
	my $open = 0;
	for (1 .. 100) { stream_events($fresh); $open = 1, last if $fresh->{seen} =~ /: stream open/; sleep 0.05 }
	ok($open, 'stream of an active tenant not cached yet');
	$costs->(2, 'stream without a cursor, active tenant not cached (the context, then the head read)');
	$fresh->{h}->kill_kill;

	$refused->($gw->get('/v1/events', token => $tok{'suspended-feed'}), 'tenant_suspended', 'feed, suspended tenant');
	$costs->(1, 'feed, suspended tenant not cached');
	$refused->($gw->get('/v1/events', token => $tok{'suspended-feed'}), 'tenant_suspended',
		'feed, suspended tenant cached');
	$refused->($gw->get('/v1/events/stream', token => $tok{'suspended-feed'}), 'tenant_suspended',
		'stream, suspended tenant cached');
	$costs->(0, 'suspended tenant cached');
	$refused->($gw->get('/v1/events/stream', token => $tok{'suspended-stream'}, headers => { 'Last-Event-ID' => 0 }),
		'tenant_suspended', 'stream from a cursor, suspended tenant');
	$costs->(1, 'stream from a cursor, suspended tenant not cached');
	$refused->($gw->get('/v1/events/stream', token => $tok{'suspended-head'}), 'tenant_suspended',
		'stream without a cursor, suspended tenant');

	# set_context refuses a missing tenant: its statement does not complete.
	$costs->(undef);
	$refused->($gw->get('/v1/events', token => $tok{ghost1}), 'tenant_not_found', 'feed, missing tenant');
	$refused->($gw->get('/v1/events/stream', token => $tok{ghost1}), 'tenant_not_found', 'stream, missing tenant cached');
	$refused->($gw->get('/v1/events/stream', token => $tok{ghost2}, headers => { 'Last-Event-ID' => 0 }),
		'tenant_not_found', 'stream from a cursor, missing tenant');
	$costs->(0, 'missing tenants');
}

# SIGTERM with streams open: they end, the gateway exits 0.
my $t0 = time;
is($gw->stop(timeout => 30), 0, 'gateway exits 0 on SIGTERM with streams open');
cmp_ok(time - $t0, '<', 10, 'without waiting for the shutdown timeout');
$_->{h}->finish for $s1, $s2, $s3;
$node->stop;
done_testing();
