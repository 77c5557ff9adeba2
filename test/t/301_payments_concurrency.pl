# test/t/301_payments_concurrency.pl — captures and refunds racing on one
# payment from many real sessions: 50 concurrent captures of 150 on an
# authorization of 5000 (exactly 33 succeed, 4950 captured, the other 17
# fail with capture_exceeds_authorized), then 20 concurrent refunds of 300
# on those 4950 (exactly 16 succeed); 20 concurrent retries of one
# idempotency key (one capture, identical responses); 12 concurrent
# authorizations of one order (exactly what is due); captures racing the
# order's cancel (no deadlock, the books balance). All sessions of a race
# are released together from an advisory lock, so the commands really
# overlap.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);

my $node = commerce_node('payments_concurrency');
my $tenant = $node->safe_psql('commerce', q{
	CREATE ROLE pay_race LOGIN;
	SELECT commerce.create_tenant('pay-race', 'Race', 'EUR');
});
$node->safe_psql('commerce', "SELECT commerce.bind_role('pay_race', '$tenant')");
# A placed order of total 5000, made by the real commands (create_order,
# place_order) through the shared fixture (loaded once, committed).
my $fixture = repo_path('test/fixtures/payments.sql');
my $order = $node->safe_psql('commerce', qq{
	\\i $fixture
	SELECT payments_test.order('$tenant', 5000);
});
like($order, qr/^[0-9a-f-]{36}$/, 'placed an order of 5000');
my $payment = $node->safe_psql('commerce',
	qq{SELECT commerce.authorize_payment('$order', '{"provider": "manual"}') ->> 'id'},
	extra_params => [ '-U', 'pay_race' ]);
like($payment, qr/^[0-9a-f-]{36}$/, 'authorized 5000');

# Run $n copies of $sql at once (or, with an array of statements, one
# session each): each waits for the shared advisory lock the gate holds,
# then all go together. Returns [stdout, stderr] per session.
sub race
{
	my ($n, $sql) = @_;
	my @sqls = ref $sql ? @$sql : ($sql) x $n;
	my $gate = $node->background_psql('commerce');
	$gate->query_safe('SELECT pg_advisory_lock(4242)');
	my (@runs, @out, @err);
	for my $i (0 .. $n - 1)
	{
		$out[$i] = '';
		$err[$i] = '';
		push @runs, IPC::Run::start(
			[ 'psql', '-X', '-A', '-t', '-v', 'VERBOSITY=verbose', '-U', 'pay_race',
			  '-d', $node->connstr('commerce'),
			  '-c', "SELECT pg_advisory_xact_lock_shared(4242); $sqls[$i]" ],
			'>', \$out[$i], '2>', \$err[$i]);
	}
	$node->poll_query_until('commerce', qq{
		SELECT count(*) = $n FROM pg_locks
		WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted
	}) or die "the sessions did not all reach the gate";
	$gate->query_safe('SELECT pg_advisory_unlock(4242)');
	$_->finish for @runs;
	$gate->quit;
	return map { [ $out[$_], $err[$_] ] } 0 .. $n - 1;
}

my @captures = race(50,
	"SELECT commerce.capture_payment('$payment', '{\"amount\": 150}') ->> 'amount_captured'");
my @ok = grep { $_->[1] !~ /ERROR/ } @captures;
my @refused = grep { $_->[1] =~ /CONSTRAINT NAME:\s+capture_exceeds_authorized/ } @captures;
is(scalar(@ok), 33, '33 of 50 concurrent captures of 150 succeed (33 * 150 = 4950 <= 5000)');
is(scalar(@refused), 17, 'the other 17 fail with capture_exceeds_authorized');
my @totals = sort { $a <=> $b } map { my ($v) = $_->[0] =~ /(\d+)\s*$/; $v } @ok;
is_deeply(\@totals, [ map { $_ * 150 } 1 .. 33 ],
	'each success saw the captures before it: running totals 150, 300, ... 4950 exactly once');
is($node->safe_psql('commerce', "SELECT amount_captured || ':' || status FROM commerce.payments WHERE id = '$payment'"),
	'4950:partially_captured', 'captured total is 4950, never above the authorization');
is($node->safe_psql('commerce', "SELECT count(*) || ':' || sum(amount) FROM commerce.payment_transactions WHERE payment_id = '$payment' AND kind = 'capture'"),
	'33:4950', 'one capture transaction per success');
is($node->safe_psql('commerce', "SELECT payment_status || ':' || status FROM commerce.orders WHERE id = '$order'"),
	'partially_paid:placed', 'the order follows the captured total');

my @refunds = race(20,
	"SELECT commerce.refund_payment('$payment', '{\"amount\": 300}') ->> 'amount_refunded'");
@ok = grep { $_->[1] !~ /ERROR/ } @refunds;
@refused = grep { $_->[1] =~ /CONSTRAINT NAME:\s+refund_exceeds_captured/ } @refunds;
is(scalar(@ok), 16, '16 of 20 concurrent refunds of 300 succeed (16 * 300 = 4800 <= 4950)');
is(scalar(@refused), 4, 'the other 4 fail with refund_exceeds_captured');
is($node->safe_psql('commerce', "SELECT amount_refunded || ':' || status FROM commerce.payments WHERE id = '$payment'"),
	'4800:partially_refunded', 'refunded total is 4800, never above the captured total');

# 20 concurrent retries of one capture with the same idempotency key: one
# capture; every other answer is the same response replayed, or
# idempotency_key_in_use while the first is still running.
my @retries = race(20,
	"SELECT commerce.capture_payment('$payment', NULL, NULL, 'retry-key')::text");
my @answers = map { $_->[0] =~ /^(\{.*\})\s*$/m ? $1 : () } @retries;
my %distinct = map { $_ => 1 } @answers;
my @in_use = grep { $_->[1] =~ /CONSTRAINT NAME:\s+idempotency_key_in_use/ } @retries;
is(scalar(@answers) + scalar(@in_use), 20, 'each retry got the response or idempotency_key_in_use');
cmp_ok(scalar(@answers), '>=', 1, 'at least one retry got the response');
is(scalar(keys %distinct), 1, 'every response is the same');
is($node->safe_psql('commerce', "SELECT amount_captured || ':' || count(*) FROM commerce.payments p JOIN commerce.payment_transactions t ON t.payment_id = p.id AND t.kind = 'capture' WHERE p.id = '$payment' GROUP BY amount_captured"),
	'5000:34', 'the key captured the remainder (50) exactly once');

# Concurrent authorizations of one order: each takes what is still due
# under the order lock, so exactly five of 1000 fit in 5000.
my $order2 = $node->safe_psql('commerce', "SELECT payments_test.order('$tenant', 5000)");
my @auths = race(12,
	"SELECT commerce.authorize_payment('$order2', '{\"provider\": \"manual\", \"amount\": 1000}') ->> 'id'");
@ok = grep { $_->[1] !~ /ERROR/ } @auths;
@refused = grep { $_->[1] =~ /CONSTRAINT NAME:\s+payment_exceeds_balance/ } @auths;
is(scalar(@ok) . ':' . scalar(@refused), '5:7', '5 of 12 concurrent authorizations of 1000 fit in 5000, 7 are payment_exceeds_balance');
is($node->safe_psql('commerce', "SELECT sum(amount_authorized) || ':' || count(*) FROM commerce.payments WHERE order_id = '$order2'"),
	'5000:5', 'exactly the order total is authorized');

# Captures racing an order cancel: the cancel locks the order and then its
# payments (the hook), the captures lock the order and then the payment,
# so nothing deadlocks; whatever order they run in, the books balance.
my $order3 = $node->safe_psql('commerce', "SELECT payments_test.order('$tenant', 5000)");
my $payment3 = $node->safe_psql('commerce',
	qq{SELECT commerce.authorize_payment('$order3', '{"provider": "manual"}') ->> 'id'},
	extra_params => [ '-U', 'pay_race' ]);
my @mixed = race(21, [
	(map { "SELECT commerce.capture_payment('$payment3', '{\"amount\": 100}') ->> 'amount_captured'" } 1 .. 10),
	"SELECT commerce.cancel_order('$order3') ->> 'status'",
	(map { "SELECT commerce.capture_payment('$payment3', '{\"amount\": 100}') ->> 'amount_captured'" } 1 .. 10) ]);
is(scalar(grep { $_->[1] =~ /deadlock|40P01/ } @mixed), 0, 'no deadlock between captures and the cancel');
# A capture that runs after the cancel finds the order cancelled
# (invalid_transition) or, if it read the payment first, nothing left to
# capture (capture_exceeds_authorized); which one depends on the interleaving.
my @unexpected = grep { $_->[1] =~ /ERROR/ && $_->[1] !~ /CONSTRAINT NAME:\s+(capture_exceeds_authorized|invalid_transition)/ } @mixed;
is(scalar(@unexpected), 0, 'a capture after the cancel fails only with invalid_transition or capture_exceeds_authorized')
  or diag(join("\n", map { $_->[1] } @unexpected));
my $captures_ok = grep { $_->[1] !~ /ERROR/ && $_->[0] =~ /^\d+\s*$/m } @mixed[0 .. 9, 11 .. 20];
my ($captured, $voided, $status) = split /:/, $node->safe_psql('commerce',
	"SELECT amount_captured || ':' || amount_voided || ':' || status FROM commerce.payments WHERE id = '$payment3'");
is($captured, $captures_ok * 100, "the payment holds exactly the $captures_ok captures that succeeded");
is($captured + $voided, 5000, 'the cancel voided exactly the rest: captured + voided = authorized');
is($node->safe_psql('commerce', "SELECT status FROM commerce.orders WHERE id = '$order3'"), 'cancelled', 'the order is cancelled');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.payment_transactions WHERE payment_id = '$payment3' AND kind = 'void'"),
	'1', 'one void, made by the cancel');

$node->stop;
done_testing();
