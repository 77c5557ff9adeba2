# test/t/302_payments_http.pl — the payment routes over real HTTP through
# the gateway: authorize (201), capture, refund (201), void, get, list,
# Idempotency-Key replay, If-Match, the error mapping of the payment codes
# (409 capture_exceeds_authorized, 404 for another tenant's payment), and
# a declined authorization (recorded and committed; HTTP 402 once the
# gateway reads commerce.response_error, see docs/payments.md).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use PgCommerce::Test qw(commerce_node repo_path);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('payments_http');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('pay-http', 'Pay', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('pay-http-2', 'Other', 'EUR')});
my $fixture = repo_path('test/fixtures/payments.sql');
my $order = $node->safe_psql('commerce', qq{
	\\i $fixture
	SELECT payments_test.order('$t1', 8000);
});
my $order2 = $node->safe_psql('commerce', "SELECT payments_test.order('$t1', 5000)");

my $gw = start_gateway($node);
my $exp = time + 3600;
my $staff1 = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => $exp });
my $staff2 = make_jwt({ tenant_id => $t2, sub => 'bob', role => 'staff', exp => $exp });

my $r;
for (1 .. 100)
{
	$r = $gw->get("/v1/orders/$order/payments", token => $staff1);
	last if $r->{status} != 404;
	sleep 0.1;
}
is($r->{status}, 200, 'GET /v1/orders/{id}/payments answers') or diag($r->{content});
is_deeply($r->{json}, { data => [], next_cursor => undef }, 'no payments yet');

$r = $gw->post("/v1/orders/$order/payments", token => $staff1,
	body => { provider => 'manual', amount => 6000 }, headers => { 'Idempotency-Key' => 'auth-1' });
is($r->{status}, 201, 'authorize: 201') or diag($r->{content});
my $payment = $r->{json}{id};
is($r->{json}{status} . ':' . $r->{json}{amount_authorized}, 'authorized:6000', 'authorized 6000');
my $first = $r->{content};
$r = $gw->post("/v1/orders/$order/payments", token => $staff1,
	body => { provider => 'manual', amount => 6000 }, headers => { 'Idempotency-Key' => 'auth-1' });
is($r->{headers}{'idempotent-replayed'}, 'true', 'replay is flagged');
is($r->{content}, $first, 'replay returns the first response');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.payments WHERE order_id = '$order'"), '1',
	'the replay authorized nothing more');

$r = $gw->post("/v1/payments/$payment/capture", token => $staff1, body => { amount => 2500 },
	headers => { 'Idempotency-Key' => 'cap-1', 'If-Match' => '"1"' });
is($r->{status}, 200, 'capture: 200') or diag($r->{content});
is($r->{json}{amount_captured}, 2500, 'captured 2500');
$r = $gw->post("/v1/payments/$payment/capture", token => $staff1, body => { amount => 10 },
	headers => { 'If-Match' => '"1"' });
is($r->{status}, 412, 'capture with a stale If-Match: 412');
$r = $gw->post("/v1/payments/$payment/capture", token => $staff1, body => { amount => 3501 });
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '409:capture_exceeds_authorized',
	'capture above the authorization: 409 capture_exceeds_authorized');

$r = $gw->post("/v1/payments/$payment/refunds", token => $staff1, body => { amount => 500, reason => 'damaged' });
is($r->{status}, 201, 'refund: 201') or diag($r->{content});
is($r->{json}{amount_refunded} . ':' . $r->{json}{transaction}{reason}, '500:damaged', 'refunded 500');
$r = $gw->post("/v1/payments/$payment/refunds", token => $staff1, body => { amount => 2001 });
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '409:refund_exceeds_captured',
	'refund above the captured amount: 409 refund_exceeds_captured');

$r = $gw->post("/v1/payments/$payment/void", token => $staff1);
is($r->{status}, 200, 'void: 200') or diag($r->{content});
is($r->{json}{amount_voided} . ':' . $r->{json}{status}, '3500:partially_refunded', 'the remainder is voided');

$r = $gw->get("/v1/payments/$payment", token => $staff1);
is($r->{status}, 200, 'get: 200');
is(join(',', map { $_->{kind} } @{ $r->{json}{transactions} }), 'authorize,capture,refund,void',
	'get lists the attempts');
$r = $gw->get("/v1/orders/$order/payments?limit=1", token => $staff1);
is(scalar(@{ $r->{json}{data} }), 1, 'list with limit');

$r = $gw->get("/v1/payments/$payment", token => $staff2);
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '404:not_found', "another tenant's payment is 404 not_found");
$r = $gw->post("/v1/payments/$payment/capture", token => $staff2, body => {});
is($r->{status}, 404, "another tenant cannot capture it: 404");
$r = $gw->post("/v1/orders/$order/payments", token => $staff1, body => { provider => 'nope' });
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '422:unknown_payment_provider', 'unknown provider: 422');

# A decline by the test provider: committed with its attempt, the order
# unchanged.
$r = $gw->post("/v1/orders/$order2/payments", token => $staff1, body => { provider => 'test', amount => 1002 });
is($r->{json}{status} // $r->{json}{error}{details}{status}, 'declined', 'the decline is in the answer');
is($node->safe_psql('commerce',
	"SELECT status || ':' || decline_code FROM commerce.payment_transactions WHERE order_id = '$order2'"),
	'declined:card_declined', 'the declined attempt is recorded and committed');
is($node->safe_psql('commerce', "SELECT payment_status || ':' || status FROM commerce.orders WHERE id = '$order2'"),
	'unpaid:placed', 'the order is unchanged');
is($r->{status}, 402, 'a decline is HTTP 402');
is($r->{json}{error}{code}, 'payment_declined', 'with the payment_declined code');
is($r->{json}{error}{details}{transaction}{status}, 'declined', 'and the recorded attempt in details');
my $again = $gw->post("/v1/orders/$order2/payments", token => $staff1, body => { provider => 'test', amount => 1002 },
	headers => { 'Idempotency-Key' => 'decline-1' });
my $replay = $gw->post("/v1/orders/$order2/payments", token => $staff1, body => { provider => 'test', amount => 1002 },
	headers => { 'Idempotency-Key' => 'decline-1' });
is($again->{status} . ':' . $replay->{status}, '402:402', 'a replayed decline is a 402 again');
is($replay->{headers}{'idempotent-replayed'}, 'true', 'marked as a replay');

is($gw->stop, 0, 'gateway exits 0');
$node->stop;
done_testing();
