# test/t/500_gateway_skeleton.pl — the gateway skeleton over real HTTP:
# configuration validation, /healthz, /readyz following the database (down
# within 2 s, back without a restart, version checked), one JSON log line per
# request, graceful SIGTERM finishing a request under way, and no sanitizer
# report from the ASan build.
use strict;
use warnings;
use IPC::Run;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway);

my $bin = $ENV{PGCOMMERCE_GATEWAY};
ok(-x $bin, "gateway binary under test: $bin");

# --- configuration: each bad value stops start-up naming the variable -------
sub run_with_env
{
	my (%env) = @_;
	local %ENV = %ENV;
	delete $ENV{$_} for grep { /^PGCOMMERCE_(?!GATEWAY|REPO)/ } keys %ENV;
	$ENV{$_} = $env{$_} for keys %env;
	my ($out, $err) = ('', '');
	IPC::Run::run([$bin], '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(20));
	return ($? >> 8, $err);
}
my %good = (PGCOMMERCE_DATABASE_URL => 'dbname=x',
	PGCOMMERCE_JWT_SECRET => 'x' x 40);
for my $case (
	[ {}, 'PGCOMMERCE_DATABASE_URL' ],
	[ { PGCOMMERCE_DATABASE_URL => 'dbname=x' }, 'PGCOMMERCE_JWT_SECRET' ],
	[ { %good, PGCOMMERCE_JWT_SECRET => 'short' }, 'PGCOMMERCE_JWT_SECRET' ],
	[ { %good, PGCOMMERCE_POOL_SIZE => 'abc' }, 'PGCOMMERCE_POOL_SIZE' ],
	[ { %good, PGCOMMERCE_POOL_SIZE => '0' }, 'PGCOMMERCE_POOL_SIZE' ],
	[ { %good, PGCOMMERCE_LISTEN => '127.0.0.1:99999' }, 'PGCOMMERCE_LISTEN' ],
	[ { %good, PGCOMMERCE_LISTEN => 'nonsense' }, 'PGCOMMERCE_LISTEN' ],
	[ { %good, PGCOMMERCE_MAX_BODY => '-5' }, 'PGCOMMERCE_MAX_BODY' ],
	[ { %good, PGCOMMERCE_MAX_BODY => '10X' }, 'PGCOMMERCE_MAX_BODY' ],
	[ { %good, PGCOMMERCE_LOG_LEVEL => 'loud' }, 'PGCOMMERCE_LOG_LEVEL' ])
{
	my ($env, $var) = @$case;
	my ($code, $err) = run_with_env(%$env);
	isnt($code, 0, "start-up refused when $var is bad");
	like($err, qr/configuration error: .*\Q$var\E/, "message names $var");
	unlike($err, qr/Sanitizer|runtime error/, "no sanitizer report ($var)");
}

# --- a running gateway ------------------------------------------------------
my $node = commerce_node('gw_skeleton');
my $gw = start_gateway($node);

my $r = $gw->get('/healthz');
is($r->{status}, 200, '/healthz answers 200');
is($r->{json}{status}, 'ok', '/healthz body');
ok($r->{headers}{'x-request-id'}, 'X-Request-Id generated');

# Ready once the listener has loaded the route table (a moment after start).
for (1 .. 100)
{
	last if $gw->get('/readyz')->{status} == 200;
	select(undef, undef, undef, 0.1);
}
$r = $gw->get('/readyz', headers => { 'X-Request-Id' => 'probe-1' });
is($r->{status}, 200, '/readyz answers 200 with the database up') or diag($r->{content});
is($r->{json}{version}, '0.1.0', '/readyz reports the extension version');
is($r->{headers}{'x-request-id'}, 'probe-1', 'X-Request-Id echoed');

$r = $gw->request('POST', '/readyz');
is($r->{status}, 405, 'POST /readyz is 405');
like($r->{headers}{allow} // '', qr/GET/, 'with Allow');
is($r->{json}{error}{code}, 'method_not_allowed', 'error body code');
is($r->{json}{error}{request_id}, $r->{headers}{'x-request-id'}, 'error body carries the request id');

$r = $gw->get('/no/such/thing');
is($r->{status}, 404, 'unknown path is 404');
is(ref $r->{json}{error}{details}, 'HASH', 'error body has details');

# One JSON log line per request, with the contract's fields.
my @lines = grep { defined $_->{request_id} && ($_->{request_id} eq 'probe-1') } $gw->log_lines;
is(scalar @lines, 1, 'one log line for the request');
my $l = $lines[0] // {};
is($l->{$_->[0]}, $_->[1], "log field $_->[0]") for
  ([ method => 'GET' ], [ route => '/readyz' ], [ status => 200 ], [ level => 'info' ]);
ok(exists $l->{$_}, "log has $_") for qw(time tenant actor duration_ms);
like($l->{time} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'RFC 3339 UTC time');

# --- the database stops: 503 within 2 s; starts: 200 without a restart -----
$node->stop('fast');
my $t0 = time;
my $status = 0;
while (time - $t0 < 5)
{
	$status = $gw->get('/readyz')->{status};
	last if $status == 503;
	sleep 0.1;
}
my $elapsed = time - $t0;
is($status, 503, '/readyz is 503 with the database down');
cmp_ok($elapsed, '<', 2, "within 2 s (took ${\ sprintf '%.2f', $elapsed} s)");
$r = $gw->get('/readyz');
is($r->{json}{error}{code}, 'database_unavailable', 'reason: database_unavailable');
is($gw->get('/healthz')->{status}, 200, '/healthz still 200: the process is alive');

$node->start;
$t0 = time;
while (time - $t0 < 15)
{
	$status = $gw->get('/readyz')->{status};
	last if $status == 200;
	sleep 0.1;
}
is($status, 200, '/readyz is 200 again after the database restarted, same gateway');

# --- version check: a database whose commerce.version() differs -------------
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', q{CREATE SCHEMA commerce;
	CREATE FUNCTION commerce.version() RETURNS text LANGUAGE sql AS $$SELECT '9.9.9'$$;
	GRANT USAGE ON SCHEMA commerce TO PUBLIC;});
my $gw_other = start_gateway($node, db => 'other');
$r = $gw_other->get('/readyz');
is($r->{status}, 503, 'another extension version: 503');
is($r->{json}{error}{code}, 'version_mismatch', 'reason: version_mismatch');
is($r->{json}{error}{details}{installed}, '9.9.9', 'names the installed version');
is($gw_other->stop, 0, 'gateway exits 0 on SIGTERM');

# The right version but no route table: not ready (every route would be
# route_not_found), rather than ready with nothing to serve.
$node->safe_psql('postgres', 'CREATE DATABASE noroutes');
$node->safe_psql('noroutes', q{CREATE SCHEMA commerce;
	CREATE FUNCTION commerce.version() RETURNS text LANGUAGE sql AS $$SELECT '0.1.0'$$;
	GRANT USAGE ON SCHEMA commerce TO PUBLIC;});
# (start_gateway's wait for the routes would take its whole 30 s here: wait
# for /healthz, then for the listener's first load and its retry 5 s later
# to have failed, so the answer below is the one after a retry.)
my $gw_noroutes = start_gateway($node, db => 'noroutes', wait => 'healthz');
my $failed_loads = sub { scalar grep { ($_->{msg} // '') eq 'cannot load routes' } $gw_noroutes->log_lines };
$t0 = time;
sleep 0.1 while $failed_loads->() < 2 && time - $t0 < 30;
cmp_ok($failed_loads->(), '>=', 2, 'the route table load failed, and so did its retry');
$r = $gw_noroutes->get('/readyz');
is($r->{status}, 503, 'routes never loaded: 503');
is($r->{json}{error}{code}, 'routes_not_loaded', 'reason: routes_not_loaded');
is($gw_noroutes->stop, 0, 'gateway exits 0 on SIGTERM');

my $gw_none = start_gateway($node, db => 'postgres');
$r = $gw_none->get('/readyz');
is($r->{status}, 503, 'no extension: 503');
is($r->{json}{error}{code}, 'extension_missing', 'reason: extension_missing');
is($gw_none->stop, 0, 'gateway exits 0 on SIGTERM');

# --- graceful SIGTERM: a request under way finishes, then exit 0 -----------
$node->safe_psql('postgres', 'CREATE DATABASE slow');
$node->safe_psql('slow', q{CREATE SCHEMA commerce;
	CREATE FUNCTION commerce.version() RETURNS text LANGUAGE sql
	  AS $$SELECT '0.1.0' FROM pg_sleep(1.5)$$;
	GRANT USAGE ON SCHEMA commerce TO PUBLIC;});
my $gw_slow = start_gateway($node, db => 'slow', wait => 'healthz');
my ($curl_out, $curl_err) = ('', '');
my $curl = IPC::Run::start([ 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}',
	$gw_slow->base . '/readyz' ], '>', \$curl_out, '2>', \$curl_err);
sleep 0.5;
$t0 = time;
my $exit = $gw_slow->stop;
$curl->finish;
# (this stand-in database has no route table, so the full answer is 503
# routes_not_loaded, given only after the slow version query)
is($curl_out, '503', 'the request under way at SIGTERM got its full answer');
is($exit, 0, 'then the gateway exited 0');
ok(time - $t0 >= 0.5, 'it waited for the request');
my $refused = HTTP::Tiny->new(timeout => 3)->get($gw_slow->base . '/healthz');
is($refused->{status}, 599, 'nothing listens after shutdown');

is($gw->stop, 0, 'main gateway exits 0 on SIGTERM');
like($gw->stdout, qr/"msg":"stopped"/, 'it logged its stop');

$node->stop;
done_testing();
