# test/t/703_gateway_metrics.pl — /metrics with bounded cardinality and
# /readyz details (issue 16): the duration histogram is labelled by route
# template and method; a method the API does not know is counted as
# "other" (a flood of junk methods adds one series, not one per string);
# a path no route matches is "unmatched", never the path; build info, pool
# in use / waiting / size, open event streams; the outbox lag (oldest
# unpublished event's age, per database) from commerce.outbox_lag(); and
# /readyz reports database, listener and publisher lag without a secret.
use strict;
use warnings;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

# No publisher for this database: events stay unpublished, the lag shows.
my $node = commerce_node('gw_metrics', extra_conf => "pgcommerce.databases = 'nothing_here'\n");
my $tenant = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('acme', 'Acme', 'EUR')});
my $gw = start_gateway($node, env => { PGCOMMERCE_SSE_HEARTBEAT => 1 });
for (1 .. 200) { last if $gw->get('/readyz')->{status} == 200; sleep 0.05 }
my $staff = make_jwt({ tenant_id => $tenant, sub => 'alice', role => 'staff', exp => time + 3600 });

my $product = $gw->post('/v1/products', token => $staff, body => { title => 'Tea' })->{json}{id};
$gw->get("/v1/products/$product", token => $staff) for 1 .. 3;
$gw->request("BAR$_", '/v1/products', token => $staff) for 1 .. 50;
$gw->request('GET', "/v1/junk/$_", token => $staff) for 1 .. 20;
my $stream = $gw->open_stream($staff);
sleep 0.5;

my $m = $gw->get('/metrics')->{content};
like($m, qr/^pgcommerce_http_request_duration_seconds_bucket\{route="\/v1\/products\/\{id\}",method="GET",le="0.005"\} \d+$/m,
	'the duration histogram is labelled by route template and method');
like($m, qr/^pgcommerce_http_request_duration_seconds_count\{route="\/v1\/products\/\{id\}",method="GET"\} 3$/m,
	'... and counts the route\'s requests');
like($m, qr/^pgcommerce_http_requests_total\{route="\/v1\/products",method="POST",status="201"\} 1$/m,
	'requests by route, method and status');
unlike($m, qr/BAR\d/, 'no junk method string becomes a label value');
like($m, qr/^pgcommerce_http_requests_total\{route="unmatched",method="other",status="405"\} 50$/m,
	'... they are counted as method="other"');
unlike($m, qr/\/v1\/junk/, 'no unmatched path becomes a label value');
like($m, qr/^pgcommerce_http_requests_total\{route="unmatched",method="GET",status="404"\} 20$/m,
	'... they are counted as route="unmatched"');
my $series = () = $m =~ /^pgcommerce_http_requests_total\{/mg;
cmp_ok($series, '<=', 12, "a handful of request series for all that ($series)");
like($m, qr/^pgcommerce_build_info\{version="0\.1\.0"\} 1$/m, 'build info');
like($m, qr/^pgcommerce_db_pool_in_use \d+$/m, 'pool in use');
like($m, qr/^pgcommerce_db_pool_waiting 0$/m, 'pool waiting');
like($m, qr/^pgcommerce_db_pool_size 4$/m, 'pool size');
like($m, qr/^pgcommerce_event_streams_open 1$/m, 'one event stream open');
like($m, qr/^pgcommerce_metrics_series_dropped_total 0$/m, 'no series dropped');

# The lag: an unpublished event 90 s old (its UUIDv7 id made then too).
my $ms = sprintf('%012x', int((time - 90) * 1000));
my $old_id = substr($ms, 0, 8) . '-' . substr($ms, 8, 4) . '-7000-8000-000000000001';
# (commerce.outbox_written once publishing is insert-only, issue 13)
my $events = $node->safe_psql('commerce',
	q{SELECT coalesce(to_regclass('commerce.outbox_written'), 'commerce.outbox'::regclass)});
$node->safe_psql('commerce', qq{
	INSERT INTO $events (tenant_id, id, type, aggregate_type, aggregate_id, occurred_at)
	VALUES ('$tenant', '$old_id', 'test.old', 'test', commerce.uuid_generate_v7(),
	        now() - interval '90 seconds')});
my $lag;
for (1 .. 40)
{
	($lag) = $gw->get('/metrics')->{content} =~ /^pgcommerce_outbox_lag_seconds\{database="commerce"\} ([\d.]+)$/m;
	last if defined $lag && $lag >= 90;
	sleep 0.1;
}
cmp_ok($lag // 0, '>=', 90, "outbox lag per database: the oldest unpublished event's age ($lag s)");
cmp_ok($lag // 1e9, '<', 200, '... not more');
is($node->safe_psql('commerce', q{SET ROLE commerce_gateway; SELECT oldest_unpublished_seconds >= 90 FROM commerce.outbox_lag()}),
	't', 'commerce.outbox_lag() is the gateway\'s to call');
my ($ok, $out, $err) = $node->psql('commerce', q{CREATE ROLE nosy; SET ROLE nosy; SELECT * FROM commerce.outbox_lag()});
like($err, qr/permission denied/, '... and not anyone\'s');

my $r = $gw->get('/readyz');
is($r->{status}, 200, '/readyz: 200');
is($r->{json}{checks}{database}, 'ok', '... database ok');
is($r->{json}{checks}{listener}, 'ok', '... listener ok');
cmp_ok($r->{json}{checks}{publisher_lag_seconds}, '>=', 90, '... publisher lag reported');
my $port = $node->port;
unlike($r->{content}, qr/host=|user=|password|\Q$port\E|postgres(ql)?:\/\//i, '... and no connection detail');

$stream->{h}->kill_kill;
for (1 .. 100) { last if $gw->get('/metrics')->{content} =~ /^pgcommerce_event_streams_open 0$/m; sleep 0.1 }
like($gw->get('/metrics')->{content}, qr/^pgcommerce_event_streams_open 0$/m, 'the stream closed: 0 open');
is($gw->stop, 0, 'gateway stops cleanly');
done_testing();
