# test/t/531_gateway_events_wakeup.pl — the event stream trusts no
# notification. Tenant B's staff has /v1/events/stream open; a partner
# role bound to tenant A, then a role bound to no tenant, send forged
# pg_notify('commerce_events', ...) envelopes in B's name (a huge seq, type
# order.paid): nothing of them reaches B's stream, and B's genuine events,
# from commands run after the forgery, still do (the stream's cursor did
# not move). Then the gateway's listener connection is killed: the open
# stream stays open and still gets B's events, including one committed
# while the listener was reconnecting (the read after reconnecting and the
# backstop timer find them in the outbox).
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt stream_events wait_events);

my $node = commerce_node('gw_wakeup');
my $ta = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('wake-a', 'A', 'EUR')});
my $tb = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('wake-b', 'B', 'EUR')});
$node->safe_psql('commerce', qq{
CREATE ROLE partner_a LOGIN;
CREATE ROLE partner_b LOGIN;
CREATE ROLE plain_role LOGIN;
SELECT commerce.bind_role('partner_a', '$ta');
SELECT commerce.bind_role('partner_b', '$tb');});

# B's commands, run by B's own bound role (only commands write).
my $nproducts = 0;
sub b_creates_product
{
	my ($title) = @_;
	$nproducts++;
	$node->safe_psql('commerce',
		qq{SELECT commerce.create_product('{"title": "$title"}', 'wake-$nproducts')},
		extra_params => [ '-U', 'partner_b' ]);
	return;
}

# A forged envelope in B's name, sent by $role.
sub forge
{
	my ($role, $marker) = @_;
	my $payload = encode_json({
		id => '01900000-0000-7000-8000-000000000001', seq => 9000000000000000000,
		tenant_id => $tb, type => 'order.paid', aggregate_type => 'order',
		aggregate_id => '01900000-0000-7000-8000-000000000002',
		occurred_at => '2026-01-01T00:00:00.000000Z', data => { forged => $marker } });
	$node->safe_psql('commerce', "SELECT pg_notify('commerce_events', '$payload')",
		extra_params => [ '-U', $role ]);
	return;
}

sub titles { return map { $_->{env}{data}{title} // '' } @_ }

my $gw = start_gateway($node, env => { PGCOMMERCE_SSE_HEARTBEAT => 1 });
my $staff_b = make_jwt({ tenant_id => $tb, sub => 'bob', role => 'staff', exp => time + 3600 });

my $s = $gw->open_stream($staff_b);
my $open = 0;
for (1 .. 200) { stream_events($s); $open = 1, last if $s->{seen} =~ /: stream open/; sleep 0.05 }
ok($open, "B's stream is open");

b_creates_product('Before-Forgery');
my @ev = wait_events($s, 1);
is_deeply([ titles(@ev) ], ['Before-Forgery'], "B's genuine event arrives");

# The forgeries, and noise: an empty payload and one that is not JSON.
forge('partner_a', 'by-partner-a');
forge('plain_role', 'by-plain-role');
$node->safe_psql('commerce', q{SELECT pg_notify('commerce_events', ''), pg_notify('commerce_events', 'junk')},
	extra_params => [ '-U', 'plain_role' ]);
sleep 1.5;    # past the backstop read
b_creates_product('After-Forgery');
@ev = wait_events($s, 2);
is_deeply([ titles(@ev) ], [ 'Before-Forgery', 'After-Forgery' ],
	"B's genuine events after the forgeries still arrive, and nothing else");
ok(!grep({ $_->{type} eq 'order.paid' || $_->{seq} >= 9000000000000000000 } @ev),
	'no forged order.paid, no forged seq on the stream');
unlike(join('', map { encode_json($_->{env}) } @ev), qr/forged|by-partner-a|by-plain-role/,
	'no forged data on the stream');
my $genuine = $node->safe_psql('commerce',
	"SELECT string_agg(seq::text, ',' ORDER BY seq) FROM commerce.outbox WHERE tenant_id = '$tb'");
is(join(',', map { $_->{seq} } @ev), $genuine, "the stream carries exactly B's events in the outbox");

# The listener connection dies; the stream lives on.
my $killed = $node->safe_psql('commerce',
	q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	   WHERE application_name = 'pgcommerce-gateway listener'});
is($killed, '1', "the gateway's listener connection is terminated");
b_creates_product('While-Reconnecting');
@ev = wait_events($s, 3, 10);
is_deeply([ titles(@ev) ], [ 'Before-Forgery', 'After-Forgery', 'While-Reconnecting' ],
	'an event committed while the listener reconnects reaches the open stream');
ok($node->poll_query_until('commerce',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'pgcommerce-gateway listener'}),
	'the listener reconnected');
b_creates_product('After-Reconnect');
@ev = wait_events($s, 4, 10);
is_deeply([ titles(@ev) ], [ 'Before-Forgery', 'After-Forgery', 'While-Reconnecting', 'After-Reconnect' ],
	'and live events go on, on the same stream, without repeats');
like($gw->stdout, qr/listener connection lost; reconnecting/, 'the gateway logged the reconnect');

is($gw->stop(timeout => 30), 0, 'gateway exits 0');
$s->{h}->finish;
$node->stop;
done_testing();
