# test/t/311_catalog_http.pl — the customer and catalog commands over real
# HTTP through the gateway: routes bound by name (path ids, body, query,
# Idempotency-Key, If-Match), 201 + Location, replays, error statuses
# (400, 403, 404, 409, 412), cursor pages, another tenant's ids, and a
# customer token limited to itself and the active catalog.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('catalog_http');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('shop-a', 'Shop A', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('shop-b', 'Shop B', 'EUR')});

my $gw = start_gateway($node);
my $exp = time + 3600;
my $staff1 = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => $exp });
my $staff2 = make_jwt({ tenant_id => $t2, sub => 'bob', role => 'staff', exp => $exp });

my $r;
for (1 .. 100) { $r = $gw->get('/v1/products', token => $staff1); last if $r->{status} != 404; sleep 0.1 }
is($r->{status}, 200, 'GET /v1/products answers') or diag($r->{content});
is_deeply($r->{json}, { data => [], next_cursor => undef }, 'an empty first page');

# products and variants
$r = $gw->post('/v1/products', token => $staff1, headers => { 'Idempotency-Key' => 'p-1' },
	body => { title => 'Linen Shirt', options => [ { name => 'Size', values => [ 'S', 'M' ] } ] });
is($r->{status}, 201, 'POST /v1/products: 201') or diag($r->{content});
my $product = $r->{json}{id};
is($r->{headers}{location}, "/v1/products/$product", 'Location of the product');
is($r->{headers}{etag}, '"1"', 'ETag is the version');
is($r->{json}{handle}, 'linen-shirt', 'handle derived from the title');
$r = $gw->post('/v1/products', token => $staff1, headers => { 'Idempotency-Key' => 'p-1' },
	body => { title => 'Linen Shirt', options => [ { name => 'Size', values => [ 'S', 'M' ] } ] });
is($r->{json}{id}, $product, 'the same Idempotency-Key replays the product');
is($r->{headers}{'idempotent-replayed'}, 'true', 'with Idempotent-Replayed: true');
$r = $gw->post('/v1/products', token => $staff1, headers => { 'Idempotency-Key' => 'p-1' }, body => { title => 'Other' });
is($r->{status}, 422, 'the key with another body is 422');
is($r->{json}{error}{code}, 'idempotency_key_reused', 'idempotency_key_reused');

$r = $gw->post("/v1/products/$product/variants", token => $staff1, body => { sku => 'SHIRT-S', option_values => { Size => 'S' } });
is($r->{status}, 201, 'POST /v1/products/{product_id}/variants: 201') or diag($r->{content});
my $variant = $r->{json}{id};
is($r->{json}{product_id}, $product, 'the path id is the product');
$r = $gw->post("/v1/products/$product/variants", token => $staff1, body => { sku => 'SHIRT-S', option_values => { Size => 'M' } });
is($r->{status}, 409, 'a taken SKU is 409');
is($r->{json}{error}{code}, 'sku_taken', 'sku_taken');
$r = $gw->post("/v1/products/$product/variants", token => $staff1, body => { sku => 'SHIRT-X', option_values => { Size => 'XL' } });
is($r->{status}, 422, 'option values off the product options are 422');
is($r->{json}{error}{code}, 'invalid_option_values', 'invalid_option_values');
$r = $gw->post("/v1/products/$product/variants", token => $staff1, body => { sku => 42 });
is($r->{status}, 400, 'a wrong JSON type is 400');
is($r->{json}{error}{code}, 'invalid_input', 'invalid_input');
$gw->post("/v1/products/$product/variants", token => $staff1, body => { sku => 'SHIRT-M', option_values => { Size => 'M' } });
$r = $gw->get("/v1/products/$product/variants?limit=1", token => $staff1);
is(scalar @{ $r->{json}{data} }, 1, 'variants page of one');
is($r->{json}{next_cursor}, $variant, 'next_cursor is the last id');
$r = $gw->get("/v1/products/$product/variants?limit=1&after=$variant", token => $staff1);
is($r->{json}{data}[0]{sku}, 'SHIRT-M', 'the second page holds the other variant');
is($gw->get("/v1/variants/$variant", token => $staff1)->{json}{sku}, 'SHIRT-S', 'GET /v1/variants/{id}');

$r = $gw->request('PATCH', "/v1/products/$product", token => $staff1, body => { status => 'active' },
	headers => { 'If-Match' => '"1"' });
is($r->{status}, 200, 'PATCH with the right If-Match activates') or diag($r->{content});
is($r->{headers}{etag}, '"2"', 'new ETag');
$r = $gw->request('PATCH', "/v1/products/$product", token => $staff1, body => { title => 'x' },
	headers => { 'If-Match' => '"1"' });
is($r->{status}, 412, 'a stale If-Match is 412');
$r = $gw->post("/v1/products", token => $staff1, body => { title => 'Draft thing' });
my $draft = $r->{json}{id};
$r = $gw->post("/v1/products/$draft/archive", token => $staff1);
is($r->{json}{status}, 'archived', 'POST /v1/products/{id}/archive');
$r = $gw->post("/v1/products/$draft/archive", token => $staff1);
is($r->{status}, 409, 'archiving again is 409');
is($r->{json}{error}{code}, 'invalid_product_transition', 'invalid_product_transition');
$r = $gw->request('PATCH', "/v1/products/$draft", token => $staff1, body => { status => 'draft' });
is($r->{json}{status}, 'draft', 'archived -> draft over HTTP');

# categories and customer groups
$r = $gw->post('/v1/categories', token => $staff1, body => { name => 'Shirts' });
is($r->{status}, 201, 'POST /v1/categories: 201');
is($gw->get("/v1/categories/$r->{json}{id}", token => $staff1)->{json}{name}, 'Shirts', 'GET /v1/categories/{id}');
$r = $gw->post('/v1/customer-groups', token => $staff1, body => { name => 'Wholesale' });
is($r->{status}, 201, 'POST /v1/customer-groups: 201');
my $group = $r->{json}{id};

# customers and addresses
$r = $gw->post('/v1/customers', token => $staff1, body => { email => 'Ada@Example.com', first_name => 'Ada' });
is($r->{status}, 201, 'POST /v1/customers: 201') or diag($r->{content});
my $ada = $r->{json}{id};
is($r->{headers}{location}, "/v1/customers/$ada", 'Location of the customer');
$r = $gw->post('/v1/customers', token => $staff1, body => { email => 'ada@example.COM' });
is($r->{status}, 409, 'the same email in another case is 409');
is($r->{json}{error}{code}, 'email_taken', 'email_taken');
my $bob = $gw->post('/v1/customers', token => $staff1, body => { email => 'bob@example.com' })->{json}{id};
$r = $gw->get('/v1/customers?email=ADA%40example.com', token => $staff1);
is_deeply([ map { $_->{id} } @{ $r->{json}{data} } ], [$ada], 'GET /v1/customers?email= finds a customer whatever the case')
  or diag($r->{content});
$r = $gw->post("/v1/customers/$ada/addresses", token => $staff1,
	body => { line1 => '1 rue de Rivoli', city => 'Paris', country => 'FR', is_default_shipping => JSON::PP::true });
is($r->{status}, 201, 'POST /v1/customers/{customer_id}/addresses: 201') or diag($r->{content});
my $address = $r->{json}{id};
$r = $gw->request('PATCH', "/v1/customers/$ada/addresses/$address", token => $staff1, body => { city => 'Lyon' },
	headers => { 'If-Match' => '"1"' });
is($r->{json}{city}, 'Lyon', 'PATCH an address');
$r = $gw->request('DELETE', "/v1/customers/$ada/addresses/$address", token => $staff1);
is_deeply($r->{json}, { id => $address, object => 'customer_address', customer_id => $ada, deleted => JSON::PP::true },
	'DELETE an address');

# another tenant
$r = $gw->get("/v1/products/$product", token => $staff2);
is($r->{status}, 404, "another tenant's product is 404");
is($r->{json}{error}{code}, 'not_found', 'not_found');
is($gw->get("/v1/customers/$ada", token => $staff2)->{status}, 404, "another tenant's customer is 404");
$r = $gw->post('/v1/customers', token => $staff2, body => { email => 'ada@example.com' });
is($r->{status}, 201, 'the same email is free in another tenant');

# a customer token
my $cust = make_jwt({ tenant_id => $t1, sub => $ada, role => 'customer', exp => $exp });
is($gw->get("/v1/customers/$ada", token => $cust)->{json}{email}, 'Ada@Example.com', 'a customer reads itself');
$r = $gw->get("/v1/customers/$bob", token => $cust);
is($r->{status}, 404, 'another customer is 404 to a customer');
$r = $gw->request('PATCH', "/v1/customers/$ada", token => $cust, body => { group_id => $group });
is($r->{status}, 403, 'a customer choosing its group is 403');
is($r->{json}{error}{code}, 'permission_denied', 'permission_denied');
$r = $gw->request('PATCH', "/v1/customers/$ada", token => $cust, body => { phone => '+33 1 02 03 04 05' });
is($r->{status}, 200, 'a customer updates its phone');
$r = $gw->post('/v1/products', token => $cust, body => { title => 'Mine' });
is($r->{status}, 403, 'a customer creating a product is 403');
is($gw->get("/v1/products/$product", token => $cust)->{status}, 200, 'a customer reads an active product');
is($gw->get("/v1/products/$draft", token => $cust)->{status}, 404, 'a draft product is 404 to a customer');
$r = $gw->get('/v1/products', token => $cust);
is_deeply([ map { $_->{id} } @{ $r->{json}{data} } ], [$product], 'a customer lists active products only');

is($gw->stop, 0, 'the gateway stops cleanly');
$node->stop;
done_testing();
