# test/t/550_gateway_flow.pl — the whole flow end to end over HTTP with the
# real domain commands and the real outbox worker: a platform admin creates
# a tenant; staff create a product, a variant, a price list and price, set
# stock, resolve a price, create a customer; a draft order is placed (with
# an Idempotency-Key replayed), a payment authorized, captured and partly
# refunded; a customer reads its own order but not another's; then
# /v1/events and /v1/events/stream show the events in seq order.
use strict;
use warnings;
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway gateway_role make_jwt);

my $node = commerce_node('gw_flow');
my $missing = $node->safe_psql('commerce', q{
  SELECT string_agg(f, ', ') FROM unnest(ARRAY['create_product', 'create_variant', 'create_price_list',
    'set_price', 'set_inventory', 'resolve_price', 'create_customer', 'create_order', 'place_order',
    'authorize_payment', 'capture_payment', 'refund_payment', 'events_since']) f
  WHERE NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = f AND pronamespace = 'commerce'::regnamespace)});
plan skip_all => "domain commands not in this build: $missing" if $missing;

my $role = gateway_role($node);
# Platform routes (POST /v1/tenants) run as commerce_admin: the gateway's
# login role needs that membership to serve them.
$node->safe_psql('commerce', "GRANT commerce_admin TO $role");
my $gw = start_gateway($node);
my $exp = time + 3600;
my $admin = make_jwt({ sub => 'ops', role => 'platform_admin', exp => $exp });

my $r;
for (1 .. 100) { $r = $gw->post('/v1/tenants', token => $admin,
		body => { slug => 'shop', name => 'Shop', default_currency => 'EUR' }); last if $r->{status} != 404; sleep 0.1 }
is($r->{status}, 201, 'platform admin creates a tenant') or diag($r->{content});
my $tenant = $r->{json}{id};
like($tenant // '', qr/^[0-9a-f-]{36}$/, 'its id');
my $staff = make_jwt({ tenant_id => $tenant, sub => 'staff-1', role => 'staff', exp => $exp });
is($gw->post('/v1/tenants', token => $staff, body => { slug => 'x', name => 'x', default_currency => 'EUR' })->{status},
	403, 'staff cannot create tenants');

sub ok_call
{
	my ($method, $path, $status, $name, %o) = @_;
	my $res = $gw->request($method, $path, token => $staff, %o);
	is($res->{status}, $status, $name) or diag("$method $path: $res->{content}");
	return $res;
}

my $product = ok_call('POST', '/v1/products', 201, 'create product',
	body => { title => 'Blue shirt', status => 'active' })->{json};
like(ok_call('GET', "/v1/products/$product->{id}", 200, 'read product')->{json}{title}, qr/Blue shirt/, 'title');
my $vres = ok_call('POST', "/v1/products/$product->{id}/variants", 201, 'create variant',
	body => { sku => 'SHIRT-M' });
my $variant = $vres->{json};
is($vres->{headers}{location}, "/v1/variants/$variant->{id}", 'Location of the variant');
is(ok_call('GET', $vres->{headers}{location}, 200, 'Location answers')->{json}{sku}, 'SHIRT-M', 'it is the variant');
my $list = ok_call('POST', '/v1/price-lists', 201, 'create price list',
	body => { name => 'Retail', currency => 'EUR' })->{json};
ok_call('POST', "/v1/price-lists/$list->{id}/prices", 201, 'set price',
	body => { variant_id => $variant->{id}, amount => 2500 });
ok_call('PUT', "/v1/inventory/$variant->{id}", 200, 'set stock', body => { on_hand => 10 });
$r = ok_call('GET', "/v1/prices/resolve?variant=$variant->{id}&currency=EUR&quantity=2", 200, 'resolve price');
like($r->{content}, qr/2500/, 'resolved unit amount 2500');
my $customer = ok_call('POST', '/v1/customers', 201, 'create customer',
	body => { email => 'ann@example.com' })->{json};
my $other = ok_call('POST', '/v1/customers', 201, 'create another customer',
	body => { email => 'bob@example.com' })->{json};

my $order = ok_call('POST', '/v1/orders', 201, 'create draft order', body => {
		currency => 'EUR', customer_id => $customer->{id},
		lines => [ { variant_id => $variant->{id}, quantity => 2 } ] })->{json};
is($order->{status}, 'draft', 'draft');
$r = ok_call('POST', "/v1/orders/$order->{id}/place", 200, 'place order',
	headers => { 'Idempotency-Key' => 'place-1' });
is($r->{json}{status}, 'placed', 'placed');
ok(!$r->{headers}{'idempotent-replayed'}, 'first answer is not a replay');
my $again = ok_call('POST', "/v1/orders/$order->{id}/place", 200, 'place again with the same key',
	headers => { 'Idempotency-Key' => 'place-1' });
is($again->{headers}{'idempotent-replayed'}, 'true', 'Idempotent-Replayed: true');
is($again->{content}, $r->{content}, 'the same answer');
is(ok_call('POST', "/v1/orders/$order->{id}/place", 409, 'placing twice without a key is a state conflict')
	->{json}{error}{code} // '', 'invalid_transition', 'code invalid_transition') if 1;
like(ok_call('GET', "/v1/inventory/$variant->{id}", 200, 'stock after placing')->{content},
	qr/"reserved"\s*:\s*2/, 'two reserved');

my $pres = ok_call('POST', "/v1/orders/$order->{id}/payments", 201, 'authorize payment',
	body => { provider => 'manual' });
my $pay = $pres->{json};
is($pres->{headers}{location}, "/v1/payments/$pay->{id}", 'Location of the payment');
ok($pres->{headers}{etag}, 'ETag of the payment');
is($pay->{status}, 'authorized', 'authorized');
my $cap = ok_call('POST', "/v1/payments/$pay->{id}/capture", 200, 'capture')->{json};
is($cap->{status}, 'captured', 'captured');
my $ref = ok_call('POST', "/v1/payments/$pay->{id}/refunds", 201, 'refund part',
	body => { amount => 500, reason => 'damaged' })->{json};
is($ref->{status}, 'partially_refunded', 'partially refunded');
ok_call('POST', "/v1/payments/$pay->{id}/refunds", 409, 'refund above captured is refused',
	body => { amount => 999999 });

# Single-request checkout.
my $co = ok_call('POST', '/v1/checkout', 201, 'checkout', headers => { 'Idempotency-Key' => 'co-1' },
	body => { currency => 'EUR', lines => [ { variant_id => $variant->{id}, quantity => 1 } ] });
is($co->{json}{status}, 'placed', 'checkout places the order');
is($co->{headers}{location}, "/v1/orders/$co->{json}{id}", 'Location of the order');
is(ok_call('GET', $co->{headers}{location}, 200, 'the order is there')->{json}{id}, $co->{json}{id}, 'same order');

# Customers see their own order only.
my $ann = make_jwt({ tenant_id => $tenant, sub => $customer->{id}, role => 'customer', exp => $exp });
my $bob = make_jwt({ tenant_id => $tenant, sub => $other->{id}, role => 'customer', exp => $exp });
is($gw->get("/v1/orders/$order->{id}", token => $ann)->{status}, 200, 'the customer reads its order');
is($gw->get("/v1/orders/$order->{id}", token => $bob)->{status}, 404, "another customer's order is 404");

# Events: the feed and the stream show them in seq order.
my @types;
my @events;
my $t0 = time;
while (time - $t0 < 30)
{
	my @all;
	my $cursor = 0;
	while (defined $cursor)
	{
		my $f = $gw->get("/v1/events?after=$cursor&limit=200", token => $staff)->{json};
		push @all, @{ $f->{data} };
		$cursor = $f->{next_cursor};
	}
	@types = map { $_->{type} } @all;
	@events = @all;
	my @seqs = map { $_->{seq} } @all;
	if (grep { $_ eq 'payment.refunded' } @types)
	{
		is_deeply([ sort { $a <=> $b } @seqs ], \@seqs, 'feed in seq order');
		ok(!grep({ $_->{tenant_id} ne $tenant } @all), "only this tenant's events");
		last;
	}
	sleep 0.2;
}
my @want = ('order.placed', 'payment.authorized', 'payment.captured', 'payment.refunded');
my @got = grep { my $t = $_; grep { $_ eq $t } @want }
  map { $_->{type} } grep { $_->{aggregate_id} eq $order->{id} || $_->{aggregate_id} eq $pay->{id} } @events;
is_deeply(\@got, \@want, 'order and payment events in order in the feed') or diag("@types");

my $file = PostgreSQL::Test::Utils::tempdir() . '/stream';
my $curl = IPC::Run::start([ 'curl', '-sN', '-o', $file, '-H', "Authorization: Bearer $staff",
	'-H', 'Last-Event-ID: 0', $gw->base . '/v1/events/stream' ], '<', \undef, '>', \my $o, '2>', \my $e);
my @stream;
$t0 = time;
while (time - $t0 < 20)
{
	my $text = -e $file ? slurp_file($file) : '';
	@stream = ($text =~ /^event: (\S+)$/mg);
	last if @stream >= @types;
	sleep 0.1;
}
is_deeply(\@stream, \@types, 'the stream replays the same events in the same order');

is($gw->stop, 0, 'gateway exits 0 on SIGTERM');
$curl->finish;
$node->stop;
done_testing();
