# test/t/711_list_filters_http.pl — the list filters over real HTTP on
# loopback (docs/filters.md): query parameters reach the command as its
# filter (field, field[op] raw or percent-encoded, q, sort), next_cursor
# pages a sorted list, unknown fields and operators and bad values are 400
# invalid_filter with the allowed list, a customer token filtering on
# another customer's id sees nothing, another tenant's ids find nothing,
# and the OpenAPI document lists the filter parameters of the list routes.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('filters_http');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('flt-a', 'Shop A', 'EUR')});
my $t2 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('flt-b', 'Shop B', 'EUR')});
my $gw = start_gateway($node);
my $exp = time + 3600;
my $staff1 = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => $exp });
my $staff2 = make_jwt({ tenant_id => $t2, sub => 'bob', role => 'staff', exp => $exp });

my $r;
for (1 .. 100) { $r = $gw->get('/v1/products', token => $staff1); last if $r->{status} != 404; sleep 0.1 }
is($r->{status}, 200, 'GET /v1/products answers') or diag($r->{content});

# catalog: three products in A, one in B
my %p;
for my $x ([ 'Blue Linen Shirt', 'LINEN-BLUE', 'active' ], [ 'Red Mug', 'MUG-RED', 'active' ], [ 'Green Cap', 'CAP-GREEN', 'draft' ])
{
	$r = $gw->post('/v1/products', token => $staff1, body => { title => $x->[0], status => $x->[2] });
	is($r->{status}, 201, "product $x->[0]") or diag($r->{content});
	$p{ $x->[1] } = $r->{json}{id};
	$r = $gw->post("/v1/products/$r->{json}{id}/variants", token => $staff1, body => { sku => $x->[1] });
	is($r->{status}, 201, "variant $x->[1]") or diag($r->{content});
}
$gw->post('/v1/products', token => $staff2, body => { title => 'Blue Linen Scarf', status => 'active' });

sub titles { return [ sort map { $_->{title} } @{ $_[0]{json}{data} // [] } ] }

$r = $gw->get('/v1/products?q=linen', token => $staff1);
is($r->{status}, 200, '?q= answers 200') or diag($r->{content});
is_deeply(titles($r), [ 'Blue Linen Shirt' ], '?q=linen: the tenant\'s match only');
is_deeply(titles($gw->get('/v1/products?q=mug-red', token => $staff1)), [ 'Red Mug' ], '?q= over SKUs');
is_deeply(titles($gw->get('/v1/products?q=blue%20lin', token => $staff1)), [ 'Blue Linen Shirt' ], '?q= prefixes of each word');
is_deeply(titles($gw->get('/v1/products?status=draft', token => $staff1)), [ 'Green Cap' ], '?status=');
is_deeply(titles($gw->get('/v1/products?status[in]=draft,archived', token => $staff1)), [ 'Green Cap' ], '?status[in]= raw brackets');
is_deeply(titles($gw->get('/v1/products?status%5Bin%5D=active', token => $staff1)), [ 'Blue Linen Shirt', 'Red Mug' ], '?status%5Bin%5D= percent-encoded');
is_deeply(titles($gw->get('/v1/products?sku=CAP-GREEN', token => $staff1)), [ 'Green Cap' ], '?sku=');
is_deeply(titles($gw->get('/v1/products?handle=red-mug', token => $staff1)), [ 'Red Mug' ], '?handle=');
is_deeply(titles($gw->get('/v1/products?created_at[gte]=2000-01-01&created_at[lt]=2999-01-01T00:00:00Z&q=red', token => $staff1)), [ 'Red Mug' ], 'ranges and q together');
is_deeply(titles($gw->get('/v1/products?sku=CAP-GREEN', token => $staff2)), [], 'another tenant\'s SKU: nothing');
$r = $gw->get("/v1/products/$p{'MUG-RED'}/variants?sku=MUG-RED", token => $staff1);
is($r->{json}{data}[0]{sku}, 'MUG-RED', 'variants ?sku=');

# sort and cursor over HTTP: pages of 1 in -updated_at order
$gw->request('PATCH', "/v1/products/$p{'LINEN-BLUE'}", token => $staff1, body => { description => 'touched' });
my @seen;
my $cursor;
for (1 .. 5)
{
	my $q = '/v1/products?sort=-updated_at&limit=1' . ($cursor ? "&after=$cursor" : '');
	$r = $gw->get($q, token => $staff1);
	is($r->{status}, 200, "sorted page $_") or diag($r->{content});
	push @seen, map { $_->{title} } @{ $r->{json}{data} };
	$cursor = $r->{json}{next_cursor};
	last unless defined $cursor;
}
is(scalar @seen, 3, 'three pages of one, then no cursor');
is($seen[0], 'Blue Linen Shirt', 'the product updated last comes first');
is_deeply([ sort @seen ], [ 'Blue Linen Shirt', 'Green Cap', 'Red Mug' ], 'each product once');

# orders: customer filters, and a customer token
my $c1 = $gw->post('/v1/customers', token => $staff1, body => { email => 'ann@example.com' })->{json}{id};
my $c2 = $gw->post('/v1/customers', token => $staff1, body => { email => 'ben@example.com' })->{json}{id};
my $cb = $gw->post('/v1/customers', token => $staff2, body => { email => 'bee@example.com' })->{json}{id};
for my $c ($c1, $c2)
{
	$r = $gw->post('/v1/orders', token => $staff1, body => { currency => 'EUR', customer_id => $c });
	is($r->{status}, 201, 'an order') or diag($r->{content});
}
$r = $gw->get("/v1/orders?customer_id=$c1", token => $staff1);
is_deeply([ map { $_->{customer_id} } @{ $r->{json}{data} } ], [ $c1 ], '?customer_id=');
$r = $gw->get("/v1/orders?customer_id=$cb", token => $staff1);
is_deeply($r->{json}{data}, [], 'another tenant\'s customer_id: nothing');
$r = $gw->get('/v1/orders?status=draft&sort=-created_at', token => $staff1);
is(scalar @{ $r->{json}{data} }, 2, '?status=&sort=');
my $ann = make_jwt({ tenant_id => $t1, sub => $c1, role => 'customer', exp => $exp });
$r = $gw->get("/v1/orders?customer_id=$c2", token => $ann);
is($r->{status}, 200, 'a customer filtering on another customer\'s id: 200');
is_deeply($r->{json}{data}, [], '... and sees nothing');
is_deeply([ map { $_->{email} } @{ $gw->get('/v1/customers?email=ANN@example.com', token => $staff1)->{json}{data} } ],
	[ 'ann@example.com' ], '?email= any case');

# invalid_filter
for my $case ([ '/v1/products?colour=red', 'unknown field' ], [ '/v1/products?status[like]=x', 'unknown operator' ],
	[ '/v1/orders?total[gte]=ten', 'not an integer' ], [ '/v1/orders?created_at[gt]=yesterday', 'not a date' ],
	[ '/v1/products?sort=title', 'not sortable' ], [ '/v1/orders?q=x', 'no text search on orders' ],
	[ '/v1/products?q=' . ('a' x 201), 'q too long' ])
{
	$r = $gw->get($case->[0], token => $staff1);
	is($r->{status}, 400, "$case->[1]: 400");
	is($r->{json}{error}{code}, 'invalid_filter', "$case->[1]: invalid_filter");
}
$r = $gw->get('/v1/orders?colour=red', token => $staff1);
like($r->{json}{error}{details}{detail}, qr/^Allowed: status, status\[in\], customer_id, .*sort \(created_at, -created_at, total, -total\)\.$/,
	'details.detail lists the allowed filters');
$r = $gw->get('/v1/orders?status=x&status=y', token => $staff1);
is($r->{status}, 400, 'a repeated parameter is 400');
$r = $gw->get('/v1/tax-rates?status=x', token => $staff1);
is($r->{json}{error}{code}, 'invalid_parameter', 'a list without filters still refuses unknown parameters');
$r = $gw->get('/v1/products?sort=-created_at&limit=1', token => $staff1);
$r = $gw->get("/v1/products?limit=1&after=$r->{json}{next_cursor}", token => $staff1);
is($r->{json}{error}{code}, 'invalid_input', 'a sorted cursor without its sort: invalid_input');

# OpenAPI: the list routes list their filter parameters
$r = $gw->get('/openapi.json');
my %params = map { ($_->{name} // '') => 1 } @{ $r->{json}{paths}{'/v1/orders'}{get}{parameters} // [] };
ok($params{'total[gte]'} && $params{'customer_id'} && $params{'sort'} && !$params{'filter'},
	'OpenAPI: GET /v1/orders lists total[gte], customer_id and sort, not "filter"');
%params = map { ($_->{name} // '') => 1 } @{ $r->{json}{paths}{'/v1/products'}{get}{parameters} // [] };
ok($params{'q'} && $params{'status'} && $params{'status[in]'} && $params{'created_at[gte]'}, 'OpenAPI: GET /v1/products lists q, status, status[in], created_at[gte]');

is($gw->stop, 0, 'the gateway exits 0');
$node->stop;
done_testing();
