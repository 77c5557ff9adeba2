# test/t/700_gateway_cors.pl — CORS over real HTTP (issue 16): preflights
# answered 204 with the Access-Control-* headers for an allowed origin,
# method and headers, 403 cors_not_allowed without them otherwise; actual
# answers (errors and the event stream included) name an allowed origin,
# never "*" with credentials, always with Vary: Origin; "*" with
# credentials refused at start-up; CORS off by default; the policy reloaded
# on SIGHUP from PGCOMMERCE_RELOAD_FILE with a log line, a bad new policy
# keeping the old one.
use strict;
use warnings;
use IPC::Run;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('gw_cors');
my $tenant = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
my $token = make_jwt({ tenant_id => $tenant, sub => 'alice', role => 'staff', exp => time + 3600 });
my $shop = 'https://shop.example.com';
my $evil = 'https://evil.example.net';
my $reload = PostgreSQL::Test::Utils::tempdir() . '/reload.env';
open my $fh, '>', $reload or die $!;
print $fh "# CORS for the storefronts\nPGCOMMERCE_CORS_ORIGINS=$shop, http://localhost:3000\nPGCOMMERCE_CORS_CREDENTIALS=true\n";
close $fh;

my $gw = start_gateway($node, env => { PGCOMMERCE_RELOAD_FILE => $reload });
sub ready { my ($g) = @_; for (1 .. 200) { last if $g->get('/readyz')->{status} == 200; sleep 0.05 } }
ready($gw);
sub preflight
{
	my ($origin, $method, $headers, $path) = @_;
	return $gw->request('OPTIONS', $path // '/v1/products', headers => {
		Origin => $origin, 'Access-Control-Request-Method' => $method,
		(defined $headers ? ('Access-Control-Request-Headers' => $headers) : ()) });
}

my $r = preflight($shop, 'POST', 'content-type, authorization, idempotency-key');
is($r->{status}, 204, 'preflight from an allowed origin: 204') or diag($r->{content});
is($r->{headers}{'access-control-allow-origin'}, $shop, '... names the origin');
is($r->{headers}{'access-control-allow-credentials'}, 'true', '... with credentials');
like($r->{headers}{'access-control-allow-methods'}, qr/\bPOST\b/, '... allows the method');
like($r->{headers}{'access-control-allow-headers'}, qr/Idempotency-Key/, '... and the headers');
like($r->{headers}{'access-control-max-age'}, qr/^\d+$/, '... with a max age');
like($r->{headers}{vary}, qr/\bOrigin\b/, '... Vary: Origin');
is($r->{content} // '', '', '... and no body');
is(preflight($shop, 'DELETE', undef, '/v1/no-such-route')->{status}, 204,
	'a preflight is answered before routing and authentication');

for my $case ([ $evil, 'POST', 'content-type', 'an origin not listed' ],
	[ "$shop.evil.net", 'GET', undef, 'an origin that only starts like a listed one' ],
	[ 'null', 'GET', undef, 'the null origin' ],
	[ $shop, 'TRACE', undef, 'a method not allowed' ],
	[ $shop, 'POST', 'content-type, x-evil', 'a header not allowed' ])
{
	my ($o, $m, $h, $what) = @$case;
	$r = preflight($o, $m, $h);
	is($r->{status}, 403, "preflight with $what: 403");
	is($r->{json}{error}{code}, 'cors_not_allowed', '... cors_not_allowed');
	ok(!exists $r->{headers}{'access-control-allow-origin'}, '... without Access-Control-Allow-Origin');
}

$r = $gw->get('/v1/products', token => $token, headers => { Origin => $shop });
is($r->{status}, 200, 'actual request from an allowed origin');
is($r->{headers}{'access-control-allow-origin'}, $shop, '... names the origin, not *');
is($r->{headers}{'access-control-allow-credentials'}, 'true', '... credentials allowed');
like($r->{headers}{'access-control-expose-headers'}, qr/ETag.*Location.*Idempotent-Replayed/, '... exposes ETag, Location, Idempotent-Replayed');
like($r->{headers}{vary}, qr/\bOrigin\b/, '... Vary: Origin');
$r = $gw->get('/v1/products', headers => { Origin => $shop });
is($r->{status}, 401, 'an error answer');
is($r->{headers}{'access-control-allow-origin'}, $shop, '... carries the CORS headers too (the page can read the error)');
$r = $gw->get('/v1/products', token => $token, headers => { Origin => $evil });
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'actual request from another origin: no Access-Control-Allow-Origin');
like($r->{headers}{vary}, qr/\bOrigin\b/, '... still Vary: Origin');
$r = $gw->get('/v1/products', token => $token);
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'no Origin: no CORS headers');

# The event stream answers with the headers too.
my $hdrs = `curl -s -m 2 -D - -o /dev/null -H 'Authorization: Bearer $token' -H 'Origin: $shop' ${\ $gw->base}/v1/events/stream`;
like($hdrs, qr/^Access-Control-Allow-Origin: \Q$shop\E\r?$/mi, 'the event stream names the allowed origin');

# SIGHUP: a new policy from the reload file, announced in the log.
open $fh, '>', $reload or die $!;
print $fh "PGCOMMERCE_CORS_ORIGINS=$evil\nPGCOMMERCE_CORS_METHODS=GET\n";
close $fh;
kill 'HUP', $gw->{h}{KIDS}[0]{PID};
my $reloaded;
for (1 .. 100)
{
	($reloaded) = grep { ($_->{msg} // '') eq 'configuration reloaded' } $gw->log_lines;
	last if $reloaded;
	sleep 0.05;
}
ok($reloaded, 'SIGHUP logs "configuration reloaded"');
ok($reloaded && grep({ $_ eq 'cors' } @{ $reloaded->{reloaded} }), '... naming cors');
ok($gw->alive, 'the gateway lives on after SIGHUP');
is(preflight($evil, 'GET')->{status}, 204, 'after reload: the new origin is allowed');
is(preflight($evil, 'POST')->{status}, 403, '... with the new methods only');
is(preflight($shop, 'GET')->{status}, 403, '... and the old origin no longer');

open $fh, '>', $reload or die $!;
print $fh "PGCOMMERCE_CORS_ORIGINS=*\nPGCOMMERCE_CORS_CREDENTIALS=true\n";
close $fh;
kill 'HUP', $gw->{h}{KIDS}[0]{PID};
my $failed;
for (1 .. 100)
{
	($failed) = grep { ($_->{msg} // '') =~ /reload failed/ } $gw->log_lines;
	last if $failed;
	sleep 0.05;
}
like($failed->{error} // '', qr/Fetch standard/, 'a reload to "*" with credentials fails, logged');
is(preflight($evil, 'GET')->{status}, 204, '... and the policy in force stays');
is($gw->stop, 0, 'gateway stops cleanly');

# "*" without credentials: the wildcard itself.
$gw = start_gateway($node, env => { PGCOMMERCE_CORS_ORIGINS => '*' });
ready($gw);
$r = $gw->get('/v1/products', token => $token, headers => { Origin => $evil });
is($r->{headers}{'access-control-allow-origin'}, '*', 'wildcard policy without credentials: *');
ok(!exists $r->{headers}{'access-control-allow-credentials'}, '... and never credentials');
is(preflight($evil, 'PATCH', 'authorization')->{status}, 204, '... any origin may preflight');
is($gw->stop, 0, 'gateway stops cleanly');

# Off by default.
$gw = start_gateway($node);
ready($gw);
$r = preflight($shop, 'GET');
is($r->{status}, 403, 'CORS not configured: a preflight is 403');
ok(!exists $r->{headers}{'access-control-allow-origin'}, '... without CORS headers');
ok(!exists $gw->get('/v1/products', token => $token, headers => { Origin => $shop })->{headers}{'access-control-allow-origin'},
	'... and answers name no origin');
is($gw->stop, 0, 'gateway stops cleanly');

# "*" with credentials, or a malformed origin: no start.
for my $bad ([ { PGCOMMERCE_CORS_ORIGINS => '*', PGCOMMERCE_CORS_CREDENTIALS => 'true' }, qr/Fetch standard/ ],
	[ { PGCOMMERCE_CORS_ORIGINS => 'shop.example.com' }, qr/PGCOMMERCE_CORS_ORIGINS/ ],
	[ { PGCOMMERCE_CORS_ORIGINS => "$shop/" }, qr/trailing/ ])
{
	my $g = start_gateway($node, env => $bad->[0], wait => 0);
	my $t0 = time;
	sleep 0.05 while $g->alive && time - $t0 < 20;
	ok(!$g->alive, 'bad CORS settings stop start-up');
	like($g->stderr, $bad->[1], '... saying why');
}
done_testing();
