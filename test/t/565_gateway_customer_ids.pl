# test/t/565_gateway_customer_ids.pl — customer Y against customer X over
# HTTP, for every route (from commerce.routes) whose path takes the id of
# something a customer owns (customer, address, order, line, payment):
# with X's ids, Y gets exactly the answer it gets for ids that exist
# nowhere — 404 not_found, or the 403 a customer gets for a staff-only
# action whatever the id — never a 2xx and never a hint that X's object
# exists; and none of X's rows changed. Also tenant B's staff with tenant
# A's ids.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway gateway_role make_jwt);

my $node = commerce_node('gw_customer_ids');
my $setup = sub {
	my ($slug) = @_;
	return split /\|/, $node->safe_psql('commerce', qq{
	SELECT commerce.create_tenant('$slug', 'Shop', 'EUR') AS tenant \\gset
	BEGIN;
	SELECT commerce.set_context(:'tenant', 'staff-1', 'staff') \\gset
	SELECT commerce.create_product('{"title": "Tea", "status": "active"}')->>'id' AS product \\gset
	SELECT commerce.create_variant(:'product', '{"sku": "TEA"}')->>'id' AS variant \\gset
	SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}')->>'id' AS list \\gset
	SELECT commerce.set_price(:'list', jsonb_build_object('variant_id', :'variant', 'amount', 500)) \\gset
	SELECT commerce.set_inventory(:'variant', '{"on_hand": 100}') \\gset
	SELECT commerce.create_customer('{"email": "x\@example.com"}')->>'id' AS x \\gset
	SELECT commerce.create_customer('{"email": "y\@example.com"}')->>'id' AS y \\gset
	SELECT commerce.add_customer_address(:'x', '{"line1": "1 Main St", "city": "Paris", "country": "FR"}')->>'id'
	  AS address \\gset
	SELECT commerce.create_order(jsonb_build_object('currency', 'EUR', 'customer_id', :'x',
	  'lines', jsonb_build_array(jsonb_build_object('variant_id', :'variant', 'quantity', 1)))) AS placed \\gset
	SELECT commerce.place_order(((:'placed'::jsonb)->>'id')::uuid) \\gset
	SELECT commerce.authorize_payment(((:'placed'::jsonb)->>'id')::uuid, '{"provider": "manual", "amount": 500}')->>'id'
	  AS payment \\gset
	SELECT commerce.create_order(jsonb_build_object('currency', 'EUR', 'customer_id', :'x',
	  'lines', jsonb_build_array(jsonb_build_object('variant_id', :'variant', 'quantity', 1)))) AS cart \\gset
	COMMIT;
	SELECT concat_ws('|', :'tenant', :'x', :'y', :'address', (:'placed'::jsonb)->>'id', :'payment',
	                 (:'cart'::jsonb)->>'id', (:'cart'::jsonb)->'lines'->0->>'id', :'variant');
});
};
my ($tenant, $x, $y, $address, $placed, $payment, $cart, $line, $variant) = $setup->('shop-a');
my ($tenant_b) = $setup->('shop-b');
ok($line, 'customer X has an address, a placed and paid order, a cart with a line');

# X's rows, as the superuser sees them.
my $x_rows = qq{SELECT md5(string_agg(r, ',' ORDER BY r)) FROM (
	SELECT c::text AS r FROM commerce.customers c WHERE id = '$x'
	UNION ALL SELECT a::text FROM commerce.customer_addresses a WHERE customer_id = '$x'
	UNION ALL SELECT o::text FROM commerce.orders o WHERE customer_id = '$x'
	UNION ALL SELECT l::text FROM commerce.order_lines l JOIN commerce.orders o ON o.id = l.order_id WHERE o.customer_id = '$x'
	UNION ALL SELECT p::text FROM commerce.payments p WHERE customer_id = '$x') s};
my $x_before = $node->safe_psql('commerce', $x_rows);

my $gw = start_gateway($node, user => gateway_role($node));
my $exp = time + 3600;
my $y_token = make_jwt({ tenant_id => $tenant, sub => $y, role => 'customer', exp => $exp });
# /healthz answers before the listener has loaded the route table.
for (1 .. 100)
{
	last if ($gw->get("/v1/customers/$y", token => $y_token)->{status} // 0) == 200;
	select(undef, undef, undef, 0.1);
}
my $b_staff = make_jwt({ tenant_id => $tenant_b, sub => 'staff-b', role => 'staff', exp => $exp });

# Which of X's ids a path parameter names, by the segment before it.
my %x_id = (customers => $x, addresses => $address, orders => $placed, lines => $line,
	payments => $payment);
my %body = (
	'PATCH /v1/customers/{id}' => { first_name => 'Mallory' },
	'POST /v1/customers/{customer_id}/addresses' => { line1 => '2 Rue', city => 'Lyon', country => 'FR' },
	'PATCH /v1/customers/{customer_id}/addresses/{address_id}' => { city => 'Lyon' },
	'POST /v1/orders/{order_id}/lines' => { variant_id => $variant, quantity => 1 },
	'PATCH /v1/orders/{order_id}/lines/{line_id}' => { quantity => 5 },
	'POST /v1/orders/{order_id}/payments' => { provider => 'manual', amount => 1 },
	'POST /v1/payments/{id}/capture' => { amount => 1 },
	'POST /v1/payments/{id}/refunds' => { amount => 1 },
	# issue 17: valid bodies, so the answer is about the ids
	'PUT /v1/orders/{id}/addresses' => { shipping_address => { line1 => '2 Rue', city => 'Lyon', country => 'FR' } },
	'PUT /v1/orders/{id}/shipping-method' => { shipping_method_id => '01900000-0000-7000-8000-00000000abcd' },
	'POST /v1/orders/{order_id}/discount-codes' => { code => 'NOPE10' });

# Storefront routes take a publishable key, no token (test/t/721 attacks them).
my @routes = split /\n/, $node->safe_psql('commerce',
	"SELECT method || ' ' || path FROM commerce.routes WHERE auth <> 'storefront' ORDER BY path, method");
my $n = 0;
my $random = 0;
for my $route (@routes)
{
	my ($method, $path) = split / /, $route;
	my @segments = split m{/}, $path;
	next unless grep { /^\{/ && $_ ne '{tenant}' } @segments;
	my ($owned, @x_path, @nowhere_path) = (0);
	for my $i (0 .. $#segments)
	{
		my $s = $segments[$i];
		if ($s =~ /^\{/)
		{
			my $kind = $segments[ $i - 1 ];
			$owned = 1 if exists $x_id{$kind};
			# the cart's line lives in the cart, not in the placed order
			my $id = $kind eq 'orders' && $path =~ /lines/ ? $cart : $x_id{$kind};
			push @x_path, $id // '00000000-0000-7000-8000-000000000001';
			push @nowhere_path, sprintf('01900000-0000-7000-8000-%012d', ++$random);
		}
		else { push @x_path, $s; push @nowhere_path, $s; }
	}
	next unless $owned;
	my %opts = (token => $y_token);
	$opts{body} = $body{"$method $path"} // {} if $method ne 'GET' && $method ne 'DELETE';
	$opts{headers} = { 'Idempotency-Key' => "k-$random" } if $method ne 'GET';
	my $with_x = $gw->request($method, join('/', @x_path), %opts);
	$opts{headers} = { 'Idempotency-Key' => "k-$random-n" } if $method ne 'GET';
	my $nowhere = $gw->request($method, join('/', @nowhere_path), %opts);
	my $got = "$with_x->{status} " . ($with_x->{json}{error}{code} // '');
	like($got, qr/^(404 not_found|403 permission_denied)$/, "customer Y, $method $path with X's ids: $got");
	is($got, "$nowhere->{status} " . ($nowhere->{json}{error}{code} // ''),
		"  the same answer as for ids that exist nowhere");
	$n++;

	# Tenant B's staff with tenant A's ids: the same, as for any id.
	$opts{token} = $b_staff;
	$opts{headers} = { 'Idempotency-Key' => "b-$random" } if $method ne 'GET';
	my $b = $gw->request($method, join('/', @x_path), %opts);
	is("$b->{status} " . ($b->{json}{error}{code} // ''), '404 not_found',
		"tenant B's staff, $method $path with A's ids: 404");
}
ok($n >= 15, "$n routes take a customer-owned id");
is($node->safe_psql('commerce', $x_rows), $x_before, "none of X's rows changed");
is($gw->stop, 0, 'gateway exits 0');
$node->stop;
done_testing();
