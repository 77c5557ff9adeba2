# test/t/720_storefront_flow.pl — a storefront over real HTTP with a
# publishable key only (issue 17, docs/storefront.md): staff create the key
# (shown once, stored as SHA-256); the storefront browses the active
# catalog and resolves prices, creates a guest cart (its secret shown once),
# adds and changes lines, sets the guest's email, places the cart, pays
# through the test provider and reads the confirmation with the cart
# secret; then a customer signed in at an identity provider (RS256 token
# verified against the JWKS, its sub linked to the customer by staff)
# claims the guest order, after which the cart secret no longer opens it.
# Places marked "issue 17 (...)" are for the parallel parts of the issue
# (search and filters, shipping, discount codes): the lead merges them.
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
	SELECT v.id, :'dv', v.product_id, :'c' FROM commerce.variants v WHERE v.sku = 'TEE-1';
	COMMIT;
});
my ($variant, $draft_variant, $product, $category) = split /\|/, (split /\n/, $setup)[-1];

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
# issue 17 (list filters): search the catalog here, e.g.
#   GET /v1/store/products?q=tee -> the product

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
is($r->{json}{total}, 3750, 'the cart is priced live');
# issue 17 (shipping and addresses): set the shipping address and choose a
#   shipping method here, e.g. PATCH /v1/store/carts/{id} {"shipping_address": ...}
# issue 17 (promotions): apply a discount code here, e.g.
#   POST /v1/store/carts/{id}/discount-codes {"code": "WELCOME10"}

# --- place --------------------------------------------------------------------
$r = $gw->post("/v1/store/carts/$cart/place", headers => \%cs);
is($r->{status} . ':' . ($r->{json}{error}{code} // ''), '422:email_required', "placing needs the guest's email");
$r = $gw->request('PATCH', "/v1/store/carts/$cart", headers => \%cs, body => { email => 'guest@example.com' });
is($r->{status} . ':' . ($r->{json}{email} // ''), '200:guest@example.com', 'the guest gives an email');
$r = $gw->post("/v1/store/carts/$cart/place", headers => { %cs, 'Idempotency-Key' => 'place-1' });
is($r->{status} . ':' . ($r->{json}{status} // ''), '200:placed', 'the cart is placed') or diag($r->{content});
ok($r->{json}{number} >= 1, 'the order has its number');

# --- pay (test provider) -------------------------------------------------------
$r = $gw->post("/v1/store/carts/$cart/payments", headers => \%cs, body => { provider => 'manual' });
is($r->{status}, 403, 'the manual provider is refused to a storefront');
$r = $gw->post("/v1/store/carts/$cart/payments", headers => { %cs, 'Idempotency-Key' => 'pay-1' },
	body => { provider => 'test' });
is($r->{status} . ':' . ($r->{json}{status} // ''), '201:authorized', 'the guest pays through the test provider')
  or diag($r->{content});
is($r->{json}{amount_authorized}, 3750, 'the whole total is authorized');

# --- confirmation ----------------------------------------------------------------
$r = $gw->get("/v1/store/carts/$cart", headers => \%cs);
is($r->{status} . ':' . $r->{json}{status} . ':' . $r->{json}{payment_status}, '200:placed:authorized',
	'the confirmation is read with the cart secret');
is($r->{json}{email}, 'guest@example.com', "it carries the guest's email");
$r = $gw->get("/v1/store/carts/$cart", headers => \%pk);
is($r->{status}, 404, 'without the secret: 404');

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
