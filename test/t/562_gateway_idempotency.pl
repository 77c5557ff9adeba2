# test/t/562_gateway_idempotency.pl — issue 11's Idempotency-Key attacks
# over real HTTP through the gateway: a customer sending another
# customer's key, a customer sending a key staff used (for an order made
# for someone else), staff of one tenant sending a key used in another.
# None of them may get the other caller's response: no
# `Idempotent-Replayed: true`, not the other caller's order or customer id.
# The same caller's retry still replays. Everything is written through
# the commands, over HTTP, as staff and customers.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('gw_idempotency');
my ($t1, $t2) = split /\n/, $node->safe_psql('commerce', q{
	SELECT commerce.create_tenant('idem-http-1', 'One', 'EUR');
	SELECT commerce.create_tenant('idem-http-2', 'Two', 'EUR');
});
my $gw = start_gateway($node);
my $exp = time + 3600;
my $staff1 = make_jwt({ tenant_id => $t1, sub => 'staff-1', role => 'staff', exp => $exp });
my $staff2 = make_jwt({ tenant_id => $t2, sub => 'staff-1', role => 'staff', exp => $exp });

# A call that must succeed with $status; returns the response.
sub ok_call
{
	my ($token, $method, $path, $status, $name, %o) = @_;
	my $r = $gw->request($method, $path, token => $token, %o);
	is($r->{status}, $status, $name) or diag("$method $path: $r->{content}");
	return $r;
}

# The catalog and two customers of tenant 1, made by staff.
my $r;
for (1 .. 100)
{
	$r = $gw->post('/v1/products', token => $staff1, body => { title => 'Mug', status => 'active' });
	last if $r->{status} != 404;
	sleep 0.1;
}
is($r->{status}, 201, 'staff creates a product') or diag($r->{content});
my $variant = ok_call($staff1, 'POST', "/v1/products/$r->{json}{id}/variants", 201, 'a variant',
	body => { sku => 'MUG-1' })->{json}{id};
my $list = ok_call($staff1, 'POST', '/v1/price-lists', 201, 'a price list',
	body => { name => 'Retail', currency => 'EUR' })->{json}{id};
ok_call($staff1, 'POST', "/v1/price-lists/$list/prices", 201, 'a price',
	body => { variant_id => $variant, amount => 1200 });
ok_call($staff1, 'PUT', "/v1/inventory/$variant", 200, 'stock', body => { on_hand => 100 });
my $ann_id = ok_call($staff1, 'POST', '/v1/customers', 201, 'customer ann',
	body => { email => 'ann@example.com' })->{json}{id};
my $bob_id = ok_call($staff1, 'POST', '/v1/customers', 201, 'customer bob',
	body => { email => 'bob@example.com' })->{json}{id};
my $ann = make_jwt({ tenant_id => $t1, sub => $ann_id, role => 'customer', exp => $exp });
my $bob = make_jwt({ tenant_id => $t1, sub => $bob_id, role => 'customer', exp => $exp });
my $cart = { currency => 'EUR', lines => [ { variant_id => $variant, quantity => 1 } ] };

# Another caller's answer must not come back: not flagged as a replay, and
# not carrying the first caller's id.
sub not_replayed
{
	my ($r, $first, $name) = @_;
	ok(!defined $r->{headers}{'idempotent-replayed'}, "$name: no Idempotent-Replayed header");
	unlike($r->{content}, qr/\Q$first->{json}{id}\E/, "$name: not carrying the other caller's id");
}

# --- customer to customer --------------------------------------------------
my $ann_order = ok_call($ann, 'POST', '/v1/orders', 201, 'ann creates a cart with key cart-1',
	body => $cart, headers => { 'Idempotency-Key' => 'cart-1' });
my $bob_order = ok_call($bob, 'POST', '/v1/orders', 201, 'bob sends ann\'s key and body: 201',
	body => $cart, headers => { 'Idempotency-Key' => 'cart-1' });
not_replayed($bob_order, $ann_order, 'bob with ann\'s key');
is($bob_order->{json}{customer_id}, $bob_id, 'bob got a cart of his own');
my $ann_again = ok_call($ann, 'POST', '/v1/orders', 201, 'ann retries',
	body => $cart, headers => { 'Idempotency-Key' => 'cart-1' });
is($ann_again->{headers}{'idempotent-replayed'}, 'true', 'ann\'s retry is flagged as a replay');
is($ann_again->{content}, $ann_order->{content}, 'and is her first response');
my $bob_again = ok_call($bob, 'POST', '/v1/orders', 201, 'bob retries',
	body => $cart, headers => { 'Idempotency-Key' => 'cart-1' });
is($bob_again->{content} . ($bob_again->{headers}{'idempotent-replayed'} // ''), $bob_order->{content} . 'true',
	'bob\'s retry replays his own response');

# --- staff to customer -----------------------------------------------------
my $for_bob = { %$cart, customer_id => $bob_id };
my $staff_order = ok_call($staff1, 'POST', '/v1/orders', 201, 'staff orders for bob with key staff-cart',
	body => $for_bob, headers => { 'Idempotency-Key' => 'staff-cart' });
$r = $gw->post('/v1/orders', token => $ann, body => $for_bob, headers => { 'Idempotency-Key' => 'staff-cart' });
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '403:permission_denied',
	'ann replaying staff\'s key and body runs as ann: ordering for bob is 403');
not_replayed($r, $staff_order, 'ann with staff\'s key');
my $staff_plain = ok_call($staff1, 'POST', '/v1/orders', 201, 'staff creates a plain cart with key plain',
	body => $cart, headers => { 'Idempotency-Key' => 'plain' });
$r = ok_call($ann, 'POST', '/v1/orders', 201, 'ann sends staff\'s key plain with its body',
	body => $cart, headers => { 'Idempotency-Key' => 'plain' });
not_replayed($r, $staff_plain, 'ann with staff\'s plain key');
is($r->{json}{customer_id}, $ann_id, 'ann got a cart of her own');
$r = ok_call($staff1, 'POST', '/v1/orders', 201, 'staff retries staff-cart',
	body => $for_bob, headers => { 'Idempotency-Key' => 'staff-cart' });
is($r->{content} . ($r->{headers}{'idempotent-replayed'} // ''), $staff_order->{content} . 'true',
	'staff\'s retry replays its own response');

# --- tenant to tenant ------------------------------------------------------
my $c1 = ok_call($staff1, 'POST', '/v1/customers', 201, 'staff-1 of tenant 1 creates a customer with key cust-1',
	body => { email => 'zoe@example.com' }, headers => { 'Idempotency-Key' => 'cust-1' });
my $c2 = ok_call($staff2, 'POST', '/v1/customers', 201, 'staff-1 of tenant 2, same key and body: 201',
	body => { email => 'zoe@example.com' }, headers => { 'Idempotency-Key' => 'cust-1' });
not_replayed($c2, $c1, 'tenant 2 with tenant 1\'s key');
is($gw->get("/v1/customers/$c2->{json}{id}", token => $staff2)->{status}, 200, 'tenant 2 got a customer of its own');
$r = ok_call($staff2, 'POST', '/v1/customers', 201, 'tenant 2 retries',
	body => { email => 'zoe@example.com' }, headers => { 'Idempotency-Key' => 'cust-1' });
is($r->{content} . ($r->{headers}{'idempotent-replayed'} // ''), $c2->{content} . 'true',
	'tenant 2\'s retry replays its own response');

is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.orders WHERE tenant_id = '$t1'"), '5',
	'five orders: ann\'s and bob\'s carts, staff\'s two, ann\'s plain cart; no retry and not the refused one');

is($gw->stop, 0, 'gateway exits 0');
$node->stop;
done_testing();
