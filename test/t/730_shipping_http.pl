# test/t/730_shipping_http.pl — addresses and shipping over real HTTP on
# loopback through the gateway (issue 17, docs/shipping.md): staff create,
# read, list, update and archive shipping methods (201 + Location, ETag,
# If-Match); a customer builds a cart, sets its address from a saved one,
# lists the methods that can ship it, chooses one, sees shipping priced and
# taxed into the totals, places
# it; checkout takes address and method in one request. Errors: a country
# not served 422, another tenant's method 404, another customer's order
# 404, a customer writing methods 403, junk bodies 400.
use strict;
use warnings;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('shipping_http');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('globex', 'Globex', 'EUR')});
my $variant = '00000000-0000-7000-8000-000000000101';
$node->safe_psql('commerce', qq{
	INSERT INTO commerce.products (tenant_id, id, title, handle, status)
	VALUES ('$t1', '00000000-0000-7000-8000-000000000001', 'Tea', 'tea', 'active');
	INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title, weight_grams)
	VALUES ('$t1', '$variant', '00000000-0000-7000-8000-000000000001', 'TEA', 'Tea', 250);
	INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
	VALUES ('$t1', '00000000-0000-7000-8000-0000000000a1', 'Retail', 'EUR');
	INSERT INTO commerce.prices (tenant_id, id, price_list_id, variant_id, min_quantity, amount)
	VALUES ('$t1', '00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-0000000000a1', '$variant', 1, 1999);
	INSERT INTO commerce.inventory_levels (tenant_id, variant_id, on_hand) VALUES ('$t1', '$variant', 100);
	INSERT INTO commerce.tax_rates (tenant_id, id, name, rate_ppm)
	VALUES ('$t1', '00000000-0000-7000-8000-0000000000a3', 'VAT', 190000);
	INSERT INTO commerce.shipping_methods (tenant_id, id, name, kind, currency, amount, countries)
	VALUES ('$t2', '00000000-0000-7000-8000-0000000000b1', 'B only', 'flat_rate', 'EUR', 1, '{DE}');
});

my $gw = start_gateway($node);
my $staff = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => time + 3600 });

my $r;
for (1 .. 100) { $r = $gw->get('/v1/shipping-methods', token => $staff); last if $r->{status} != 404; sleep 0.1 }
is($r->{status}, 200, 'GET /v1/shipping-methods answers') or diag($r->{content});
is_deeply($r->{json}, { data => [], next_cursor => undef }, 'no methods yet (not tenant B\'s)');

# --- methods ---------------------------------------------------------------
$r = $gw->post('/v1/shipping-methods', token => $staff, headers => { 'Idempotency-Key' => 'sm-1' },
	body => { name => 'Standard', kind => 'free_over', currency => 'EUR', amount => 490,
		free_over_amount => 5000, countries => [ 'DE', 'AT' ] });
is($r->{status}, 201, 'POST /v1/shipping-methods: 201') or diag($r->{content});
my $method = $r->{json}{id};
is($r->{headers}{location}, "/v1/shipping-methods/$method", 'Location of the method');
is($r->{headers}{etag}, '"1"', 'ETag is its version');
$r = $gw->post('/v1/shipping-methods', token => $staff, headers => { 'Idempotency-Key' => 'sm-1' },
	body => { name => 'Standard', kind => 'free_over', currency => 'EUR', amount => 490,
		free_over_amount => 5000, countries => [ 'DE', 'AT' ] });
is($r->{headers}{'idempotent-replayed'}, 'true', 'the same key replays');
$r = $gw->post('/v1/shipping-methods', token => $staff,
	body => { name => 'Bad', kind => 'flat_rate', currency => 'EUR', amount => 1, countries => ['XX'] });
is($r->{status}, 400, 'an unassigned country code: 400');
is($r->{json}{error}{code}, 'invalid_input', 'code invalid_input');
$r = $gw->post('/v1/shipping-methods', token => $staff,
	body => { name => 'Heavy', kind => 'weight_bands', currency => 'EUR',
		weight_bands => [ { up_to_grams => 1000, amount => 490 }, { up_to_grams => 2000, amount => 990 } ],
		countries => ['DE'] });
is($r->{status}, 201, 'a weight-band method') or diag($r->{content});
my $by_weight = $r->{json}{id};

$r = $gw->request('PATCH', "/v1/shipping-methods/$method", token => $staff, body => { name => 'Standard DE/AT' },
	headers => { 'If-Match' => '"1"', 'Idempotency-Key' => 'sm-upd' });
is($r->{status}, 200, 'PATCH /v1/shipping-methods/{id}: 200') or diag($r->{content});
is($r->{json}{version}, 2, 'version 2');
$r = $gw->request('PATCH', "/v1/shipping-methods/$method", token => $staff, body => { name => 'x' },
	headers => { 'If-Match' => '"1"' });
is($r->{status}, 412, 'a stale If-Match: 412');
$r = $gw->get("/v1/shipping-methods/$method", token => $staff);
is($r->{status}, 200, 'GET /v1/shipping-methods/{id}: 200');
is_deeply($r->{json}{countries}, [ 'DE', 'AT' ], 'its countries');
$r = $gw->get('/v1/shipping-methods/00000000-0000-7000-8000-0000000000b1', token => $staff);
is($r->{status}, 404, 'another tenant\'s method: 404');

# --- a customer's cart -----------------------------------------------------------
my $ann_id = $gw->post('/v1/customers', token => $staff, body => { email => 'ann@example.com' })->{json}{id};
my $bob_id = $gw->post('/v1/customers', token => $staff, body => { email => 'bob@example.com' })->{json}{id};
my $ann = make_jwt({ tenant_id => $t1, sub => $ann_id, role => 'customer', exp => time + 3600 });
my $bob = make_jwt({ tenant_id => $t1, sub => $bob_id, role => 'customer', exp => time + 3600 });
$r = $gw->post("/v1/customers/$ann_id/addresses", token => $ann,
	body => { line1 => '2 Ring', city => 'Vienna', postal_code => '1010', country => 'AT' });
is($r->{status}, 201, 'ann saves an address') or diag($r->{content});
my $ann_addr = $r->{json}{id};

is($gw->post('/v1/shipping-methods', token => $ann,
		body => { name => 'Mine', kind => 'flat_rate', currency => 'EUR', amount => 0, countries => ['AT'] })->{status},
	403, 'a customer creating a method: 403');
$r = $gw->get('/v1/shipping-methods', token => $ann);
is(scalar @{ $r->{json}{data} }, 2, 'a customer lists the methods');

$r = $gw->post('/v1/orders', token => $ann, body => { currency => 'EUR', lines => [ { variant_id => $variant, quantity => 2 } ] });
is($r->{status}, 201, 'ann creates a cart') or diag($r->{content});
my $cart = $r->{json}{id};

$r = $gw->request('PUT', "/v1/orders/$cart/shipping-method", token => $ann, body => { shipping_method_id => $method });
is($r->{status}, 409, 'a method before an address: 409');
is($r->{json}{error}{code}, 'shipping_address_required', 'code shipping_address_required');

$r = $gw->request('PUT', "/v1/orders/$cart/addresses", token => $ann,
	body => { shipping_address_id => $ann_addr }, headers => { 'If-Match' => '"1"', 'Idempotency-Key' => 'addr-1' });
is($r->{status}, 200, 'PUT /v1/orders/{id}/addresses: 200') or diag($r->{content});
is($r->{json}{shipping_address}{city}, 'Vienna', 'the saved address is copied');
is($r->{headers}{etag}, '"2"', 'the cart is version 2');

$r = $gw->get("/v1/orders/$cart/shipping-options", token => $ann);
is($r->{status}, 200, 'GET /v1/orders/{order_id}/shipping-options: 200') or diag($r->{content});
is_deeply([ map { [ $_->{shipping_method_id}, $_->{amount}, $_->{tax_amount}, $_->{total} ] } @{ $r->{json}{data} } ],
	[ [ $method, 490, 93, 5341 ] ], 'only the method serving AT, priced for the cart');
is($gw->get("/v1/orders/$cart/shipping-options", token => $bob)->{status}, 404, 'bob listing ann\'s options: 404');
$r = $gw->request('PUT', "/v1/orders/$cart/shipping-method", token => $ann, body => { shipping_method_id => $by_weight });
is($r->{status}, 422, 'a method that does not serve AT: 422') or diag($r->{content});
is($r->{json}{error}{code}, 'shipping_country_not_served', 'code shipping_country_not_served');
like($r->{json}{error}{message}, qr/does not ship to AT/, 'the message names the country');
$r = $gw->request('PUT', "/v1/orders/$cart/shipping-method", token => $ann,
	body => { shipping_method_id => '00000000-0000-7000-8000-0000000000b1' });
is($r->{status}, 404, 'another tenant\'s method id: 404');
$r = $gw->request('PUT', "/v1/orders/$cart/shipping-method", token => $ann, body => { shipping_method_id => 'nope' });
is($r->{status}, 400, 'a junk id: 400');
$r = $gw->request('PUT', "/v1/orders/$cart/shipping-method", token => $bob, body => { shipping_method_id => $method });
is($r->{status}, 404, 'bob setting a method on ann\'s cart: 404');
$r = $gw->request('PUT', "/v1/orders/$cart/addresses", token => $bob,
	body => { shipping_address => { line1 => 'x', city => 'y', country => 'DE' } });
is($r->{status}, 404, 'bob setting an address on ann\'s cart: 404');

$r = $gw->request('PUT', "/v1/orders/$cart/shipping-method", token => $ann, body => { shipping_method_id => $method },
	headers => { 'Idempotency-Key' => 'ship-1' });
is($r->{status}, 200, 'PUT /v1/orders/{id}/shipping-method: 200') or diag($r->{content});
# 2 x 19.99 = 39.98 < 50.00: 4.90 shipping; 19% on both: 7.5962 -> 7.60, 0.931 -> 0.93
is_deeply([ @{ $r->{json} }{qw(subtotal shipping_total shipping_tax tax_total total)} ],
	[ 3998, 490, 93, 853, 5341 ], 'the draft: 39.98 + 4.90 + 8.53 tax = 53.41');
is($r->{json}{shipping_method}{name}, 'Standard DE/AT', 'the method is named');

$r = $gw->post("/v1/orders/$cart/place", token => $ann, headers => { 'Idempotency-Key' => 'place-1' });
is($r->{status}, 200, 'ann places the cart') or diag($r->{content});
is_deeply([ @{ $r->{json} }{qw(status subtotal shipping_total shipping_tax tax_total total)} ],
	[ 'placed', 3998, 490, 93, 853, 5341 ], 'placed with the same figures');
$r = $gw->request('PUT', "/v1/orders/$cart/addresses", token => $ann,
	body => { billing_address => { line1 => 'x', city => 'y', country => 'DE' } });
is($r->{status}, 409, 'addresses of a placed order: 409');
is($r->{json}{error}{code}, 'invalid_transition', 'code invalid_transition');

# --- checkout in one request ------------------------------------------------------
$r = $gw->post('/v1/checkout', token => $ann, headers => { 'Idempotency-Key' => 'co-1' },
	body => { currency => 'EUR', lines => [ { variant_id => $variant, quantity => 3 } ],
		shipping_address => { line1 => '1 Hauptstr.', city => 'Berlin', country => 'DE' },
		billing_address_id => $ann_addr, shipping_method_id => $method });
is($r->{status}, 201, 'POST /v1/checkout with address and method: 201') or diag($r->{content});
# 59.97 >= 50.00: free shipping; 19% of 59.97 = 11.3943 -> 11.39
is_deeply([ @{ $r->{json} }{qw(subtotal shipping_total shipping_tax tax_total total)} ],
	[ 5997, 0, 0, 1139, 7136 ], 'free over 50.00');
is($r->{json}{billing_address}{city}, 'Vienna', 'the billing address from the saved one');
$r = $gw->post('/v1/checkout', token => $ann,
	body => { currency => 'EUR', lines => [ { variant_id => $variant, quantity => 1 } ],
		shipping_address => { line1 => '1 rue', city => 'Paris', country => 'FR' }, shipping_method_id => $method });
is($r->{status}, 422, 'checkout to a country not served: 422');
is($r->{json}{error}{code}, 'shipping_country_not_served', 'code shipping_country_not_served');
$r = $gw->post('/v1/checkout', token => $ann,
	body => { currency => 'EUR', lines => [ { variant_id => $variant, quantity => 9 } ],
		shipping_address => { line1 => '1 Hauptstr.', city => 'Berlin', country => 'DE' }, shipping_method_id => $by_weight });
is($r->{status}, 409, '9 x 250 g = 2250 g beyond the last band: 409');
is($r->{json}{error}{code}, 'shipping_method_unavailable', 'code shipping_method_unavailable');
$r = $gw->post('/v1/checkout', token => $ann,
	body => { currency => 'EUR', lines => [ { variant_id => $variant, quantity => 1 } ],
		shipping_address => { line1 => '1 Hauptstr.', city => 'Berlin', country => 'DE', planet => 'Earth' } });
is($r->{status}, 400, 'an unknown address field: 400');

# --- archive ------------------------------------------------------------------------
$r = $gw->post("/v1/shipping-methods/$method/archive", token => $ann);
is($r->{status}, 403, 'a customer archiving: 403');
$r = $gw->post("/v1/shipping-methods/$method/archive", token => $staff, headers => { 'Idempotency-Key' => 'arch-1' });
is($r->{status}, 200, 'POST /v1/shipping-methods/{id}/archive: 200') or diag($r->{content});
is($r->{json}{status}, 'archived', 'archived');
$r = $gw->post("/v1/shipping-methods/$method/archive", token => $staff);
is($r->{status}, 409, 'archiving twice: 409');

# --- events carry addresses and shipping ------------------------------------------
my %types;
for (1 .. 100)
{
	$r = $gw->get('/v1/events?limit=200', token => $staff);
	last if grep { $_->{type} eq 'shipping_method.archived' } @{ $r->{json}{data} || [] };
	sleep 0.1;
}
$types{ $_->{type} }++ for @{ $r->{json}{data} };
ok($types{'shipping_method.created'} && $types{'shipping_method.updated'} && $types{'shipping_method.archived'},
	'the method events are published') or diag(join ', ', sort keys %types);
my ($placed) = grep { $_->{type} eq 'order.placed' && $_->{aggregate_id} eq $cart } @{ $r->{json}{data} };
is($placed && $placed->{data}{shipping_method}{amount}, 490, 'order.placed carries the shipping snapshot');

is($gw->stop, 0, 'gateway exits 0');
$node->stop;
done_testing();
