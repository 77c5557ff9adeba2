# test/t/720_storefront_flow.pl — a storefront over real HTTP with a
# publishable key only (issue 17, docs/storefront.md): staff create the key
# (shown once, stored as SHA-256); the storefront browses the active
# catalog and resolves prices, creates a guest cart (its secret shown once),
# searches it with the list filters (q, sku, handle; drafts never found),
# creates a guest cart (its secret shown once), adds and changes lines,
# sets the shipping and billing addresses, lists the shipping options and
# chooses one, applies (removes, re-applies) a discount code, sets the
# guest's email, places the cart, pays through the test provider and reads
# the confirmation with the cart secret; the totals hold at every step
# (subtotal - discount + shipping + tax = total, tax exclusive); staff read
# the guest's email on the order; then a customer signed in at an identity
# provider (RS256 token verified against the JWKS, its sub linked to the
# customer by staff) claims the guest order, after which the cart secret no
# longer opens it.
use strict;
use warnings;
use JSON::PP;
use MIME::Base64 qw(encode_base64url);
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node repo_path);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $dir = PostgreSQL::Test::Utils::tempdir();
sub openssl { my @a = @_; my $out = `openssl @a 2>&1`; die "openssl @a: $out" if $?; return $out }
openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $dir/idp.pem");
my ($modulus) = openssl("rsa -in $dir/idp.pem -noout -modulus") =~ /Modulus=([0-9A-F]+)/;
open my $jwks, '>', "$dir/jwks.json" or die $!;
print $jwks encode_json({ keys => [ { kty => 'RSA', kid => 'idp', use => 'sig', alg => 'RS256',
	n => encode_base64url(pack('H*', (length($modulus) % 2 ? '0' : '') . $modulus)), e => 'AQAB' } ] });
close $jwks;
my $iss = 'https://id.example.com/';

# An identity provider's RS256 token.
sub idp_token
{
	my ($claims) = @_;
	my $json = JSON::PP->new->canonical;
	my $input = encode_base64url($json->encode({ alg => 'RS256', typ => 'JWT', kid => 'idp' }))
	  . '.' . encode_base64url($json->encode($claims));
	open my $fh, '>', "$dir/input" or die $!;
	print $fh $input;
	close $fh;
	openssl("dgst -sha256 -sign $dir/idp.pem -out $dir/sig $dir/input");
	return $input . '.' . encode_base64url(PostgreSQL::Test::Utils::slurp_file("$dir/sig"));
}

my $node = commerce_node('storefront_flow');
my $t1 = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('shop', 'Shop', 'EUR')});
my $fixture = repo_path('test/fixtures/make_variant.sql');
my $setup = $node->safe_psql('commerce', qq{
	\\i $fixture
	BEGIN;
	SELECT public.make_variant('$t1', 'TEE-1', 1250, 100) AS v \\gset
	SELECT commerce.set_context('$t1', 'setup', 'staff');
	SELECT commerce.create_category('{"name": "Shirts"}') ->> 'id' AS c \\gset
	SELECT commerce.create_product('{"title": "Unreleased", "status": "draft"}') ->> 'id' AS d \\gset
	SELECT commerce.create_variant(:'d', '{"sku": "DRAFT-1"}') ->> 'id' AS dv \\gset
	SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 200000}') IS NOT NULL AS tax \\gset
	SELECT commerce.create_shipping_method('{"name": "Standard", "kind": "flat_rate", "currency": "EUR", "amount": 490, "countries": ["FR", "DE"]}') ->> 'id' AS sm \\gset
	SELECT commerce.create_shipping_method('{"name": "Express", "kind": "flat_rate", "currency": "EUR", "amount": 990, "countries": ["FR"]}') ->> 'id' AS sx \\gset
	SELECT commerce.create_shipping_method('{"name": "US only", "kind": "flat_rate", "currency": "EUR", "amount": 100, "countries": ["US"]}') ->> 'id' AS su \\gset
	SELECT commerce.create_promotion('{"name": "Welcome", "type": "percentage", "percent_ppm": 100000}') ->> 'id' AS p \\gset
	SELECT commerce.create_promotion_code(:'p', '{"code": "WELCOME10"}') IS NOT NULL AS code \\gset
	SELECT v.id, :'dv', v.product_id, :'c', :'sm', :'sx', :'su' FROM commerce.variants v WHERE v.sku = 'TEE-1';
	COMMIT;
});
my ($variant, $draft_variant, $product, $category, $standard, $express, $us_only) = split /\|/, (split /\n/, $setup)[-1];

my $gw = start_gateway($node, env => {
	PGCOMMERCE_JWKS_FILE => "$dir/jwks.json", PGCOMMERCE_JWT_ISSUER => $iss,
	PGCOMMERCE_JWT_CUSTOMER_SUB => 'linked' });
for (1 .. 200) { last if $gw->get('/readyz')->{status} == 200; sleep 0.05 }
my $staff = make_jwt({ tenant_id => $t1, sub => 'alice', role => 'staff', exp => time + 3600 });

# --- staff create a publishable key -----------------------------------------
my $r = $gw->post('/v1/storefront-keys', token => $staff, body => { label => 'web shop' });
is($r->{status}, 201, 'staff create a publishable key: 201') or diag($r->{content});
my $key = $r->{json}{key};
like($key, qr/^pk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/, 'the key is shown once');
$r = $gw->get("/v1/storefront-keys/$r->{json}{id}", token => $staff);
ok($r->{status} == 200 && !exists $r->{json}{key}, 'reading it again shows no key');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.storefront_keys WHERE key_hash = sha256(convert_to('$key', 'UTF8'))"),
	'1', 'the database keeps the SHA-256 only');
my %pk = ('X-Publishable-Key' => $key);

# --- browse ------------------------------------------------------------------
$r = $gw->get('/v1/store/products', headers => \%pk);
is($r->{status}, 200, 'GET /v1/store/products: 200') or diag($r->{content});
is(join(',', map { $_->{id} } @{ $r->{json}{data} }), $product, 'only the active product is listed');
$r = $gw->get("/v1/store/products/$product", headers => \%pk);
is($r->{status} . ':' . scalar(@{ $r->{json}{variants} // [] }), '200:1', 'the product with its variant');
$r = $gw->get('/v1/store/categories', headers => \%pk);
is($r->{status} . ':' . scalar(@{ $r->{json}{data} // [] }), '200:1', 'categories');
$r = $gw->get("/v1/store/prices/resolve?variant=$variant&currency=EUR&quantity=2", headers => \%pk);
is($r->{status} . ':' . ($r->{json}{unit_amount} // $r->{json}{amount} // ''), '200:1250', 'the resolved price')
  or diag($r->{content});

# --- search (the list filters of docs/filters.md; active products only) ---------
my $ids = sub { my ($r) = @_; return $r->{status} . ':' . join(',', map { $_->{id} } @{ $r->{json}{data} // [] }) };
is($ids->($gw->get('/v1/store/products?q=tee', headers => \%pk)), "200:$product", 'q=tee finds the product');
is($ids->($gw->get('/v1/store/products?q=P%20TE', headers => \%pk)), "200:$product", 'q: every word a prefix, any case');
is($ids->($gw->get('/v1/store/products?q=mug', headers => \%pk)), '200:', 'q: no match, no product');
is($ids->($gw->get('/v1/store/products?sku=TEE-1', headers => \%pk)), "200:$product", 'sku=TEE-1');
is($ids->($gw->get('/v1/store/products?handle=tee-1&sort=-created_at', headers => \%pk)), "200:$product", 'handle, sorted');
is($ids->($gw->get('/v1/store/products?q=unreleased', headers => \%pk)), '200:', 'a draft product is never found by its title');
is($ids->($gw->get('/v1/store/products?sku=DRAFT-1', headers => \%pk)), '200:', 'nor by its SKU');
is($ids->($gw->get('/v1/store/products?status=draft', headers => \%pk)), '200:', 'status=draft lists nothing');
$r = $gw->get('/v1/store/products?colour=red', headers => \%pk);
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '400:invalid_filter', 'an unknown filter: 400 invalid_filter');

# --- guest cart ---------------------------------------------------------------
$r = $gw->post('/v1/store/carts', headers => \%pk, body => { currency => 'EUR' });
is($r->{status}, 201, 'POST /v1/store/carts: 201') or diag($r->{content});
my $cart = $r->{json}{cart}{id};
my $secret = $r->{json}{cart_secret};
like($secret, qr/^cs_[A-Za-z0-9_-]{43}$/, 'the cart secret is shown once');
is($r->{headers}{location}, "/v1/store/carts/$cart", 'Location names the cart');
my %cs = (%pk, 'X-Cart-Secret' => $secret);

$r = $gw->post("/v1/store/carts/$cart/lines", headers => { %cs, 'Idempotency-Key' => 'add-1' },
	body => { variant_id => $variant, quantity => 2 });
is($r->{status} . ':' . scalar(@{ $r->{json}{lines} // [] }), '200:1', 'a line is added') or diag($r->{content});
my $line = $r->{json}{lines}[0]{id};
my $again = $gw->post("/v1/store/carts/$cart/lines", headers => { %cs, 'Idempotency-Key' => 'add-1' },
	body => { variant_id => $variant, quantity => 2 });
is($again->{json}{lines}[0]{quantity}, 2, 'the same Idempotency-Key adds nothing twice');
$r = $gw->request('PATCH', "/v1/store/carts/$cart/lines/$line", headers => \%cs, body => { quantity => 3 });
is($r->{status} . ':' . $r->{json}{lines}[0]{quantity}, '200:3', 'the line quantity changes');
is($r->{json}{subtotal} . ':' . $r->{json}{tax_total} . ':' . $r->{json}{total}, '3750:750:4500',
	'the cart is priced live (20 % tax on top)');

# Every cart and order answer: its total is the sum of its parts.
sub sums
{
	my ($what, $o) = @_;
	is($o->{subtotal} - $o->{discount_total} + $o->{shipping_total} + $o->{tax_total}, $o->{total},
		"$what: subtotal - discount + shipping + tax = total ($o->{subtotal} - $o->{discount_total} + $o->{shipping_total} + $o->{tax_total})");
}

# --- addresses and shipping ----------------------------------------------------
my $address = { first_name => 'Ada', last_name => 'Guest', line1 => '1 rue de Rivoli', city => 'Paris',
	postal_code => '75001', country => 'FR' };
$r = $gw->get("/v1/store/carts/$cart/shipping-options", headers => \%cs);
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '409:shipping_address_required', 'no options before an address');
$r = $gw->request('PUT', "/v1/store/carts/$cart/addresses", headers => { %cs, 'Idempotency-Key' => 'addr-1' },
	body => { shipping_address => $address, billing_address => { %$address, line1 => '2 rue du Louvre' } });
is($r->{status} . ':' . ($r->{json}{shipping_address}{city} // '') . ':' . ($r->{json}{billing_address}{line1} // ''),
	'200:Paris:2 rue du Louvre', 'PUT /v1/store/carts/{id}/addresses sets both') or diag($r->{content});
$r = $gw->get("/v1/store/carts/$cart/shipping-options", headers => \%cs);
is($r->{status}, 200, 'GET /v1/store/carts/{id}/shipping-options: 200') or diag($r->{content});
my %options = map { $_->{shipping_method_id} => $_ } @{ $r->{json}{data} // [] };
is(join(',', sort map { $_->{name} } values %options), 'Express,Standard', 'the methods that ship to FR (not the US-only one)');
is($options{$standard}{amount} . ':' . $options{$standard}{tax_amount} . ':' . $options{$standard}{total}, '490:98:5088',
	'each priced and taxed for the cart, with the total it would make');
$r = $gw->request('PUT', "/v1/store/carts/$cart/shipping-method", headers => \%cs, body => { shipping_method_id => $us_only });
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '422:shipping_country_not_served', 'a method that does not ship there: 422');
$r = $gw->request('PUT', "/v1/store/carts/$cart/shipping-method", headers => { %cs, 'Idempotency-Key' => 'ship-1' },
	body => { shipping_method_id => $standard });
is($r->{status} . ':' . ($r->{json}{shipping_method}{name} // '') . ':' . $r->{json}{shipping_total} . ':' . $r->{json}{shipping_tax},
	'200:Standard:490:98', 'PUT /v1/store/carts/{id}/shipping-method: shipping priced and taxed') or diag($r->{content});
is($r->{json}{total}, $options{$standard}{total}, 'the total the option announced');
sums('with shipping', $r->{json});

# --- discount code ---------------------------------------------------------------
$r = $gw->post("/v1/store/carts/$cart/discount-codes", headers => \%cs, body => { code => 'NOPE' });
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '404:discount_code_not_found', 'an unknown code: 404');
$r = $gw->post("/v1/store/carts/$cart/discount-codes", headers => { %cs, 'Idempotency-Key' => 'code-1' },
	body => { code => 'welcome10' });
is($r->{status} . ':' . $r->{json}{discount_total} . ':' . ($r->{json}{discounts}[0]{code} // ''), '200:375:WELCOME10',
	'POST /v1/store/carts/{id}/discount-codes: 10 % off the lines') or diag($r->{content});
sums('with shipping and a discount', $r->{json});
$r = $gw->request('DELETE', "/v1/store/carts/$cart/discount-codes/WELCOME10", headers => \%cs);
is($r->{status} . ':' . $r->{json}{discount_total} . ':' . scalar(@{ $r->{json}{discounts} }), '200:0:0',
	'DELETE /v1/store/carts/{id}/discount-codes/{code} takes it off') or diag($r->{content});
$r = $gw->post("/v1/store/carts/$cart/discount-codes", headers => \%cs, body => { code => 'WELCOME10' });
is($r->{status} . ':' . $r->{json}{discount_total}, '200:375', 'and it is applied again');
my %cart_before = map { $_ => $r->{json}{$_} } qw(subtotal discount_total shipping_total tax_total total);
is(join(':', @cart_before{qw(subtotal discount_total shipping_total tax_total total)}), '3750:375:490:773:4638',
	'the cart: 3750 - 375 + 490 + 773 (675 on the lines, 98 on shipping) = 4638');

# --- place --------------------------------------------------------------------
$r = $gw->post("/v1/store/carts/$cart/place", headers => \%cs);
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '422:email_required', "placing needs the guest's email");
$r = $gw->request('PATCH', "/v1/store/carts/$cart", headers => \%cs, body => { email => 'guest@example.com' });
is($r->{status} . ':' . ($r->{json}{email} // ''), '200:guest@example.com', 'the guest gives an email');
$r = $gw->post("/v1/store/carts/$cart/place", headers => { %cs, 'Idempotency-Key' => 'place-1' });
is($r->{status} . ':' . ($r->{json}{status} // ''), '200:placed', 'the cart is placed') or diag($r->{content});
ok($r->{json}{number} >= 1, 'the order has its number');
is(join(':', map { $r->{json}{$_} } qw(subtotal discount_total shipping_total tax_total total)),
	join(':', @cart_before{qw(subtotal discount_total shipping_total tax_total total)}), 'placing keeps the totals the cart showed');
sums('the placed order', $r->{json});
is($r->{json}{discounts}[0]{code} . ':' . $r->{json}{shipping_method}{name} . ':' . $r->{json}{shipping_address}{country},
	'WELCOME10:Standard:FR', 'the code, the method and the address are snapshotted');
# The code has no usage limit, so its uses are counted from the orders
# (docs/promotions.md, "Where uses are counted"): read as staff read it.
my $welcome = $node->safe_psql('commerce', "SELECT id FROM commerce.promotion_codes WHERE code = 'WELCOME10'");
is($gw->get("/v1/promotion-codes/$welcome", token => $staff)->{json}{used}, 1, 'placing took one use of the code');

# --- pay (test provider) -------------------------------------------------------
$r = $gw->post("/v1/store/carts/$cart/payments", headers => \%cs, body => { provider => 'manual' });
is($r->{status}, 403, 'the manual provider is refused to a storefront');
$r = $gw->post("/v1/store/carts/$cart/payments", headers => { %cs, 'Idempotency-Key' => 'pay-1' },
	body => { provider => 'test' });
is($r->{status} . ':' . ($r->{json}{status} // ''), '201:authorized', 'the guest pays through the test provider')
  or diag($r->{content});
is($r->{json}{amount_authorized}, 4638, 'the whole total is authorized');

# --- confirmation ----------------------------------------------------------------
$r = $gw->get("/v1/store/carts/$cart", headers => \%cs);
is($r->{status} . ':' . $r->{json}{status} . ':' . $r->{json}{payment_status}, '200:placed:authorized',
	'the confirmation is read with the cart secret');
is($r->{json}{email}, 'guest@example.com', "it carries the guest's email");
is(join(':', map { $r->{json}{$_} } qw(discount_total shipping_total total)), '375:490:4638',
	'with its discount, shipping and total');
sums('the confirmation', $r->{json});
$r = $gw->get("/v1/store/carts/$cart", headers => \%pk);
is($r->{status}, 404, 'without the secret: 404');

# --- staff read the guest's email on the order ---------------------------------------
$r = $gw->get("/v1/orders/$cart", token => $staff);
is($r->{status} . ':' . ($r->{json}{email} // ''), '200:guest@example.com', "staff read the guest's email (GET /v1/orders/{id})")
  or diag($r->{content});

# --- a customer from an identity provider claims the guest order -------------------
my $customer = $gw->post('/v1/customers', token => $staff, body => { email => 'guest@example.com' })->{json}{id};
my $idp = idp_token({ iss => $iss, sub => 'idp-user-42', role => 'customer', tenant_id => $t1, exp => time + 3600 });
$r = $gw->get('/v1/orders', token => $idp);
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '401:identity_not_linked', 'an unlinked subject is refused');
$r = $gw->post("/v1/customers/$customer/identities", token => $staff, body => { issuer => $iss, subject => 'idp-user-42' });
is($r->{status}, 201, "staff link the provider's subject to the customer") or diag($r->{content});
$r = $gw->post("/v1/customers/$customer/identities", token => $staff, body => { issuer => $iss, subject => 'idp-user-42' });
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '409:identity_taken', 'a subject links to one customer');
$r = $gw->get("/v1/customers/$customer", token => $idp);
is($r->{status} . ':' . ($r->{json}{id} // ''), "200:$customer", "the provider's token acts as the customer");
$r = $gw->get('/v1/orders', token => $idp);
is(scalar(@{ $r->{json}{data} // [] }), 0, "the guest order is not the customer's yet");
$r = $gw->post("/v1/orders/$cart/claim", token => $idp, headers => { 'X-Cart-Secret' => 'cs_' . ('A' x 43) });
is($r->{status}, 404, 'a claim with a wrong secret: 404');
$r = $gw->post("/v1/orders/$cart/claim", token => $idp, headers => { 'X-Cart-Secret' => $secret });
is($r->{status} . ':' . ($r->{json}{customer_id} // ''), "200:$customer", 'the customer claims the guest order')
  or diag($r->{content});
$r = $gw->get("/v1/orders/$cart", token => $idp);
is($r->{status} . ':' . $r->{json}{number}, "200:$r->{json}{number}", 'the customer reads the claimed order');
is($r->{json}{total} . ':' . (exists $r->{json}{email} ? 'email' : 'no email'), '4638:no email',
	"with its totals; the guest's email is staff's to read");
$r = $gw->get("/v1/orders/$cart", token => $staff);
is($r->{json}{customer_id} . ':' . ($r->{json}{email} // ''), "$customer:guest\@example.com", 'staff still see the email it was placed with');
$r = $gw->get("/v1/orders/$cart/payments", token => $idp);
is(scalar(@{ $r->{json}{data} // [] }), 1, 'and its payment');
$r = $gw->get("/v1/store/carts/$cart", headers => \%cs);
is($r->{status}, 404, 'the cart secret no longer opens the claimed order');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.outbox_written WHERE type = 'order.claimed' AND aggregate_id = '$cart'"),
	'1', 'order.claimed is emitted');

# --- or by the email the identity provider verified ----------------------------------
$r = $gw->post('/v1/store/carts', headers => \%pk, body => { currency => 'EUR', email => 'Guest@Example.com' });
my $cart2 = $r->{json}{id};
my %claims = (iss => $iss, sub => 'idp-user-42', role => 'customer', tenant_id => $t1, exp => time + 3600,
	email => 'guest@example.com');
$r = $gw->post("/v1/orders/$cart2/claim", token => idp_token({ %claims, email_verified => JSON::PP::false }));
is($r->{status}, 404, 'an email the provider did not verify claims nothing');
$r = $gw->post("/v1/orders/$cart2/claim", token => $idp, body => { verified_email => 'guest@example.com' });
is($r->{status}, 400, 'a verified_email in the request is refused (only the token says it)');
$r = $gw->post("/v1/orders/$cart2/claim", token => idp_token({ %claims, email => 'other@example.com', email_verified => JSON::PP::true }));
is($r->{status}, 404, 'another verified email claims nothing');
$r = $gw->post("/v1/orders/$cart2/claim", token => idp_token({ %claims, email_verified => JSON::PP::true }));
is($r->{status} . ':' . ($r->{json}{customer_id} // ''), "200:$customer", 'the verified email claims the guest cart')
  or diag($r->{content});

is($gw->stop, 0, 'gateway exits 0');
done_testing();
