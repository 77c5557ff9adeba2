# test/t/420_pricing_http.pl — the pricing and inventory routes over real
# HTTP through the gateway: price lists and prices created with 201 +
# Location, resolution with query parameters, no_price as 404, money errors
# as 422, stock set/adjust/read with If-Match, insufficient stock as 409,
# another tenant's list as 404; a customer token gets 404 for the stock and
# price of a draft product's variant and 200 for an active one's.
use strict;
use warnings;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('pricing_http');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('globex', 'Globex', 'EUR')});
my $variant = '00000000-0000-7000-8000-000000000101';
$node->safe_psql('commerce', qq{
	INSERT INTO commerce.products (tenant_id, id, title, handle, status)
	VALUES ('$t1', '00000000-0000-7000-8000-000000000001', 'Tea', 'tea', 'active');
	INSERT INTO commerce.variants (tenant_id, id, product_id, sku, title)
	VALUES ('$t1', '$variant', '00000000-0000-7000-8000-000000000001', 'TEA', 'Tea');
	INSERT INTO commerce.price_lists (tenant_id, id, name, currency)
	VALUES ('$t2', '00000000-0000-7000-8000-0000000000b1', 'B', 'EUR');
});

my $gw = start_gateway($node);
my $staff = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => time + 3600 });

my $r;
for (1 .. 100) { $r = $gw->get('/v1/price-lists', token => $staff); last if $r->{status} != 404; sleep 0.1 }
is($r->{status}, 200, 'GET /v1/price-lists answers') or diag($r->{content});
is_deeply($r->{json}, { data => [], next_cursor => undef }, 'no lists yet');

$r = $gw->post('/v1/price-lists', token => $staff, body => { name => 'Retail', currency => 'EUR', priority => 1 },
	headers => { 'Idempotency-Key' => 'pl-1' });
is($r->{status}, 201, 'POST /v1/price-lists: 201') or diag($r->{content});
my $list = $r->{json}{id};
is($r->{headers}{location}, "/v1/price-lists/$list", 'Location of the list');
is($r->{headers}{etag}, '"1"', 'ETag is its version');

$r = $gw->post("/v1/price-lists/$list/prices", token => $staff,
	body => { variant_id => $variant, amount => 250, min_quantity => 1 }, headers => { 'Idempotency-Key' => 'p-1' });
is($r->{status}, 201, 'POST /v1/price-lists/{price_list}/prices: 201') or diag($r->{content});
my $price = $r->{json}{id};
$r = $gw->post("/v1/price-lists/$list/prices", token => $staff,
	body => { variant_id => $variant, amount => 200, min_quantity => 10 }, headers => { 'Idempotency-Key' => 'p-2' });
is($r->{status}, 201, 'a second tier');

$r = $gw->get("/v1/prices/resolve?variant=$variant&currency=EUR&quantity=12", token => $staff);
is($r->{status}, 200, 'GET /v1/prices/resolve: 200') or diag($r->{content});
is_deeply($r->{json}, { variant_id => $variant, currency => 'EUR', quantity => 12, unit_amount => 200,
		amount => 2400, price_list_id => $list, min_quantity => 10 }, 'the 10-tier, amount 2400');

$r = $gw->get("/v1/prices/resolve?variant=$variant&currency=USD&quantity=1", token => $staff);
is($r->{status}, 404, 'no price: 404');
is($r->{json}{error}{code}, 'no_price', 'code no_price');

$r = $gw->post("/v1/price-lists/$list/prices", token => $staff,
	body => { variant_id => $variant, amount => -5 }, headers => { 'Idempotency-Key' => 'p-3' });
is($r->{status}, 422, 'a negative amount: 422');
is($r->{json}{error}{code}, 'negative_amount', 'code negative_amount');

$r = $gw->get('/v1/price-lists/00000000-0000-7000-8000-0000000000b1', token => $staff);
is($r->{status}, 404, 'another tenant\'s list: 404');

$r = $gw->request('DELETE', "/v1/price-lists/$list/prices/$price", token => $staff);
is($r->{status}, 200, 'DELETE a price: 200') or diag($r->{content});
is($r->{json}{id}, $price, 'the removed price is returned');

$r = $gw->request('PUT', "/v1/inventory/$variant", token => $staff, body => { on_hand => 5 },
	headers => { 'Idempotency-Key' => 'inv-1', 'If-Match' => '"0"' });
is($r->{status}, 200, 'PUT /v1/inventory/{variant}: 200') or diag($r->{content});
is($r->{json}{available}, 5, 'on hand 5');
$r = $gw->request('PUT', "/v1/inventory/$variant", token => $staff, body => { on_hand => 6 },
	headers => { 'Idempotency-Key' => 'inv-2', 'If-Match' => '"0"' });
is($r->{status}, 412, 'a stale If-Match: 412');

$r = $gw->post("/v1/inventory/$variant/adjust", token => $staff, body => { delta => -7, reason => 'count' },
	headers => { 'Idempotency-Key' => 'adj-1' });
is($r->{status}, 409, 'adjusting below zero: 409');
is($r->{json}{error}{code}, 'insufficient_stock', 'code insufficient_stock');
$r = $gw->post("/v1/inventory/$variant/adjust", token => $staff, body => { delta => 3, reason => 'delivery' },
	headers => { 'Idempotency-Key' => 'adj-2' });
is($r->{status}, 200, 'POST /v1/inventory/{variant}/adjust: 200') or diag($r->{content});

$r = $gw->get("/v1/inventory/$variant", token => $staff);
is($r->{status}, 200, 'GET /v1/inventory/{variant}: 200');
is_deeply([ @{ $r->{json} }{qw(on_hand reserved available version)} ], [ 8, 0, 8, 2 ], 'on hand 8, version 2');

# --- customers see stock and prices of active products only ------------------
my $draft_product = $gw->post('/v1/products', token => $staff, body => { title => 'Secret tea' })->{json};
is($draft_product->{status}, 'draft', 'a draft product');
my $draft = $gw->post("/v1/products/$draft_product->{id}/variants", token => $staff, body => { sku => 'SECRET' })->{json}{id};
ok($draft, 'with a variant');
is($gw->post("/v1/price-lists/$list/prices", token => $staff, body => { variant_id => $draft, amount => 999 })->{status},
	201, 'priced');
is($gw->request('PUT', "/v1/inventory/$draft", token => $staff, body => { on_hand => 4 })->{status}, 200, 'stocked');
my $customer = $gw->post('/v1/customers', token => $staff, body => { email => 'ann@example.com' })->{json}{id};
my $ann = make_jwt({ tenant_id => $t1, sub => $customer, role => 'customer', exp => time + 3600 });

$r = $gw->get("/v1/inventory/$draft", token => $ann);
is($r->{status}, 404, "customer: a draft product's stock is 404") or diag($r->{content});
is($r->{json}{error}{code}, 'not_found', 'code not_found');
$r = $gw->get("/v1/prices/resolve?variant=$draft&currency=EUR&quantity=1", token => $ann);
is($r->{status}, 404, "customer: a draft product's price resolution is 404") or diag($r->{content});
is($r->{json}{error}{code}, 'not_found', 'code not_found, not no_price');
$r = $gw->get("/v1/price-lists/$list/prices", token => $ann);
is($r->{status}, 200, 'customer: the list\'s prices answer');
is_deeply([ map { $_->{variant_id} } @{ $r->{json}{data} } ], [$variant], 'without the draft product\'s price');

$r = $gw->get("/v1/inventory/$variant", token => $ann);
is($r->{status}, 200, "customer: an active product's stock is 200") or diag($r->{content});
is($r->{json}{available}, 8, 'with its figures');
$r = $gw->get("/v1/prices/resolve?variant=$variant&currency=EUR&quantity=12", token => $ann);
is($r->{status}, 200, "customer: an active product's price resolution is 200") or diag($r->{content});
is($r->{json}{unit_amount}, 200, 'with its price');

is($gw->get("/v1/inventory/$draft", token => $staff)->{json}{on_hand}, 4, "staff still read the draft product's stock");
is($gw->get("/v1/prices/resolve?variant=$draft&currency=EUR&quantity=1", token => $staff)->{json}{unit_amount}, 999,
	"and resolve its price");

is($gw->stop, 0, 'gateway exits 0');
$node->stop;
done_testing();
