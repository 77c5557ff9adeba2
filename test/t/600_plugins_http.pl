# test/t/600_plugins_http.pl — the example plugin (plugins/loyalty) on a
# running gateway over real HTTP (issue 14): CREATE EXTENSION while the
# gateway runs; its route answers tenant A once A enables it (POST
# /v1/plugins/loyalty/enable), without a gateway restart, and stays 404 for
# tenant B, which sees the very answers of absent routes (404
# route_not_found, also for a junk body, a bad id or another method; a
# 405's Allow leaves the plugin out); a rejecting order.before_place
# hook is 422 with the plugin's code, leaves the order a draft with nothing reserved, no event and the
# Idempotency-Key unused (the same key succeeds once the cause is gone); a
# paid order earns points through the plugin's subscription; disable and
# enable over HTTP; DROP EXTENSION: 404 again and no row naming the plugin
# in any table of schema commerce (enumerated from the catalogue).
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Utils;
use Test::More;
use PgCommerce::Test qw(commerce_node);
use PgCommerce::Gateway qw(start_gateway make_jwt);

my $node = commerce_node('plugins_http', extra_conf => "pgcommerce.publisher_poll_interval = '200ms'\ntrack_functions = 'all'\n");
my $ta = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('loy-a', 'A', 'EUR')});
my $tb = $node->safe_psql('commerce', q{SELECT commerce.create_tenant('loy-b', 'B', 'EUR')});

my $gw = start_gateway($node);
my $exp = time + 3600;
my $staff_a = make_jwt({ tenant_id => $ta, sub => 'alice', role => 'staff', exp => $exp });
my $staff_b = make_jwt({ tenant_id => $tb, sub => 'bob', role => 'staff', exp => $exp });

# poll(CODE, STATUS): call CODE until its response has STATUS (10 s at most).
sub poll
{
	my ($call, $status) = @_;
	my $r;
	for (1 .. 100)
	{
		$r = $call->();
		last if $r->{status} == $status;
		sleep 0.1;
	}
	return $r;
}

sub ok_call
{
	my ($token, $method, $path, $status, $name, %o) = @_;
	my $res = $gw->request($method, $path, token => $token, %o);
	is($res->{status}, $status, $name) or diag("$method $path: $res->{content}");
	return $res;
}

# Each tenant: a product, a variant priced 10.00 with stock, a customer.
my %shop;
for my $t ([ 'a', $staff_a ], [ 'b', $staff_b ])
{
	my ($n, $tok) = @$t;
	# the core routes load in the background at start
	poll(sub { $gw->get('/v1/plugins', token => $tok) }, 200);
	my $p = ok_call($tok, 'POST', '/v1/products', 201, "$n: product", body => { title => 'Mug', status => 'active' })->{json};
	my $v = ok_call($tok, 'POST', "/v1/products/$p->{id}/variants", 201, "$n: variant", body => { sku => "MUG-$n" })->{json};
	my $l = ok_call($tok, 'POST', '/v1/price-lists', 201, "$n: price list", body => { name => 'Retail', currency => 'EUR' })->{json};
	ok_call($tok, 'POST', "/v1/price-lists/$l->{id}/prices", 201, "$n: price", body => { variant_id => $v->{id}, amount => 1000 });
	ok_call($tok, 'PUT', "/v1/inventory/$v->{id}", 200, "$n: stock", body => { on_hand => 10 });
	my $c = ok_call($tok, 'POST', '/v1/customers', 201, "$n: customer", body => { email => "c-$n\@example.com" })->{json};
	$shop{$n} = { token => $tok, variant => $v->{id}, customer => $c->{id} };
}
my $ca = $shop{a}{customer};
my $cb = $shop{b}{customer};
my $cust_a = make_jwt({ tenant_id => $ta, sub => $ca, role => 'customer', exp => $exp });
my $cust_b = make_jwt({ tenant_id => $tb, sub => $cb, role => 'customer', exp => $exp });

# Before the plugin exists: no such route, no such plugin.
is($gw->get("/v1/customers/$ca/loyalty", token => $staff_a)->{status}, 404, 'no plugin: the route is 404');
is($gw->post('/v1/plugins/loyalty/enable', token => $staff_a)->{status}, 404, 'no plugin: enabling it is 404');

# CREATE EXTENSION on the running gateway.
$node->safe_psql('commerce', 'CREATE EXTENSION loyalty');
my $r = poll(sub { $gw->get('/openapi.json') }, 200);
for (1 .. 100)
{
	last if $r->{json}{paths}{'/v1/customers/{id}/loyalty'};
	sleep 0.1;
	$r = $gw->get('/openapi.json');
}
ok($r->{json}{paths}{'/v1/customers/{id}/loyalty'}, 'the gateway loaded the plugin route without a restart');
$r = $gw->get("/v1/customers/$ca/loyalty", token => $staff_a);
is($r->{status}, 404, 'installed but not enabled by A: 404');
is($r->{json}{error}{code}, 'route_not_found', 'code route_not_found, as for an absent route');
$r = $gw->get('/v1/plugins', token => $staff_a);
is_deeply([ map { "$_->{name}:" . ($_->{enabled} ? 1 : 0) } @{ $r->{json}{data} } ], ['loyalty:0'],
	'GET /v1/plugins: loyalty, off');

# A customer may not turn plugins on.
$r = $gw->post('/v1/plugins/loyalty/enable', token => $cust_a);
is($r->{status}, 403, 'a customer cannot enable a plugin');
is($gw->post('/v1/plugins/nope/enable', token => $staff_a)->{status}, 404, 'an unknown plugin is 404');

# A enables it over HTTP.
$r = ok_call($staff_a, 'POST', '/v1/plugins/loyalty/enable', 200, 'A: POST /v1/plugins/loyalty/enable');
is_deeply($r->{json}, { plugin => 'loyalty', enabled => JSON::PP::true }, 'answer {plugin, enabled: true}');
ok_call($staff_a, 'POST', '/v1/plugins/loyalty/enable', 200, 'enabling twice is idempotent');
$r = poll(sub { $gw->get("/v1/customers/$ca/loyalty", token => $staff_a) }, 200);
is($r->{status}, 200, 'A: GET /v1/customers/{id}/loyalty answers') or diag($r->{content});
is_deeply($r->{json}, { customer_id => $ca, points => 0, earned => 0, redeemed => 0 }, 'no points yet');
is($gw->get("/v1/customers/$ca/loyalty", token => $cust_a)->{status}, 200, 'the customer reads its own points');
my $other_ca = ok_call($staff_a, 'POST', '/v1/customers', 201, 'A: another customer',
	body => { email => 'other-a@example.com' })->{json}{id};
is($gw->get("/v1/customers/$other_ca/loyalty", token => $cust_a)->{status}, 404, "a customer cannot read another's points");

# B did not: its routes behave as without the plugin.
$r = $gw->get("/v1/customers/$cb/loyalty", token => $staff_b);
is($r->{status}, 404, 'B (not enabled): the route is 404');
my $absent = $gw->get('/v1/customers/' . $cb . '/nothing-here', token => $staff_b);
is($r->{json}{error}{code}, 'route_not_found', 'code route_not_found, as for a route that does not exist');
is_deeply([ map { delete $_->{error}{request_id}; $_ } $r->{json} ], [ map { delete $_->{error}{request_id}; $_ } $absent->{json} ],
	'the very body of an absent route (request id aside)');
# The gate runs before the body is parsed or the path bound, and a 405's
# Allow leaves out the routes of a plugin the tenant did not turn on.
$r = $gw->request('PUT', '/v1/loyalty/settings', token => $staff_b, body => '{not json',
	headers => { 'Content-Type' => 'application/json' });
is("$r->{status} $r->{json}{error}{code}", '404 route_not_found', 'B: a junk body to the plugin route: 404 route_not_found');
$r = $gw->get('/v1/customers/not-a-uuid/loyalty', token => $staff_b);
is("$r->{status} $r->{json}{error}{code}", '404 route_not_found', 'B: a bad path id: 404 route_not_found');
$r = $gw->get('/v1/loyalty/settings', token => $staff_b);
is("$r->{status} $r->{json}{error}{code}", '404 route_not_found', 'B: another method: 404, not 405');
ok(!defined $r->{headers}{allow}, 'and no Allow header');
$r = $gw->get('/v1/loyalty/settings', token => $staff_a);
is("$r->{status} " . ($r->{headers}{allow} // ''), '405 PUT', 'A (enabled): another method is 405, Allow: PUT');
$r = $gw->request('DELETE', "/v1/customers/$ca/loyalty", token => $staff_a);
is("$r->{status} " . ($r->{headers}{allow} // ''), '405 GET', 'A: DELETE on its account route is 405, Allow: GET');
$r = $gw->get('/v1/customers/not-a-uuid/loyalty', token => $staff_a);
is($r->{status}, 400, 'A (enabled): a bad path id is 400 as before');
$r = $gw->get("/v1/customers/$cb/loyalty", token => $cust_b);
is("$r->{status} $r->{json}{error}{code}", '404 route_not_found', "B's customer: 404 route_not_found");
$r = $gw->get("/v1/customers/$cb/loyalty");
is($r->{status}, 401, 'no token: 401 (the tenant is known only after authentication)');
is($gw->get("/v1/customers/$ca/loyalty", token => $staff_b)->{status}, 404, "B: A's customer is 404 too");
is($gw->request('PUT', '/v1/loyalty/settings', token => $staff_b, body => { min_order_value => 5 })->{status},
	404, 'B: PUT /v1/loyalty/settings is 404');
is($node->safe_psql('commerce', "SELECT count(*) FROM loyalty.settings WHERE tenant_id = '$tb'"), 0,
	'and wrote nothing');

# The gate is one read per request of a plugin's route and none for a core
# route (counted by track_functions; backends flush their counts within a
# second or so of going idle).
sub gate_calls
{
	return $node->safe_psql('commerce', q{SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
		WHERE schemaname = 'commerce' AND funcname = 'plugin_enabled'});
}
ok($node->poll_query_until('commerce', q{SELECT sum(calls) > 0 FROM pg_stat_user_functions
	WHERE schemaname = 'commerce' AND funcname = 'plugin_enabled'}), 'the gate asked commerce.plugin_enabled');
# The count settled: a backend that goes idle less than a second after its
# last flush keeps its counts up to 10 s (PostgreSQL 15's
# PGSTAT_IDLE_INTERVAL), so wait until two reads 11 s apart agree before
# counting from it (2.5 s apart let the gateway's earlier calls arrive
# late: CI counted 15 where 6 were made).
my $calls = gate_calls();
for (1 .. 6)
{
	sleep 11;
	my $now = gate_calls();
	last if $now == $calls;
	$calls = $now;
}
for (1 .. 10)
{
	$gw->get('/v1/products', token => $staff_b);
	$gw->get("/v1/customers/$cb", token => $staff_b);
	$gw->request('DELETE', '/v1/plugins', token => $staff_b);	# 405 of a core path
}
sleep 2.5;
$gw->get("/v1/customers/$cb/loyalty", token => $staff_b);
ok($node->poll_query_until('commerce', qq{SELECT sum(calls) > $calls FROM pg_stat_user_functions
	WHERE schemaname = 'commerce' AND funcname = 'plugin_enabled'}), 'one request of a plugin route counted');
is(gate_calls(), $calls + 1, '30 core requests asked nothing, the plugin route once');

# A rejecting order.before_place hook over HTTP.
ok_call($staff_a, 'PUT', '/v1/loyalty/settings', 200, 'A: minimum order value 15.00',
	body => { min_order_value => 1500 });
my $order = ok_call($staff_a, 'POST', '/v1/orders', 201, 'A: a draft order of 10.00', body => {
		currency => 'EUR', customer_id => $ca,
		lines => [ { variant_id => $shop{a}{variant}, quantity => 1 } ] })->{json};
$r = $gw->post("/v1/orders/$order->{id}/place", token => $staff_a, headers => { 'Idempotency-Key' => 'place-a-1' });
is($r->{status}, 422, 'A: placing under the minimum is 422');
is($r->{json}{error}{code}, 'loyalty_below_minimum_order', "with the plugin's code");
like($r->{json}{error}{message}, qr/below the minimum order value 1500/, "and the plugin's message");
is($node->safe_psql('commerce', "SELECT status FROM commerce.orders WHERE id = '$order->{id}'"), 'draft',
	'the order stays a draft');
is($node->safe_psql('commerce', "SELECT reserved FROM commerce.inventory_levels WHERE variant_id = '$shop{a}{variant}'"),
	0, 'nothing reserved');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.outbox WHERE aggregate_id = '$order->{id}' AND type <> 'order.created'"),
	0, 'no event written');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.idempotency_keys WHERE key = 'place-a-1'"), 0,
	'the Idempotency-Key is not consumed');
$r = $gw->post("/v1/orders/$order->{id}/place", token => $staff_a, headers => { 'Idempotency-Key' => 'place-a-1' });
is($r->{status}, 422, 'a retry with the same key is rejected again (not a replay)');
ok(!$r->{headers}{'idempotent-replayed'}, 'not marked replayed');

# The same order for B is placed: B's orders are untouched by A's plugin.
my $order_b = ok_call($staff_b, 'POST', '/v1/orders', 201, 'B: the same order', body => {
		currency => 'EUR', customer_id => $cb,
		lines => [ { variant_id => $shop{b}{variant}, quantity => 1 } ] })->{json};
$r = ok_call($staff_b, 'POST', "/v1/orders/$order_b->{id}/place", 200, 'B: placed', headers => { 'Idempotency-Key' => 'place-a-1' });
is($r->{json}{total}, 1000, 'B: total unchanged');
is($node->safe_psql('commerce', "SELECT count(*) FROM commerce.order_adjustments"), 0, 'no adjustment anywhere');

# The cause removed, the same key succeeds.
ok_call($staff_a, 'PUT', '/v1/loyalty/settings', 200, 'A: minimum lowered to 5.00', body => { min_order_value => 500 });
$r = ok_call($staff_a, 'POST', "/v1/orders/$order->{id}/place", 200, 'A: the retry with the same key places the order',
	headers => { 'Idempotency-Key' => 'place-a-1' });
is($r->{json}{status}, 'placed', 'placed');
ok(!$r->{headers}{'idempotent-replayed'}, 'a first execution, not a replay');
$r = ok_call($staff_a, 'POST', "/v1/orders/$order->{id}/place", 200, 'and now the key replays',
	headers => { 'Idempotency-Key' => 'place-a-1' });
is($r->{headers}{'idempotent-replayed'}, 'true', 'Idempotent-Replayed: true');

# Paid: the plugin's subscription awards points (10.00 -> 10 points).
my $pay = ok_call($staff_a, 'POST', "/v1/orders/$order->{id}/payments", 201, 'A: authorize',
	body => { provider => 'manual' })->{json};
ok_call($staff_a, 'POST', "/v1/payments/$pay->{id}/capture", 200, 'A: capture');
my $pts;
for (1 .. 150)
{
	$pts = $gw->get("/v1/customers/$ca/loyalty", token => $staff_a)->{json}{points} // 0;
	last if $pts;
	sleep 0.2;
}
is($pts, 10, 'a paid order earned points through the subscription (as loyalty_plugin)');

# B pays too: no delivery for B (it did not enable the plugin).
$pay = ok_call($staff_b, 'POST', "/v1/orders/$order_b->{id}/payments", 201, 'B: authorize',
	body => { provider => 'manual' })->{json};
ok_call($staff_b, 'POST', "/v1/payments/$pay->{id}/capture", 200, 'B: capture');
ok($node->poll_query_until('commerce',
		"SELECT count(*) > 0 FROM commerce.outbox WHERE tenant_id = '$tb' AND type = 'order.paid' AND published_at IS NOT NULL"),
	"B's order.paid is published");
sleep 1;
is($node->safe_psql('commerce', qq{
	SELECT count(*) FROM commerce.deliveries d JOIN commerce.subscriptions s ON s.id = d.subscription_id
	 WHERE s.plugin = 'loyalty' AND d.tenant_id = '$tb'}), 0, 'B: no delivery to the plugin');
is($node->safe_psql('commerce', "SELECT count(*) FROM loyalty.accounts WHERE tenant_id = '$tb'"), 0, 'B: no points');

# Disable and enable again over HTTP.
$r = ok_call($staff_a, 'POST', '/v1/plugins/loyalty/disable', 200, 'A: POST /v1/plugins/loyalty/disable');
is_deeply($r->{json}, { plugin => 'loyalty', enabled => JSON::PP::false }, 'answer {plugin, enabled: false}');
is($gw->get("/v1/customers/$ca/loyalty", token => $staff_a)->{status}, 404, 'disabled: 404 at once');
ok_call($staff_a, 'POST', '/v1/plugins/loyalty/enable', 200, 'A: enable again');
$r = $gw->get("/v1/customers/$ca/loyalty", token => $staff_a);
is($r->{json}{points}, 10, 'enabled again: the points kept');
is($gw->post('/v1/plugins/loyalty/disable', token => $cust_a)->{status}, 403, 'a customer cannot disable it');

# The tables of schema commerce (from the catalogue) holding a row that
# names the plugin: before DROP EXTENSION, its registration and enablement.
my $tables = $node->safe_psql('commerce', q{
	SELECT string_agg(format('%I.%I', n.nspname, c.relname), ' ' ORDER BY c.relname)
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE n.nspname = 'commerce' AND c.relkind IN ('r', 'p')});
my @tables = split / /, $tables;
cmp_ok(scalar @tables, '>', 20, scalar(@tables) . ' core tables enumerated');
sub tables_naming_plugin
{
	return $node->safe_psql('commerce', join("\nUNION ALL\n",
		map { "SELECT '$_' FROM $_ x WHERE x::text ~ 'loyalty' HAVING count(*) > 0" } @tables)
		  . "\nORDER BY 1");
}
is(tables_naming_plugin(), join("\n", map { "commerce.$_" } qw(deliveries hooks plugin_tenants plugins routes subscriptions)),
	'installed and enabled: the plugin has rows in deliveries, hooks, plugin_tenants, plugins, routes, subscriptions');

# DROP EXTENSION on the running gateway: 404 again, nothing left.
$node->safe_psql('commerce', 'DROP EXTENSION loyalty');
$r = poll(sub { $gw->get("/v1/customers/$ca/loyalty", token => $staff_a) }, 404);
is($r->{status}, 404, 'DROP EXTENSION: the route is 404 again, without a restart');
# (the 404 can come from the plugin's function being gone before the route
# table's reload has arrived; the document follows the route table)
for (1 .. 100)
{
	$r = $gw->get('/openapi.json');
	last unless $r->{json}{paths}{'/v1/customers/{id}/loyalty'};
	sleep 0.1;
}
ok(!$r->{json}{paths}{'/v1/customers/{id}/loyalty'}, 'and gone from the OpenAPI document');
is($gw->post('/v1/plugins/loyalty/enable', token => $staff_a)->{status}, 404, 'enabling it is 404');
is_deeply($gw->get('/v1/plugins', token => $staff_a)->{json}{data}, [], 'GET /v1/plugins: none');
is(tables_naming_plugin(), '', 'DROP EXTENSION: no row of the plugin left in any core table');
is($node->safe_psql('commerce', q{SELECT count(*) FROM pg_namespace WHERE nspname = 'loyalty'}), 0,
	'its schema is gone');


# The gateway keeps serving the core.
ok_call($staff_a, 'GET', "/v1/orders/$order->{id}", 200, 'core routes still served');
is($gw->stop, 0, 'gateway exits 0 on SIGTERM');
$node->stop;
done_testing();
