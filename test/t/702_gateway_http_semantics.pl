# test/t/702_gateway_http_semantics.pl — HTTP semantics of the gateway over
# real HTTP (issue 16): every Location of a 201 can be fetched (every 201
# route has a GET route of its Location's shape; a tenant, a price, a
# customer address, a tax rate fetched; another customer's address is 404
# to a customer); If-None-Match answers 304 for a matching ETag (weak
# comparison, "*"); If-Match compares strongly (W/"1" is 412, an unquoted
# 1 is 400); an amount beyond int64 is 422 amount_overflow; SIGHUP under
# load drops no request and reloads the log level; SIGTERM lets a request
# under way finish; PGCOMMERCE_LISTEN takes a host name and [IPv6].
use strict;
use warnings;
use JSON::PP;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway gateway_role make_jwt);

my $node = commerce_node('gw_http');
my $role = gateway_role($node);
$node->safe_psql('postgres', "GRANT commerce_admin TO $role");
$node->safe_psql('commerce', q{
CREATE FUNCTION public.slow(ms int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT pg_sleep(ms / 1000.0); SELECT jsonb_build_object('slept', ms) $$;
SELECT commerce.register_route('GET', '/v1/slow', 'public.slow(int)');});
my $reload = PostgreSQL::Test::Utils::tempdir() . '/reload.env';
open my $fh, '>', $reload or die $!;
close $fh;
my $gw = start_gateway($node, env => { PGCOMMERCE_RELOAD_FILE => $reload });
for (1 .. 200) { last if $gw->get('/readyz')->{status} == 200; sleep 0.05 }
my $exp = time + 3600;
my $admin = make_jwt({ sub => 'root', role => 'platform_admin', exp => $exp });

# --- every Location can be fetched -----------------------------------------
# Every route answering 201 has a GET route of its Location's shape.
my $shape = <<'SQL';
SELECT string_agg(r.method || ' ' || r.path, ', ' ORDER BY r.path)
  FROM commerce.routes r
 WHERE r.success_status = 201
   AND NOT EXISTS (SELECT 1 FROM commerce.routes g
                    WHERE g.method = 'GET'
                      AND regexp_replace(g.path, '[{][^}]*[}]', '{}', 'g')
                        = regexp_replace(coalesce(r.location, r.path || '/{id}'), '[{][^}]*[}]', '{}', 'g'))
SQL
is($node->safe_psql('commerce', $shape),
	'', 'every route answering 201 has a GET route at its Location');
my $r = $gw->post('/v1/tenants', token => $admin, body => { slug => 'acme', name => 'Acme', default_currency => 'EUR' });
is($r->{status}, 201, 'tenant created') or diag($r->{content});
my $tenant = $r->{json}{id};
my $loc = $r->{headers}{location};
is($loc, "/v1/tenants/$tenant", 'its Location');
$r = $gw->get($loc, token => $admin);
is($r->{status}, 200, 'GET /v1/tenants/{id}: 200') or diag($r->{content});
is($r->{json}{slug}, 'acme', '... the tenant');
is($r->{headers}{etag}, '"1"', '... with its version as ETag');
is($gw->get('/v1/tenants/00000000-0000-7000-8000-000000000000', token => $admin)->{status}, 404, 'an unknown tenant: 404');
my $staff = make_jwt({ tenant_id => $tenant, sub => 'alice', role => 'staff', exp => $exp });
is($gw->get($loc, token => $staff)->{status}, 403, 'GET /v1/tenants/{id} is for platform administrators');

my $product = $gw->post('/v1/products', token => $staff, body => { title => 'Tea', status => 'active' })->{json};
my $variant = $gw->post("/v1/products/$product->{id}/variants", token => $staff, body => { sku => 'TEA' })->{json}{id};
my $list = $gw->post('/v1/price-lists', token => $staff, body => { name => 'Retail', currency => 'EUR' })->{json}{id};
$r = $gw->post("/v1/price-lists/$list/prices", token => $staff, body => { variant_id => $variant, amount => 250 });
is($r->{status}, 201, 'price set') or diag($r->{content});
my $price = $r->{json};
$r = $gw->get($r->{headers}{location}, token => $staff);
is($r->{status}, 200, 'GET of the price\'s Location: 200') or diag($r->{content});
is_deeply($r->{json}, $price, '... the price as set_price answered it');
is($gw->get("/v1/price-lists/$list/prices/$variant", token => $staff)->{status}, 404, 'not a price of the list: 404');
my $price_loc = "/v1/price-lists/$list/prices/$price->{id}";

my $cust = $gw->post('/v1/customers', token => $staff, body => { email => 'ada@example.com' })->{json}{id};
my $other = $gw->post('/v1/customers', token => $staff, body => { email => 'bob@example.com' })->{json}{id};
$r = $gw->post("/v1/customers/$cust/addresses", token => $staff, body => { line1 => '1 rue de Rivoli', city => 'Paris', country => 'FR' });
is($r->{status}, 201, 'address added') or diag($r->{content});
my $addr = $r->{json};
my $addr_loc = $r->{headers}{location};
is($addr_loc, "/v1/customers/$cust/addresses/$addr->{id}", 'its Location');
$r = $gw->get($addr_loc, token => $staff);
is($r->{status}, 200, 'GET of the address\'s Location: 200') or diag($r->{content});
is_deeply($r->{json}, $addr, '... the address');
my $ada = make_jwt({ tenant_id => $tenant, sub => $cust, role => 'customer', exp => $exp });
my $bob = make_jwt({ tenant_id => $tenant, sub => $other, role => 'customer', exp => $exp });
is($gw->get($addr_loc, token => $ada)->{status}, 200, 'the customer reads its own address');
is($gw->get($price_loc, token => $ada)->{status}, 200, 'a customer reads the price of an active product');
my $draft = $gw->post('/v1/products', token => $staff, body => { title => 'Secret tea', status => 'draft' })->{json}{id};
my $draft_variant = $gw->post("/v1/products/$draft/variants", token => $staff, body => { sku => 'SECRET' })->{json}{id};
my $draft_price = $gw->post("/v1/price-lists/$list/prices", token => $staff,
	body => { variant_id => $draft_variant, amount => 999 })->{json}{id};
is($gw->get("/v1/price-lists/$list/prices/$draft_price", token => $staff)->{status}, 200, 'staff read a draft product\'s price');
is($gw->get("/v1/price-lists/$list/prices/$draft_price", token => $ada)->{status}, 404, 'a customer gets 404 for it');
is($gw->get($addr_loc, token => $bob)->{status}, 404, "another customer gets 404 for it");
is($gw->get("/v1/customers/$other/addresses/$addr->{id}", token => $staff)->{status}, 404,
	'the address under another customer: 404');

my $rate = $gw->post('/v1/tax-rates', token => $staff, body => { name => 'VAT', rate_ppm => 200000 });
is($rate->{status}, 201, 'tax rate created') or diag($rate->{content});
$r = $gw->get($rate->{headers}{location}, token => $staff);
is($r->{status}, 200, 'GET of the tax rate\'s Location: 200') or diag($r->{content});
is_deeply($r->{json}, $rate->{json}, '... the tax rate');

# --- conditional requests -------------------------------------------------
$r = $gw->get("/v1/products/$product->{id}", token => $staff);
my $etag = $r->{headers}{etag};
like($etag, qr/^"\d+"$/, 'a product has an ETag');
for my $inm ($etag, "W/$etag", "\"999\", $etag", '*')
{
	$r = $gw->get("/v1/products/$product->{id}", token => $staff, headers => { 'If-None-Match' => $inm });
	is($r->{status}, 304, "If-None-Match: $inm -> 304");
	is($r->{content} // '', '', '... no body');
	is($r->{headers}{etag}, $etag, '... the ETag');
}
is($gw->get("/v1/products/$product->{id}", token => $staff, headers => { 'If-None-Match' => '"999"' })->{status},
	200, 'If-None-Match with another version: 200');

my $v = ($etag =~ /(\d+)/)[0];
$r = $gw->request('PATCH', "/v1/products/$product->{id}", token => $staff, body => { title => 'Green tea' },
	headers => { 'If-Match' => "W/$etag" });
is($r->{status}, 412, 'If-Match with a weak ETag: 412 (strong comparison)');
$r = $gw->request('PATCH', "/v1/products/$product->{id}", token => $staff, body => { title => 'Green tea' },
	headers => { 'If-Match' => $v });
is($r->{status}, 400, 'If-Match with an unquoted version: 400');
$r = $gw->request('PATCH', "/v1/products/$product->{id}", token => $staff, body => { title => 'Green tea' },
	headers => { 'If-Match' => $etag });
is($r->{status}, 200, 'If-Match with the strong ETag: 200') or diag($r->{content});

# --- amounts beyond int64 --------------------------------------------------
$r = $gw->request('POST', "/v1/price-lists/$list/prices", token => $staff,
	headers => { 'Content-Type' => 'application/json' },
	body => qq({"variant_id": "$variant", "amount": 99999999999999999999}));
is($r->{status}, 422, 'an amount beyond int64: 422');
is($r->{json}{error}{code}, 'amount_overflow', '... amount_overflow');
$r = $gw->request('POST', "/v1/price-lists/$list/prices", token => $staff,
	headers => { 'Content-Type' => 'application/json' }, body => qq({"variant_id": "$variant", "amount": 1,}));
is($r->{json}{error}{code}, 'malformed_json', 'malformed JSON is still malformed_json');

# --- SIGHUP under load: nothing dropped ------------------------------------
my $pid = $gw->{h}{KIDS}[0]{PID};
my $tmp = PostgreSQL::Test::Utils::tempdir();
my @kids;
for my $c (1 .. 4)
{
	my $k = fork;
	if ($k == 0)
	{
		my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
		my %st;
		my $t_end = time + 4;
		while (time < $t_end)
		{
			my $x = $http->get($gw->base . "/v1/products/$product->{id}", { headers => { Authorization => "Bearer $staff" } });
			$st{ $x->{status} }++;
		}
		open my $o, '>', "$tmp/$c" or POSIX::_exit(2);
		print $o encode_json(\%st);
		close $o;
		POSIX::_exit(0);
	}
	push @kids, $k;
}
for (1 .. 10) { sleep 0.3; kill 'HUP', $pid }
waitpid($_, 0) for @kids;
my %st;
for my $c (1 .. 4) { my $j = decode_json(PostgreSQL::Test::Utils::slurp_file("$tmp/$c")); $st{$_} += $j->{$_} for keys %$j }
is_deeply([ grep { $_ != 200 } keys %st ], [], "10 SIGHUPs under load: every answer 200 ($st{200} requests)");
ok($gw->alive, '... the gateway lives');
my @reloads = grep { ($_->{msg} // '') eq 'configuration reloaded' } $gw->log_lines;
cmp_ok(scalar @reloads, '>=', 1, '... each reload logged (' . scalar(@reloads) . ')');

open $fh, '>', $reload or die $!;
print $fh "PGCOMMERCE_LOG_LEVEL=warn\n";
close $fh;
kill 'HUP', $pid;
sleep 0.5;
my $before = () = $gw->log_lines;
$gw->get('/healthz') for 1 .. 3;
sleep 0.3;
my $after = () = $gw->log_lines;
is($after, $before, 'after reloading the log level to warn, request lines (info) are no longer logged');

# --- SIGTERM drains --------------------------------------------------------
my $slow = IPC::Run::start([ 'curl', '-s', '-o', "$tmp/slow.out", '-w', '%{http_code}',
	'-H', "Authorization: Bearer $staff", $gw->base . '/v1/slow?ms=1500' ], '>', \my $code, '2>', \my $cerr);
sleep 0.5;
is($gw->stop, 0, 'SIGTERM with a request under way: exit 0');
$slow->finish;
is($code, '200', '... the request under way was answered 200');

# --- listen on a host name and on IPv6 ------------------------------------
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $g = start_gateway($node, env => { PGCOMMERCE_LISTEN => "localhost:$port" }, wait => 0);
my $ok = 0;
for (1 .. 200) { my $out = `curl -s -m 1 http://localhost:$port/healthz`; $ok = $out =~ /ok/; last if $ok; sleep 0.05 }
ok($ok, 'PGCOMMERCE_LISTEN=localhost:PORT serves');
$g->{base} = "http://localhost:$port";
is($g->stop, 0, '... and stops cleanly');
$port = PostgreSQL::Test::Cluster::get_free_port();
$g = start_gateway($node, env => { PGCOMMERCE_LISTEN => "[::1]:$port" }, wait => 0);
$ok = 0;
for (1 .. 200) { my $out = `curl -s -g -m 1 'http://[::1]:$port/healthz'`; $ok = $out =~ /ok/; last if $ok; sleep 0.05 }
ok($ok, 'PGCOMMERCE_LISTEN=[::1]:PORT serves on IPv6');
is($g->stop, 0, '... and stops cleanly');
for my $bad ('::1:8080', '[::1:8080', 'no-such-host.invalid:8080')
{
	$g = start_gateway($node, env => { PGCOMMERCE_LISTEN => $bad }, wait => 0);
	my $t0 = time;
	sleep 0.05 while $g->alive && time - $t0 < 20;
	ok(!$g->alive, "PGCOMMERCE_LISTEN=$bad stops start-up");
	like($g->stderr . $g->stdout, qr/PGCOMMERCE_LISTEN|does not resolve/, '... saying why');
}
done_testing();
