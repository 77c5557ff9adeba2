# test/t/701_gateway_jwks.pl — identity providers' tokens over real HTTP
# (issue 16): RS256 and ES256 JWTs verified against the JWKS of
# PGCOMMERCE_JWKS_FILE (keys made with the openssl CLI, tokens signed with
# it), kid selection, iss and aud checks, tenant and role read from
# configured claim names; HS256 still served; "none", HS384, an RSA public
# key used as an HMAC secret, a wrong kid, a key of the other type, a
# forged or truncated signature all 401; the JWKS reloaded on SIGHUP (key
# rotation), a broken file keeping the keys in force; a JWKS alone (no
# secret) refuses HS256.
use strict;
use warnings;
use JSON::PP;
use MIME::Base64 qw(encode_base64url decode_base64);
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $dir = PostgreSQL::Test::Utils::tempdir();
sub openssl { my @a = @_; my $out = `openssl @a 2>&1`; die "openssl @a: $out" if $?; return $out }

# Keys: two RSA (k1, k2), one EC P-256 (e1), one RSA for rotation (k3).
for my $k ('k1', 'k2', 'k3') { openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $dir/$k.pem") }
openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $dir/e1.pem");

sub b64u_hex { my ($hex) = @_; $hex = "0$hex" if length($hex) % 2; return encode_base64url(pack('H*', $hex)) }
sub rsa_jwk
{
	my ($k) = @_;
	my ($mod) = openssl("rsa -in $dir/$k.pem -noout -modulus") =~ /Modulus=([0-9A-F]+)/;
	return { kty => 'RSA', kid => $k, use => 'sig', alg => 'RS256', n => b64u_hex($mod), e => 'AQAB' };
}
sub ec_jwk
{
	my ($k) = @_;
	openssl("pkey -in $dir/$k.pem -pubout -outform DER -out $dir/$k.pub.der");
	my $der = PostgreSQL::Test::Utils::slurp_file("$dir/$k.pub.der");
	my $point = substr($der, -65);
	return { kty => 'EC', kid => $k, crv => 'P-256', x => encode_base64url(substr($point, 1, 32)),
		y => encode_base64url(substr($point, 33, 32)) };
}
sub write_jwks
{
	my (@keys) = @_;
	open my $fh, '>', "$dir/jwks.json" or die $!;
	print $fh encode_json({ keys => \@keys });
	close $fh;
}

# DER ECDSA-Sig-Value -> r || s, 32 bytes each (JWS ES256).
sub der_to_raw
{
	my ($der) = @_;
	my $pos = 2;
	$pos++ if ord(substr($der, 1, 1)) & 0x80;
	my @parts;
	for (1 .. 2)
	{
		my $len = ord(substr($der, $pos + 1, 1));
		my $int = substr($der, $pos + 2, $len);
		$int =~ s/^\x00+//;
		push @parts, ("\x00" x (32 - length $int)) . $int;
		$pos += 2 + $len;
	}
	return join '', @parts;
}

# sign_jwt(\%claims, key => 'k1', alg => 'RS256', kid => ..., header => {...})
sub sign_jwt
{
	my ($claims, %o) = @_;
	my $alg = $o{alg} // 'RS256';
	my $header = $o{header} // { alg => $alg, typ => 'JWT', (exists $o{kid} ? (defined $o{kid} ? (kid => $o{kid}) : ()) : (kid => $o{key})) };
	my $json = JSON::PP->new->canonical;
	my $input = encode_base64url($json->encode($header)) . '.' . encode_base64url($json->encode($claims));
	open my $fh, '>', "$dir/input" or die $!;
	print $fh $input;
	close $fh;
	openssl("dgst -sha256 -sign $dir/$o{key}.pem -out $dir/sig $dir/input");
	my $sig = PostgreSQL::Test::Utils::slurp_file("$dir/sig");
	$sig = der_to_raw($sig) if $alg eq 'ES256';
	return $input . '.' . encode_base64url($sig);
}

my $node = commerce_node('gw_jwks');
my $tenant = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
write_jwks(rsa_jwk('k1'), rsa_jwk('k2'), ec_jwk('e1'));
my $iss = 'https://idp.example.com/realms/shop';
my $gw = start_gateway($node, env => {
	PGCOMMERCE_JWKS_FILE => "$dir/jwks.json", PGCOMMERCE_JWT_ISSUER => $iss,
	PGCOMMERCE_JWT_AUDIENCE => 'pgcommerce', PGCOMMERCE_JWT_TENANT_CLAIM => 'https://pgcommerce/tenant',
	PGCOMMERCE_JWT_ROLE_CLAIM => 'https://pgcommerce/role' });
for (1 .. 200) { last if $gw->get('/readyz')->{status} == 200; sleep 0.05 }
my %claims = (iss => $iss, aud => 'pgcommerce', sub => 'alice', exp => time + 3600,
	'https://pgcommerce/tenant' => $tenant, 'https://pgcommerce/role' => 'staff');
sub status_of { my ($tok) = @_; my $r = $gw->get('/v1/products', token => $tok); return "$r->{status} " . ($r->{json}{error}{message} // '') }

like(status_of(sign_jwt({%claims}, key => 'k1')), qr/^200/, 'RS256 with kid k1: 200');
like(status_of(sign_jwt({%claims}, key => 'k2')), qr/^200/, 'RS256 with kid k2: 200');
like(status_of(sign_jwt({%claims}, key => 'e1', alg => 'ES256')), qr/^200/, 'ES256 with kid e1: 200');
like(status_of(sign_jwt({%claims}, key => 'e1', alg => 'ES256', kid => undef)), qr/^200/, 'ES256 without kid, one EC key: 200');
like(status_of(sign_jwt({%claims, aud => ['account', 'pgcommerce']}, key => 'k1')), qr/^200/, 'aud as an array naming the API: 200');
like(status_of(sign_jwt({%claims}, key => 'k1', kid => undef)), qr/^401 .*no kid/, 'RS256 without kid, two RSA keys: 401');
like(status_of(sign_jwt({%claims}, key => 'k1', kid => 'nope')), qr/^401 .*kid/, 'unknown kid: 401');
like(status_of(sign_jwt({%claims}, key => 'k2', kid => 'k1')), qr/^401 bad signature/, "signed with k2, claiming k1: 401");
like(status_of(sign_jwt({%claims}, key => 'e1', alg => 'ES256', kid => 'k1')), qr/^401/, 'ES256 naming an RSA key: 401');
like(status_of(sign_jwt({%claims}, key => 'k1', alg => 'RS256', kid => 'e1')), qr/^401/, 'RS256 naming the EC key: 401');
like(status_of(sign_jwt({%claims, iss => 'https://evil.example.com'}, key => 'k1')), qr/^401 .*iss/, 'another issuer: 401');
my %noiss = %claims; delete $noiss{iss};
like(status_of(sign_jwt(\%noiss, key => 'k1')), qr/^401 .*iss/, 'no iss: 401');
like(status_of(sign_jwt({%claims, aud => 'other-api'}, key => 'k1')), qr/^401 .*aud/, 'another audience: 401');
like(status_of(sign_jwt({%claims, exp => time - 3600}, key => 'k1')), qr/^401 .*expired/, 'expired: 401');
like(status_of(sign_jwt({%claims, 'https://pgcommerce/role' => 'root'}, key => 'k1')), qr/^401 .*role/, 'unknown role in the configured claim: 401');
my %plain = (%claims, tenant_id => $tenant, role => 'staff');
delete @plain{ 'https://pgcommerce/tenant', 'https://pgcommerce/role' };
like(status_of(sign_jwt(\%plain, key => 'k1')), qr/^401 .*role/, 'the default claim names are not read when others are configured');

# Tampering.
my $good = sign_jwt({%claims}, key => 'k1');
my ($h, $p, $s) = split /\./, $good;
my $forged_claims = encode_base64url(JSON::PP->new->canonical->encode({%claims, 'https://pgcommerce/role' => 'platform_admin'}));
like(status_of("$h.$forged_claims.$s"), qr/^401 bad signature/, 'claims changed after signing: 401');
like(status_of("$h.$p." . substr($s, 0, 40)), qr/^401/, 'truncated signature: 401');
my $es = sign_jwt({%claims}, key => 'e1', alg => 'ES256');
($h, $p, $s) = split /\./, $es;
like(status_of("$h.$p." . encode_base64url(substr(MIME::Base64::decode_base64url($s), 0, 63))), qr/^401/, 'ES256 signature of 63 bytes: 401');
like(status_of(make_jwt({%claims}, alg => 'none')), qr/^401/, 'alg none: 401');
like(status_of(make_jwt({%claims}, alg => 'HS384')), qr/^401/, 'HS384: 401');
my $pub = openssl("rsa -in $dir/k1.pem -pubout");
like(status_of(make_jwt({%claims}, header => { alg => 'HS256', kid => 'k1' }, secret => $pub)), qr/^401/,
	'HS256 keyed with the RSA public key (algorithm confusion): 401');
like(status_of(make_jwt({ tenant_id => $tenant, role => 'staff', sub => 'a', exp => time + 60,
	'https://pgcommerce/tenant' => $tenant, 'https://pgcommerce/role' => 'staff' })), qr/^200/,
	'HS256 with the shared secret still works beside the JWKS');

# Key rotation on SIGHUP.
write_jwks(rsa_jwk('k3'));
kill 'HUP', $gw->{h}{KIDS}[0]{PID};
my $line;
for (1 .. 100) { ($line) = grep { ($_->{msg} // '') eq 'configuration reloaded' } $gw->log_lines; last if $line; sleep 0.05 }
ok($line && grep({ $_ eq 'jwks' } @{ $line->{reloaded} }), 'SIGHUP reloads the JWKS, logged');
like(status_of(sign_jwt({%claims}, key => 'k3')), qr/^200/, 'the new key k3 is accepted');
like(status_of(sign_jwt({%claims}, key => 'k1')), qr/^401/, 'the retired key k1 is refused');
open my $fh, '>', "$dir/jwks.json" or die $!;
print $fh '{"keys": [{"kty": "RSA", "kid": "short", "n": "AQAB", "e": "AQAB"}]}';
close $fh;
kill 'HUP', $gw->{h}{KIDS}[0]{PID};
for (1 .. 100) { ($line) = grep { ($_->{msg} // '') =~ /reload failed/ } $gw->log_lines; last if $line; sleep 0.05 }
like($line->{error} // '', qr/no usable signing key/, 'a JWKS without a usable key is refused on reload, logged');
like(status_of(sign_jwt({%claims}, key => 'k3')), qr/^200/, '... and the keys in force stay');
is($gw->stop, 0, 'gateway stops cleanly');

# A JWKS alone: HS256 is not accepted.
write_jwks(ec_jwk('e1'));
$gw = start_gateway($node, env => { PGCOMMERCE_JWT_SECRET => undef, PGCOMMERCE_JWKS_FILE => "$dir/jwks.json" });
for (1 .. 200) { last if $gw->get('/readyz')->{status} == 200; sleep 0.05 }
my %std = (sub => 'bob', exp => time + 3600, tenant_id => $tenant, role => 'staff');
like(status_of(sign_jwt({%std}, key => 'e1', alg => 'ES256')), qr/^200/, 'JWKS only: ES256 with the default claim names: 200');
like(status_of(make_jwt({%std})), qr/^401 only RS256 and ES256/, 'JWKS only: HS256 is 401');
is($gw->stop, 0, 'gateway stops cleanly');

# Neither a secret nor a JWKS, or an unreadable JWKS: no start.
for my $bad ([ { PGCOMMERCE_JWT_SECRET => undef }, qr/PGCOMMERCE_JWT_SECRET .* or PGCOMMERCE_JWKS_FILE/ ],
	[ { PGCOMMERCE_JWKS_FILE => "$dir/missing.json" }, qr/PGCOMMERCE_JWKS_FILE/ ])
{
	my $g = start_gateway($node, env => $bad->[0], wait => 0);
	my $t0 = time;
	sleep 0.05 while $g->alive && time - $t0 < 20;
	ok(!$g->alive, 'bad identity settings stop start-up');
	like($g->stderr, $bad->[1], '... saying why');
}
done_testing();
