# test/t/721_storefront_attacks.pl — what a publishable key cannot do, over
# real HTTP (issue 17, docs/storefront.md): every route that is not a
# storefront route refuses it (each one of the route table, and the event
# feed); on the storefront routes another tenant's ids, another guest's
# cart without its secret or with a wrong one, draft and archived products
# all answer exactly what an absent id answers (same status, code and
# message); on the cart's addresses, shipping options and method and
# discount codes too, with another tenant's shipping method or code, a
# saved address id (a guest has none); inactive, expired and
# customers-only codes and junk bodies are precise 4xx that write nothing;
# search never finds a draft or another tenant's product; guessed cart secrets find nothing and the database holds none
# in clear; a revoked key stops at the very next request; a key whose
# tenant part is altered, tokens on storefront routes and a suspended
# tenant are refused; the per-key rate limit answers 429 for that key only.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('storefront_attacks');
my $fixture = repo_path('test/fixtures/make_variant.sql');
$node->safe_psql('commerce', "\\i $fixture");
my %t;
for my $name ('a', 'b')
{
	my $tenant = $node->safe_psql('commerce', "SELECT commerce.create_tenant('sf-$name', 'Shop $name', 'EUR')");
	my $out = $node->safe_psql('commerce', qq{
		BEGIN;
		SELECT public.make_variant('$tenant', 'SKU-$name', 1000, 100) AS v \\gset
		SELECT commerce.set_context('$tenant', 'setup', 'staff');
		SELECT commerce.create_category('{"name": "C"}') ->> 'id' AS c \\gset
		SELECT commerce.create_product('{"title": "Draft", "status": "draft"}') ->> 'id' AS d \\gset
		SELECT commerce.create_variant(:'d', '{"sku": "D-$name"}') ->> 'id' AS dv \\gset
		SELECT commerce.create_product('{"title": "Old", "status": "active"}') ->> 'id' AS o \\gset
		SELECT commerce.create_variant(:'o', '{"sku": "O-$name"}') ->> 'id' AS ov \\gset
		SELECT commerce.archive_product(:'o') IS NOT NULL AS archived \\gset
		SELECT commerce.create_shipping_method('{"name": "Std", "kind": "flat_rate", "currency": "EUR", "amount": 500, "countries": ["FR"]}') ->> 'id' AS sm \\gset
		SELECT commerce.create_promotion('{"name": "Ten", "type": "percentage", "percent_ppm": 100000}') ->> 'id' AS p \\gset
		SELECT commerce.create_promotion_code(:'p', '{"code": "CODE-$name"}') IS NOT NULL AS code \\gset
		SELECT commerce.create_promotion_code(:'p', '{"code": "GONE-$name"}') ->> 'id' AS gone \\gset
		SELECT commerce.archive_promotion_code(:'gone') IS NOT NULL AS archived_code \\gset
		SELECT commerce.create_promotion_code(:'p', '{"code": "MEMBERS-$name", "per_customer_limit": 1}') IS NOT NULL AS members \\gset
		SELECT commerce.create_promotion('{"name": "Old", "type": "percentage", "percent_ppm": 100000, "ends_at": "2020-01-01T00:00:00Z"}') ->> 'id' AS po \\gset
		SELECT commerce.create_promotion_code(:'po', '{"code": "OLD-$name"}') IS NOT NULL AS old \\gset
		SELECT commerce.create_customer('{"email": "c-$name\@example.com"}') ->> 'id' AS cu \\gset
		SELECT commerce.add_customer_address(:'cu', '{"line1": "1 rue", "city": "Paris", "country": "FR"}') ->> 'id' AS ca \\gset
		SELECT :'v', v.product_id, :'c', :'d', :'dv', :'o', :'ov', :'sm', :'ca' FROM commerce.variants v WHERE v.id = :'v';
		COMMIT;
	});
	my @f = split /\|/, (split /\n/, $out)[-1];
	$t{$name} = { id => $tenant, variant => $f[0], product => $f[1], category => $f[2], draft => $f[3],
		draft_variant => $f[4], archived => $f[5], archived_variant => $f[6], method => $f[7], saved_address => $f[8] };
}

my $gw = start_gateway($node);
for (1 .. 200) { last if $gw->get('/readyz')->{status} == 200; sleep 0.05 }
for my $name ('a', 'b')
{
	my $staff = make_jwt({ tenant_id => $t{$name}{id}, sub => 'staff', role => 'staff', exp => time + 3600 });
	$t{$name}{staff} = $staff;
	my $r = $gw->post('/v1/storefront-keys', token => $staff, body => {});
	$t{$name}{key} = $r->{json}{key};
	$t{$name}{key_id} = $r->{json}{id};
}
my %pk = ('X-Publishable-Key' => $t{a}{key});
sub rand_uuid { return $node->safe_psql('commerce', 'SELECT commerce.uuid_generate_v7()') }

# What an answer reveals: status, code and message (request ids differ).
sub answer
{
	my ($r) = @_;
	my $e = $r->{json}{error} // {};
	(my $m = $e->{message} // '-') =~ s/[0-9a-f]{8}-[0-9a-f-]{27}/<id>/g;
	return join ' | ', $r->{status}, $e->{code} // '-', $m;
}
sub same_as_absent
{
	my ($what, $method, $template, $real, %o) = @_;
	(my $p1 = $template) =~ s/\{x\}/$real/;
	(my $p2 = $template) =~ s/\{x\}/rand_uuid()/e;
	my $got = answer($gw->request($method, $p1, %o));
	my $absent = answer($gw->request($method, $p2, %o));
	is($got, $absent, "$what: the answer of an absent id");
	like($got, qr/^404 /, "$what: 404");
}

# --- every other route refuses a publishable key ----------------------------------
my @routes = map { [ split /\|/ ] } split /\n/,
  $node->safe_psql('commerce', q{SELECT method, path FROM commerce.routes WHERE auth <> 'storefront' ORDER BY path, method});
ok(@routes > 60, scalar(@routes) . ' staff, customer and admin routes to try');
my @wrong;
for my $route (@routes, [ 'GET', '/v1/events' ], [ 'GET', '/v1/events/stream' ])
{
	my ($method, $path) = @$route;
	(my $p = $path) =~ s/\{[a-z_]+\}/rand_uuid()/ge;
	my $r = $gw->request($method, $p, headers => \%pk, ($method ne 'GET' && $method ne 'DELETE' ? (body => {}) : ()));
	push @wrong, "$method $path: " . answer($r) unless answer($r) eq '403 | permission_denied | a publishable key may only call the /v1/store routes';
}
is_deeply(\@wrong, [], 'every non-storefront route answers 403 permission_denied to a publishable key');
is($gw->get('/v1/orders', token => $t{a}{key})->{status}, 401, 'a key sent as a bearer token is no token: 401');
is(answer($gw->get('/v1/store/products', token => $t{a}{staff})),
	'401 | missing_publishable_key | storefront routes need an X-Publishable-Key header', 'a staff token on a storefront route: 401');

# --- ids of another tenant, draft and archived products ------------------------------
same_as_absent("B's product", 'GET', '/v1/store/products/{x}', $t{b}{product}, headers => \%pk);
same_as_absent("B's category", 'GET', '/v1/store/categories/{x}', $t{b}{category}, headers => \%pk);
same_as_absent('a draft product', 'GET', '/v1/store/products/{x}', $t{a}{draft}, headers => \%pk);
same_as_absent('an archived product', 'GET', '/v1/store/products/{x}', $t{a}{archived}, headers => \%pk);
same_as_absent("the price of B's variant", 'GET', '/v1/store/prices/resolve?currency=EUR&quantity=1&variant={x}', $t{b}{variant}, headers => \%pk);
same_as_absent("the price of a draft product's variant", 'GET', '/v1/store/prices/resolve?currency=EUR&quantity=1&variant={x}',
	$t{a}{draft_variant}, headers => \%pk);
my $list = $gw->get('/v1/store/products', headers => \%pk)->{json}{data};
is(join(',', map { $_->{id} } @$list), $t{a}{product}, 'the list shows the active product only');

# --- carts: secrets ------------------------------------------------------------------
sub new_cart
{
	my ($key, %body) = @_;
	my $r = $gw->post('/v1/store/carts', headers => { 'X-Publishable-Key' => $key },
		body => { currency => 'EUR', email => 'g@example.com', %body });
	die "cart: $r->{content}" unless $r->{status} == 201;
	return ($r->{json}{id}, $r->{json}{cart_secret});
}
my ($cart, $secret) = new_cart($t{a}{key});
my ($other, $other_secret) = new_cart($t{a}{key});
my ($cart_b, $secret_b) = new_cart($t{b}{key});
is($gw->post("/v1/store/carts/$cart/lines", headers => { %pk, 'X-Cart-Secret' => $secret },
	body => { variant_id => $t{a}{variant}, quantity => 1 })->{status}, 200, 'the guest adds a line with its secret');
for my $case ([ 'no secret', {} ], [ 'a wrong secret', { 'X-Cart-Secret' => 'cs_' . ('x' x 43) } ],
	[ "another guest's secret", { 'X-Cart-Secret' => $other_secret } ], [ 'an empty secret', { 'X-Cart-Secret' => '' } ])
{
	my ($what, $h) = @$case;
	my %h = (%pk, %$h);
	same_as_absent("GET another guest's cart with $what", 'GET', '/v1/store/carts/{x}', $cart, headers => \%h);
	same_as_absent("PATCH it with $what", 'PATCH', '/v1/store/carts/{x}', $cart, headers => \%h, body => { email => 'x@example.com' });
	same_as_absent("add a line to it with $what", 'POST', '/v1/store/carts/{x}/lines', $cart, headers => \%h,
		body => { variant_id => $t{a}{variant}, quantity => 1 });
	same_as_absent("place it with $what", 'POST', '/v1/store/carts/{x}/place', $cart, headers => \%h);
	same_as_absent("pay it with $what", 'POST', '/v1/store/carts/{x}/payments', $cart, headers => \%h, body => { provider => 'test' });
	same_as_absent("set its addresses with $what", 'PUT', '/v1/store/carts/{x}/addresses', $cart, headers => \%h,
		body => { shipping_address => { line1 => '1 rue', city => 'Paris', country => 'FR' } });
	same_as_absent("list its shipping options with $what", 'GET', '/v1/store/carts/{x}/shipping-options', $cart, headers => \%h);
	same_as_absent("choose its shipping method with $what", 'PUT', '/v1/store/carts/{x}/shipping-method', $cart, headers => \%h,
		body => { shipping_method_id => $t{a}{method} });
	same_as_absent("apply a code to it with $what", 'POST', '/v1/store/carts/{x}/discount-codes', $cart, headers => \%h,
		body => { code => 'CODE-a' });
	same_as_absent("remove a code from it with $what", 'DELETE', '/v1/store/carts/{x}/discount-codes/CODE-a', $cart, headers => \%h);
}
for my $route ([ 'PUT', 'addresses', { shipping_address => { line1 => '1 rue', city => 'Paris', country => 'FR' } } ],
	[ 'GET', 'shipping-options' ], [ 'PUT', 'shipping-method', { shipping_method_id => $t{b}{method} } ],
	[ 'POST', 'discount-codes', { code => 'CODE-b' } ], [ 'DELETE', 'discount-codes/CODE-b' ])
{
	my ($method, $tail, $body) = @$route;
	same_as_absent("$method .../$tail of B's cart with B's own secret through A's key", $method, "/v1/store/carts/{x}/$tail", $cart_b,
		headers => { %pk, 'X-Cart-Secret' => $secret_b }, ($body ? (body => $body) : ()));
}
same_as_absent("B's cart with B's own secret through A's key", 'GET', '/v1/store/carts/{x}', $cart_b,
	headers => { %pk, 'X-Cart-Secret' => $secret_b });
my %mine = (%pk, 'X-Cart-Secret' => $secret);
is(answer($gw->post("/v1/store/carts/$cart/lines", headers => \%mine, body => { variant_id => $t{a}{draft_variant}, quantity => 1 })),
	answer($gw->post("/v1/store/carts/$cart/lines", headers => \%mine, body => { variant_id => rand_uuid(), quantity => 1 })),
	"a draft product's variant in the cart: the answer of an absent variant");
is(answer($gw->post("/v1/store/carts/$cart/lines", headers => \%mine, body => { variant_id => $t{b}{variant}, quantity => 1 })),
	answer($gw->post("/v1/store/carts/$cart/lines", headers => \%mine, body => { variant_id => rand_uuid(), quantity => 1 })),
	"B's variant in the cart: the answer of an absent variant");
is(answer($gw->post('/v1/store/carts', headers => \%pk,
		body => { currency => 'EUR', lines => [ { variant_id => $t{a}{archived_variant}, quantity => 1 } ] })),
	answer($gw->post('/v1/store/carts', headers => \%pk,
		body => { currency => 'EUR', lines => [ { variant_id => rand_uuid(), quantity => 1 } ] })),
	"a new cart with an archived product's variant: the answer of an absent variant");
like(answer($gw->post('/v1/store/carts', headers => \%pk, body => { currency => 'EUR', customer_id => rand_uuid() })),
	qr/^400 \| invalid_input/, 'a storefront cannot name a customer');

# --- the cart's addresses, shipping method and codes: ids and codes of others, junk ----
sub cart_state
{
	return $node->safe_psql('commerce', "SELECT o.version, o.shipping_method_id IS NOT NULL, o.shipping_address IS NOT NULL,
		(SELECT count(*) FROM commerce.outbox_written e WHERE e.aggregate_id = o.id)
		FROM commerce.orders o WHERE o.id = '$cart'");
}
my $before = cart_state();
my @writes = (
	[ "a saved address id (a guest has none): the answer of an absent one", 'PUT', 'addresses',
		{ shipping_address_id => $t{a}{saved_address} }, { shipping_address_id => 'RAND' } ],
	[ "B's discount code: the answer of an absent code", 'POST', 'discount-codes', { code => 'CODE-b' }, { code => 'NO-SUCH-CODE' } ],
	[ "removing a code the cart does not carry", 'DELETE', 'discount-codes/CODE-b', undef, undef, 'discount-codes/NO-SUCH-CODE' ]);
for my $w (@writes)
{
	my ($what, $method, $tail, $body, $absent_body, $absent_tail) = @$w;
	my $got = answer($gw->request($method, "/v1/store/carts/$cart/$tail", headers => \%mine, ($body ? (body => $body) : ())));
	(my $b2 = JSON::PP->new->encode($absent_body // {})) =~ s/RAND/rand_uuid()/e;
	my $absent = answer($gw->request($method, "/v1/store/carts/$cart/" . ($absent_tail // $tail), headers => \%mine,
		($absent_body ? (body => JSON::PP::decode_json($b2)) : ())));
	(my $gen = $got) =~ s/"[A-Z0-9-]+"/"<code>"/g;
	(my $gen_absent = $absent) =~ s/"[A-Z0-9-]+"/"<code>"/g;
	is($gen, $gen_absent, "$what");
	like($got, qr/^404 /, "$what: 404");
}
is(cart_state(), $before, 'nothing was written to the cart');
# with an address, B's method is still the absent one
is($gw->request('PUT', "/v1/store/carts/$cart/addresses", headers => \%mine,
	body => { shipping_address => { line1 => '1 rue', city => 'Paris', country => 'FR' } })->{status}, 200, 'the guest sets its address');
$before = cart_state();
is(answer($gw->request('PUT', "/v1/store/carts/$cart/shipping-method", headers => \%mine, body => { shipping_method_id => $t{b}{method} })),
	answer($gw->request('PUT', "/v1/store/carts/$cart/shipping-method", headers => \%mine, body => { shipping_method_id => rand_uuid() })),
	"B's shipping method on A's addressed cart: the answer of an absent method");
my @refused = (
	[ 'an archived code', 'POST', 'discount-codes', { code => 'GONE-a' }, qr/^409 \| discount_code_inactive/ ],
	[ 'an expired code', 'POST', 'discount-codes', { code => 'OLD-a' }, qr/^409 \| discount_code_inactive/ ],
	[ 'a code limited per customer (a guest is none)', 'POST', 'discount-codes', { code => 'MEMBERS-a' }, qr/^409 \| discount_not_applicable/ ],
	[ 'a code of bad characters', 'POST', 'discount-codes', { code => 'bad code!' }, qr/^(400 \| invalid_input|404 \| discount_code_not_found)/ ],
	[ 'a code that is a number', 'POST', 'discount-codes', { code => 5 }, qr/^400 \| invalid_input/ ],
	[ 'no code', 'POST', 'discount-codes', {}, qr/^400 \| invalid_input/ ],
	[ 'an unknown field next to the code', 'POST', 'discount-codes', { code => 'CODE-a', amount => 1 }, qr/^400 \| invalid_input/ ],
	[ 'a code of 10,000 characters', 'POST', 'discount-codes', { code => 'A' x 10000 }, qr/^(400|413) / ],
	[ 'a method id that is no uuid', 'PUT', 'shipping-method', { shipping_method_id => 'nope' }, qr/^400 \| invalid_input/ ],
	[ 'a method id that is a number', 'PUT', 'shipping-method', { shipping_method_id => 7 }, qr/^400 \| invalid_input/ ],
	[ 'an empty method body', 'PUT', 'shipping-method', {}, qr/^400 \| invalid_input/ ],
	[ 'an address that is a string', 'PUT', 'addresses', { shipping_address => 'Paris' }, qr/^400 \| invalid_input/ ],
	[ 'an address without a city', 'PUT', 'addresses', { shipping_address => { line1 => '1', country => 'FR' } }, qr/^400 \| invalid_input/ ],
	[ 'an unassigned country', 'PUT', 'addresses', { shipping_address => { line1 => '1', city => 'X', country => 'XX' } }, qr/^400 \| invalid_input/ ],
	[ 'an unknown address field', 'PUT', 'addresses', { shipping_address => { line1 => '1', city => 'X', country => 'FR', colour => 'red' } }, qr/^400 \| invalid_input/ ],
	[ 'an unknown body field', 'PUT', 'addresses', { colour => 'red' }, qr/^400 \| invalid_input/ ],
	[ 'an empty address body', 'PUT', 'addresses', {}, qr/^400 \| invalid_input/ ],
	[ 'a line1 of 300 characters', 'PUT', 'addresses', { shipping_address => { line1 => 'x' x 300, city => 'X', country => 'FR' } }, qr/^400 \| invalid_input/ ]);
for my $case (@refused)
{
	my ($what, $method, $tail, $body, $expect) = @$case;
	like(answer($gw->request($method, "/v1/store/carts/$cart/$tail", headers => \%mine, body => $body)), $expect, "$what: a precise 4xx");
}
for my $raw ('[]', '"x"', '{', 'null', '{"code": null}')
{
	my $r = $gw->request('POST', "/v1/store/carts/$cart/discount-codes", headers => { %mine, 'Content-Type' => 'application/json' }, body => $raw);
	like($r->{status}, qr/^4\d\d$/, "the body $raw: a 4xx (" . answer($r) . ')');
}
is(cart_state(), $before, 'none of these wrote anything to the cart');

# --- search: never a draft, an archived or another tenant's product, junk is a 400 ----------
my $found_ids = sub { join ',', map { $_->{id} } @{ $gw->get($_[0], headers => \%pk)->{json}{data} // [] } };
is($found_ids->('/v1/store/products?q=draft'), '', 'q=draft finds no draft product');
is($found_ids->('/v1/store/products?sku=D-a'), '', "sku finds no draft product's variant");
is($found_ids->('/v1/store/products?q=old'), '', 'q finds no archived product');
is($found_ids->('/v1/store/products?sku=SKU-b'), '', "sku finds no product of tenant B");
is($found_ids->('/v1/store/products?status[in]=draft,archived'), '', 'status[in]=draft,archived lists nothing');
is($found_ids->("/v1/store/products?category_id=$t{b}{category}"), '', "B's category lists nothing");
for my $q ('q=', 'q=' . ('a' x 201), 'sort=title', 'created_at[gt]=yesterday', 'handle[in]=' . join(',', 1 .. 51), 'limit=0', 'after=junk',
	'colour=red', 'q[gt]=a')
{
	like(answer($gw->get("/v1/store/products?$q", headers => \%pk)), qr/^400 \| invalid_(filter|input|parameter)/, "?$q: 400");
}

# Guessing: 200 random secrets of the right shape find nothing; no secret in clear.
my $found = 0;
for (1 .. 200)
{
	my $guess = 'cs_' . join '', map { ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_')[ int rand 64 ] } 1 .. 43;
	$found++ if $gw->get("/v1/store/carts/$cart", headers => { %pk, 'X-Cart-Secret' => $guess })->{status} != 404;
}
is($found, 0, '200 guessed secrets open nothing');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.storefront_carts c WHERE row_to_json(c)::text LIKE '%' || substr('$secret', 4, 20) || '%'"),
	'0', 'the database holds no cart secret in clear');

# --- keys ------------------------------------------------------------------------------
(my $swapped = $t{a}{key}) =~ s/^pk_[0-9a-f]{32}/'pk_' . join('', split(m{-}, $t{b}{id}))/e;
is(answer($gw->get('/v1/store/products', headers => { 'X-Publishable-Key' => $swapped })),
	'401 | invalid_publishable_key | the publishable key is not valid', "A's secret under B's tenant: 401");
is($gw->get('/v1/store/products', headers => { 'X-Publishable-Key' => 'pk_junk' })->{status}, 401, 'a malformed key: 401');
my $r = $gw->post("/v1/storefront-keys/$t{a}{key_id}/revoke", token => $t{a}{staff});
is($r->{status}, 200, 'staff revoke the key');
is(answer($gw->get("/v1/store/carts/$cart", headers => \%mine)),
	'401 | invalid_publishable_key | the publishable key is not valid', 'the revoked key stops at the very next request');
is($gw->get('/v1/store/products', headers => { 'X-Publishable-Key' => $t{b}{key} })->{status}, 200, "B's key still works");
$node->safe_psql('commerce', "SELECT commerce.suspend_tenant('$t{b}{id}')");
my $s;
for (1 .. 100) { $s = answer($gw->get('/v1/store/products', headers => { 'X-Publishable-Key' => $t{b}{key} })); last if $s =~ /^403/; sleep 0.1 }
like($s, qr/^403 \| tenant_suspended/, "a suspended tenant's key: 403 tenant_suspended");
is($gw->stop, 0, 'gateway exits 0');

# --- per-key rate limit -------------------------------------------------------------------
my $limited = start_gateway($node, env => { PGCOMMERCE_STOREFRONT_RATE => '1', PGCOMMERCE_STOREFRONT_BURST => '3' });
for (1 .. 200) { last if $limited->get('/readyz')->{status} == 200; sleep 0.05 }
my $fresh = $limited->post('/v1/storefront-keys', token => make_jwt({ tenant_id => $t{a}{id}, sub => 's', role => 'staff', exp => time + 3600 }),
	body => {})->{json}{key};
my $fresh2 = $limited->post('/v1/storefront-keys', token => make_jwt({ tenant_id => $t{a}{id}, sub => 's', role => 'staff', exp => time + 3600 }),
	body => {})->{json}{key};
my @statuses = map { $limited->get('/v1/store/products', headers => { 'X-Publishable-Key' => $fresh })->{status} } 1 .. 5;
is(join(',', @statuses[0 .. 2]), '200,200,200', 'a burst of 3 passes');
is($statuses[4], 429, 'then the key is limited: 429');
is($limited->get('/v1/store/products', headers => { 'X-Publishable-Key' => $fresh2 })->{status}, 200, 'another key is not');
sleep 1.2;
is($limited->get('/v1/store/products', headers => { 'X-Publishable-Key' => $fresh })->{status}, 200, 'the bucket refills');
is($limited->stop, 0, 'gateway exits 0');
done_testing();
